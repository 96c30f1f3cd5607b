"""`ingest run` end to end on the bundled reference PDF: snapshots, reports, failures, exit codes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.snapshot import SnapshotStore

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "sources" / "funding-programs-overseas-2025-04.pdf"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(REFERENCE, folder / REFERENCE.name)
    text = (ROOT / "sources" / "sources.toml").read_text()
    pdf_only = text.split('\n[[source]]\nid = "jst-', 1)[0]  # the bundled PDF source, no websites
    (folder / "sources.toml").write_text(pdf_only)
    return folder


def run_cli(*args: str) -> int:
    return main(list(args))


def test_first_run_writes_a_snapshot_and_an_unchanged_rerun_only_logs(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots = tmp_path / "snapshots"
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots)) == 0
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots), "--exit-code") == 0
    store = SnapshotStore(snapshots)
    [only] = [store.load(name) for name in store.names()]
    assert len(only.records) == 11
    # The manifest's hash is of the records file as written (made once, for both).
    written = (only.path / "records.json").read_bytes()
    assert only.manifest.records_sha256 == hashlib.sha256(written).hexdigest()
    assert json.loads((only.path / "changes.json").read_text())["changes"] == []
    [raw] = [p for p in (snapshots / "raw").rglob("*") if p.is_file()]
    assert raw.read_bytes() == REFERENCE.read_bytes()
    log = (snapshots / "check.log").read_text().splitlines()
    assert len(log) == 2 and f"wrote {only.name}" in log[0] and f"unchanged since {only.name}" in log[1]
    out = capsys.readouterr()
    assert "Snapshot written" in out.out and "Nothing changed since" in out.out
    assert "reference-pdf: ok, 11 record(s)" in out.err


def test_changed_source_writes_a_second_snapshot_with_its_diff(sources: Path, tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots"
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots)) == 0
    pdf = sources / REFERENCE.name
    pdf.write_bytes(pdf.read_bytes() + b"\n% appended comment: new bytes, same document\n")
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots), "--exit-code") == 0
    first, second = (SnapshotStore(snapshots).load(n) for n in SnapshotStore(snapshots).names())
    assert second.manifest.previous == first.name
    assert second.manifest.sources[0].content_sha256 != first.manifest.sources[0].content_sha256
    assert "No changes." in (second.path / "report.md").read_text()
    raw_files = [p for p in (snapshots / "raw").rglob("*") if p.is_file()]
    assert len(raw_files) == 2  # both versions of the bytes are kept, each once


def test_broken_pdf_keeps_last_good_records_marked_stale(sources: Path, tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots"
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots)) == 0
    pdf = sources / REFERENCE.name
    pdf.write_bytes(REFERENCE.read_bytes()[: len(REFERENCE.read_bytes()) // 3])  # truncated
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots), "--exit-code") == 3
    latest = SnapshotStore(snapshots).latest()
    assert latest is not None
    [result] = latest.manifest.sources
    assert result.status == "failed" and "damaged or truncated" in (result.error or "")
    assert len(latest.records) == 11  # nothing lost
    assert all(p.stale and p.last_verified for r in latest.records for p in r.provenance)
    assert (
        json.loads((latest.path / "changes.json").read_text())["changes"] == []
    )  # not "11 programs removed"
    assert "Sources that failed" in (latest.path / "report.md").read_text()


def test_pdf_with_far_fewer_programs_is_an_extraction_failure(sources: Path, tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots"
    toml = sources / "sources.toml"
    toml.write_text(toml.read_text().replace("min_records = 8", "min_records = 20"))
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots)) == 0
    [result] = SnapshotStore(snapshots).latest().manifest.sources  # type: ignore[union-attr]
    assert result.status == "failed" and "fewer than the 20 expected" in (result.error or "")


def test_missing_sources_file_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("run", "--sources", str(tmp_path / "nowhere"), "--snapshots", str(tmp_path / "s")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sources.toml: no such file" in err
    assert not (tmp_path / "s").exists()


def test_unknown_key_in_sources_is_refused(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = sources / "sources.toml"
    toml.write_text(toml.read_text().replace('kind = "pdf"', 'kind = "pdf"\ncolour = "blue"'))
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(tmp_path / "s")) == 2
    assert "colour" in capsys.readouterr().err


def test_diff_and_export_commands(sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshots = tmp_path / "snapshots"
    run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots))
    (sources / REFERENCE.name).write_bytes(REFERENCE.read_bytes() + b"\n% new bytes\n")
    run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots))
    old, new = SnapshotStore(snapshots).names()
    capsys.readouterr()
    assert run_cli("diff", old, new, "--snapshots", str(snapshots), "--json", "--exit-code") == 0
    assert json.loads(capsys.readouterr().out)["changes"] == []
    out_file = tmp_path / "export.json"
    assert run_cli("export", "--snapshots", str(snapshots), "--output", str(out_file)) == 0
    exported = json.loads(out_file.read_text())
    assert exported["snapshot"] == new and len(exported["records"]) == 11
    assert run_cli("diff", old, str(tmp_path / "missing.json")) == 2
    assert "no such snapshot or record file" in capsys.readouterr().err


def test_schema_copy_in_repo_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("schema") == 0
    generated = json.loads(capsys.readouterr().out)
    kept = json.loads((ROOT / "schema" / "export.schema.json").read_text())
    assert kept == generated, "run: ingest schema --output schema/export.schema.json"
    assert {"records", "snapshot", "sources"} <= set(generated["properties"])


def test_reviewed_changes_no_longer_count_for_exit_code(
    sources: Path, tmp_path: Path, modified_pdf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots, ledger = tmp_path / "snapshots", tmp_path / "ledger.tsv"
    common = ["--sources", str(sources), "--snapshots", str(snapshots), "--ledger", str(ledger)]
    assert run_cli("run", *common) == 0
    shutil.copy(modified_pdf, sources / REFERENCE.name)  # the next edition arrives
    assert run_cli("run", *common, "--exit-code") == 1
    old, new = SnapshotStore(snapshots).names()
    changes = json.loads((snapshots / new / "changes.json").read_text())["changes"]
    review_ids = [c["id"] for c in changes if c["review"]]
    assert {c["program"] for c in changes if c["category"] == "added"} == {"forest"}
    assert (
        run_cli("diff", old, new, "--snapshots", str(snapshots), "--ledger", str(ledger), "--exit-code") == 1
    )
    capsys.readouterr()
    assert (
        run_cli(
            "review",
            "--ledger",
            str(ledger),
            "--snapshots",
            str(snapshots),
            "ack",
            "--create",
            *review_ids,
            "--note",
            "checked against the new edition",
            "--by",
            "tester",
        )
        == 0
    )
    assert (
        run_cli("diff", old, new, "--snapshots", str(snapshots), "--ledger", str(ledger), "--exit-code") == 0
    )
    assert len(ledger.read_text().strip().splitlines()) >= len(review_ids)


def test_csv_export_has_one_row_per_call(sources: Path, tmp_path: Path) -> None:
    import csv
    import io

    snapshots = tmp_path / "snapshots"
    run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots))
    out_file = tmp_path / "calls.csv"
    assert run_cli("export", "--snapshots", str(snapshots), "--format", "csv", "--output", str(out_file)) == 0
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    crest = [row for row in rows if row["program_id"] == "crest"]
    assert len(crest) == 1 and crest[0]["closes"] == "2025-06-03T12:00:00+09:00"
    assert {row["program_id"] for row in rows} >= {
        "hfsp",
        "jst-overseas-travel",
    }  # programs without calls too


def test_alerts_fire_on_transitions_only(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots = tmp_path / "snapshots"
    pdf = sources / REFERENCE.name

    def run_and_alerts() -> list[str]:
        run_cli("run", "--sources", str(sources), "--snapshots", str(snapshots), "--alert-after", "2")
        return [line for line in capsys.readouterr().out.splitlines() if line.startswith("ALERT")]

    assert run_and_alerts() == []
    pdf.write_bytes(b"%PDF-1.7 truncated")
    assert run_and_alerts() == []  # one failure: not yet worth an alert
    [failing] = run_and_alerts()
    assert "reference-pdf has failed 2 run(s) in a row" in failing
    assert run_and_alerts() == []  # still failing: no repeat (no alert spam)
    shutil.copy(REFERENCE, pdf)
    [recovered] = run_and_alerts()
    assert "reference-pdf recovered" in recovered


def test_an_expected_change_is_not_waiting_in_the_runs_report(
    sources: Path, tmp_path: Path, modified_pdf: Path
) -> None:
    snapshots, ledger = tmp_path / "snapshots", tmp_path / "ledger.tsv"
    common = ["--sources", str(sources), "--snapshots", str(snapshots), "--ledger", str(ledger)]
    assert run_cli("run", *common) == 0
    assert (
        run_cli(
            "review",
            "--ledger",
            str(ledger),
            "--snapshots",
            str(snapshots),
            "expect",
            "--create",
            "crest",
            "calls",
            "--note",
            "the 2026 call moves the deadline",
            "--by",
            "tester",
        )
        == 0
    )
    shutil.copy(modified_pdf, sources / REFERENCE.name)
    assert run_cli("run", *common, "--exit-code") == 1  # other edits still wait
    latest = SnapshotStore(snapshots).latest()
    assert latest is not None
    changes = json.loads((latest.path / "changes.json").read_text())["changes"]
    crest = [c for c in changes if c["program"] == "crest" and c["review"]]
    others = [c for c in changes if c["program"] != "crest" and c["review"]]
    report = (latest.path / "report.md").read_text()
    assert (
        crest
        and f"{len(others)} change(s) waiting for review ({len(crest)} already reviewed or expected)"
        in report
    )
    # Expected, which is not reviewed: nobody looked at these changes.
    assert all(f"`{c['id']}` — expected (not reviewed)" in report for c in crest)
    assert "✓ reviewed" not in report


def test_a_missing_document_on_the_first_run_says_no_earlier_data_was_kept(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sources / REFERENCE.name).unlink()
    assert run_cli("run", "--sources", str(sources), "--snapshots", str(tmp_path / "snapshots")) == 0
    captured = capsys.readouterr()
    assert (
        "reference-pdf: FAILED (extract)" in captured.err and "cannot be read (No such file" in captured.err
    )
    assert "no earlier data was there to keep for reference-pdf." in captured.out
    assert "last good data is kept" not in captured.out


def test_check_validates_and_lists_what_a_run_would_read_without_writing(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots = tmp_path / "snapshots"
    assert run_cli("check", "--sources", str(sources), "--snapshots", str(snapshots)) == 0
    out = capsys.readouterr().out
    assert f"reference-pdf: read {sources / REFERENCE.name}" in out and "latest snapshot: none yet" in out
    assert not snapshots.exists()  # nothing written
    (sources / "sources.toml").write_text("[[source]]\nid = 'x'\nkind = 'pdf'\n")
    assert run_cli("check", "--sources", str(sources), "--snapshots", str(snapshots)) == 2
    assert "sources.toml: source.0.pdf.path: Field required" in capsys.readouterr().err
