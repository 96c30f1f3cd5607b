"""Our own next edition (tests/fixtures/editions/modified-2026.txt) against the reference PDF: the differ must
flag exactly the edits made, and nothing for cosmetic ones (re-wrapping, quote style, a new layout)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest

from ingest.diff import diff_programs
from pdf_fixtures import MODIFIED_TEXT, REFERENCE_TEXT, Block, load_edition, records_by_id
from pdf_fixtures import modified_records as modified_records  # fixtures
from pdf_fixtures import reference_records as reference_records
from pdf_fixtures import rendered_reference_records as rendered_reference_records

NEW_PROGRAM = "forest"  # catalogue.derive_id: the acronym in parentheses of an unknown program's title

EXPECTED = {
    ("crest", "deadline"),  # a. June 3 -> June 10
    ("jsps-international-fellowships", "contact"),  # b. invitation@ -> intl-fellowships@
    ("us-japan-cmsp", "eligibility"),  # c. "submitted by the PI" -> "submitted jointly by the PIs"
    ("jsps-international-fellowships", "website"),  # d. e-inv_researchers/ -> e-fellowships/
    ("jsps-overseas-travel", "removed"),  # e.
    (NEW_PROGRAM, "added"),  # f.
}

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


# ------------------------------------------------------------------------------- the fixture's own edits


def _block_texts(blocks: list[Block]) -> Counter[str]:
    """Blocks as a reader sees them: wrapping and quote style folded away."""
    return Counter(f"{block.marker}{' '.join(block.text.split())}".translate(_QUOTES) for block in blocks)


def _match_one_each(blocks: Counter[str], fragments: list[str]) -> None:
    """Every block is identified by exactly one fragment and every fragment identifies exactly one block."""
    assert sum(blocks.values()) == len(fragments), sorted(blocks)
    for fragment in fragments:
        assert sum(count for text, count in blocks.items() if fragment in text) == 1, fragment


def test_modified_edition_differs_only_by_the_intended_edits() -> None:
    reference, modified = (
        _block_texts(load_edition(REFERENCE_TEXT)),
        _block_texts(load_edition(MODIFIED_TEXT)),
    )
    removed, added = reference - modified, modified - reference
    _match_one_each(
        removed,
        [
            "April 2025",  # the edition date: document-level, not a program field
            "Noon, June 3",
            "submitted by the Principal Investigator (PI) from the Japanese team",
            "e-inv_researchers/",
            "invitation@jsps.go.jp",
            "Research Funding for Overseas Travel under JSPS Programs",
            "Many JSPS programs allow the use of research funds",
            "Such expenses may include travel",
            "For specific details, please contact the program officer",
            "=====",
        ],
    )
    _match_one_each(
        added,
        [
            "April 2026",
            "Noon, June 10",
            "submitted jointly by the Principal Investigators (PIs) of the Japanese and U.S. teams",
            "e-fellowships/",
            "intl-fellowships@jsps.go.jp",
            "(FOREST)",
            "FOREST supports independent researchers",
            "https://www.jst.go.jp/souhatsu/en/",
            "souhatsu-call@jst.go.jp",
            "2026 call for proposals",
        ],
    )


def test_cosmetic_edit_is_really_there() -> None:
    """g. PRESTO's paragraph: other line breaks and straight quotes; "Others": curly quotes."""

    def paragraph(blocks: list[Block], start: str) -> Block:
        return next(block for block in blocks if block.text.startswith(start))

    reference, modified = load_edition(REFERENCE_TEXT), load_edition(MODIFIED_TEXT)
    old, new = (paragraph(blocks, "Even if you do not have") for blocks in (reference, modified))
    assert len(old.segments) == 1 and len(new.segments) > 10  # forced line breaks
    assert "“" in old.text and "“" not in new.text and '"Exclusive' in new.text
    assert old.text.translate(_QUOTES) == new.text
    old, new = (paragraph(blocks, "In addition, in many JST projects") for blocks in (reference, modified))
    assert '"research participants"' in old.text and "“research participants”" in new.text


# ------------------------------------------------------------------------------------------------ the diff


def _plain(value: Any) -> Any:
    """A change's old/new value in JSON terms, whatever the differ keeps (a value or a whole call)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict) and "closes" in value:
        return _plain(value["closes"])
    return value


@pytest.fixture(scope="module")
def changes(reference_records: list, modified_records: list) -> list:
    return diff_programs(reference_records, modified_records)


def test_diff_flags_exactly_the_edits(changes: list) -> None:
    assert {(change.program, change.category) for change in changes} == EXPECTED


def test_deadline_change_values(changes: list) -> None:
    moved = {
        (_plain(change.old), _plain(change.new))
        for change in changes
        if (change.program, change.category) == ("crest", "deadline")
    }
    assert ("2025-06-03T12:00:00+09:00", "2025-06-10T12:00:00+09:00") in moved


@pytest.mark.parametrize(
    ("program", "category", "old", "new"),
    [
        ("jsps-international-fellowships", "contact", "invitation@jsps.go.jp", "intl-fellowships@jsps.go.jp"),
        ("jsps-international-fellowships", "website", "/e-inv_researchers/", "/e-fellowships/"),
        ("us-japan-cmsp", "eligibility", "submitted by the Principal", "submitted jointly by the Principal"),
    ],
)
def test_change_values(changes: list, program: str, category: str, old: str, new: str) -> None:
    found = [change for change in changes if (change.program, change.category) == (program, category)]
    assert found
    assert any(old in json.dumps(change.old, default=str) for change in found)
    assert any(new in json.dumps(change.new, default=str) for change in found)


def test_cosmetic_edits_produce_no_change(changes: list) -> None:
    assert [change for change in changes if change.program in {"presto", "jst-overseas-travel"}] == []


def test_added_program_is_extracted_in_full(modified_records: list) -> None:
    forest = records_by_id(modified_records)[NEW_PROGRAM].model_dump(mode="json")
    assert forest["name"] == "Fusion Oriented REsearch for disruptive Science and Technology (FOREST)"
    assert forest["agencies"] == ["JST"]
    assert forest["categories"] == ["moving-to-japan"]
    assert forest["website"] == "https://www.jst.go.jp/souhatsu/en/"
    assert [contact["email"] for contact in forest["contacts"]] == ["souhatsu-call@jst.go.jp"]
    [call] = forest["calls"]
    assert (call["opens"], call["closes"]) == ("2026-04-23", "2026-06-24T12:00:00+09:00")
    assert "Researchers of any nationality" in forest["eligibility"]


def test_reference_against_its_own_rendering_is_no_change(
    reference_records: list, rendered_reference_records: list
) -> None:
    assert diff_programs(reference_records, rendered_reference_records) == []
