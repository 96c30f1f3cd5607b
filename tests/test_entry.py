"""The `ingest` command's entry point (`ingest.__main__`): a first `ingest run` starts the extraction
forkserver before the command and the pipeline are imported, so that its imports run beside them;
later runs and other commands start nothing early. Fresh interpreters where it matters, since this
test process has loaded everything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ingest.__main__ import first_run
from ingest.cli import cli
from ingest.forkserver import PRELOAD


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """`missing`, `empty` and `used` snapshots folders, the current directory in tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INGEST_SNAPSHOTS", raising=False)
    (tmp_path / "empty").mkdir()
    (tmp_path / "used" / "2025-05-01T000000Z").mkdir(parents=True)
    return {"missing": tmp_path / "missing", "empty": tmp_path / "empty", "used": tmp_path / "used"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--snapshots", "missing"], True),
        (["run", "--snapshots", "empty", "--only", "jst-sicorp"], True),
        (["run", "--snapshots", "used"], False),
        (["run", "--snapshots=used"], False),
        (["run", "--snapshots=missing"], True),
        (["run", "--snapshots", "used", "--snapshots", "missing"], True),  # the last one counts
        (["-v", "run", "--exit-code", "--snapshots", "empty"], True),
        (["--verbose", "-v", "run", "--snapshots", "used"], False),
        (["run"], True),  # ./snapshots, missing in tmp_path
        (["review", "run"], False),  # another command
        (["report", "--snapshots", "missing"], False),
        (["schema"], False),
        (["--version"], False),
        ([], False),
    ],
)
def test_a_first_run_is_told_apart_from_later_runs_and_other_commands(
    folders: dict[str, Path], args: list[str], expected: bool
) -> None:
    assert first_run(args) is expected


def test_the_snapshots_folder_is_the_one_the_run_command_resolves(
    folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolved(args: list[str]) -> Path:
        with click.Context(cli) as context:
            command = cli.get_command(context, "run")
            assert command is not None
            return Path(command.make_context("run", args, parent=context).params["snapshots_dir"])

    assert resolved([]) == Path("snapshots") and first_run(["run"])
    monkeypatch.setenv("INGEST_SNAPSHOTS", str(folders["used"]))
    assert resolved([]) == folders["used"] and not first_run(["run"])
    assert resolved(["--snapshots", "empty"]) == Path("empty") and first_run(["run", "--snapshots", "empty"])


def _last_line(code: str, **environment: str) -> list[str]:
    """The words of the last line the code prints, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **environment},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()


def test_the_entry_point_loads_nothing_heavy_before_it_starts_the_forkserver() -> None:
    loaded = _last_line("import sys, ingest.__main__\nprint(*sys.modules)")
    assert "ingest.forkserver" in loaded
    assert not {"ingest.cli", "ingest.models", "pydantic", "click"} & set(loaded)


PROBE = """
import gc
from multiprocessing import forkserver
from ingest.__main__ import main
status = main({args})
server = forkserver._forkserver
print(gc.get_freeze_count() > 0, status, server._forkserver_pid is not None, *server._preload_modules)
"""


def test_a_first_run_starts_the_forkserver_with_the_extractors_preloaded(tmp_path: Path) -> None:
    args = ["run", "--sources", str(tmp_path / "missing"), "--snapshots", str(tmp_path / "snapshots")]
    frozen, status, started, *preloaded = _last_line(PROBE.format(args=args))
    assert status == "2"  # no sources.toml there: a configuration error, after the forkserver started
    assert started == "True" and preloaded == PRELOAD
    assert frozen == "True"  # what is left is not collected again on the way out


def test_a_later_run_and_other_commands_start_no_forkserver(tmp_path: Path) -> None:
    (tmp_path / "snapshots" / "2025-05-01T000000Z").mkdir(parents=True)
    later = ["run", "--sources", str(tmp_path / "missing"), "--snapshots", str(tmp_path / "snapshots")]
    for args, exit_status in ((later, "2"), (["--version"], "0")):
        _, status, started, *_ = _last_line(PROBE.format(args=args))
        assert (status, started) == (exit_status, "False"), args


def test_a_forkserver_that_cannot_start_early_does_not_stop_the_command(tmp_path: Path) -> None:
    """Starting it early is only sooner: a failure there is left to where the forkserver is used. Here
    its socket cannot be made (a temporary folder too deep for a Unix socket's address)."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    args = ["run", "--sources", str(tmp_path / "missing"), "--snapshots", str(tmp_path / "snapshots")]
    _, status, started, *_ = _last_line(PROBE.format(args=args), TMPDIR=str(deep))
    assert (status, started) == ("2", "False")  # the run went on to its own error: no sources.toml
