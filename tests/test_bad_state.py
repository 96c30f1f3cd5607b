"""Runs that meet bad state go on, say what they worked around, and never lose data: a second run at
the same time, a corrupt latest snapshot, a bad ledger line, an unwritable snapshots folder, a source
path that leads out of the sources folder or to a device."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing import get_context
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.models import Manifest
from ingest.snapshot import SnapshotStore
from test_pipeline import REFERENCE
from test_pipeline import sources as sources  # fixture: the bundled PDF as the only source

HOLD_LOCK = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from ingest.snapshot import SnapshotStore
with SnapshotStore(Path(sys.argv[1])).locked(datetime.now(UTC)):
    print("locked", flush=True)
    time.sleep(60)
"""


def _run(sources: Path, snapshots: Path, *extra: str) -> int:
    return main(["run", "--sources", str(sources), "--snapshots", str(snapshots), *extra])


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ingest: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_second_run_at_the_same_time_is_refused_and_a_killed_run_leaves_no_lock(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots = tmp_path / "snapshots"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(snapshots)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert _run(sources, snapshots) == 2
        assert "another `ingest run` is writing to this snapshots folder" in _one_error(capsys)
        assert SnapshotStore(snapshots).names() == []  # the refused run wrote nothing
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a run killed while holding the lock
        holder.wait()
    capsys.readouterr()
    assert _run(sources, snapshots) == 0  # the operating system released it
    assert "did not finish (it was killed or stopped)" in capsys.readouterr().err  # and it is said
    assert len(SnapshotStore(snapshots).names()) == 1
    assert main(["health", "--snapshots", str(snapshots)]) == 0
    assert "did not finish" in capsys.readouterr().out


def _write_same_name(root: str) -> list[str]:
    store = SnapshotStore(Path(root))
    manifest = Manifest(
        snapshot="2026-05-01T00-00-00Z",
        created_at="2026-05-01T00:00:00Z",
        tool_version="t",
        sources=[],
        records_sha256="0" * 64,
        programs=0,
    )
    return [store.write(manifest, []).name for _ in range(10)]


def test_writes_with_one_name_from_two_processes_get_distinct_complete_snapshots(tmp_path: Path) -> None:
    with get_context("spawn").Pool(2) as pool:
        names = [name for batch in pool.map(_write_same_name, [str(tmp_path)] * 2) for name in batch]
    assert len(set(names)) == 20
    store = SnapshotStore(tmp_path)
    assert sorted(store.names()) == sorted(names)
    assert all(store.load(name).manifest.snapshot == name for name in names)  # each names its own folder


def test_an_unwritable_snapshots_folder_is_one_sentence(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("a file, not a folder\n")
    assert _run(sources, afile / "snapshots") == 2
    line = _one_error(capsys)
    assert str(afile / "snapshots") in line and "cannot" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; run as a user to check")
def test_a_read_only_snapshots_folder_is_one_sentence_and_leaves_nothing(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    snapshots.chmod(0o555)
    try:
        assert _run(sources, snapshots) == 2
        assert "cannot" in _one_error(capsys)
        assert list(snapshots.iterdir()) == []
    finally:
        snapshots.chmod(0o755)


def test_a_corrupt_latest_snapshot_is_skipped_with_a_warning(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots = tmp_path / "snapshots"
    assert _run(sources, snapshots) == 0
    time.sleep(1.1)  # snapshot names have one-second resolution
    assert _run(sources, snapshots, "--exit-code") == 0  # unchanged: no new snapshot, only a check line
    store = SnapshotStore(snapshots)
    good = store.names()[-1]
    (sources / REFERENCE.name).write_bytes(
        REFERENCE.read_bytes() + b"\n% touched\n"
    )  # new bytes, same records
    assert _run(sources, snapshots) == 0
    corrupt = store.names()[-1]
    (snapshots / corrupt / "records.json").write_text("{ not json")
    capsys.readouterr()
    time.sleep(1.1)
    assert _run(sources, snapshots) == 0
    captured = capsys.readouterr()
    assert f"WARNING: {snapshots / corrupt}: " in captured.err
    assert "skipped, compared with the newest readable snapshot" in captured.err
    latest = store.load(store.names()[-1])
    assert latest.manifest.previous == good  # compared with the newest readable snapshot
    assert latest.manifest.programs == 11


def test_a_bad_ledger_line_is_skipped_with_its_line_number(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots, ledger = tmp_path / "snapshots", tmp_path / "ledger.tsv"
    ledger.write_text("# header\n2026-11-24T13:00:05Z\tAna\tapprove\taaaaaaaaaaaa\tok\n")
    assert _run(sources, snapshots, "--ledger", str(ledger)) == 0
    err = capsys.readouterr().err
    assert f"WARNING: {ledger}:2: not a ledger line" in err and "skipped until it is repaired" in err
    assert main(["review", "--snapshots", str(snapshots), "--ledger", str(ledger)]) == 0
    assert f"{ledger}:2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../../../../../../../../etc/passwd", "leads outside the sources folder"),
        ("dev-zero.pdf", "leads outside the sources folder"),
        ("fifo.pdf", "not a regular file"),
    ],
)
def test_a_source_path_outside_the_folder_or_to_a_device_is_refused_before_reading(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, reason: str
) -> None:
    os.symlink("/dev/zero", sources / "dev-zero.pdf")  # reading it would never end
    os.mkfifo(sources / "fifo.pdf")  # nor would reading this
    toml = sources / "sources.toml"
    toml.write_text(toml.read_text().replace(f'path = "{REFERENCE.name}"', f'path = "{path}"'))
    snapshots = tmp_path / "snapshots"
    assert _run(sources, snapshots) == 0
    assert reason in capsys.readouterr().err
    store = SnapshotStore(snapshots)
    [source] = store.load(store.names()[-1]).manifest.sources
    assert source.status == "failed" and reason in (source.error or "")
    assert not (snapshots / "raw").exists() or not any((snapshots / "raw").rglob("*"))  # nothing was stored
    assert "root:" not in json.dumps(source.model_dump(mode="json"))


def test_a_staging_folder_renamed_by_another_writer_meanwhile_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between listing the staging folders and looking at one, a concurrent writer may have renamed
    it into place: that folder is simply gone, and the write goes on."""
    real_glob = Path.glob

    def listing_a_vanished_folder(self: Path, pattern: str) -> Iterator[Path]:
        yield from real_glob(self, pattern)
        if pattern == ".tmp-*":
            yield self / ".tmp-2026-05-01T00-00-00Z-1-renamed"  # listed, then renamed by its writer

    monkeypatch.setattr(Path, "glob", listing_a_vanished_folder)
    [name] = _write_same_name(str(tmp_path))[:1]
    assert SnapshotStore(tmp_path).load(name).manifest.snapshot == name
