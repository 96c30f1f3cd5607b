"""What the snapshots are read into: `ingest diff`, `report`, `export`, `schema`, `calendar`, `changes`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import click

from ingest.cli.base import (
    EXIT_OK,
    EXIT_REVIEW,
    cli,
    latest_snapshot,
    ledger_option,
    os_errors_as_sentence,
    output_option,
    resolve_snapshot,
    review_state,
    snapshots_option,
    write_file,
    write_output,
)
from ingest.errors import ConfigError
from ingest.models import Change, Export, export_schema
from ingest.snapshot import Snapshot, SnapshotStore

_CANNOT_WRITE_REPORT = "cannot write the report there"


@cli.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help='Print {"changes": [...]} for machines.')
@click.option("--exit-code", is_flag=True, help="Exit 1 when changes wait for review.")
@snapshots_option
@ledger_option
def diff(old: Path, new: Path, as_json: bool, exit_code: bool, snapshots_dir: Path, ledger_path: Path) -> int:
    """Compare two snapshots (folders or names) or two record files."""
    from ingest.report.markdown import changes_markdown
    from ingest.snapshot import changes_document

    pair = _compare(resolve_snapshot(old, snapshots_dir), resolve_snapshot(new, snapshots_dir))
    review = review_state(ledger_path)
    seen_at = pair.new.manifest.created_at if pair.new else None
    if as_json:
        click.echo(changes_document(pair.changes, old=str(old), new=str(new)), nl=False)
    else:
        title = f"Changes {old} → {new}"
        click.echo(changes_markdown(pair.changes, title=title, review=review, seen_at=seen_at), nl=False)
    return EXIT_REVIEW if exit_code and review.pending(pair.changes, seen_at) else EXIT_OK


@dataclass(frozen=True)
class _Pair:
    old: Snapshot | None  # None: a record file, not a snapshot folder
    new: Snapshot | None
    changes: list[Change]


def _compare(old_path: Path, new_path: Path) -> _Pair:
    """The changes OLD → NEW: those stored with NEW when it was compared with OLD (so every view shows
    the same changes and severities), else a fresh diff of the two record sets."""
    from ingest.diff import diff_programs
    from ingest.snapshot import load_records, load_snapshot

    # Snapshot folders also give the run's sources (failures, links); record files give records only.
    old_snapshot = load_snapshot(old_path) if old_path.is_dir() else None
    new_snapshot = load_snapshot(new_path) if new_path.is_dir() else None
    if old_snapshot and new_snapshot and new_snapshot.manifest.previous == old_snapshot.name:
        stored = SnapshotStore(new_snapshot.path.parent).changes(new_snapshot.name)
        if stored is not None:
            return _Pair(old_snapshot, new_snapshot, stored)
    old_records = old_snapshot.records if old_snapshot else load_records(old_path)
    new_records = new_snapshot.records if new_snapshot else load_records(new_path)
    return _Pair(old_snapshot, new_snapshot, diff_programs(old_records, new_records))


@cli.command()
@click.argument("old", required=False, type=click.Path(path_type=Path))
@click.argument("new", required=False, type=click.Path(path_type=Path))
@click.option("--index", "as_index", is_flag=True, help="Write DIR/index.html and one page per snapshot.")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="The HTML file to write (with --index: the folder).",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="With --index: the first day of the 90-day deadline window (default: today).",
)
@snapshots_option
@ledger_option
def report(
    old: Path | None,
    new: Path | None,
    as_index: bool,
    output: Path,
    today: datetime | None,
    snapshots_dir: Path,
    ledger_path: Path,
) -> int:
    """Write an HTML report of the changes OLD → NEW (snapshots: folders or names), or with --index
    an index of every snapshot with its report and the deadlines of the next 90 days."""
    if as_index:
        if old is not None or new is not None:
            raise ConfigError("give either OLD and NEW, or --index, not both")
        start = today.date() if today else date.today()
        written = _write_report_index(snapshots_dir, output, start, ledger_path)
        click.echo(f"Wrote {written[0]} and {len(written) - 1} snapshot report(s)", err=True)
        return EXIT_OK
    if old is None or new is None:
        raise ConfigError("give two snapshots to compare (OLD NEW), or --index")
    _write_report_file(
        resolve_snapshot(old, snapshots_dir),
        resolve_snapshot(new, snapshots_dir),
        output,
        f"Changes {old} → {new}",
        ledger_path,
    )
    return EXIT_OK


def _write_report_file(old_path: Path, new_path: Path, output: Path, title: str, ledger: Path) -> None:
    from ingest.report.html import render_diff_report

    pair = _compare(old_path, new_path)
    review = review_state(ledger)
    page = render_diff_report(pair.changes, old=pair.old, new=pair.new, title=title, review=review)
    if output.is_dir():
        raise ConfigError(f"{output}: is a folder; give the HTML file to write (or use --index)")
    write_output(page, output, cannot=_CANNOT_WRITE_REPORT)


def _write_report_index(snapshots_dir: Path, output: Path, today: date, ledger: Path) -> list[Path]:
    from ingest.errors import SnapshotError
    from ingest.report.html import write_index

    store = SnapshotStore(snapshots_dir)
    if not store.names():
        raise SnapshotError(f"{snapshots_dir}: no snapshot yet; run `ingest run` first")
    if output.exists() and not output.is_dir():
        raise ConfigError(f"{output}: with --index, --output must be a folder")
    with os_errors_as_sentence(output, _CANNOT_WRITE_REPORT):
        return write_index(store, output, today=today, review=review_state(ledger))


@cli.command()
@snapshots_option
@output_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "sqlite"]),
    default="json",
    show_default=True,
    help="json: the normalized document (see `ingest schema`); csv: one row per call period; "
    "sqlite: programs, calls, contacts, changes and decisions as tables (needs --output FILE.db).",
)
@ledger_option
def export(snapshots_dir: Path, output: Path | None, fmt: str, ledger_path: Path) -> int:
    """Write the latest snapshot's records as one normalized JSON document, CSV for spreadsheets, or a
    SQLite database for Datasette (with every snapshot's changes and the ledger's decisions)."""
    from ingest.report.spreadsheet import export_csv

    store = SnapshotStore(snapshots_dir)
    latest = latest_snapshot(store)
    if fmt == "sqlite":
        return _export_sqlite(store, latest, output, ledger_path)
    if fmt == "csv":
        write_output(export_csv(latest.records), output)
        return EXIT_OK
    document = Export(
        snapshot=latest.name,
        created_at=latest.manifest.created_at,
        sources=latest.manifest.sources,
        records=latest.records,
    )
    write_output(document.model_dump_json(indent=2) + "\n", output)
    return EXIT_OK


def _export_sqlite(store: SnapshotStore, latest: Snapshot, output: Path | None, ledger_path: Path) -> int:
    from functools import partial

    from ingest.report.database import write_database
    from ingest.review import Ledger

    if output is None:
        raise ConfigError("--format sqlite writes a database file: give it with --output FILE.db")
    if output.is_dir():
        raise ConfigError(f"{output}: is a folder; --output must name the database file")
    review = review_state(ledger_path)
    decisions = Ledger(ledger_path).read()[0] if ledger_path.is_file() else []
    seen = store.seen_changes()
    build = partial(
        write_database,
        snapshot=latest.name,
        records=latest.records,
        seen=seen,
        decisions=decisions,
        review=review,
    )
    write_file(
        build, output, what=f" ({len(latest.records)} programs, {len(seen)} changes; `datasette {output}`)"
    )
    return EXIT_OK


@cli.command()
@output_option
def schema(output: Path | None) -> int:
    """Print the JSON Schema of the export document, generated from the record models."""
    write_output(json.dumps(export_schema(), indent=2, ensure_ascii=False) + "\n", output)
    return EXIT_OK


@cli.command("calendar")
@snapshots_option
@output_option
def calendar_command(snapshots_dir: Path, output: Path | None) -> int:
    """Write the latest snapshot's deadlines as an iCalendar file (one event per call, Japan time)."""
    from ingest.report.calendar import calendar_ics

    latest = latest_snapshot(SnapshotStore(snapshots_dir))
    write_output(calendar_ics(latest.records, stamp=latest.manifest.created_at), output)
    return EXIT_OK


@cli.command("changes")
@snapshots_option
@click.option("--format", "feed_format", type=click.Choice(["atom"]), default="atom", show_default=True)
@output_option
def changes_command(snapshots_dir: Path, feed_format: str, output: Path | None) -> int:
    """Write the review-worthy changes of every snapshot as a feed, newest first."""
    from ingest.report.feed import changes_atom

    store = SnapshotStore(snapshots_dir)
    latest = latest_snapshot(store)
    websites = {record.id: record.website for record in latest.records if record.website}
    feed = changes_atom(store.seen_changes(), updated=latest.manifest.created_at, websites=websites)
    write_output(feed, output)
    return EXIT_OK
