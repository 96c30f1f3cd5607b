"""The maintainers' review workflow: `ingest review` (ack, dismiss, expect) and `ingest health`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ingest.cli.base import (
    EXIT_OK,
    EXIT_REVIEW,
    cli,
    latest_snapshot,
    os_errors_as_sentence,
    review_state,
    snapshots_option,
)
from ingest.health import DEFAULT_THRESHOLD
from ingest.review import DEFAULT_LEDGER, Decision, Scope
from ingest.snapshot import SnapshotStore

_LEDGER_HELP = "The review ledger (one decision a line; committed with the snapshots)."
_CANNOT_RECORD = "cannot record the decision there"


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
_create_option = click.option(
    "--create",
    is_flag=True,
    help="Start a new ledger file if there is none (else a missing one is an error).",
)


@cli.group("review", invoke_without_command=True)
@_ledger_option(str(DEFAULT_LEDGER))
@snapshots_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when changes wait for review.")
@click.option("--json", "as_json", is_flag=True, help='Print the listing as {"waiting": [...]} for machines.')
@click.pass_context
def review_group(
    ctx: click.Context, ledger_path: Path, snapshots_dir: Path, exit_code: bool, as_json: bool
) -> int:
    """List the changes waiting for review (in every snapshot, each once); decide with ack, dismiss, expect.

    A change waits until its id is acked or dismissed, or an expectation covers its program and field.
    """
    ctx.obj = _ReviewPaths(ledger_path, snapshots_dir)
    if ctx.invoked_subcommand is not None:
        return EXIT_OK
    waiting = _show_pending(ctx.obj, as_json=as_json)
    return EXIT_REVIEW if exit_code and waiting else EXIT_OK


def _show_pending(paths: _ReviewPaths, *, as_json: bool = False) -> int:
    from ingest.report.listing import change_line, undetected_line
    from ingest.report.wording import describe

    store = SnapshotStore(paths.snapshots)
    newest = latest_snapshot(store).name  # "no snapshot yet" like every other command, not "nothing waits"
    undetected = store.undetected(newest)
    pending = review_state(paths.ledger).pending_in(store)
    if not as_json and undetected:  # checked by hand: no id to decide on, and they do not count as waiting
        click.echo(f"Snapshot {newest}: the sites declare {len(undetected)} update(s) ingest did not detect:")
        for update in undetected:
            click.echo(f"  {undetected_line(update)}")
    if as_json:
        waiting = [
            {
                "snapshot": item.snapshot,
                "seen_at": item.created_at.isoformat(),
                "description": describe(item.change),
                **item.change.model_dump(mode="json"),
            }
            for item in pending
        ]
        declared = [update.model_dump(mode="json") for update in undetected]
        document = {"waiting": waiting, "count": len(waiting), "undetected": declared}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return len(pending)
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
    given = ctx.find_object(_ReviewPaths) or _ReviewPaths(DEFAULT_LEDGER, Path("snapshots"))
    return _ReviewPaths(ledger_path or given.ledger, snapshots_dir or given.snapshots)


def _record_decision(
    kind: str, ids: tuple[str, ...], note: str, by: str | None, paths: _ReviewPaths, create: bool
) -> int:
    from ingest.review import Ledger, decide, reviewer_name

    store, who = SnapshotStore(paths.snapshots), reviewer_name(by)
    with os_errors_as_sentence(paths.ledger, _CANNOT_RECORD):
        made = decide(Ledger(paths.ledger), store, kind, ids, note, who, create=create)
    click.echo(f"Recorded {kind} of {len(made)} change(s) in {paths.ledger}.")
    return EXIT_OK


def _decision_command(kind: str, summary: str) -> None:
    """`ingest review ack` and `dismiss`: the same arguments, a different decision."""

    @review_group.command(kind, help=summary)
    @click.argument("change_ids", nargs=-1, required=True, metavar="ID...")
    @_note_option
    @_by_option
    @_ledger_option(None)
    @_snapshots_override
    @_create_option
    @click.pass_context
    def command(
        ctx: click.Context,
        change_ids: tuple[str, ...],
        note: str,
        by: str | None,
        ledger_path: Path | None,
        snapshots_dir: Path | None,
        create: bool,
    ) -> int:
        paths = _review_paths(ctx, ledger_path, snapshots_dir)
        return _record_decision(kind, change_ids, note, by, paths, create)


_decision_command("ack", "Record that changes are real and have been handled (each change once).")
_decision_command(
    "dismiss", "Record that changes are noise (an extraction quirk, a value a later run superseded)."
)


@review_group.command("expect")
@click.argument("program")
@click.argument("field")
@_note_option
@click.option(
    "--call", "call_label", help="Only changes of this call (its label, as `ingest review` shows it)."
)
@click.option(
    "--old", "old_value", help="Only changes from this old value (e.g. the deadline announced as moving)."
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day (Japan time) a change is covered (default: the end of the fiscal year, March 31).",
)
@_by_option
@_ledger_option(None)
@_snapshots_override
@_create_option
@click.pass_context
def review_expect(
    ctx: click.Context,
    program: str,
    field: str,
    note: str,
    call_label: str | None,
    old_value: str | None,
    until: datetime | None,
    by: str | None,
    ledger_path: Path | None,
    snapshots_dir: Path | None,
    create: bool,
) -> int:
    """Record that changes to PROGRAM's FIELD are announced (FIELD is a prefix: `calls` covers every call).

    Covered changes show as "expected", never as reviewed. An expectation lasts until --until (default:
    the end of the fiscal year) and can be withdrawn with `ingest review unexpect PROGRAM FIELD`.
    """
    scope = Scope(call=call_label, old=old_value, until=until.date() if until else None)
    made = _expectation(ctx, program, field, note, by, ledger_path, snapshots_dir, create, scope)
    scope_text = f", call {scope.call!r}" if scope.call else ""
    scope_text += f", from {scope.old!r}" if scope.old else ""
    click.echo(
        f"Recorded: changes of {made.program} {made.field}{scope_text} until {made.scope.until} "
        f"need no review ({_review_paths(ctx, ledger_path, snapshots_dir).ledger})."
    )
    return EXIT_OK


@review_group.command("unexpect")
@click.argument("program")
@click.argument("field")
@_note_option
@_by_option
@_ledger_option(None)
@_snapshots_override
@_create_option
@click.pass_context
def review_unexpect(
    ctx: click.Context,
    program: str,
    field: str,
    note: str,
    by: str | None,
    ledger_path: Path | None,
    snapshots_dir: Path | None,
    create: bool,
) -> int:
    """Withdraw the expectations of PROGRAM's FIELD: its changes wait for review again."""
    made = _expectation(ctx, program, field, note, by, ledger_path, snapshots_dir, create, None)
    click.echo(f"Withdrawn: expectations of {made.program} {made.field}.")
    return EXIT_OK


def _expectation(
    ctx: click.Context,
    program: str,
    field: str,
    note: str,
    by: str | None,
    ledger_path: Path | None,
    snapshots_dir: Path | None,
    create: bool,
    scope: Scope | None,
) -> Decision:
    """Record an expectation (`scope` given) or its withdrawal (`scope` None)."""
    from ingest.review import Ledger, expect, reviewer_name

    paths = _review_paths(ctx, ledger_path, snapshots_dir)
    store, who = SnapshotStore(paths.snapshots), reviewer_name(by)
    with os_errors_as_sentence(paths.ledger, _CANNOT_RECORD):
        return expect(
            Ledger(paths.ledger),
            store,
            program,
            field,
            note,
            who,
            scope=scope,
            create=create,
            withdraw=scope is None,
        )


@cli.command("health")
@snapshots_option
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Consecutive failed runs after which a source counts as failing.",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"sources": [...], "alerts": [...]} for machines.'
)
def health_command(snapshots_dir: Path, threshold: int, as_json: bool) -> int:
    """Show each source's health across the snapshots, and the alerts the latest run raised."""
    from ingest.health import alerts, health_table, source_health

    store = SnapshotStore(snapshots_dir)
    latest_snapshot(store)
    if as_json:
        document = {
            "threshold": threshold,
            "sources": [{**asdict(item), "failing": item.failing} for item in source_health(store).values()],
            "alerts": [
                {**asdict(alert), "message": alert.message} for alert in alerts(store, threshold=threshold)
            ],
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=_json_value))
        return EXIT_OK
    click.echo(health_table(source_health(store)), nl=False)
    latest = store.manifests()[-1:]
    for note in latest[0].notes if latest else []:
        click.echo(f"Note of the latest run: {note}")
    raised = alerts(store, threshold=threshold)
    click.echo("")
    click.echo("Alerts:" if raised else "No alerts: no source started failing or recovered in the latest run")
    for alert in raised:
        click.echo(f"  {alert.kind.upper()}: {alert.message}")
    return EXIT_OK


def _json_value(value: object) -> str:
    """Moments as ISO 8601 (UTC as stored); enumerations are strings already."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
