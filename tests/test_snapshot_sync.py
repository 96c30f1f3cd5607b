"""A snapshot is never half written: the raw bytes a manifest names are on disk before the manifest is.
Raw files are not synced one by one as they are stored (that was 4% of a run) but together, with
their folders, before the snapshot's own files are written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.snapshot import SnapshotStore
from test_snapshot import _manifest, _program


def test_raw_files_are_synced_together_before_the_manifest_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    store = SnapshotStore(tmp_path / "snapshots")
    digests = [store.put_raw(f"<html>page {n}</html>".encode()) for n in range(3)]
    raw = [store.raw_path(digest).resolve() for digest in digests]
    assert synced == []  # storing is cheap: nothing synced yet
    store.put_raw(b"<html>page 0</html>")  # already there: kept, synced with the others

    snapshot = store.write(_manifest("2025-05-01T00-00-00Z"), [_program()])
    assert set(raw) <= set(synced)
    assert {path.parent for path in raw} <= set(synced)  # their folder entries too
    raw_synced_by = max(synced.index(path) for path in [*raw, *(p.parent for p in raw)]) + 1
    manifest_file = snapshot.path / "manifest.json"
    assert manifest_file.is_file()
    # The first file of the snapshot itself is synced only after every raw file and folder.
    first_own = next(
        i for i, path in enumerate(synced) if path not in raw and path not in {p.parent for p in raw}
    )
    assert first_own >= raw_synced_by
    assert store.read_raw(digests[1]) == b"<html>page 1</html>"
    # A later snapshot syncs only what its own run stored.
    synced.clear()
    store.write(_manifest("2025-05-02T00-00-00Z"), [_program()])
    assert not set(raw) & set(synced)
