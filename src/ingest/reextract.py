"""Replay extraction: today's extractors on the raw bytes a past snapshot was made from.

What differs from what that snapshot recorded is caused by the extractor, not by the source, and
is reported as such. CI runs this on every pull request that touches src/ingest/extract/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.diff import diff_programs
from ingest.errors import IngestError
from ingest.isolation import ExtractLimits, extract_pdf_limited
from ingest.merge import merge_records
from ingest.models import Change, Program, SourceResult, SourceStatus
from ingest.pipeline import previous_by_source
from ingest.snapshot import Snapshot, SnapshotStore
from ingest.sources import HtmlSource, load_sources
from ingest.websites import extract_page

EXTRACTOR_INDUCED = "extractor-induced: re-extracted from the bytes stored with snapshot {name}"


@dataclass
class Replay:
    snapshot: str
    changes: list[Change]
    skipped: list[str]  # sources that could not be replayed, with the reason


def replay(store: SnapshotStore, snapshot: Snapshot, sources_dir: Path) -> Replay:
    """Re-extract every source of `snapshot` that was read fine, and diff against its stored records."""
    declared = load_sources(sources_dir)
    websites = {s.id: s for s in declared.source if isinstance(s, HtmlSource)}
    stored = previous_by_source(store, snapshot)
    changes: list[Change] = []
    skipped: list[str] = []
    for result in snapshot.manifest.sources:
        if result.status == SourceStatus.FAILED:
            continue
        recorded = [r for r in stored[result.id].records if any(not p.stale for p in r.provenance)]
        try:
            fresh = _reextract(store, result, websites.get(result.id), declared.extract)
        except IngestError as error:
            skipped.append(f"{result.id}: {error}")
            continue
        detail = EXTRACTOR_INDUCED.format(name=snapshot.name)
        for change in diff_programs(merge_records(recorded), merge_records(fresh)):
            changes.append(change.model_copy(update={"detail": f"{detail} ({result.id})"}))
    return Replay(snapshot=snapshot.name, changes=changes, skipped=skipped)


def _reextract(
    store: SnapshotStore, result: SourceResult, website: HtmlSource | None, limits: ExtractLimits
) -> list[Program]:
    if result.kind == "pdf":
        if result.content_sha256 is None:
            raise IngestError("no stored bytes")
        data = store.read_raw(result.content_sha256)
        return extract_pdf_limited(
            data, name=result.location, source_id=result.id, extracted_at=result.fetched_at, limits=limits
        )
    if website is None:
        raise IngestError("no longer declared in sources.toml")
    records: list[Program] = []
    for page in result.pages:
        if page.content_sha256 and page.extractor != "guideline":  # guidelines are not replayed
            replayed = page.model_copy()  # extract_page notes extractor facts on the page it is given
            content = store.read_raw(page.content_sha256)
            records.extend(extract_page(website, replayed, content, result.fetched_at, limits))
    return records
