"""Change ids are what the committed review ledger refers to: a restructuring must never change them.

`tests/fixtures/stored-pairs/` holds record sets and the changes.json an earlier version of ingest
wrote for them (the fixture sites v1 → v2 through a whole run, and the reference PDF → our modified
edition). Diffing the same records today must give exactly the same ids, fields and severities.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.diff import diff_programs
from ingest.models import Change
from ingest.severity import severity_of
from ingest.snapshot import load_records

PAIRS = Path(__file__).resolve().parent / "fixtures" / "stored-pairs"


@pytest.mark.parametrize("pair", ["websites", "edition"])
def test_diff_of_a_stored_pair_gives_the_stored_change_ids(pair: str) -> None:
    folder = PAIRS / pair
    stored = json.loads((folder / "changes.json").read_text(encoding="utf-8"))["changes"]
    changes = diff_programs(load_records(folder / "old.json"), load_records(folder / "new.json"))
    assert len(stored) >= 6
    assert [(c.id, c.field, c.category, c.severity) for c in changes] == [
        (s["id"], s["field"], s["category"], s["severity"]) for s in stored
    ]


@pytest.mark.parametrize("pair", ["websites", "edition"])
def test_changes_stored_without_a_path_get_the_path_the_differ_gives(pair: str) -> None:
    """Older changes.json files hold only the display string; reading them back gives the same keys
    the differ now stores, so severity and evidence treat old and new changes alike."""
    folder = PAIRS / pair
    stored = json.loads((folder / "changes.json").read_text(encoding="utf-8"))["changes"]
    assert all("path" not in item for item in stored)
    read_back = [Change.model_validate(item) for item in stored]
    fresh = diff_programs(load_records(folder / "old.json"), load_records(folder / "new.json"))
    assert [c.path for c in read_back] == [c.path for c in fresh]
    assert any(len(c.path) == 3 and c.path[0] == "calls" for c in fresh)  # calls[label].closes
    assert all(c.severity == severity_of(c) for c in read_back)


# The raw text changes these pairs gave before one change per edited call (issue 10): each is now folded
# into the closes change of its call, which keeps its id; the ledger's decisions on those ids still hold.
FOLDED = {
    "websites": {
        "522cc20c932e": "589766690f28",  # e-asia-jrp, calls[2025 call for proposals]
        "2e24cd9ae5a6": "6ae154ab74cf",  # hfsp, calls[Compulsory initiation of a letter of Intent …]
        "1ab0477a0c58": "b5bcbf869cc4",  # hfsp, calls[Submission of Letters of Intent]
    },
    "edition": {"9fac20f7ddda": "0ae92d9ff817"},  # crest, calls[2025 call for proposals]
}


@pytest.mark.parametrize("pair", ["websites", "edition"])
def test_the_raw_text_changes_are_folded_into_their_calls_closes_change(pair: str) -> None:
    folder = PAIRS / pair
    changes = diff_programs(load_records(folder / "old.json"), load_records(folder / "new.json"))
    folded = {c.id: [(f.attribute, f.id) for f in c.also] for c in changes if c.also}
    assert folded == {main: [("raw", raw)] for main, raw in FOLDED[pair].items()}
    assert not {c.id for c in changes} & set(FOLDED[pair].values())
