"""The `ingest` command group and what its commands share: exit statuses, options, snapshot look-up
and the one output writer.

Exit statuses follow the diff-tool convention: 0 ran fine; 1 (only with --exit-code) changes wait
for review; 2 an error. `ingest run --exit-code` also uses 3: sources failed, nothing to review.

Command modules import from here only (never from `ingest.cli` or from each other), so the package
has no import cycle.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest import __version__
from ingest.errors import ConfigError, SnapshotError
from ingest.review import DEFAULT_LEDGER, ReviewState

if TYPE_CHECKING:
    from ingest.snapshot import Snapshot, SnapshotStore

EXIT_OK, EXIT_REVIEW, EXIT_ERROR, EXIT_SOURCES_FAILED = 0, 1, 2, 3

sources_option = click.option(
    "--sources",
    "sources_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="sources",
    show_default=True,
    envvar="INGEST_SOURCES",
    help="Folder holding sources.toml and the bundled documents.",
)
snapshots_option = click.option(
    "--snapshots",
    "snapshots_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="snapshots",
    show_default=True,
    envvar="INGEST_SNAPSHOTS",
    help="Folder of dated snapshots.",
)
ledger_option = click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=str(DEFAULT_LEDGER),
    show_default=True,
    envvar="INGEST_LEDGER",
    help="Review ledger: acknowledged, dismissed and expected changes do not count for --exit-code.",
)
output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ingest")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log ingest's own steps to stderr; -vv also the libraries' debug output (pdfminer, urllib3).",
)
def cli(verbose: int) -> None:
    """Keep a dated record of Japanese funding programs open to researchers overseas."""
    # One -v: ingest's steps at INFO, every library at WARNING (pdfminer alone logs tens of
    # thousands of DEBUG lines a run); -vv: everything.
    logging.basicConfig(
        level=logging.DEBUG if verbose >= 2 else logging.WARNING if verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("ingest").setLevel(
        logging.DEBUG if verbose >= 2 else logging.INFO if verbose else logging.ERROR
    )


def resolve_snapshot(path: Path, snapshots_dir: Path) -> Path:
    """A bare snapshot name means the folder of that name under --snapshots."""
    if not path.exists() and (snapshots_dir / path).exists():
        return snapshots_dir / path
    return path


def latest_snapshot(store: SnapshotStore) -> Snapshot:
    """The store's latest snapshot; an error sentence when there is none yet."""
    latest = store.latest()
    if latest is None:
        raise SnapshotError(f"{store.root}: no snapshot yet; run `ingest run` first")
    return latest


@contextmanager
def os_errors_as_sentence(path: Path | str, cannot: str = "cannot write there") -> Iterator[None]:
    """Turn an OSError inside the block (parent is a file, no permission, disk full...) into one
    sentence naming `path` and the reason: `PATH: cannot write there (Permission denied)`."""
    try:
        yield
    except OSError as error:
        raise ConfigError(f"{path}: {cannot} ({error.strerror or error})") from None


def review_state(ledger: Path) -> ReviewState:
    """The ledger's review state; unreadable lines are warned about (with their line numbers) and
    their decisions do not count, so the changes they named stay waiting rather than vanish."""
    state = ReviewState.of(ledger)
    for problem in state.problems:
        click.echo(f"WARNING: {problem}; the line is skipped until it is repaired", err=True)
    return state


def write_output(data: str | bytes, output: Path | None, *, cannot: str = "cannot write there") -> None:
    """Write text (as UTF-8) or bytes to `output`, creating missing parent folders, or to stdout when
    `output` is None. An OSError becomes one sentence (see `os_errors_as_sentence`), never a traceback."""
    if output is None:
        with os_errors_as_sentence("stdout", cannot):
            click.echo(data, nl=False)
        return
    with os_errors_as_sentence(output, cannot):
        output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            output.write_bytes(data)
        else:
            output.write_text(data, encoding="utf-8")
    click.echo(f"Wrote {output}", err=True)


def write_file(
    build: Callable[[Path], None], output: Path, *, cannot: str = "cannot write there", what: str = ""
) -> None:
    """Have `build` write a file that cannot go to stdout (a database) into a temporary file beside
    `output`, then move it into place in one step: a failure leaves no partial file, and an OSError
    (or `errors`, from the builder) becomes one sentence like every other write."""
    import sqlite3

    with os_errors_as_sentence(output, cannot):
        output.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
        os.close(descriptor)
        temporary = Path(name)
        try:
            temporary.unlink()  # the builder creates the file itself
            try:
                build(temporary)
            except sqlite3.Error as error:
                raise ConfigError(f"{output}: {cannot} ({error})") from None
            os.replace(temporary, output)
        finally:
            temporary.unlink(missing_ok=True)
    click.echo(f"Wrote {output}{what}", err=True)
