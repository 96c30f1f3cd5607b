"""The `ingest` command. Thin: parses options, calls the pipeline modules, maps results to exit codes.

The group, exit statuses and shared options live in `ingest.cli.base`; the commands in `run`
(running, extraction), `review` (review workflow, health) and `reports` (diff, report, exports).
Importing them here registers their commands on the group; they import only from `base` (and `run`
from `progress`, its live per-source lines).
"""

from __future__ import annotations

import click

from ingest.cli import reports, review, run  # noqa: F401 (imported for their commands)
from ingest.cli.base import EXIT_ERROR, EXIT_OK, cli
from ingest.errors import IngestError

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point: every error is one sentence on stderr and a non-zero status, never a traceback."""
    try:
        status = cli.main(args=argv, prog_name="ingest", standalone_mode=False)
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.ClickException as error:
        error.show()
        return EXIT_ERROR
    except click.Abort:
        click.echo("ingest: interrupted", err=True)
        return EXIT_ERROR
    except IngestError as error:
        click.echo(f"ingest: error: {error}", err=True)
        return EXIT_ERROR
    return status if isinstance(status, int) else EXIT_OK
