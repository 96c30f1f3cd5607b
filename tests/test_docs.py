"""The README documents every command and every option (so it cannot silently go stale)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ingest.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "ingest") -> Iterator[tuple[str, click.Command]]:
    yield prefix, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


OPTIONS = sorted(
    {
        (path, option)
        for path, command in commands(cli)
        for parameter in command.params
        if isinstance(parameter, click.Option)
        for option in parameter.opts
        if option.startswith("--") and option != "--help"
    }
)


@pytest.mark.parametrize("path", [path for path, _ in commands(cli)])
def test_every_command_is_documented(path: str) -> None:
    assert f"`{path}" in README, f"README.md does not mention `{path}`"


@pytest.mark.parametrize(("path", "option"), OPTIONS, ids=[f"{p} {o}" for p, o in OPTIONS])
def test_every_option_is_documented(path: str, option: str) -> None:
    assert re.search(rf"{re.escape(option)}\b", README), f"README.md does not mention {option} (of {path})"
