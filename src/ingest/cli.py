"""The `ingest` command. Thin: parses options, calls the pipeline modules, maps results to exit codes.

Exit statuses follow the diff-tool convention: 0 ran fine; 1 (only with --exit-code) changes wait
for review; 2 an error. `ingest run --exit-code` also uses 3: sources failed, nothing to review.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from ingest import __version__
from ingest.errors import IngestError
from ingest.health import DEFAULT_THRESHOLD, Alert
from ingest.models import Export, SourceResult, SourceStatus, export_schema

EXIT_OK, EXIT_REVIEW, EXIT_ERROR, EXIT_SOURCES_FAILED = 0, 1, 2, 3

_sources_option = click.option(
    "--sources",
    "sources_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="sources",
    show_default=True,
    envvar="INGEST_SOURCES",
    help="Folder holding sources.toml and the bundled documents.",
)
_snapshots_option = click.option(
    "--snapshots",
    "snapshots_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="snapshots",
    show_default=True,
    envvar="INGEST_SNAPSHOTS",
    help="Folder of dated snapshots.",
)


_ledger_option = click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="reviews/ledger.tsv",
    show_default=True,
    envvar="INGEST_LEDGER",
    help="Review ledger: acknowledged, dismissed and expected changes do not count for --exit-code.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ingest")
@click.option("-v", "--verbose", is_flag=True, help="Log what is happening (to stderr).")
def cli(verbose: bool) -> None:
    """Keep a dated record of Japanese funding programs open to researchers overseas."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s"
    )


@cli.command()
@_sources_option
@_snapshots_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when changes wait for review, 3 when sources failed.")
@click.option(
    "--rewrite-host",
    "rewrite_hosts",
    multiple=True,
    metavar="HOST=MIRROR",
    help="Fetch HOST's pages from MIRROR (host:port, over http); reports keep HOST. Repeatable.",
)
@_ledger_option
@click.option(
    "--alert-after",
    type=click.IntRange(min=1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Alert when a source has failed this many runs in a row (once), and when it recovers.",
)
def run(
    sources_dir: Path,
    snapshots_dir: Path,
    exit_code: bool,
    rewrite_hosts: tuple[str, ...],
    ledger_path: Path,
    alert_after: int,
) -> int:
    """Extract every source, write a dated snapshot and a diff report against the previous one."""
    from ingest.pipeline import run as run_pipeline
    from ingest.review import pending_changes

    mirrors = dict(_host_pair(item) for item in rewrite_hosts)
    outcome = run_pipeline(
        sources_dir, snapshots_dir, progress=_show_source, rewrite_hosts=mirrors or None, ledger=ledger_path
    )
    snapshot = outcome.snapshot
    if snapshot is None:
        assert outcome.previous is not None
        click.echo(
            f"Nothing changed since {outcome.previous.name}: every source gave the same content, "
            f"so no new snapshot was written (noted in {snapshots_dir / 'check.log'})."
        )
        click.echo(f"Report: {outcome.previous.path / 'report.md'}")
    else:
        click.echo(f"Snapshot written: {snapshot.path} ({snapshot.manifest.programs} programs)")
        if outcome.previous is None:
            click.echo("First snapshot: nothing to compare with yet.")
        else:
            waiting = pending_changes(outcome.review_changes, ledger_path)
            click.echo(
                f"Compared with {outcome.previous.name}: {len(outcome.changes)} change(s), "
                f"{len(waiting)} waiting for review (`ingest review` lists them)."
            )
        click.echo(f"Report: {snapshot.path / 'report.md'}")
    if outcome.failed_sources:
        click.echo(
            f"{len(outcome.failed_sources)} source(s) failed (listed above); their last good data is kept, "
            "marked stale."
        )
    if snapshot is not None:  # alerts are state transitions: a source starts failing, or recovers
        from ingest.health import alerts
        from ingest.snapshot import SnapshotStore

        for line in _alert_lines(alerts(SnapshotStore(snapshots_dir), threshold=alert_after)):
            click.echo(f"ALERT: {line}")
    if not exit_code:
        return EXIT_OK
    if pending_changes(outcome.review_changes, ledger_path):
        return EXIT_REVIEW
    return EXIT_SOURCES_FAILED if outcome.failed_sources else EXIT_OK


def _alert_lines(raised: list[Alert]) -> list[str]:
    """One line per alert, except that sources failing the same way (one outage, one cause) share one."""
    groups: dict[tuple[str, str | None, int], list[Alert]] = {}
    for alert in raised:
        groups.setdefault((alert.kind, alert.error_kind, alert.consecutive_failures), []).append(alert)
    lines: list[str] = []
    for (kind, error_kind, runs), members in groups.items():
        if len(members) == 1:
            lines.append(members[0].message)
        elif kind == "recovered":
            lines.append(f"{len(members)} sources recovered: {', '.join(a.source for a in members)}")
        else:
            names = ", ".join(a.source for a in members)
            lines.append(f"{len(members)} sources have failed {runs} run(s) in a row ({error_kind}): {names}")
    return lines


def _host_pair(item: str) -> tuple[str, str]:
    host, sep, mirror = item.partition("=")
    if not (sep and host and mirror):
        raise click.BadParameter(f"{item!r} is not HOST=MIRROR (e.g. www.jst.go.jp=127.0.0.1:8080)")
    return host, mirror


def _show_source(result: SourceResult) -> None:
    if result.status == SourceStatus.FAILED:
        kept = f"; kept {result.stale_records} stale record(s)" if result.stale_records else ""
        click.echo(f"  {result.id}: FAILED ({result.error_kind}) {result.error}{kept}", err=True)
    else:
        click.echo(f"  {result.id}: {result.status}, {result.records} record(s)", err=True)
        for problem in result.problems:
            click.echo(f"    {problem}", err=True)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--url", help="Extract a saved web page as if fetched from this URL.")
def extract(file: Path, url: str | None) -> int:
    """Print the program records of one document (a PDF, or an HTML page with --url) as JSON."""
    from ingest.extract import extract_file

    records = extract_file(file, url=url)
    click.echo(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2))
    return EXIT_OK


@cli.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help='Print {"changes": [...]} for machines.')
@click.option("--exit-code", is_flag=True, help="Exit 1 when changes wait for review.")
@_snapshots_option
@_ledger_option
def diff(old: Path, new: Path, as_json: bool, exit_code: bool, snapshots_dir: Path, ledger_path: Path) -> int:
    """Compare two snapshots (folders or names) or two record files."""
    from ingest.diff import diff_programs
    from ingest.report import changes_json, changes_markdown
    from ingest.review import pending_changes
    from ingest.snapshot import load_records

    old_path, new_path = _resolve(old, snapshots_dir), _resolve(new, snapshots_dir)
    changes = diff_programs(load_records(old_path), load_records(new_path))
    if as_json:
        click.echo(changes_json(changes, old=str(old), new=str(new)), nl=False)
    else:
        click.echo(changes_markdown(changes, title=f"Changes {old} → {new}"), nl=False)
    waiting = pending_changes([c for c in changes if c.review], ledger_path)
    return EXIT_REVIEW if exit_code and waiting else EXIT_OK


def _resolve(path: Path, snapshots_dir: Path) -> Path:
    """A bare snapshot name means the folder of that name under --snapshots."""
    if not path.exists() and (snapshots_dir / path).exists():
        return snapshots_dir / path
    return path


@cli.command()
@_snapshots_option
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: the normalized document (see `ingest schema`); csv: one row per call period.",
)
def export(snapshots_dir: Path, output: Path | None, fmt: str) -> int:
    """Write the latest snapshot's records as one normalized JSON document, or CSV for spreadsheets."""
    from ingest.exports import export_csv
    from ingest.snapshot import SnapshotStore

    latest = SnapshotStore(snapshots_dir).latest()
    if latest is None:
        raise IngestError(f"{snapshots_dir}: no snapshot yet; run `ingest run` first")
    if fmt == "csv":
        _write_text(export_csv(latest.records), output)
        return EXIT_OK
    document = Export(
        snapshot=latest.name,
        created_at=latest.manifest.created_at,
        sources=latest.manifest.sources,
        records=latest.records,
    )
    _write_text(document.model_dump_json(indent=2) + "\n", output)
    return EXIT_OK


@cli.command()
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
def schema(output: Path | None) -> int:
    """Print the JSON Schema of the export document, generated from the record models."""
    _write_text(json.dumps(export_schema(), indent=2, ensure_ascii=False) + "\n", output)
    return EXIT_OK


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)


# The review workflow's commands (report, review, calendar, changes, reextract) live in their own module.
from ingest import cli_workflow  # noqa: E402,F401


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


if __name__ == "__main__":
    sys.exit(main())
