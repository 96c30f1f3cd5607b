"""Runs a GitHub Actions job's `run:` steps as GitHub would, on this machine, for tests.

Each step's script runs in bash with GitHub's options (`--noprofile --norc -eo pipefail`), in the
job's checkout, with the workflow's, job's and step's `env`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`
and `RUNNER_TEMP` files, and `${{ … }}` expressions replaced (`github.*` from the given context,
`steps.<id>.outputs.<name>` from earlier steps, `secrets.*` as empty strings: a repository without
the secret). `if:` conditions of the forms the workflows use (`==`, `&&`, `||`, `!=`) are evaluated.
`uses:` steps are the caller's to stand in for (the checkout is prepared by the test, Python and the
virtual environment are the test's own).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class JobRun:
    steps: list[StepRun] = field(default_factory=list)
    failed: bool = False
    summary: str = ""

    def step(self, name: str) -> StepRun:
        return next(step for step in self.steps if step.name == name)

    @property
    def log(self) -> str:
        return "\n".join(f"## {s.name} ({s.returncode})\n{s.stdout}{s.stderr}" for s in self.steps)


def run_job(
    workflow: dict[str, Any],
    job_name: str,
    checkout: Path,
    *,
    github: dict[str, str],
    env: dict[str, str],
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> JobRun:
    job = workflow["jobs"][job_name]
    temp = checkout.parent / f"runner-temp-{job_name}"
    temp.mkdir(exist_ok=True)
    summary = temp / "step-summary.md"
    summary.write_text("")
    outputs: dict[str, dict[str, str]] = {}
    result = JobRun()
    base_env = {**os.environ, **env, "RUNNER_TEMP": str(temp), "GITHUB_STEP_SUMMARY": str(summary)}
    for key, value in {**workflow.get("env", {}), **job.get("env", {})}.items():
        base_env[key] = _substitute(str(value), github, outputs)
    for index, step in enumerate(job["steps"]):
        name = step.get("name", f"step {index}")
        if "uses" in step or name in skip:
            continue
        if "if" in step and not _condition(step["if"], github, outputs):
            continue
        output_file = temp / f"output-{index}"
        output_file.write_text("")
        step_env = {**base_env, "GITHUB_OUTPUT": str(output_file)}
        step_env.update(
            {key: _substitute(str(value), github, outputs) for key, value in step.get("env", {}).items()}
        )
        script = _substitute(step["run"], github, outputs)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=checkout,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        step_outputs = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
        )
        if "id" in step:
            outputs[step["id"]] = step_outputs
        result.steps.append(StepRun(name, done.returncode, done.stdout, done.stderr, step_outputs))
        if done.returncode != 0 and not step.get("continue-on-error"):
            result.failed = True
            break
    result.summary = summary.read_text()
    return result


def _value(expression: str, github: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
    if found:
        return outputs.get(found[1], {}).get(found[2], "")
    if expression.startswith("github."):
        return github[expression]
    if re.fullmatch(r"secrets\.\w+", expression):
        return ""  # as on a fork or a repository without the secret: tests never hold real secrets
    raise ValueError(f"expression not supported by the test runner: {expression}")


def _substitute(text: str, github: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    return _EXPRESSION.sub(lambda match: _value(match[1], github, outputs), text)


def _condition(expression: str, github: dict[str, str], outputs: dict[str, dict[str, str]]) -> bool:
    """`steps.run.outputs.status == '1' && steps.commit.outputs.committed == 'true'` and the like."""
    text = _EXPRESSION.sub(lambda match: match[1], expression)
    text = re.sub(
        r"(?:steps\.[\w-]+\.outputs\.[\w-]+|github\.[\w.]+)",
        lambda match: repr(_value(match[0], github, outputs)),
        text,
    )
    python = text.replace("&&", " and ").replace("||", " or ")
    if not re.fullmatch(r"[\s'\w.\-=!()/]*(?:\s(?:and|or)\s[\s'\w.\-=!()/]*)*", python):
        raise ValueError(f"condition not supported by the test runner: {expression}")
    return bool(eval(python, {"__builtins__": {}}, {}))
