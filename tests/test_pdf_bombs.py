"""PDF bombs generated in the test, as a run's reference document: each fails its source within the
`[extract]` limits with a clear reason, the run goes on, and the last good records are kept stale."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.snapshot import SnapshotStore
from pdf_bombs import content_stream_bomb, inflate_bomb, page_count_bomb
from test_pipeline import REFERENCE
from test_pipeline import sources as sources  # fixture: the bundled PDF as the only source

LIMITS = "[extract]\nmemory_mb = 256\ncpu_seconds = 3\nwall_seconds = 10\n\n"


@pytest.mark.parametrize(
    ("make", "reasons"),
    [
        (lambda p: inflate_bomb(p, megabytes=300), ("memory", "cannot be read", "limits")),
        (content_stream_bomb, ("limits", "longer than", "memory", "cannot be read")),
        (page_count_bomb, ("limits", "longer than", "pages")),
    ],
    ids=["inflate", "content-stream", "page-count"],
)
def test_a_pdf_bomb_fails_its_source_within_the_limits_and_keeps_the_last_good_records(
    sources: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    reasons: tuple[str, ...],
) -> None:
    toml = sources / "sources.toml"
    toml.write_text(LIMITS + toml.read_text())
    snapshots = tmp_path / "snapshots"
    command = ["run", "--sources", str(sources), "--snapshots", str(snapshots)]
    assert main(command) == 0
    make(sources / REFERENCE.name)
    started = time.monotonic()
    assert main(command) == 0
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"the run took {elapsed:.1f} s"
    store = SnapshotStore(snapshots)
    latest = store.load(store.names()[-1])
    [result] = latest.manifest.sources
    assert result.status == "failed" and result.error_kind in ("too-large", "extract")
    assert any(reason in (result.error or "") for reason in reasons), result.error
    assert len(latest.records) == 11 and all(p.stale for r in latest.records for p in r.provenance)
    assert store.changes(latest.name) == []  # nothing reads as removed
