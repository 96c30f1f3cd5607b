"""The scheduled workflow, executed: `.github/workflows/scrape.yml`'s scripts run day after day as
GitHub would run them (tests/workflow_runner.py), against a bare `origin`, a stand-in `gh` that
records pull requests (tests/bin/gh), and the fixture websites on 127.0.0.1.

The scripted fortnight: a first run; a quiet day; a deadline change (a pull request is opened); a
second change while it is open (same branch, the pull request is updated); the reviewer acks
everything on the branch and merges; a host down for three days (one alert, then a recovery);
quiet again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from site_server import SITES, Fault, SiteState, serve_sites
from workflow_runner import JobRun, run_job

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "scrape.yml"
HFSP = ("www.hfsp.org", "/funding/hfsp-funding/research-grants")
GITHUB = {
    "github.event.repository.default_branch": "main",
    "github.token": "not-a-token",
    "github.event_name": "schedule",
    "github.event.schedule": "23 21 * * *",
}
pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="git and bash are needed"
)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class Repository:
    """origin.git and what a fresh runner checks out of it each day."""

    def __init__(self, root: Path, mirrors: dict[str, str]) -> None:
        self.root = root
        self.origin = root / "origin.git"
        self.gh_state = root / "gh.json"
        self.days = 0
        _git(root, "init", "-q", "--bare", "-b", "main", str(self.origin))
        seed = root / "seed"
        _git(root, "clone", "-q", str(self.origin), str(seed))
        shutil.copytree(ROOT / "sources", seed / "sources")
        rewrites = ", ".join(f'"{host}" = "{mirror}"' for host, mirror in mirrors.items())
        toml = seed / "sources" / "sources.toml"
        fetch = (
            f"[fetch]\nmin_interval = 0\nretries = 0\nread_timeout = 2\nrewrite_hosts = {{ {rewrites} }}\n\n"
        )
        toml.write_text(fetch + toml.read_text())
        (seed / "reviews").mkdir()
        shutil.copy(ROOT / "reviews" / "ledger.tsv", seed / "reviews" / "ledger.tsv")
        (seed / ".github" / "workflows").mkdir(parents=True)
        shutil.copy(WORKFLOW, seed / ".github" / "workflows" / "scrape.yml")
        (seed / ".gitignore").write_text(".venv\nsnapshots/.lock\n")
        _git(seed, "add", ".")
        _git(seed, "commit", "-q", "-m", "Set up ingest")
        _git(seed, "push", "-q", "origin", "main")

    def checkout(self, branch: str = "main") -> Path:
        """A fresh clone, as actions/checkout with fetch-depth 0 leaves it, with the test's Python."""
        self.days += 1
        work = self.root / f"day-{self.days}"
        _git(self.root, "clone", "-q", "--branch", branch, str(self.origin), str(work))
        (work / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
        return work

    def scheduled_run(self) -> JobRun:
        workflow = yaml.safe_load(WORKFLOW.read_text())
        work = self.checkout()
        env = {
            "PATH": f"{ROOT / 'tests' / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "FAKE_GH_STATE": str(self.gh_state),
        }
        return run_job(workflow, "scrape", work, github=GITHUB, env=env, skip={"Install"})

    def log(self, branch: str) -> list[str]:
        return _git(self.origin, "log", "--format=%s", branch).splitlines()

    def has_branch(self, branch: str) -> bool:
        return branch in _git(self.origin, "branch", "--format=%(refname:short)").splitlines()

    def gh(self) -> dict[str, Any]:
        return json.loads(self.gh_state.read_text()) if self.gh_state.exists() else {"prs": [], "calls": []}


@pytest.fixture
def sites() -> Iterator[tuple[SiteState, dict[str, str]]]:
    with serve_sites() as served:
        yield served


@pytest.fixture
def repository(
    tmp_path: Path, sites: tuple[SiteState, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> Repository:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))  # no settings of this machine
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (tmp_path / "gitconfig").write_text("[user]\n\tname = tester\n\temail = tester@example.org\n")
    return Repository(tmp_path, sites[1])


def _day(repository: Repository, status: str) -> JobRun:
    job = repository.scheduled_run()
    assert not job.failed, job.log
    assert job.step("Run the pipeline").outputs["status"] == status, job.log
    return job


def test_a_scripted_fortnight_of_the_scheduled_workflow(
    repository: Repository, sites: tuple[SiteState, dict[str, str]]
) -> None:
    state, _ = sites
    review = "ingest/review"

    # Day 1: the first run. Nothing to compare with: the snapshot goes to main, no pull request.
    job = _day(repository, "0")
    assert repository.log("main")[0].startswith("Snapshot ")
    assert repository.gh()["prs"] == [] and "### Source health" in job.summary

    # Day 2: nothing changed. No snapshot, one check-log line, committed: the job stays green.
    job = _day(repository, "0")
    assert job.step("Run the pipeline").outputs["new"] == "false"
    assert repository.log("main")[0].startswith("Check: nothing changed since ")
    assert repository.gh()["prs"] == []

    # Day 3: the sites publish v2 (CREST's deadline extended, contacts changed, …): a pull request.
    state.version = "v2"
    job = _day(repository, "1")
    assert repository.log(review)[0].startswith("Snapshot ") and repository.log("main")[0].startswith("Check")
    [pr] = repository.gh()["prs"]
    assert (pr["number"], pr["state"], pr["base"], pr["head"]) == (1, "open", "main", review)
    assert "crest" in pr["body"] and "waiting for review" in pr["body"]
    # One change per edited call: a moved deadline carries its printed text, never a line of its own.
    assert (
        'JST; as printed: "令和7年3月31日(月) 正午【厳守】" → "令和7年4月14日(月) 正午【厳守】" — id `'
        in pr["body"]
    )
    assert "call text of" not in pr["body"] and "reworded" not in pr["body"]

    # Day 4: HFSP moves its deadline while the pull request is open: the same branch, the same
    # pull request, its body replaced by the new run's report.
    page = (SITES / "v2" / HFSP[0] / HFSP[1].lstrip("/")).read_text(encoding="utf-8")
    moved = page.replace("26 March 2026", "2 April 2026").encode()
    state.faults[HFSP] = Fault(body=moved)
    job = _day(repository, "1")
    [pr] = repository.gh()["prs"]
    assert len(pr["bodies"]) == 2 and "26 March 2026 → 2 April 2026" in pr["body"]  # dates in words
    assert "1 change(s) waiting for review" in pr["body"]  # the date and its printed text: one change
    assert (
        'as printed: "Submission of Letters of Intent: 26 March 2026 (updated for each cycle)" → '
        '"Submission of Letters of Intent: 2 April 2026 (updated for each cycle)"'
    ) in pr["body"]
    assert ["pr", "edit", "1", "--body-file"] == repository.gh()["calls"][-1][:4]
    assert len(repository.log(review)) == len(repository.log("main")) + 2  # both snapshots on the branch

    # Day 5: the reviewer acks every waiting change on the branch and merges the pull request.
    reviewer = repository.checkout(review)
    listing = subprocess.run(
        [".venv/bin/ingest", "review"], cwd=reviewer, capture_output=True, text=True, check=True
    ).stdout
    ids = [line.split()[0] for line in listing.splitlines() if line.startswith("  ")]
    assert len(ids) >= 10 and "call text of" not in listing  # no printed text apart from its date
    subprocess.run(
        [".venv/bin/ingest", "review", "ack", *ids, "--note", "checked on the sites", "--by", "tester"],
        cwd=reviewer,
        check=True,
        capture_output=True,
    )
    _git(reviewer, "commit", "-q", "-am", "Review: acknowledge the v2 changes")
    _git(reviewer, "push", "-q", "origin", review)
    _git(reviewer, "checkout", "-q", "main")
    _git(reviewer, "merge", "-q", "--no-ff", "-m", "Merge the review", review)
    _git(reviewer, "push", "-q", "origin", "main")
    gh = repository.gh()
    gh["prs"][0]["state"] = "merged"
    repository.gh_state.write_text(json.dumps(gh))
    job = _day(repository, "0")  # nothing waits any more, nothing changed
    assert repository.log("main")[0].startswith("Check: nothing changed")

    # Days 6-8: www.hfsp.org answers 503. Each run keeps HFSP's last good data and commits a snapshot
    # to main (exit status 3: sources failed, nothing to review); the second day in a row alerts once.
    state.faults[HFSP] = Fault(status=503)
    alerts = []
    for _ in range(3):
        job = _day(repository, "3")
        alerts.append([line for line in job.step("Run the pipeline").stdout.splitlines() if "ALERT" in line])
        assert repository.log("main")[0].startswith("Snapshot ")
    assert alerts[0] == [] and alerts[2] == []
    [[failing]] = alerts[1:2]
    assert "hfsp-research-grants has failed 2 run(s) in a row (http-5xx" in failing

    # Day 9: the host is back with the page as it was: a recovery alert, nothing to review.
    state.faults[HFSP] = Fault(body=moved)
    job = _day(repository, "0")
    run_output = job.step("Run the pipeline").stdout
    assert "ALERT: hfsp-research-grants recovered" in run_output

    # Day 10: quiet again.
    job = _day(repository, "0")
    assert job.step("Run the pipeline").outputs["new"] == "false"
    assert len(repository.gh()["prs"]) == 1  # one pull request in the whole fortnight
    assert not repository.has_branch("gh-pages")
