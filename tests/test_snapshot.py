"""Snapshots are immutable, content-addressed and never half-written (even under kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.errors import SnapshotError
from ingest.models import Manifest, Program, Provenance
from ingest.snapshot import SnapshotStore, load_records, snapshot_name

NOW = datetime(2026, 11, 24, 13, 0, 5, tzinfo=UTC)


def _program(program_id: str = "crest") -> Program:
    provenance = Provenance(source="reference-pdf", content_sha256="0" * 64, extracted_at=NOW)
    return Program(id=program_id, name=program_id.upper(), provenance=[provenance])


def _manifest(name: str) -> Manifest:
    return Manifest(
        snapshot=name, created_at=NOW, tool_version="t", sources=[], records_sha256="x", programs=1
    )


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    written = store.write(
        _manifest(snapshot_name(NOW)), [_program("presto"), _program("crest")], report="# r\n"
    )
    assert written.name == "2026-11-24T13-00-05Z"
    loaded = store.latest()
    assert loaded is not None and loaded.name == written.name
    assert [r.id for r in loaded.records] == ["crest", "presto"]  # sorted by id on disk
    assert (written.path / "report.md").read_text() == "# r\n"


def test_two_runs_in_one_second_get_distinct_folders(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    first = store.write(_manifest("2026-11-24T13-00-05Z"), [_program()])
    second = store.write(_manifest("2026-11-24T13-00-05Z"), [_program()])
    assert first.name != second.name
    assert second.manifest.snapshot == second.name  # the manifest names its own folder
    assert store.names() == [first.name, second.name]
    assert load_records(first.path)[0].id == "crest"


def test_existing_snapshot_files_are_never_rewritten(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    first = store.write(_manifest("2026-11-24T13-00-05Z"), [_program()])
    before = {p: p.stat().st_mtime_ns for p in first.path.iterdir()}
    store.write(_manifest("2026-11-25T13-00-05Z"), [_program("presto")])
    assert {p: p.stat().st_mtime_ns for p in first.path.iterdir()} == before


def test_raw_bytes_are_deduplicated_and_verified(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    digest = store.put_raw(b"%PDF-1.7 same bytes")
    assert store.put_raw(b"%PDF-1.7 same bytes") == digest
    assert len(list((tmp_path / "raw").rglob("*"))) == 2  # one folder, one file
    assert store.read_raw(digest) == b"%PDF-1.7 same bytes"
    store.raw_path(digest).write_bytes(b"tampered")
    with pytest.raises(SnapshotError, match="do not match their hash"):
        store.read_raw(digest)


def test_each_sources_records_round_trip_and_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    crest, presto = _program("crest"), _program("presto")
    written = store.write(
        _manifest(snapshot_name(NOW)), [crest, presto], by_source={"pdf": [crest, presto], "web": [presto]}
    )
    assert store.records_by_source(written) == {"pdf": [crest, presto], "web": [presto]}
    by_source = written.path / "extracted.json"
    damaged = {
        b'{"pdf": [': r"extracted\.json: not a per-source record file \(Expecting value",
        b'["not", "a", "mapping"]': r"extracted\.json: not a per-source record file \('list' object",
        b'{"pdf": [], "web": [{"id": "crest"}]}': r"extracted\.json: invalid records \(1 errors\)",
    }
    os.chmod(by_source, 0o644)
    for text, message in damaged.items():
        by_source.write_bytes(text)
        with pytest.raises(SnapshotError, match=message):
            store.records_by_source(written)


def test_incomplete_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "2026-11-24T13-00-05Z"
    folder.mkdir()
    (folder / "manifest.json").write_text(_manifest(folder.name).model_dump_json())
    with pytest.raises(SnapshotError, match="incomplete snapshot"):
        SnapshotStore(tmp_path).load(folder.name)


_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    import ingest.snapshot as snapshot
    from ingest.models import Manifest, Program, Provenance

    real_write = snapshot._write_file
    def slow_write(path, data):  # pause after the first file so the parent can kill us mid-snapshot
        real_write(path, data)
        print("WRITING", flush=True)
        time.sleep(60)
    snapshot._write_file = slow_write
    now = datetime(2026, 11, 25, tzinfo=UTC)
    prov = Provenance(source="s", content_sha256="0" * 64, extracted_at=now)
    manifest = Manifest(snapshot="2026-11-25T00-00-00Z", created_at=now, tool_version="t", sources=[],
                        records_sha256="x", programs=1)
    record = Program(id="presto", name="P", provenance=[prov])
    snapshot.SnapshotStore(Path(sys.argv[1])).write(manifest, [record])
    """
)


def test_kill_9_mid_write_leaves_previous_snapshots_and_no_partial_one(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    first = store.write(_manifest("2026-11-24T13-00-05Z"), [_program()])
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "WRITING"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert store.names() == [first.name]  # the half-written one is invisible
    latest = store.latest()
    assert latest is not None and [r.id for r in latest.records] == ["crest"]
    leftovers = list(tmp_path.glob(".tmp-*"))
    assert len(leftovers) == 1  # staging folder left by the killed run, ignored by readers
    old = time.time() - 7200
    os.utime(leftovers[0], (old, old))
    store.write(_manifest("2026-11-26T00-00-00Z"), [_program()])
    assert not list(tmp_path.glob(".tmp-*"))  # abandoned staging is cleaned up by the next writer
