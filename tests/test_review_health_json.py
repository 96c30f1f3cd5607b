"""`--json` on `ingest review` and `ingest health`: the listings for machines, parsed back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.review import ReviewState
from ingest.snapshot import SnapshotStore
from test_health import FAIL, OK, _store
from test_review_counts import _sources, _two_days


def test_review_json_lists_what_waits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources, snapshots, ledger = _sources(tmp_path), tmp_path / "snapshots", tmp_path / "ledger.tsv"
    _two_days(sources, snapshots, ledger, capsys)
    base = ["review", "--ledger", str(ledger), "--snapshots", str(snapshots)]
    capsys.readouterr()
    assert main([*base, "--json", "--exit-code"]) == 1
    document = json.loads(capsys.readouterr().out)
    pending = ReviewState.of(ledger).pending_in(SnapshotStore(snapshots))
    assert document["count"] == len(pending) == len(document["waiting"]) > 0
    assert [item["id"] for item in document["waiting"]] == [item.change.id for item in pending]
    first = document["waiting"][0]
    assert {
        "snapshot",
        "seen_at",
        "description",
        "program",
        "category",
        "field",
        "severity",
        "old",
        "new",
    } <= set(first)
    assert first["snapshot"] == pending[0].snapshot
    for item in document["waiting"]:
        assert main([*base, "dismiss", item["id"], "--note", "noise", "--by", "t", "--create"]) == 0
    capsys.readouterr()
    assert main([*base, "--json", "--exit-code"]) == 0
    assert json.loads(capsys.readouterr().out) == {"waiting": [], "count": 0, "undetected": []}


def test_health_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(tmp_path, {"jst": OK, "amed": OK}, {"jst": FAIL, "amed": OK})
    assert main(["health", "--snapshots", str(store.root), "--threshold", "1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["threshold"] == 1
    by_source = {item["source"]: item for item in document["sources"]}
    assert set(by_source) == {"amed", "jst"}
    assert by_source["jst"]["consecutive_failures"] == 1 and by_source["jst"]["failing"] is True
    assert by_source["jst"]["last_status"] == "failed" and by_source["jst"]["last_error_kind"] == "http-5xx"
    assert by_source["amed"]["last_error"] is None and by_source["amed"]["last_success"]
    assert [(a["kind"], a["source"]) for a in document["alerts"]] == [("failing", "jst")]
    assert document["alerts"][0]["message"].startswith("jst has failed 1 run(s) in a row")
    assert main(["health", "--snapshots", str(store.root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []


def test_json_without_snapshots_is_the_usual_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", "--snapshots", str(tmp_path / "none"), "--json"]) == 2
    assert main(["review", "--snapshots", str(tmp_path / "none"), "--json"]) == 2
    assert capsys.readouterr().out == ""
