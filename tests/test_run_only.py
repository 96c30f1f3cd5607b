"""`ingest run --only ID…` against the fixture websites on 127.0.0.1: only the chosen sources are
fetched; the others are carried as they were (status not-run), so the diff shows only the chosen
sources' changes and source health neither counts a failure nor a success for the others."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.health import source_health
from ingest.models import SourceStatus
from ingest.snapshot import SnapshotStore
from site_server import SiteState, serve_sites
from test_websites import FAST_FETCH

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def sites() -> Iterator[tuple[SiteState, dict[str, str]]]:
    with serve_sites() as served:
        yield served


def _run(tmp_path: Path, mirrors: dict[str, str], *extra: str) -> int:
    sources = tmp_path / "sources"
    if not sources.exists():
        shutil.copytree(ROOT / "sources", sources)
        toml = sources / "sources.toml"
        toml.write_text(FAST_FETCH + toml.read_text())
    rewrites = [arg for host, mirror in mirrors.items() for arg in ("--rewrite-host", f"{host}={mirror}")]
    return main(
        ["run", "--sources", str(sources), "--snapshots", str(tmp_path / "snapshots"), *rewrites, *extra]
    )


def test_only_the_chosen_source_is_fetched_and_the_rest_is_carried_as_it_was(
    tmp_path: Path, sites: tuple[SiteState, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    state, mirrors = sites
    assert _run(tmp_path, mirrors) == 0
    store = SnapshotStore(tmp_path / "snapshots")
    first = store.latest()
    assert first is not None
    state.version, state.hits = "v2", type(state.hits)()  # every site edited; see fixtures/sites/CHANGES.md
    capsys.readouterr()
    assert _run(tmp_path, mirrors, "--only", "amed-e-asia") == 0
    progress = capsys.readouterr().err
    assert "amed-e-asia: ok" in progress and "jst-crest" not in progress
    second = store.latest()
    assert second is not None and second.name != first.name
    assert {host for host, _ in state.hits} == {"www.amed.go.jp"}  # nobody else was asked
    statuses = {s.id: s.status for s in second.manifest.sources}
    assert statuses["amed-e-asia"] == SourceStatus.OK
    assert {sid for sid, status in statuses.items() if status == SourceStatus.NOT_RUN} == set(statuses) - {
        "amed-e-asia"
    }
    assert [s.id for s in second.manifest.sources] == [s.id for s in first.manifest.sources]
    # v2 edits elsewhere are not seen yet
    assert {c.program for c in store.changes(second.name) or []} == {"e-asia-jrp"}
    crest = {r.id: r for r in second.records}["crest"]
    assert crest == {r.id: r for r in first.records}["crest"]  # carried unchanged, not marked stale
    assert any("only amed-e-asia read (`--only`)" in note for note in second.manifest.notes)
    health = source_health(store)
    assert health["jst-crest"].runs == 1 and health["amed-e-asia"].runs == 2
    assert _run(tmp_path, mirrors) == 0  # the next full run finds what --only left out
    third = store.latest()
    assert third is not None
    found = {c.program for c in store.changes(third.name) or []}
    assert "crest" in found and "e-asia-jrp" not in found


def test_a_failing_source_left_out_does_not_count_another_failed_run(
    tmp_path: Path, sites: tuple[SiteState, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    state, mirrors = sites
    offline = {**mirrors, "www.hfsp.org": "127.0.0.9:9"}  # nothing listens there
    assert _run(tmp_path, offline) == 0
    state.version = "v2"  # CREST's deadline moves: the next runs write snapshots
    assert _run(tmp_path, offline, "--only", "jst-crest") == 0
    assert _run(tmp_path, offline, "--only", "jst-crest", "--only", "amed-us-japan") == 0
    assert len(SnapshotStore(tmp_path / "snapshots").names()) == 3
    assert "ALERT" not in capsys.readouterr().out
    health = source_health(SnapshotStore(tmp_path / "snapshots"))
    assert health["hfsp-research-grants"].consecutive_failures == 1
    latest = SnapshotStore(tmp_path / "snapshots").latest()
    assert latest is not None
    [hfsp] = [s for s in latest.manifest.sources if s.id == "hfsp-research-grants"]
    assert hfsp.status == SourceStatus.NOT_RUN and hfsp.error_kind == "connection"  # as it was, honestly


def test_an_unknown_source_id_is_one_sentence_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, {}, "--only", "jst-crset") == 2
    err = capsys.readouterr().err
    assert "--only: no source jst-crset in" in err and "sources.toml" in err
    assert not (tmp_path / "snapshots").exists() or not SnapshotStore(tmp_path / "snapshots").names()


def test_a_run_reads_sources_toml_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress bar, the pipeline and the notification share one reading of sources.toml."""
    import ingest.pipeline
    import ingest.sources

    real, reads = ingest.sources.load_sources, []

    def counting(folder: Path) -> object:
        reads.append(folder)
        return real(folder)

    monkeypatch.setattr(ingest.sources, "load_sources", counting)
    monkeypatch.setattr(ingest.pipeline, "load_sources", counting)
    assert _run(tmp_path, {}, "--only", "reference-pdf") == 0
    assert len(reads) == 1
