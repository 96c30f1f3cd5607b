"""`ingest export --format sqlite`: the tables Datasette browses, read back with the sqlite3 module."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.snapshot import SnapshotStore
from test_review_counts import _sources, _two_days


def _rows(path: Path, query: str) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(query))


def test_sqlite_export_holds_records_changes_and_decisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, snapshots, ledger = _sources(tmp_path), tmp_path / "snapshots", tmp_path / "ledger.tsv"
    _two_days(sources, snapshots, ledger, capsys)
    store = SnapshotStore(snapshots)
    latest = store.latest()
    assert latest is not None
    seen = store.seen_changes()
    acked = next(item.change.id for item in seen if item.change.review)
    assert main(["review", "--ledger", str(ledger), "--snapshots", str(snapshots), "ack", acked,
                 "--note", "checked", "--by", "tester", "--create"]) == 0  # fmt: skip
    database = tmp_path / "out" / "ingest.db"
    command = ["export", "--snapshots", str(snapshots), "--ledger", str(ledger), "--format", "sqlite"]
    assert main([*command, "--output", str(database)]) == 0
    assert "datasette" in capsys.readouterr().err

    programs = _rows(database, "select * from programs order by id")
    assert [row["id"] for row in programs] == sorted(p.id for p in latest.records)
    first = next(p for p in latest.records if p.calls and p.contacts)
    row = next(r for r in programs if r["id"] == first.id)
    assert row["name"] == first.name and json.loads(row["agencies"]) == first.agencies
    calls = _rows(database, f"select * from calls where program_id = '{first.id}' order by position")
    assert [(c["label"], c["raw"]) for c in calls] == [(c.label, c.raw) for c in first.calls]
    contacts = _rows(database, f"select * from contacts where program_id = '{first.id}' order by position")
    assert [c["email"] for c in contacts] == [c.email for c in first.contacts]
    assert len(_rows(database, "select * from calls")) == sum(len(p.calls) for p in latest.records)

    changes = _rows(database, "select * from changes")
    assert sorted((r["snapshot"], r["id"]) for r in changes) == sorted(
        (i.snapshot, i.change.id) for i in seen
    )
    statuses = {r["id"]: r["status"] for r in changes}
    assert statuses[acked] == "reviewed"
    assert "pending" in statuses.values()
    decisions = _rows(database, "select * from decisions")
    assert [(d["by"], d["decision"], d["subject"], d["note"]) for d in decisions] == [
        ("tester", "ack", acked, "checked")
    ]
    with sqlite3.connect(database) as db:  # Datasette follows these to link a call to its program
        keys = db.execute("select * from pragma_foreign_key_list('calls')").fetchall()
    assert any(key[2] == "programs" for key in keys)
    assert not list((tmp_path / "out").glob(".*tmp")), "no temporary file is left behind"

    # A second export replaces the file whole (no duplicated rows).
    assert main([*command, "--output", str(database)]) == 0
    assert len(_rows(database, "select * from programs")) == len(latest.records)


def test_sqlite_export_needs_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources, snapshots, ledger = _sources(tmp_path), tmp_path / "snapshots", tmp_path / "ledger.tsv"
    _two_days(sources, snapshots, ledger, capsys)
    command = ["export", "--snapshots", str(snapshots), "--format", "sqlite"]
    assert main(command) == 2
    assert "--output FILE.db" in capsys.readouterr().err
    assert main([*command, "--output", str(tmp_path)]) == 2
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main([*command, "--output", str(blocker / "x.db")]) == 2
    err = capsys.readouterr().err
    assert "cannot write there" in err and "Traceback" not in err
