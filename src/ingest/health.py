"""How each source has fared across runs, read from the snapshots' manifests, and when to raise an alarm.

A run records every source's status and, for a failure, its `error_kind`. From the manifests, oldest
first, this module derives per-source health (consecutive failures, last success, last error) and
alerts on transitions only: a source that reaches `threshold` consecutive failures STARTS failing,
and one that succeeds after such a streak RECOVERS. A source that was already failing raises
nothing, so a scheduled job can forward every alert without repeating itself day after day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from ingest.errors import ErrorKind, SnapshotError
from ingest.models import Manifest, SourceResult, SourceStatus
from ingest.snapshot import SnapshotStore

DEFAULT_THRESHOLD = 2


@dataclass(frozen=True)
class FailureClass:
    """What an error kind means for whoever reads the alert."""

    kind: ErrorKind | str  # "unknown" when a failure recorded no kind
    group: str
    transient: bool  # likely to clear by itself on a later run: waiting is a reasonable first response
    advice: str


_NETWORK_ADVICE = "network trouble between the runner and the host; retried on the next run"
_FAILURE_CLASSES: dict[ErrorKind, FailureClass] = {
    kind: FailureClass(kind, group, transient, advice)
    for kind, group, transient, advice in [
        (ErrorKind.DNS, "network", True, "the host name did not resolve; check the domain if it persists"),
        (ErrorKind.CONNECTION, "network", True, _NETWORK_ADVICE),
        (ErrorKind.TIMEOUT, "network", True, _NETWORK_ADVICE),
        (ErrorKind.TLS, "network", False, "the TLS handshake failed; check the site's certificate"),
        (ErrorKind.HTTP_5XX, "server", True, "the server is failing; usually temporary"),
        (ErrorKind.HTTP_4XX, "moved", False, "the page is gone or forbidden; find its new address"),
        (
            ErrorKind.REDIRECTED_AWAY,
            "moved",
            False,
            "the page redirects off the allowed domains; check where to",
        ),
        (ErrorKind.REDIRECT_LOOP, "moved", False, "the page redirects in a loop; check it in a browser"),
        (
            ErrorKind.ROBOTS_DISALLOWED,
            "policy",
            False,
            "robots.txt forbids the page; ask the agency or drop it",
        ),
        (
            ErrorKind.TOO_LARGE,
            "content",
            False,
            "the response exceeds the size cap; check what the page serves",
        ),
        (ErrorKind.CONTENT_TYPE, "content", False, "the page serves an unexpected content type; check it"),
        (ErrorKind.EMPTY_RESPONSE, "server", True, "the server sent an empty answer; usually temporary"),
        (
            ErrorKind.LAYOUT_CHANGED,
            "extraction",
            False,
            "far fewer programs or fields than before; update the extractor",
        ),
        (
            ErrorKind.EXTRACT,
            "extraction",
            False,
            "the document could not be read; check the file or the extractor",
        ),
        (ErrorKind.GARBAGE, "content", False, "the page is not readable HTML (binary, mis-encoded)"),
    ]
}


def classify(error_kind: ErrorKind | str | None) -> FailureClass:
    """The class of a failure's `error_kind`; a missing kind is never taken to be transient."""
    if error_kind is None:
        return FailureClass("unknown", "other", False, "see the error message")
    return _FAILURE_CLASSES[ErrorKind(error_kind)]


@dataclass(frozen=True)
class SourceHealth:
    """One source across every run it took part in."""

    source: str
    runs: int
    consecutive_failures: int
    last_status: SourceStatus
    last_success: datetime | None
    last_error: str | None
    last_error_kind: ErrorKind | None
    last_failure: datetime | None

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0


class AlertKind(StrEnum):
    FAILING = "failing"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class Alert:
    """A change of state worth telling someone about, raised by the latest run."""

    kind: AlertKind
    source: str
    snapshot: str
    consecutive_failures: int
    error_kind: ErrorKind | None = None
    error: str | None = None

    @property
    def message(self) -> str:
        if self.kind is AlertKind.RECOVERED:
            return f"{self.source} recovered in {self.snapshot} after {self.consecutive_failures} failed runs"
        failure = classify(self.error_kind)
        return (
            f"{self.source} has failed {self.consecutive_failures} run(s) in a row "
            f"({failure.kind}: {self.error}); {failure.advice}"
        )


def source_health(store: SnapshotStore) -> dict[str, SourceHealth]:
    """Per-source health over every snapshot in the store, by source id."""
    return health_of(store.manifests())


def alerts(
    store: SnapshotStore, threshold: int = DEFAULT_THRESHOLD, known: Sequence[Manifest] = ()
) -> list[Alert]:
    """The alerts raised by the latest run (state transitions only), by source id. Manifests are read
    newest first and only as far back as the latest run's sources need (`alerts_of` gives the same on
    every manifest), so that a run after a year of daily snapshots does not read all of them; those in
    `known` (the run's own and its previous one, in hand) are not read again."""
    return alerts_of(_recent_history(store, threshold, {m.snapshot: m for m in known}), threshold)


def _recent_history(store: SnapshotStore, threshold: int, known: dict[str, Manifest]) -> list[Manifest]:
    """The newest readable manifests, oldest first, back to where every source of the latest run has
    its alert settled (`_settled`)."""
    found: list[Manifest] = []
    unsettled: dict[str, list[bool]] | None = None  # per source: failed?, newest run first
    for name in reversed(store.names()):
        try:
            manifest = known.get(name) or store.manifest(name)
        except SnapshotError:
            continue  # an unreadable snapshot is no run to count, as in `manifests`
        found.append(manifest)
        if unsettled is None:  # the latest run: the sources it read are the ones that may alert
            unsettled = {r.id: [] for r in manifest.sources if r.status != SourceStatus.NOT_RUN}
        for result in manifest.sources:
            if result.id in unsettled and result.status != SourceStatus.NOT_RUN:
                unsettled[result.id].append(result.status == SourceStatus.FAILED)
        unsettled = {source: runs for source, runs in unsettled.items() if not _settled(runs, threshold)}
        if not unsettled:
            break
    return found[::-1]


def _settled(failed: list[bool], threshold: int) -> bool:
    """Whether a source's runs so far (failed?, newest first) decide its alert: a failing source's
    streak is known once a run that worked ends it, or once it is longer than `threshold` (no alert
    any more); a working source's needs the whole streak of failures before it, which a recovery
    notice counts."""
    if failed[0]:
        return not all(failed) or len(failed) > threshold
    return len(failed) > 1 and not all(failed[1:])


def health_of(history: list[Manifest]) -> dict[str, SourceHealth]:
    """Per-source health from manifests given oldest first."""
    return {source: _health(source, runs) for source, runs in sorted(_runs_by_source(history).items())}


def alerts_of(history: list[Manifest], threshold: int = DEFAULT_THRESHOLD) -> list[Alert]:
    """Alerts for the sources that took part in the latest run and changed state in it."""
    if threshold < 1:
        raise ValueError("the alert threshold must be at least 1 failed run")
    if not history:
        return []
    latest = history[-1]
    found: list[Alert] = []
    for source, runs in sorted(_runs_by_source(history).items()):
        if runs[-1][0] is not latest:
            continue  # the source was dropped from sources.toml: nothing happened to it now
        alert = _transition(source, runs, threshold, latest.snapshot)
        if alert is not None:
            found.append(alert)
    return found


_Run = tuple[Manifest, SourceResult]


def _runs_by_source(history: list[Manifest]) -> dict[str, list[_Run]]:
    runs: dict[str, list[_Run]] = {}
    for manifest in history:
        for result in manifest.sources:
            if result.status != SourceStatus.NOT_RUN:  # left out of that run: it neither failed nor worked
                runs.setdefault(result.id, []).append((manifest, result))
    return runs


def _failure_streak(runs: list[_Run]) -> int:
    """How many of the last runs failed, counted back from the newest."""
    streak = 0
    for _, result in reversed(runs):
        if result.status != SourceStatus.FAILED:
            break
        streak += 1
    return streak


def _health(source: str, runs: list[_Run]) -> SourceHealth:
    successes = [manifest for manifest, result in runs if result.status != SourceStatus.FAILED]
    failures = [(manifest, result) for manifest, result in runs if result.status == SourceStatus.FAILED]
    last_failure = failures[-1] if failures else None
    return SourceHealth(
        source=source,
        runs=len(runs),
        consecutive_failures=_failure_streak(runs),
        last_status=SourceStatus(runs[-1][1].status),
        last_success=successes[-1].created_at if successes else None,
        last_error=last_failure[1].error if last_failure else None,
        last_error_kind=last_failure[1].error_kind if last_failure else None,
        last_failure=last_failure[0].created_at if last_failure else None,
    )


def _transition(source: str, runs: list[_Run], threshold: int, snapshot: str) -> Alert | None:
    streak = _failure_streak(runs)
    latest = runs[-1][1]
    if streak == threshold:  # exactly now, not on every later run of the same outage
        return Alert(AlertKind.FAILING, source, snapshot, streak, latest.error_kind, latest.error)
    if streak == 0:
        ended = _failure_streak(runs[:-1])
        if ended >= threshold:  # only a streak that raised an alert gets a recovery notice
            return Alert(AlertKind.RECOVERED, source, snapshot, ended)
    return None


def health_table(health: dict[str, SourceHealth]) -> str:
    """A fixed-width text table of per-source health, one source a line."""
    header = ("source", "status", "failed in a row", "last success", "last error")
    rows = [header] + [
        (
            item.source,
            str(item.last_status),
            str(item.consecutive_failures),
            _moment(item.last_success),
            f"{item.last_error_kind}: {item.last_error}" if item.last_error else "-",
        )
        for item in health.values()
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _moment(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"
