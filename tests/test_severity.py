"""The severity rule table: one case per rule, plus the edges of the deadline and eligibility heuristics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ingest.diff import diff_programs
from ingest.models import CallPeriod, Change, ChangeCategory, Program, Provenance, Severity
from ingest.severity import (
    JAPAN,
    RULES,
    deadline_moment,
    deadline_shift,
    restrictive_terms,
    rule_for,
    severity_of,
    severity_rank,
)

CALL = "calls[2025 call for proposals]"
A_CALL = {"raw": "April 10 – Noon, June 3", "opens": "2025-04-10", "closes": "2025-06-03T12:00:00+09:00"}
ELIGIBLE = (
    "Researchers affiliated with a university or research institution in Japan may apply, together with "
    "partners at overseas institutions in any country, in any field of the life sciences."
)


def change(category: str, field: str, old: Any, new: Any) -> Change:
    return Change(
        id="0" * 12,
        program="crest",
        program_name="CREST",
        category=category,
        field=field,
        old=old,
        new=new,
        review=category != "other",
    )


GUIDELINE = {"title": "公募要領", "revision": None, "sha256": "a" * 64}
CASES: dict[str, tuple[Change, Severity]] = {
    # call guidelines
    "a call guideline removed": (
        change("document", "documents[https://x/y.pdf]", GUIDELINE, None),
        Severity.HIGH,
    ),
    "a call guideline revised": (
        change("document", "documents[https://x/y.pdf]", GUIDELINE, {**GUIDELINE, "sha256": "b" * 64}),
        Severity.MEDIUM,
    ),
    "a call guideline added": (
        change("document", "documents[https://x/y.pdf]", None, GUIDELINE),
        Severity.MEDIUM,
    ),
    # deadlines
    "closes earlier (CREST noon June 10 → June 3)": (
        change("deadline", f"{CALL}.closes", "2025-06-10T12:00:00+09:00", "2025-06-03T12:00:00+09:00"),
        Severity.CRITICAL,
    ),
    "closes earlier, dates only": (
        change("deadline", f"{CALL}.closes", "2025-09-05", "2025-09-03"),
        Severity.CRITICAL,
    ),
    "a whole day became noon of that day": (
        change("deadline", f"{CALL}.closes", "2025-06-03", "2025-06-03T12:00:00+09:00"),
        Severity.CRITICAL,
    ),
    "end of March became March 20": (
        change("deadline", f"{CALL}.closes", "2025-03-31", "2025-03-20"),
        Severity.CRITICAL,
    ),
    "closes later (CREST noon June 3 → June 10)": (
        change("deadline", f"{CALL}.closes", "2025-06-03T12:00:00+09:00", "2025-06-10T12:00:00+09:00"),
        Severity.MEDIUM,
    ),
    "a call is gone": (change("deadline", CALL, A_CALL, None), Severity.HIGH),
    "next year's call replaces this year's": (
        change(
            "deadline",
            "calls[2026 call for proposals]",
            {"label": "2025 call for proposals", **A_CALL},
            {"label": "2026 call for proposals", **A_CALL, "closes": "2026-05-20T12:00:00+09:00"},
        ),
        Severity.HIGH,
    ),
    "opening moved, same deadline": (
        change("deadline", f"{CALL}.opens", "2025-04-10", "2025-04-14"),
        Severity.MEDIUM,
    ),
    "a call is new": (change("deadline", CALL, None, A_CALL), Severity.MEDIUM),
    "closing date removed": (change("deadline", f"{CALL}.closes", "2025-06-03", None), Severity.HIGH),
    "closing date now known": (change("deadline", f"{CALL}.closes", None, "2025-06-03"), Severity.MEDIUM),
    "dated → tbd": (change("deadline", f"{CALL}.status", "dated", "tbd"), Severity.HIGH),
    "dated → unparsed": (change("deadline", f"{CALL}.status", "dated", "unparsed"), Severity.HIGH),
    "dated → closed": (change("deadline", f"{CALL}.status", "dated", "closed"), Severity.HIGH),
    "tbd → dated": (change("deadline", f"{CALL}.status", "tbd", "dated"), Severity.MEDIUM),
    "call text reworded": (
        change("deadline", f"{CALL}.raw", "April 10 - Noon, June 3", "April 10 - 12:00, June 3"),
        Severity.MEDIUM,
    ),
    "label with brackets and dots": (
        change("deadline", "calls[FY2026 [1st] round 2.1].closes", "2025-09-05", "2025-09-01"),
        Severity.CRITICAL,
    ),
    # eligibility
    "eligibility adds 'must'": (
        change(
            "eligibility", "eligibility", "A PI in Japan may add a Co-PI.", "A PI in Japan must add a Co-PI."
        ),
        Severity.HIGH,
    ),
    "eligibility adds 'only'": (
        change(
            "eligibility",
            "eligibility",
            "Researchers in Japan may apply.",
            "Only researchers in Japan may apply.",
        ),
        Severity.HIGH,
    ),
    "eligibility adds 'not'": (
        change("eligibility", "eligibility", "Postdocs may apply.", "Postdocs may not apply."),
        Severity.HIGH,
    ),
    "eligibility adds 'at least'": (
        change(
            "eligibility",
            "eligibility",
            "Applicants hold a PhD.",
            "Applicants hold a PhD of at\nleast 2 years.",
        ),
        Severity.HIGH,
    ),
    "eligibility much shorter": (
        change("eligibility", "eligibility", ELIGIBLE, "Researchers at a university in Japan may apply."),
        Severity.HIGH,
    ),
    "eligibility reworded neutrally": (
        change("eligibility", "eligibility", ELIGIBLE, ELIGIBLE.replace("may apply", "are welcome to apply")),
        Severity.MEDIUM,
    ),
    "eligibility relaxed (drops 'only')": (
        change(
            "eligibility",
            "eligibility",
            "Only researchers in Japan may apply.",
            "Researchers anywhere may apply.",
        ),
        Severity.MEDIUM,
    ),
    "eligibility shortened a little": (
        change(
            "eligibility",
            "eligibility",
            ELIGIBLE,
            ELIGIBLE.replace(", in any field of the life sciences", ""),
        ),
        Severity.MEDIUM,
    ),
    # contacts and websites
    "e-mail address replaced (old gone)": (
        change("contact", "contacts[aspire@amed.go.jp]", {"email": "aspire@amed.go.jp"}, None),
        Severity.MEDIUM,
    ),
    "contact label": (
        change("contact", "contacts[rp-info@jst.go.jp].label", "CREST", "Desk"),
        Severity.MEDIUM,
    ),
    "website moved": (
        change("website", "website", "https://www.jst.go.jp/kisoken/crest/", "https://www.jst.go.jp/crest/"),
        Severity.MEDIUM,
    ),
    "link added": (
        change("website", "links[https://a.example/3]", None, "https://a.example/3"),
        Severity.MEDIUM,
    ),
    # whole programs, extraction, conflicts
    "program added": (change("added", "", None, "NPYS"), Severity.HIGH),
    "program removed": (change("removed", "", "PRESTO", None), Severity.HIGH),
    "extractor lost the calls": (change("extraction", "calls", {"2025 call": A_CALL}, None), Severity.HIGH),
    "sources disagree": (
        change("conflict", "conflicts.eligibility", None, {"a": "x", "b": "y"}),
        Severity.HIGH,
    ),
    # wording
    "summary reworded": (change("other", "summary", "Team research.", "Team-based research."), Severity.LOW),
    "name reworded": (change("other", "name", "CREST", "CREST (JST)"), Severity.LOW),
    "notes changed with 'must' in them": (
        change("other", "notes[Applicants must register]", None, "Applicants must register"),
        Severity.LOW,
    ),
}


@pytest.mark.parametrize(("item", "expected"), CASES.values(), ids=CASES.keys())
def test_severity_table(item: Change, expected: Severity) -> None:
    assert severity_of(item) == expected


def test_every_rule_is_exercised_by_a_case() -> None:
    used = {rule_for(item).why for item, _ in CASES.values()}
    assert used == {rule.why for rule in RULES}


def test_the_last_rule_catches_everything_and_is_low() -> None:
    assert RULES[-1].severity == Severity.LOW
    assert RULES[-1].applies(change("other", "whatever", 1, 2))


def test_every_review_category_has_a_rule_above_low() -> None:
    for category in ChangeCategory:
        if category is ChangeCategory.OTHER:
            continue
        rules = [rule for rule in RULES[:-1] if rule.applies(change(category, "x", "a", "b"))]
        assert rules, f"no rule for {category}"


def test_the_rule_says_why() -> None:
    moved = change("deadline", f"{CALL}.closes", "2025-06-10", "2025-06-03")
    assert rule_for(moved).why == "a deadline moved earlier"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-03T12:00:00+09:00", datetime(2025, 6, 3, 12, tzinfo=JAPAN)),
        ("2025-06-03", datetime(2025, 6, 3, 23, 59, 59, tzinfo=JAPAN)),
        (date(2025, 6, 3), datetime(2025, 6, 3, 23, 59, 59, tzinfo=JAPAN)),
        (datetime(2025, 6, 3, 3, tzinfo=UTC), datetime(2025, 6, 3, 12, tzinfo=JAPAN)),
        ("TBD", None),
        (None, None),
    ],
)
def test_deadline_moment(value: Any, expected: datetime | None) -> None:
    assert deadline_moment(value) == expected


def test_deadline_shift_only_for_closing_dates() -> None:
    assert deadline_shift(change("deadline", f"{CALL}.closes", "2025-06-03", "2025-06-10")) == timedelta(
        days=7
    )
    assert deadline_shift(change("deadline", f"{CALL}.opens", "2025-06-03", "2025-06-10")) is None
    assert deadline_shift(change("deadline", f"{CALL}.closes", None, "2025-06-10")) is None


def test_restrictive_terms_count_phrases_across_lines_and_case() -> None:
    counts = restrictive_terms("ONLY those who MUST, at\nleast, hold a PhD; only once. Nothing else.")
    assert counts == {"only": 2, "must": 1, "at least": 1}


def test_severity_rank_sorts_most_severe_first() -> None:
    shuffled = [Severity.LOW, Severity.CRITICAL, Severity.MEDIUM, Severity.HIGH]
    assert sorted(shuffled, key=severity_rank) == [
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
    ]


def _crest(closes: str) -> Program:
    call = CallPeriod(label="2025 call for proposals", raw=f"Until {closes}", closes=closes, status="dated")
    source = Provenance(
        source="reference-pdf", content_sha256="a" * 64, extracted_at=datetime(2025, 4, 1, tzinfo=UTC)
    )
    return Program(id="crest", name="CREST", calls=[call], provenance=[source])


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("2025-06-03T12:00:00+09:00", "2025-06-10T12:00:00+09:00", Severity.MEDIUM),
        ("2025-06-10T12:00:00+09:00", "2025-06-03T12:00:00+09:00", Severity.CRITICAL),
    ],
    ids=["extended", "moved earlier"],
)
def test_rules_read_the_field_paths_the_differ_writes(before: str, after: str, expected: Severity) -> None:
    [closes] = [c for c in diff_programs([_crest(before)], [_crest(after)]) if c.field.endswith(".closes")]
    assert severity_of(closes) == expected
