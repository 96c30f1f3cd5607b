"""A snapshot is never half written: the raw bytes a manifest names are on disk before the manifest is.
Raw files are not synced one by one as they are stored (that was 4% of a run, more on a busy disk)
but all at once, before the snapshot's own files are written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.snapshot import SnapshotStore
from test_snapshot import _manifest, _program


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What was made durable, in order: "sync" for the whole file systems, or the path an fsync named."""
    events: list[str] = []
    real_fsync, real_sync = os.fsync, os.sync

    def fsync(descriptor: int) -> None:
        events.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    def sync() -> None:
        events.append("sync")
        real_sync()

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "sync", sync)
    return events


def test_raw_files_are_synced_at_once_before_the_snapshot_files_are_written(
    tmp_path: Path, syncs: list[str]
) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    digests = [store.put_raw(f"<html>page {n}</html>".encode()) for n in range(3)]
    assert syncs == []  # storing is cheap: nothing synced yet
    snapshot = store.write(_manifest("2025-05-01T00-00-00Z"), [_program()])
    assert syncs[0] == "sync" and syncs.count("sync") == 1  # first, and once for all of them
    assert len(syncs) > 1 and all(".tmp-" in event or "snapshots" in event for event in syncs[1:])
    assert (snapshot.path / "manifest.json").is_file()
    assert store.read_raw(digests[1]) == b"<html>page 1</html>"


def test_a_copy_already_stored_is_synced_too_and_a_run_without_raw_bytes_syncs_nothing_more(
    tmp_path: Path, syncs: list[str]
) -> None:
    SnapshotStore(tmp_path).put_raw(b"<html>left by a killed run, maybe never synced</html>")
    store = SnapshotStore(tmp_path)
    store.put_raw(b"<html>left by a killed run, maybe never synced</html>")  # found, not rewritten
    store.write(_manifest("2025-05-01T00-00-00Z"), [_program()])
    assert syncs.count("sync") == 1
    syncs.clear()
    store.write(_manifest("2025-05-02T00-00-00Z"), [_program()])
    assert "sync" not in syncs and syncs  # the snapshot's own files are still fsynced, each
