"""The differ: matched by id, cosmetic differences ignored, every change categorised."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ingest import diff as diff_module
from ingest.diff import change_id, diff_program, diff_programs
from ingest.models import CallPeriod, Change, Conflict, Contact, Program, Provenance

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def program(**fields: Any) -> Program:
    base: dict[str, Any] = {
        "id": "crest",
        "name": "CREST",
        "agencies": ["JST"],
        "categories": ["affiliated-overseas"],
        "summary": "Team-based research.",
        "eligibility": "A CREST PI in Japan must add a “Co-PI”.",
        "website": "https://www.jst.go.jp/kisoken/crest/en/index.html",
        "links": ["https://a.example/1", "https://a.example/2"],
        "contacts": [Contact(email="rp-info@jst.go.jp"), Contact(email="b@jst.go.jp", label="Office")],
        "calls": [
            CallPeriod(
                label="2025 call for proposals",
                raw="April 10 – Noon, June 3",
                opens="2025-04-10",
                closes="2025-06-03T12:00:00+09:00",
                status="dated",
            )
        ],
        "provenance": [Provenance(source="reference-pdf", content_sha256="a" * 64, extracted_at=NOW)],
    }
    return Program(**(base | fields))


COSMETIC = {
    "rewrapped": {"eligibility": "A CREST PI in Japan\nmust add a   “Co-PI”."},
    "straight quotes": {"eligibility": 'A CREST PI in Japan must add a "Co-PI".'},
    "full-width": {"summary": "Team－based research．"},
    "dash style": {
        "calls": [
            CallPeriod(
                label="2025 call for proposals",
                raw="April 10 - Noon, June 3",
                opens="2025-04-10",
                closes="2025-06-03T12:00:00+09:00",
                status="dated",
            )
        ]
    },
    "reordered lists": {
        "links": ["https://a.example/2", "https://a.example/1"],
        "contacts": [Contact(email="b@jst.go.jp", label="Office"), Contact(email="rp-info@jst.go.jp")],
    },
    "provenance only": {
        "provenance": [Provenance(source="x", content_sha256="b" * 64, extracted_at=NOW, pages=[3])]
    },
}


@pytest.mark.parametrize("fields", COSMETIC.values(), ids=COSMETIC.keys())
def test_cosmetic_differences_are_no_change(fields: dict[str, Any]) -> None:
    assert diff_programs([program()], [program(**fields)]) == []


REAL = {
    "deadline": (
        {
            "calls": [
                CallPeriod(
                    label="2025 call for proposals",
                    raw="April 10 – Noon, June 10",
                    opens="2025-04-10",
                    closes="2025-06-10T12:00:00+09:00",
                    status="dated",
                )
            ]
        },
        {("deadline", "calls[2025 call for proposals].closes")},  # the raw text folded in (test_call_folding)
    ),
    "eligibility": ({"eligibility": "Any PI may add a Co-PI."}, {("eligibility", "eligibility")}),
    "contact label": (
        {"contacts": [Contact(email="rp-info@jst.go.jp"), Contact(email="b@jst.go.jp", label="Desk")]},
        {("contact", "contacts[b@jst.go.jp].label")},
    ),
    "contact address": (
        {"contacts": [Contact(email="rp-info@jst.go.jp"), Contact(email="c@jst.go.jp", label="Office")]},
        {("contact", "contacts[b@jst.go.jp]"), ("contact", "contacts[c@jst.go.jp]")},
    ),
    "website": ({"website": "https://www.jst.go.jp/crest/"}, {("website", "website")}),
    "link added": (
        {"links": ["https://a.example/1", "https://a.example/2", "https://a.example/3"]},
        {("website", "links[https://a.example/3]")},
    ),
    "summary": ({"summary": "Individual research."}, {("other", "summary")}),
}


@pytest.mark.parametrize(("fields", "expected"), REAL.values(), ids=REAL.keys())
def test_real_changes_are_categorised(fields: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    changes = diff_programs([program()], [program(**fields)])
    assert {(c.category, c.field) for c in changes} == expected
    assert all(c.review == (c.category != "other") for c in changes)
    assert all(c.program == "crest" and c.program_name == "CREST" for c in changes)


def test_deadline_change_carries_old_and_new_values() -> None:
    moved = CallPeriod(
        label="2025 call for proposals",
        raw="April 10 – Noon, June 10",
        opens="2025-04-10",
        closes="2025-06-10T12:00:00+09:00",
        status="dated",
    )
    [closes] = [c for c in diff_programs([program()], [program(calls=[moved])]) if c.field.endswith("closes")]
    assert (closes.old, closes.new) == ("2025-06-03T12:00:00+09:00", "2025-06-10T12:00:00+09:00")


def test_added_and_removed_programs() -> None:
    changes = diff_programs(
        [program(), program(id="presto", name="PRESTO")], [program(), program(id="npys", name="NPYS")]
    )
    assert {(c.program, c.category, c.old, c.new) for c in changes} == {
        ("presto", "removed", "PRESTO", None),
        ("npys", "added", None, "NPYS"),
    }


def test_a_vanished_field_is_an_extraction_problem_not_a_removal() -> None:
    changes = diff_programs([program()], [program(calls=[], website=None)])
    assert {(c.category, c.field) for c in changes} == {("extraction", "calls"), ("extraction", "website")}
    assert all(c.review and c.new is None and "no longer found" in c.detail for c in changes)


def test_change_ids_are_stable_and_distinct() -> None:
    first = diff_programs([program()], [program(eligibility="Any PI may add a Co-PI.")])
    again = diff_programs([program()], [program(eligibility="Any PI may add a Co-PI.")])
    other = diff_programs([program()], [program(eligibility="No PI may add a Co-PI.")])
    assert [c.id for c in first] == [c.id for c in again]
    assert first[0].id != other[0].id
    assert first[0].id == change_id("crest", "eligibility", first[0].old, first[0].new)


def _moved_to(closes: str) -> Program:
    call = CallPeriod(
        label="2025 call for proposals",
        raw=f"moved to {closes}",
        opens="2025-04-10",
        closes=closes,
        status="dated",
    )
    return program(
        calls=[call],
        provenance=[
            Provenance(
                source="jst-crest",
                url="https://www.jst.go.jp/c.html",
                content_sha256="c" * 64,
                extracted_at=NOW,
            )
        ],
    )


@pytest.mark.parametrize(
    ("closes", "severity"),
    [("2025-06-10T12:00:00+09:00", "medium"), ("2025-05-20T12:00:00+09:00", "critical")],
    ids=["extended", "moved-earlier"],
)
def test_changes_carry_severity_and_evidence(closes: str, severity: str) -> None:
    [change] = [c for c in diff_programs([program()], [_moved_to(closes)]) if c.field.endswith(".closes")]
    assert change.severity == severity
    assert (
        change.old_evidence[0].source == "reference-pdf"
        and "April 10 – Noon, June 3" in change.old_evidence[0].text
    )
    assert (
        change.new_evidence[0].url == "https://www.jst.go.jp/c.html"
        and closes[:10] in change.new_evidence[0].text
    )


# -- identity first: only pairs that can differ reach deepdiff ------------------------------------------


def _full_walk(old: list[Program], new: list[Program]) -> list[Change]:
    """The differ without its shortcuts: every matched pair walked by deepdiff."""
    before, after = {p.id: p for p in old}, {p.id: p for p in new}
    changes: list[Change] = []
    for program_id in sorted(before.keys() | after.keys()):
        if program_id in before and program_id in after:
            changes.extend(diff_program(before[program_id], after[program_id]))
        else:
            changes.extend(diff_programs([before[program_id]] if program_id in before else [], []))
            changes.extend(diff_programs([], [after[program_id]] if program_id in after else []))
    return changes


@pytest.fixture
def deepdiff_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the programs whose pair reached deepdiff (counted at ingest.diff's own seam)."""
    calls: list[str] = []
    real = diff_module.deep_diff

    def counting(left: dict[str, Any], right: dict[str, Any]) -> Any:
        calls.append(right["name"])
        return real(left, right)

    monkeypatch.setattr(diff_module, "deep_diff", counting)
    return calls


def _many(n: int, *, day: int = 24) -> list[Program]:
    when = datetime(2026, 11, day, tzinfo=UTC)
    return [
        program(
            id=f"program-{i:04d}",
            name=f"Program {i}",
            provenance=[Provenance(source="reference-pdf", content_sha256=f"{i:064x}", extracted_at=when)],
        )
        for i in range(n)
    ]


def test_equal_pairs_never_reach_deepdiff(deepdiff_calls: list[str]) -> None:
    old, new = _many(300), _many(300, day=25)  # re-extracted a day later: only provenance differs
    new[7] = new[7].model_copy(update=COSMETIC["rewrapped"])  # cosmetic only: equal once canonical
    new[8] = new[8].model_copy(update=COSMETIC["reordered lists"])
    assert diff_programs(old, new) == []
    assert deepdiff_calls == []


def test_one_changed_pair_among_many_gives_exactly_its_changes(deepdiff_calls: list[str]) -> None:
    old, new = _many(500), _many(500, day=25)
    new[123] = program(
        id="program-0123", name="Program 123", eligibility="Any PI may add a Co-PI.", website=None
    )
    changes = diff_programs(old, new)
    assert deepdiff_calls == ["Program 123"]
    assert changes == diff_program(old[123], new[123]) == _full_walk(old, new)
    assert {(c.program, c.category, c.field) for c in changes} == {
        ("program-0123", "eligibility", "eligibility"),
        ("program-0123", "extraction", "website"),
    }


def _other_instant_same_moment() -> dict[str, Any]:
    utc = CallPeriod(
        label="2025 call for proposals",
        raw="April 10 – Noon, June 3",
        opens="2025-04-10",
        closes="2025-06-03T03:00:00+00:00",  # == the +09:00 noon as a Python value, not as data
        status="dated",
    )
    return {"calls": [utc]}


SHORTCUT_EDGES = {
    "same instant, other offset": _other_instant_same_moment(),
    "conflict 1 vs 1.0": {"conflicts": [Conflict(field="calls", values={"a": 1.0})]},
    "conflict 1 vs True": {"conflicts": [Conflict(field="calls", values={"a": True})]},
}


@pytest.mark.parametrize(
    "fields",
    [*COSMETIC.values(), *(fields for fields, _ in REAL.values()), *SHORTCUT_EDGES.values()],
    ids=[*COSMETIC, *REAL, *SHORTCUT_EDGES],
)
def test_identity_first_gives_what_the_full_walk_gives(fields: dict[str, Any]) -> None:
    base = {"conflicts": [Conflict(field="calls", values={"a": 1})]} if "conflicts" in fields else {}
    old, new = [program(**base), program(id="other")], [program(**fields), program(id="other")]
    assert diff_programs(old, new) == _full_walk(old, new)
    if fields in SHORTCUT_EDGES.values():
        assert diff_programs(old, new)  # Python calls these equal; the stored data (and deepdiff) does not
