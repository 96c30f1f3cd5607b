"""One run: sources → read → extract → records → snapshot → diff → report.

Each source is isolated: one that fails is reported with its reason and its last good records are
carried forward, marked stale, so a failure never reads as programs being removed.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from ingest import __version__
from ingest.declared import reconcile
from ingest.diff import diff_programs
from ingest.errors import ConfigError, EmptyExtractError, ErrorKind, ExtractError, IngestError
from ingest.extract import extractor_fingerprint
from ingest.fetch import Fetcher, FetchSettings
from ingest.isolation import ExtractLimits, extract_pdf_limited
from ingest.languages import flag_not_updated
from ingest.merge import merge_records
from ingest.models import Change, Manifest, Program, SourceResult, SourceStatus, UndetectedUpdate
from ingest.normalize import sha256_bytes
from ingest.report.markdown import changes_markdown
from ingest.review import ReviewState
from ingest.snapshot import Snapshot, SnapshotStore, records_json, snapshot_name
from ingest.sources import HtmlSource, PdfSource, SourceList, load_sources
from ingest.websites import Previous, read_websites

log = logging.getLogger(__name__)
# A source that suddenly yields less than this share of its previous programs failed to extract.
MIN_SHARE_OF_PREVIOUS = 0.5


@dataclass
class SourceOutcome:
    result: SourceResult
    records: list[Program] = field(default_factory=list)


@dataclass
class RunOutcome:
    snapshot: Snapshot | None  # None: nothing changed, only a line in the check log
    previous: Snapshot | None
    changes: list[Change]
    sources: list[SourceResult]
    notes: list[str] = field(default_factory=list)  # what the run worked around (an unreadable snapshot)
    undetected: list[UndetectedUpdate] = field(default_factory=list)  # declared by a site, not found

    @property
    def failed_sources(self) -> list[SourceResult]:
        return [s for s in self.sources if s.status == SourceStatus.FAILED]


Progress = Callable[[SourceResult], None]


def run(
    sources_dir: Path,
    snapshots_dir: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    rewrite_hosts: dict[str, str] | None = None,
    review: ReviewState | None = None,
    only: frozenset[str] | None = None,
    declared: SourceList | None = None,
) -> RunOutcome:
    """Extract every declared source and write one snapshot with its diff against the previous one.
    `review` (the ledger's state) decides what report.md counts as waiting for review. With `only`
    (source ids), the other sources are not read: their previous results and records are carried
    as they were, status `not-run`, so the snapshot is complete and the diff shows only theirs."""
    now = now or datetime.now(UTC)
    declared = declared or load_sources(sources_dir)  # the caller may have read sources.toml already
    if only is not None:
        unknown = sorted(only - {source.id for source in declared.source})
        if unknown:
            raise ConfigError(f"--only: no source {', '.join(unknown)} in {sources_dir / 'sources.toml'}")
    settings = _fetch_settings(declared.fetch, rewrite_hosts)  # a bad setting stops the run before any work
    store = SnapshotStore(snapshots_dir)
    # One run at a time: two would both compare with the same previous snapshot.
    with store.locked(now) as unfinished:
        outcome = _run_locked(declared, settings, sources_dir, store, now, progress, review, unfinished, only)
    return outcome


def _run_locked(
    declared: SourceList,
    settings: FetchSettings,
    sources_dir: Path,
    store: SnapshotStore,
    now: datetime,
    progress: Progress | None,
    review: ReviewState | None,
    unfinished: str | None,
    only: frozenset[str] | None,
) -> RunOutcome:
    previous, unreadable = store.latest_readable()
    notes = [f"{problem}: skipped, compared with the newest readable snapshot" for problem in unreadable]
    if unfinished:
        notes.append(
            f"the run started at {unfinished} did not finish (it was killed or stopped); no snapshot of it"
        )
    before = previous_by_source(store, previous)
    outcomes: list[SourceOutcome] = []

    def finished(outcome: SourceOutcome) -> None:  # each source is reported as soon as it is done
        outcome.result.fetched_at = outcome.result.fetched_at or now
        outcomes.append(outcome)
        if progress:
            progress(outcome.result)

    chosen = [source for source in declared.source if only is None or source.id in only]
    if only is not None:
        left_out = [source for source in declared.source if source.id not in only]
        outcomes.extend(_not_run(source, before.get(source.id, Previous())) for source in left_out)
        notes.append(
            f"only {', '.join(sorted(only))} read (`--only`); {len(left_out)} other source(s) carried "
            f"as they were in {previous.name if previous else 'no earlier snapshot'}"
        )
    for source in chosen:
        if isinstance(source, PdfSource):
            log.info("%s: reading %s", source.id, source.path)
            previous_source = before.get(source.id, Previous())
            finished(_run_pdf_source(source, sources_dir, store, previous_source, now, declared.extract))
    websites = [s for s in chosen if isinstance(s, HtmlSource)]
    if websites:
        log.info("fetching %d website source(s)", len(websites))
        with Fetcher(settings) as fetcher:
            for result, records in read_websites(websites, before, fetcher, store, declared.extract):
                finished(SourceOutcome(result=result, records=records))
    order = {source.id: index for index, source in enumerate(declared.source)}
    outcomes.sort(key=lambda outcome: order[outcome.result.id])  # the manifest lists them as declared
    records = merge_records([record for outcome in outcomes for record in outcome.records])
    # A Japanese page changed long ago and its English page not since: a conflict on the record.
    records = flag_not_updated(records, store.manifests, now, declared.languages.grace_days)
    changes = diff_programs(previous.records, records) if previous else []
    undetected: list[UndetectedUpdate] = []
    if previous is not None:  # the sites' own change logs against what was found
        changes, undetected = reconcile(previous.records, previous.manifest.created_at, records, changes)
    results = [outcome.result for outcome in outcomes]
    if (
        previous is not None
        and not changes
        and not undetected
        and _same_content(results, previous.manifest.sources)
    ):
        store.log_check(now, f"unchanged since {previous.name}: {len(results)} sources, content hashes equal")
        return RunOutcome(snapshot=None, previous=previous, changes=[], sources=results, notes=notes)
    records_text = records_json(records)
    manifest = Manifest(
        snapshot=snapshot_name(now),
        created_at=now,
        tool_version=__version__,
        extractor_fingerprint=extractor_fingerprint(),
        previous=previous.name if previous else None,
        sources=results,
        records_sha256=sha256_bytes(records_text.encode()),
        programs=len(records),
        notes=notes,
    )
    title = f"Changes {previous.name if previous else '(first snapshot)'} → {manifest.snapshot}"
    report = changes_markdown(
        changes,
        title=title,
        sources=manifest.sources,
        review=review or ReviewState(),
        seen_at=now,
        records=records,
        undetected=undetected,
    )
    snapshot = store.write(
        manifest,
        records,
        by_source={outcome.result.id: outcome.records for outcome in outcomes},
        changes=changes,
        report=report,
        undetected=undetected,
        records_text=records_text,
    )
    store.log_check(now, f"wrote {snapshot.name}: {len(changes)} change(s)")
    return RunOutcome(
        snapshot=snapshot,
        previous=previous,
        changes=changes,
        sources=results,
        notes=notes,
        undetected=undetected,
    )


def _fetch_settings(declared: FetchSettings, rewrite_hosts: dict[str, str] | None) -> FetchSettings:
    """sources.toml's [fetch] settings with the command line's host rewrites, validated together."""
    if not rewrite_hosts:
        return declared
    try:
        return FetchSettings.model_validate({**declared.model_dump(), "rewrite_hosts": rewrite_hosts})
    except ValidationError as error:
        raise ConfigError(f"--rewrite-host: {error.errors()[0]['msg']}") from None


def _same_content(now: list[SourceResult], before: list[SourceResult]) -> bool:
    """Every source read fine and gave exactly the bytes it gave last time."""
    if any(result.status == SourceStatus.FAILED or result.status == SourceStatus.PARTIAL for result in now):
        return False  # failures are state worth recording run by run (source health counts them)

    def hashes(results: list[SourceResult]) -> dict[str, tuple[str | None, ...]]:
        return {r.id: (r.content_sha256, *sorted(p.content_sha256 or "" for p in r.pages)) for r in results}

    return hashes(now) == hashes(before)


def previous_by_source(store: SnapshotStore, snapshot: Snapshot | None) -> dict[str, Previous]:
    """Each source's result and records in a snapshot."""
    if snapshot is None:
        return {}
    grouped = store.records_by_source(snapshot)
    results = {result.id: result for result in snapshot.manifest.sources}
    fingerprint = snapshot.manifest.extractor_fingerprint
    return {
        sid: Previous(result=results.get(sid), records=grouped.get(sid, []), fingerprint=fingerprint)
        for sid in results
    }


def _run_pdf_source(
    source: PdfSource,
    sources_dir: Path,
    store: SnapshotStore,
    previous: Previous,
    now: datetime,
    limits: ExtractLimits,
) -> SourceOutcome:
    result = SourceResult(id=source.id, kind=source.kind, location=source.location, status=SourceStatus.OK)
    try:
        records = _read_pdf_source(source, sources_dir, store, result, now, limits)
        _check_count(source, records, previous)
    except IngestError as error:
        log.warning("%s: %s", source.id, error)
        result.status, result.error = SourceStatus.FAILED, str(error)
        result.error_kind = (
            ErrorKind.LAYOUT_CHANGED
            if isinstance(error, EmptyExtractError)
            else error.kind
            if isinstance(error, ExtractError)
            else ErrorKind.EXTRACT
        )
        stale = carry_forward(previous.records)
        result.stale_records = len(stale)
        return SourceOutcome(result=result, records=stale)
    result.records = len(records)
    return SourceOutcome(result=result, records=records)


def _read_pdf_source(
    source: PdfSource,
    sources_dir: Path,
    store: SnapshotStore,
    result: SourceResult,
    now: datetime,
    limits: ExtractLimits,
) -> list[Program]:
    path = sources_dir / source.path
    data = _read_source_file(path, sources_dir)
    result.content_sha256 = store.put_raw(data)
    result.bytes, result.content_type, result.fetched_at = len(data), "application/pdf", now
    return extract_pdf_limited(data, name=str(path), source_id=source.id, extracted_at=now, limits=limits)


def _read_source_file(path: Path, sources_dir: Path) -> bytes:
    """A document of the sources folder; anything else (a path leading outside it, a device, a FIFO,
    a folder) is refused before a byte is read."""
    try:
        resolved = path.resolve(strict=True)
        if not resolved.is_relative_to(sources_dir.resolve()):
            raise IngestError(f"{path}: leads outside the sources folder {sources_dir}; refused")
        if not stat.S_ISREG(resolved.stat().st_mode):
            raise IngestError(f"{path}: not a regular file (a device, FIFO or folder); refused")
        return resolved.read_bytes()
    except OSError as error:
        raise IngestError(f"{path}: cannot be read ({error.strerror})") from None


def _check_count(source: PdfSource, records: list[Program], previous: Previous) -> None:
    """Far fewer programs than expected is an extraction failure, never a mass removal."""
    if len(records) < source.min_records:
        raise EmptyExtractError(
            f"{source.location}: gave {len(records)} program(s), fewer than the {source.min_records} expected"
        )
    before = sum(1 for r in previous.records if not all(p.stale for p in r.provenance))
    if before and len(records) < before * MIN_SHARE_OF_PREVIOUS:
        raise EmptyExtractError(
            f"{source.location}: gave {len(records)} program(s) where the previous snapshot had {before}; "
            "treated as an extraction failure"
        )


def _not_run(source: PdfSource | HtmlSource, previous: Previous) -> SourceOutcome:
    """A source left out of the run: what the previous snapshot had of it, unchanged."""
    if previous.result is None:
        result = SourceResult(
            id=source.id, kind=source.kind, location=source.location, status=SourceStatus.NOT_RUN
        )
    else:
        result = previous.result.model_copy(update={"status": SourceStatus.NOT_RUN}, deep=True)
    return SourceOutcome(result=result, records=list(previous.records))


def carry_forward(previous: list[Program]) -> list[Program]:
    """A failed source's earlier records, kept and marked stale."""
    kept: list[Program] = []
    for record in previous:
        stale = [
            p.model_copy(update={"stale": True, "last_verified": p.last_verified or p.extracted_at})
            for p in record.provenance
        ]
        kept.append(record.model_copy(update={"provenance": stale}, deep=True))
    return kept
