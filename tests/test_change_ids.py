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
from ingest.snapshot import load_records

PAIRS = Path(__file__).resolve().parent / "fixtures" / "stored-pairs"


@pytest.mark.parametrize("pair", ["websites", "edition"])
def test_diff_of_a_stored_pair_gives_the_stored_change_ids(pair: str) -> None:
    folder = PAIRS / pair
    stored = json.loads((folder / "changes.json").read_text(encoding="utf-8"))["changes"]
    changes = diff_programs(load_records(folder / "old.json"), load_records(folder / "new.json"))
    assert len(stored) >= 7
    assert [(c.id, c.field, c.category, c.severity) for c in changes] == [
        (s["id"], s["field"], s["category"], s["severity"]) for s in stored
    ]
