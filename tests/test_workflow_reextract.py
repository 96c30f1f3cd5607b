"""`.github/workflows/reextract.yml`, executed as GitHub would run it (tests/workflow_runner.py) on a
checkout holding one snapshot of the bundled reference PDF (made by a real run): a replay that finds
nothing and one that finds an extractor-induced change both leave the job green, with the report in
the job summary."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from ingest.pipeline import run
from workflow_runner import run_job

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "reextract.yml"
GITHUB = {"github.event_name": "pull_request", "github.token": "not-a-token"}
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "sources", work / "sources")
    # Only the reference PDF: a run of the websites would try the internet.
    declared = (work / "sources" / "sources.toml").read_text(encoding="utf-8")
    pdf_only = declared.split("[[source]]")[:2]
    (work / "sources" / "sources.toml").write_text("[[source]]".join(pdf_only), encoding="utf-8")
    outcome = run(work / "sources", work / "snapshots", now=datetime(2026, 11, 24, 14, 38, tzinfo=UTC))
    assert outcome.snapshot is not None and [s.id for s in outcome.sources] == ["reference-pdf"]
    (work / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return work


def _replay(checkout: Path) -> str:
    job = run_job(
        yaml.safe_load(WORKFLOW.read_text()), "replay", checkout, github=GITHUB, env={}, skip={"Install"}
    )
    assert not job.failed, job.log
    return job.summary


def test_a_replay_that_finds_nothing_reports_no_changes(checkout: Path) -> None:
    [name] = [p.name for p in (checkout / "snapshots").iterdir() if p.name.startswith("20")]
    summary = _replay(checkout)
    assert f"# Extractor-induced changes (replay of {name})" in summary and "No changes." in summary


def test_an_extractor_induced_change_is_reported_and_the_job_stays_green(checkout: Path) -> None:
    [folder] = [p for p in (checkout / "snapshots").iterdir() if p.name.startswith("20")]
    by_source = json.loads((folder / "extracted.json").read_text(encoding="utf-8"))
    [crest] = [r for r in by_source["reference-pdf"] if r["id"] == "crest"]
    crest["eligibility"] = "Only researchers employed in Japan."  # as if an older extractor had read this
    (folder / "extracted.json").write_text(json.dumps(by_source, ensure_ascii=False), encoding="utf-8")
    summary = _replay(checkout)
    assert "waiting for review" in summary and "crest" in summary
