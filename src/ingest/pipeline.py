"""One run: sources → read → extract → records → snapshot → diff → report.

Each source is isolated: one that fails is reported with its reason and its last good records are
carried forward, marked stale, so a failure never reads as programs being removed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest import __version__
from ingest.diff import diff_programs
from ingest.errors import EmptyExtractError, IngestError
from ingest.extract import extract_pdf
from ingest.merge import merge_records
from ingest.models import Change, Manifest, Program, SourceResult, SourceStatus
from ingest.normalize import sha256_bytes
from ingest.report import changes_json, changes_markdown
from ingest.snapshot import Snapshot, SnapshotStore, records_json, snapshot_name
from ingest.sources import HtmlSource, PdfSource, load_sources

log = logging.getLogger(__name__)
# A source that suddenly yields less than this share of its previous programs failed to extract.
MIN_SHARE_OF_PREVIOUS = 0.5


@dataclass
class SourceOutcome:
    result: SourceResult
    records: list[Program] = field(default_factory=list)


@dataclass
class RunOutcome:
    snapshot: Snapshot
    previous: Snapshot | None
    changes: list[Change]

    @property
    def failed_sources(self) -> list[SourceResult]:
        return [s for s in self.snapshot.manifest.sources if s.status == SourceStatus.FAILED]

    @property
    def review_changes(self) -> list[Change]:
        return [c for c in self.changes if c.review]


Progress = Callable[[SourceResult], None]


def run(
    sources_dir: Path,
    snapshots_dir: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> RunOutcome:
    """Extract every declared source and write one snapshot with its diff against the previous one."""
    now = now or datetime.now(UTC)
    sources = load_sources(sources_dir)
    store = SnapshotStore(snapshots_dir)
    previous = store.latest()
    outcomes: list[SourceOutcome] = []
    for source in sources:
        outcome = _run_source(source, sources_dir, store, previous, now)
        if outcome.result.status == SourceStatus.FAILED and previous is not None:
            outcome.records = carry_forward(previous.records, source.id)
            outcome.result.stale_records = len(outcome.records)
        outcomes.append(outcome)
        if progress:
            progress(outcome.result)
    records = merge_records([record for outcome in outcomes for record in outcome.records])
    changes = diff_programs(previous.records, records) if previous else []
    name = snapshot_name(now)
    manifest = Manifest(
        snapshot=name,
        created_at=now,
        tool_version=__version__,
        previous=previous.name if previous else None,
        sources=[outcome.result for outcome in outcomes],
        records_sha256=sha256_bytes(records_json(records).encode()),
        programs=len(records),
    )
    title = f"Changes {previous.name if previous else '(first snapshot)'} → {name}"
    reports = {
        "changes.json": changes_json(changes, old=manifest.previous, new=name),
        "report.md": changes_markdown(changes, title=title, sources=manifest.sources),
    }
    snapshot = store.write(manifest, records, reports)
    return RunOutcome(snapshot=snapshot, previous=previous, changes=changes)


def _run_source(
    source: PdfSource | HtmlSource, sources_dir: Path, store: SnapshotStore, previous: Snapshot | None, now: datetime
) -> SourceOutcome:
    result = SourceResult(id=source.id, kind=source.kind, location=source.location, status=SourceStatus.OK)
    try:
        if isinstance(source, PdfSource):
            records = _read_pdf_source(source, sources_dir, store, result, now)
        else:
            raise IngestError(f"{source.url}: website sources are not supported by this version")
        _check_count(source, records, previous)
    except IngestError as error:
        log.warning("%s: %s", source.id, error)
        result.status, result.error = SourceStatus.FAILED, str(error)
        result.error_kind = getattr(error, "kind", None) or _kind_of(error)
        return SourceOutcome(result=result)
    result.records = len(records)
    return SourceOutcome(result=result, records=records)


def _read_pdf_source(
    source: PdfSource, sources_dir: Path, store: SnapshotStore, result: SourceResult, now: datetime
) -> list[Program]:
    path = sources_dir / source.path
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(f"{path}: cannot be read ({error.strerror})") from None
    result.content_sha256 = store.put_raw(data)
    result.bytes, result.content_type, result.fetched_at = len(data), "application/pdf", now
    return extract_pdf(data, name=str(path), source_id=source.id, extracted_at=now)


def _check_count(source: PdfSource | HtmlSource, records: list[Program], previous: Snapshot | None) -> None:
    """Far fewer programs than expected is an extraction failure, never a mass removal."""
    if len(records) < source.min_records:
        raise EmptyExtractError(
            f"{source.location}: gave {len(records)} program(s), fewer than the {source.min_records} expected"
        )
    if previous is None:
        return
    before = sum(1 for r in previous.records if any(p.source == source.id and not p.stale for p in r.provenance))
    if before and len(records) < before * MIN_SHARE_OF_PREVIOUS:
        raise EmptyExtractError(
            f"{source.location}: gave {len(records)} program(s) where the previous snapshot had {before}; "
            "treated as an extraction failure"
        )


def carry_forward(previous: list[Program], source_id: str) -> list[Program]:
    """The parts of earlier records that came from a source that failed now, marked stale."""
    kept: list[Program] = []
    for record in previous:
        entries = [p for p in record.provenance if p.source == source_id]
        if not entries:
            continue
        stale = [
            p.model_copy(update={"stale": True, "last_verified": p.last_verified or p.extracted_at}) for p in entries
        ]
        kept.append(record.model_copy(update={"provenance": stale}, deep=True))
    return kept


def _kind_of(error: IngestError) -> str:
    return "layout-changed" if isinstance(error, EmptyExtractError) else "extract"
