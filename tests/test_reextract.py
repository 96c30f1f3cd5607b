"""`ingest reextract`: today's extractors on the bytes stored with past snapshots."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.snapshot import SnapshotStore
from site_server import serve_sites

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_with_websites(tmp_path: Path) -> tuple[Path, Path]:
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", sources)
    toml = sources / "sources.toml"
    # isolate = false: the test stands in for an extractor edit by patching it in this process.
    toml.write_text(
        "[fetch]\nmin_interval = 0\nretries = 0\n\n[extract]\nisolate = false\n\n" + toml.read_text()
    )
    snapshots = tmp_path / "snapshots"
    with serve_sites() as (_, mirrors):
        rewrites = [arg for host, mirror in mirrors.items() for arg in ("--rewrite-host", f"{host}={mirror}")]
        assert main(["run", "--sources", str(sources), "--snapshots", str(snapshots), *rewrites]) == 0
    return sources, snapshots


def test_unchanged_extractors_replay_to_no_change(
    run_with_websites: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sources, snapshots = run_with_websites
    capsys.readouterr()
    code = main(
        ["reextract", "--sources", str(sources), "--snapshots", str(snapshots), "--json", "--exit-code"]
    )
    output = capsys.readouterr()
    assert json.loads(output.out)["changes"] == [], output.out
    assert code == 0 and "not replayed" not in output.err  # the PDF and every website page were replayed


def test_an_extractor_change_is_reported_as_extractor_induced(
    run_with_websites: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, snapshots = run_with_websites
    # Stand-in for an edit to the PDF extractor: its eligibility cue list loses "must".
    import ingest.extract.reference as reference

    monkeypatch.setattr(reference, "_ELIGIBILITY_CUES", __import__("re").compile(r"\bsolely\b"))
    capsys.readouterr()
    code = main(
        ["reextract", "--sources", str(sources), "--snapshots", str(snapshots), "--json", "--exit-code"]
    )
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert code == 1
    assert {c["category"] for c in changes} >= {"eligibility"}
    assert all(c["detail"].startswith("extractor-induced") for c in changes)
    [name] = SnapshotStore(snapshots).names()
    assert all(name in c["detail"] for c in changes)
