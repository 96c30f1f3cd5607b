"""The differ: matched by id, cosmetic differences ignored, every change categorised."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.diff import change_id, diff_programs
from ingest.models import CallPeriod, Contact, Program, Provenance

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
        {
            ("deadline", "calls[2025 call for proposals].raw"),
            ("deadline", "calls[2025 call for proposals].closes"),
        },
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
