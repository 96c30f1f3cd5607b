"""Running and extraction: `ingest run`, `ingest extract`, `ingest reextract`."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest.cli.base import (
    EXIT_OK,
    EXIT_REVIEW,
    EXIT_SOURCES_FAILED,
    cli,
    ledger_option,
    review_state,
    snapshots_option,
    sources_option,
)
from ingest.errors import SnapshotError
from ingest.health import DEFAULT_THRESHOLD, Alert
from ingest.models import JAPAN, Program
from ingest.snapshot import SeenChange, SnapshotStore

if TYPE_CHECKING:
    from ingest.sources import NotifySettings

if TYPE_CHECKING:
    from ingest.sources import HtmlSource


@cli.command()
@sources_option
@snapshots_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when changes wait for review, 3 when sources failed.")
@click.option(
    "--rewrite-host",
    "rewrite_hosts",
    multiple=True,
    metavar="HOST=MIRROR",
    help="Fetch HOST's pages from MIRROR (host:port, over http); reports keep HOST. Repeatable.",
)
@ledger_option
@click.option(
    "--alert-after",
    type=click.IntRange(min=1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Alert when a source has failed this many runs in a row (once), and when it recovers.",
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="SOURCE_ID",
    help="Read only this source (repeatable); the others are carried as they were, status not-run.",
)
def run(
    sources_dir: Path,
    snapshots_dir: Path,
    exit_code: bool,
    rewrite_hosts: tuple[str, ...],
    ledger_path: Path,
    alert_after: int,
    only: tuple[str, ...],
) -> int:
    """Extract every source, write a dated snapshot and a diff report against the previous one."""
    from ingest.cli.progress import SourceProgress
    from ingest.pipeline import run as run_pipeline
    from ingest.sources import load_sources

    mirrors = dict(_host_pair(item) for item in rewrite_hosts)
    review = review_state(ledger_path)
    declared = load_sources(sources_dir)  # once: for the progress bar, the run and the notification
    with SourceProgress(declared, only=set(only) or None) as progress:
        outcome = run_pipeline(
            sources_dir,
            snapshots_dir,
            progress=progress.finished,
            rewrite_hosts=mirrors or None,
            review=review,
            only=frozenset(only) if only else None,
            declared=declared,
        )
    waiting = review.pending(
        outcome.changes, outcome.snapshot.manifest.created_at if outcome.snapshot else None
    )
    # The exit status counts everything still waiting, not only what this run found.
    still_waiting = review.pending_in(SnapshotStore(snapshots_dir))
    earlier = len({item.change.id for item in still_waiting} - {change.id for change in waiting})
    for note in outcome.notes:
        click.echo(f"WARNING: {note}", err=True)
    snapshot = outcome.snapshot
    if snapshot is None:
        assert outcome.previous is not None
        click.echo(
            f"Nothing changed since {outcome.previous.name}: every source gave the same content, "
            f"so no new snapshot was written (noted in {SnapshotStore(snapshots_dir).check_log})."
        )
        click.echo(f"Report: {outcome.previous.report_path}")
    else:
        click.echo(f"Snapshot written: {snapshot.path} ({snapshot.manifest.programs} programs)")
        if outcome.previous is None:
            click.echo("First snapshot: nothing to compare with yet.")
        else:
            click.echo(
                f"Compared with {outcome.previous.name}: {len(outcome.changes)} change(s), "
                f"{len(waiting)} waiting for review (`ingest review` lists them)."
            )
        if outcome.undetected:
            click.echo(
                f"The sites declare {len(outcome.undetected)} update(s) ingest did not detect "
                "(check by hand; listed in the report and by `ingest review`)."
            )
        click.echo(f"Report: {snapshot.report_path}")
    if earlier:
        click.echo(f"{earlier} change(s) from earlier snapshots still wait for review (`ingest review`).")
    if outcome.failed_sources:
        failed = outcome.failed_sources
        kept = [s for s in failed if s.stale_records]
        if len(kept) == len(failed):
            click.echo(
                f"{len(failed)} source(s) failed (listed above); their last good data is kept, marked stale."
            )
        else:
            none = ", ".join(s.id for s in failed if not s.stale_records)
            click.echo(
                f"{len(failed)} source(s) failed (listed above); no earlier data was there to keep for {none}"
                + (
                    f", and the last good data of {len(kept)} other(s) is kept, marked stale."
                    if kept
                    else "."
                )
            )
    raised: list[Alert] = []
    if snapshot is not None:  # alerts are state transitions: a source starts failing, or recovers
        from ingest.health import alerts

        in_hand = [snapshot.manifest, *([outcome.previous.manifest] if outcome.previous else [])]
        raised = alerts(SnapshotStore(snapshots_dir), threshold=alert_after, known=in_hand)
        for line in _alert_lines(raised):
            click.echo(f"ALERT: {line}")
    latest = snapshot or outcome.previous
    _notify(declared.notify, still_waiting, raised, latest.records if latest else [])
    if not exit_code:
        return EXIT_OK
    if still_waiting:
        return EXIT_REVIEW
    return EXIT_SOURCES_FAILED if outcome.failed_sources else EXIT_OK


def _notify(
    settings: NotifySettings, waiting: list[SeenChange], raised: list[Alert], records: list[Program]
) -> None:
    """Send the run's one digest when notifications are configured. Never fails the run: a problem is
    one warning, and the exit status stays the run's."""
    from ingest.notify import build_digest, send, targets

    try:
        urls = targets(settings, os.environ)
        if not urls:
            return
        digest = build_digest(waiting, raised, records, settings, today=datetime.now(JAPAN).date())
        problem = send(digest, urls) if digest else None
    except Exception as error:  # notifying is a courtesy: whatever goes wrong, the run stands
        problem = f"the notification was not sent ({type(error).__name__}: {error})"
    if problem:
        click.echo(f"WARNING: {' '.join(problem.split())}", err=True)
    elif digest:
        click.echo(f"Notified {len(urls)} target(s): {digest.title}")


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


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--url", help="Extract a saved web page as if fetched from this URL.")
def extract(file: Path, url: str | None) -> int:
    """Print the program records of one document (a PDF, or an HTML page with --url) as JSON."""
    from ingest.extract import extract_file
    from ingest.isolation import ExtractLimits, run_limited

    # In a limited child process like every extraction of a run: the file may be anything.
    records = run_limited(extract_file, (file,), {"url": url}, limits=ExtractLimits(), what=str(file))
    click.echo(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2))
    return EXIT_OK


@cli.command()
@click.argument("snapshot", required=False)
@click.option(
    "--all", "every", is_flag=True, help="Replay every snapshot, not only the latest (or SNAPSHOT)."
)
@sources_option
@snapshots_option
@click.option("--json", "as_json", is_flag=True, help='Print {"changes": [...]} for machines.')
@click.option("--exit-code", is_flag=True, help="Exit 1 when the extractors now give different records.")
def reextract(
    snapshot: str | None, every: bool, sources_dir: Path, snapshots_dir: Path, as_json: bool, exit_code: bool
) -> int:
    """Re-run today's extractors on the raw bytes of past snapshots and report what they now read
    differently: changes caused by the extractor, not by the sources."""
    from ingest.reextract import replay
    from ingest.report.markdown import changes_markdown
    from ingest.review import ReviewState
    from ingest.snapshot import changes_document

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
        click.echo(changes_document(found, replayed=names), nl=False)
    else:
        title = f"Extractor-induced changes (replay of {', '.join(names)})"
        click.echo(changes_markdown(found, title=title, review=ReviewState()), nl=False)
    return EXIT_REVIEW if exit_code and found else EXIT_OK


@cli.command()
@sources_option
@snapshots_option
@ledger_option
def check(sources_dir: Path, snapshots_dir: Path, ledger_path: Path) -> int:
    """Validate sources.toml and the review ledger and list what a run would read; writes nothing."""
    from ingest.sources import HtmlSource, PdfSource, load_sources

    declared = load_sources(sources_dir)  # a ConfigError names the file and the first problem
    state = review_state(ledger_path)  # warns about every unreadable ledger line
    for source in declared.source:
        if isinstance(source, PdfSource):
            present = (
                "" if (sources_dir / source.path).is_file() else "  (MISSING: the run will fail this source)"
            )
            click.echo(f"{source.id}: read {sources_dir / source.path}{present}")
        elif isinstance(source, HtmlSource):
            follows = "; ".join(rule.pattern for rule in source.follow)
            click.echo(
                f"{source.id}: fetch {source.url}"
                + (f", then links matching {follows}" if follows else "")
                + _counterpart_plan(source)
            )
    store = SnapshotStore(snapshots_dir)
    latest = store.names()[-1] if store.names() else "none yet"
    problems = f", {len(state.problems)} unreadable ledger line(s)" if state.problems else ""
    click.echo(
        f"{len(declared.source)} source(s) declared; latest snapshot: {latest}; "
        f"fetch budget {declared.fetch.run_timeout:g} s, PDF limits {declared.extract.memory_mb} MB / "
        f"{declared.extract.cpu_seconds} s CPU{problems}."
    )
    return EXIT_OK


def _counterpart_plan(source: HtmlSource) -> str:
    """What `check` says of the page in the other language a run fetches with the main page (a declared
    counterpart wins over discovery, as in the run)."""
    from ingest.languages import within

    if source.counterpart:
        outside = not within(source.counterpart, source.allowed_domains)
        return f", then its counterpart {source.counterpart}" + (
            " (outside allowed_domains: the run will not fetch it)" if outside else ""
        )
    if source.discover_counterpart:
        return ", then the language counterpart its page links to"
    return ""
