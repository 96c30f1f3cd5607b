"""Commands of the maintainers' review workflow, registered on the `ingest` command group."""

from __future__ import annotations

# ---- report (HTML diff report and snapshot index) ---------------------------------------------------
from datetime import date, datetime
from pathlib import Path

import click

from ingest.cli import EXIT_OK, _resolve, _snapshots_option, _sources_option, cli
from ingest.cli import _ledger_option as _ledger_option_core
from ingest.errors import ConfigError
from ingest.health import DEFAULT_THRESHOLD


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
@_snapshots_option
@_ledger_option_core
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
        _resolve(old, snapshots_dir),
        _resolve(new, snapshots_dir),
        output,
        f"Changes {old} → {new}",
        ledger_path,
    )
    click.echo(f"Wrote {output}", err=True)
    return EXIT_OK


def _write_report_file(old_path: Path, new_path: Path, output: Path, title: str, ledger: Path) -> None:
    from ingest.diff import diff_programs
    from ingest.html_report import render_diff_report
    from ingest.review import pending_changes
    from ingest.snapshot import load_records, load_snapshot

    # Snapshot folders also give the run's sources (failures, links); record files give records only.
    old_snapshot = load_snapshot(old_path) if old_path.is_dir() else None
    new_snapshot = load_snapshot(new_path) if new_path.is_dir() else None
    old_records = old_snapshot.records if old_snapshot else load_records(old_path)
    new_records = new_snapshot.records if new_snapshot else load_records(new_path)
    changes = diff_programs(old_records, new_records)  # each change carries its evidence already
    pending = {c.id for c in pending_changes([c for c in changes if c.review], ledger)}
    page = render_diff_report(changes, old=old_snapshot, new=new_snapshot, title=title, pending_ids=pending)
    _write_page(output, page)


def _write_report_index(snapshots_dir: Path, output: Path, today: date, ledger: Path) -> list[Path]:
    from ingest.errors import SnapshotError
    from ingest.html_report import write_index
    from ingest.review import Ledger, pending_in_store
    from ingest.snapshot import SnapshotStore

    store = SnapshotStore(snapshots_dir)
    if not store.names():
        raise SnapshotError(f"{snapshots_dir}: no snapshot yet; run `ingest run` first")
    if output.exists() and not output.is_dir():
        raise ConfigError(f"{output}: with --index, --output must be a folder")
    try:
        pending = {seen.change.id for seen in pending_in_store(store, Ledger(ledger))}
        return write_index(store, output, today=today, pending_ids=pending)
    except OSError as error:
        raise ConfigError(f"{output}: cannot write the report there ({error.strerror})") from None


def _write_page(output: Path, page: str) -> None:
    if output.is_dir():
        raise ConfigError(f"{output}: is a folder; give the HTML file to write (or use --index)")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(page, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{output}: cannot write the report there ({error.strerror})") from None


# ---- end of report ------------------------------------------------------------------------------------


# ---- review, health, calendar, changes (review ledger, source health, calendar and feed exports) -------
# Uses the module's own imports (click, Path, cli, EXIT_OK, _snapshots_option, ConfigError) and adds these:
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

from ingest.cli import EXIT_REVIEW  # noqa: E402
from ingest.errors import SnapshotError  # noqa: E402
from ingest.snapshot import Snapshot, SnapshotStore  # noqa: E402

_DEFAULT_LEDGER = "reviews/ledger.tsv"
_LEDGER_HELP = "The review ledger (one decision a line; committed with the snapshots)."


@dataclass(frozen=True)
class _ReviewPaths:
    ledger: Path
    snapshots: Path


def _ledger_option(default: str | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    # The group holds the default and $INGEST_LEDGER; a subcommand's own --ledger overrides it.
    return click.option(
        "--ledger",
        "ledger_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=default,
        show_default=default is not None,
        envvar="INGEST_LEDGER" if default else None,
        help=_LEDGER_HELP,
    )


_snapshots_override = click.option(
    "--snapshots",
    "snapshots_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of dated snapshots (default: the one given to `ingest review`).",
)
_note_option = click.option("--note", required=True, help="Why: read by whoever looks at this change next.")
_by_option = click.option("--by", help="Who decides (default: git config user.name, else $USER).")


@cli.group("review", invoke_without_command=True)
@_ledger_option(_DEFAULT_LEDGER)
@_snapshots_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when changes wait for review.")
@click.pass_context
def review_group(ctx: click.Context, ledger_path: Path, snapshots_dir: Path, exit_code: bool) -> int:
    """List the changes waiting for review (in every snapshot, each once); decide with ack, dismiss, expect.

    A change waits until its id is acked or dismissed, or an expectation covers its program and field.
    """
    ctx.obj = _ReviewPaths(ledger_path, snapshots_dir)
    if ctx.invoked_subcommand is not None:
        return EXIT_OK
    waiting = _show_pending(ctx.obj)
    return EXIT_REVIEW if exit_code and waiting else EXIT_OK


def _show_pending(paths: _ReviewPaths) -> int:
    from ingest.review import Ledger, change_line, pending_in_store

    store = SnapshotStore(paths.snapshots)
    pending = pending_in_store(store, Ledger(paths.ledger))
    if not pending:
        click.echo("No changes wait for review.")
        return 0
    names = store.names()
    current = None
    for item in pending:
        if item.snapshot != current:
            current = item.snapshot
            latest = " (latest)" if names and current == names[-1] else ""
            click.echo(f"Snapshot {current}{latest}:")
        click.echo(f"  {change_line(item.change)}")
    click.echo(
        f"{len(pending)} change(s) wait for review. Decide with "
        "`ingest review ack|dismiss ID... --note TEXT` or `ingest review expect PROGRAM FIELD --note TEXT`."
    )
    return len(pending)


def _review_paths(ctx: click.Context, ledger_path: Path | None, snapshots_dir: Path | None) -> _ReviewPaths:
    """A subcommand's own --ledger/--snapshots, else those given to (or defaulted by) `ingest review`."""
    given = ctx.find_object(_ReviewPaths) or _ReviewPaths(Path(_DEFAULT_LEDGER), Path("snapshots"))
    return _ReviewPaths(ledger_path or given.ledger, snapshots_dir or given.snapshots)


def _record_decision(kind: str, ids: tuple[str, ...], note: str, by: str | None, paths: _ReviewPaths) -> int:
    from ingest.review import Ledger, decide, reviewer_name

    store, who = SnapshotStore(paths.snapshots), reviewer_name(by)
    made = decide(Ledger(paths.ledger), store, kind, ids, note, who)
    click.echo(f"Recorded {kind} of {len(made)} change(s) in {paths.ledger}.")
    return EXIT_OK


@review_group.command("ack")
@click.argument("change_ids", nargs=-1, required=True, metavar="ID...")
@_note_option
@_by_option
@_ledger_option(None)
@_snapshots_override
@click.pass_context
def review_ack(
    ctx: click.Context,
    change_ids: tuple[str, ...],
    note: str,
    by: str | None,
    ledger_path: Path | None,
    snapshots_dir: Path | None,
) -> int:
    """Record that changes are real and have been handled."""
    return _record_decision("ack", change_ids, note, by, _review_paths(ctx, ledger_path, snapshots_dir))


@review_group.command("dismiss")
@click.argument("change_ids", nargs=-1, required=True, metavar="ID...")
@_note_option
@_by_option
@_ledger_option(None)
@_snapshots_override
@click.pass_context
def review_dismiss(
    ctx: click.Context,
    change_ids: tuple[str, ...],
    note: str,
    by: str | None,
    ledger_path: Path | None,
    snapshots_dir: Path | None,
) -> int:
    """Record that changes are noise (an extraction quirk, a value a later run superseded)."""
    paths = _review_paths(ctx, ledger_path, snapshots_dir)
    return _record_decision("dismiss", change_ids, note, by, paths)


@review_group.command("expect")
@click.argument("program")
@click.argument("field")
@_note_option
@_by_option
@_ledger_option(None)
@_snapshots_override
@click.pass_context
def review_expect(
    ctx: click.Context,
    program: str,
    field: str,
    note: str,
    by: str | None,
    ledger_path: Path | None,
    snapshots_dir: Path | None,
) -> int:
    """Record that changes to PROGRAM's FIELD are announced (FIELD is a prefix: `calls` covers every call).

    The expectation stands until it is superseded by hand: it covers later changes of that field too.
    """
    from ingest.review import Ledger, expect, reviewer_name

    paths = _review_paths(ctx, ledger_path, snapshots_dir)
    store, who = SnapshotStore(paths.snapshots), reviewer_name(by)
    made = expect(Ledger(paths.ledger), store, program, field, note, who)
    click.echo(f"Recorded: changes of {made.program} {made.field} need no review ({paths.ledger}).")
    return EXIT_OK


@cli.command("health")
@_snapshots_option
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Consecutive failed runs after which a source counts as failing.",
)
def health_command(snapshots_dir: Path, threshold: int) -> int:
    """Show each source's health across the snapshots, and the alerts the latest run raised."""
    from ingest.health import alerts, health_table, source_health

    store = SnapshotStore(snapshots_dir)
    _latest_snapshot(store)
    click.echo(health_table(source_health(store)), nl=False)
    raised = alerts(store, threshold=threshold)
    click.echo("")
    click.echo("Alerts:" if raised else "No alerts: no source started failing or recovered in the latest run")
    for alert in raised:
        click.echo(f"  {alert.kind.upper()}: {alert.message}")
    return EXIT_OK


_output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)


@cli.command("calendar")
@_snapshots_option
@_output_option
def calendar_command(snapshots_dir: Path, output: Path | None) -> int:
    """Write the latest snapshot's deadlines as an iCalendar file (one event per call, Japan time)."""
    from ingest.exports import calendar_ics

    latest = _latest_snapshot(SnapshotStore(snapshots_dir))
    _write_bytes(calendar_ics(latest.records, stamp=latest.manifest.created_at), output)
    return EXIT_OK


@cli.command("changes")
@_snapshots_option
@click.option("--format", "feed_format", type=click.Choice(["atom"]), default="atom", show_default=True)
@_output_option
def changes_command(snapshots_dir: Path, feed_format: str, output: Path | None) -> int:
    """Write the review-worthy changes of every snapshot as a feed, newest first."""
    from ingest.exports import changes_atom
    from ingest.review import snapshot_changes

    store = SnapshotStore(snapshots_dir)
    latest = _latest_snapshot(store)
    websites = {record.id: record.website for record in latest.records if record.website}
    feed = changes_atom(snapshot_changes(store), updated=latest.manifest.created_at, websites=websites)
    _write_bytes(feed, output)
    return EXIT_OK


def _latest_snapshot(store: SnapshotStore) -> Snapshot:
    latest = store.latest()
    if latest is None:
        raise SnapshotError(f"{store.root}: no snapshot yet; run `ingest run` first")
    return latest


def _write_bytes(data: bytes, output: Path | None) -> None:
    if output is None:
        click.echo(data, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as error:
        raise ConfigError(f"{output}: cannot write there ({error.strerror})") from None
    click.echo(f"Wrote {output}", err=True)


# ---- end of review, health, calendar, changes ----------------------------------------------------------


# ---- reextract (replay today's extractors on stored raw bytes) -----------------------------------------


@cli.command()
@click.argument("snapshot", required=False)
@click.option(
    "--all", "every", is_flag=True, help="Replay every snapshot, not only the latest (or SNAPSHOT)."
)
@_sources_option
@_snapshots_option
@click.option("--json", "as_json", is_flag=True, help='Print {"changes": [...]} for machines.')
@click.option("--exit-code", is_flag=True, help="Exit 1 when the extractors now give different records.")
def reextract(
    snapshot: str | None, every: bool, sources_dir: Path, snapshots_dir: Path, as_json: bool, exit_code: bool
) -> int:
    """Re-run today's extractors on the raw bytes of past snapshots and report what they now read
    differently: changes caused by the extractor, not by the sources."""
    from ingest.reextract import replay
    from ingest.report import changes_json, changes_markdown

    store = SnapshotStore(snapshots_dir)
    names = store.names() if every else [snapshot] if snapshot else store.names()[-1:]
    if not names:
        raise SnapshotError(f"{snapshots_dir}: no snapshot to replay; run `ingest run` first")
    found = []
    for name in names:
        result = replay(store, store.load(name), sources_dir)
        found.extend(result.changes)
        for note in result.skipped:
            click.echo(f"  {name}: not replayed: {note}", err=True)
    if as_json:
        click.echo(changes_json(found, replayed=names), nl=False)
    else:
        title = f"Extractor-induced changes (replay of {', '.join(names)})"
        click.echo(changes_markdown(found, title=title), nl=False)
    return EXIT_REVIEW if exit_code and found else EXIT_OK


# ---- end of reextract -------------------------------------------------------------------------------------
