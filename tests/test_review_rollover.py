"""An expectation scoped to one call (`ingest review expect crest calls --call LABEL`) and the yearly
rollover: the differ reports "new call replaces old" as one change on `calls[NEW LABEL]`, so an
expectation registered for the call it replaces (the label reviewers know before the new one exists)
covers it, as does one for the new label; one for another call does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.cli import main
from test_call_folding import _rollover_snapshots


def _waiting(snapshots: Path, ledger: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["review", "--snapshots", str(snapshots), "--ledger", str(ledger), "--json"]) == 0
    return [item["id"] for item in json.loads(capsys.readouterr().out)["waiting"]]


def _expect(snapshots: Path, ledger: Path, call: str) -> None:
    argv = ["review", "--snapshots", str(snapshots), "--ledger", str(ledger), "expect", "crest", "calls"]
    argv += ["--call", call, "--until", "2027-03-31", "--note", "the yearly call", "--by", "ana", "--create"]
    assert main(argv) == 0


@pytest.mark.parametrize(
    ("call", "covered"),
    [
        ("FY2025 call", True),  # the old label: the call the rollover replaces
        ("FY2025  call", True),  # as typed: compared in canonical text, as calls are keyed
        ("FY2026 call", True),  # the new label
        ("Letters of intent", False),  # another call of the same program
    ],
)
def test_an_expectation_for_either_label_covers_the_rollover(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], call: str, covered: bool
) -> None:
    snapshots, ledger = tmp_path / "snapshots", tmp_path / "reviews" / "ledger.tsv"
    ledger.parent.mkdir()
    rollover = _rollover_snapshots(snapshots)
    assert rollover.field == "calls[FY2026 call]" and len(rollover.replaces) == 2
    assert _waiting(snapshots, ledger, capsys) == [rollover.id]
    _expect(snapshots, ledger, call)
    assert _waiting(snapshots, ledger, capsys) == ([] if covered else [rollover.id])
    capsys.readouterr()
    assert main(["review", "--snapshots", str(snapshots), "--ledger", str(ledger), "--exit-code"]) == (
        0 if covered else 1
    )
