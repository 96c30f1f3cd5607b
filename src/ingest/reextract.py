"""Replay extraction: today's extractors on the raw bytes a past snapshot was made from.

What differs from what that snapshot recorded is caused by the extractor, not by the source, and
is reported as such. CI runs this on every pull request that touches src/ingest/extract/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.diff import diff_programs
from ingest.errors import IngestError
from ingest.extract import is_pdf
from ingest.extract.guidelines import DocumentLink, document_links, read_guideline
from ingest.isolation import ExtractLimits, extract_pdf_limited, run_limited
from ingest.languages import Counterpart, tag
from ingest.merge import merge_records
from ingest.models import Change, Document, FetchedPage, Program, SourceResult, SourceStatus
from ingest.pipeline import previous_by_source
from ingest.snapshot import Snapshot, SnapshotStore
from ingest.sources import HtmlSource, load_sources
from ingest.websites import GUIDELINE_EXTRACTOR, extract_page

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
            fresh = _with_guidelines(store, result, fresh, recorded, declared.extract)
            fresh = _paired_as_recorded(fresh, recorded)
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
        if page.content_sha256 and page.extractor != GUIDELINE_EXTRACTOR:  # guidelines: _with_guidelines
            replayed = page.model_copy()  # extract_page notes extractor facts on the page it is given
            content = store.read_raw(page.content_sha256)
            records.extend(extract_page(website, replayed, content, result.fetched_at, limits))
    return records


def _with_guidelines(
    store: SnapshotStore,
    result: SourceResult,
    records: list[Program],
    recorded: list[Program],
    limits: ExtractLimits,
) -> list[Program]:
    """The call guidelines replayed too: their links found again on the stored pages, each guideline's
    stored bytes read again by the guideline extractor (in the limited child), and attached to the
    records of the page that links it, as a run does. A guideline the run could not fetch (stale, no
    bytes) keeps the entry that was recorded."""
    stored = {p.url: p for p in result.pages if p.extractor == GUIDELINE_EXTRACTOR}
    if not stored:
        return records
    known = {d.url: d for r in recorded for d in r.documents}
    for page in result.pages:
        if page.extractor == GUIDELINE_EXTRACTOR or page.content_sha256 is None:
            continue
        content = store.read_raw(page.content_sha256)
        if is_pdf(content):
            continue
        url = page.final_url or page.url
        for link in document_links(content, url=url, content_type=page.content_type):
            document = _document(store, stored.get(link.url), link, url, limits) or known.get(link.url)
            if document is not None:
                records = _attach(records, document, url)
    return records


def _document(
    store: SnapshotStore,
    page: FetchedPage | None,
    link: DocumentLink,
    linked_from: str,
    limits: ExtractLimits,
) -> Document | None:
    if page is None or page.content_sha256 is None:
        return None
    content = store.read_raw(page.content_sha256)
    if not is_pdf(content):
        return None
    reading = run_limited(read_guideline, (content,), {"name": page.url}, limits=limits, what=page.url)
    return reading.document(link, linked_from=linked_from, size=len(content), sha256=page.content_sha256)


def _attach(records: list[Program], document: Document, page_url: str) -> list[Program]:
    """As a run attaches it: to the records the linking page gave (all of them when none)."""
    mine = {i for i, r in enumerate(records) if any(p.url == page_url for p in r.provenance)}
    return [
        r.model_copy(update={"documents": [*(d for d in r.documents if d.url != document.url), document]})
        if not mine or i in mine
        else r
        for i, r in enumerate(records)
    ]


def _paired_as_recorded(records: list[Program], recorded: list[Program]) -> list[Program]:
    """A page paired with its other-language counterpart (the run marks it when it finds the counterpart,
    not the extractor) is marked the same way in the replay, so the pair merges as it did."""
    pairs = {
        p.url: Counterpart(url=p.url, language=p.language, other_url=p.counterpart)
        for r in recorded
        for p in r.provenance
        if p.url and p.language and p.counterpart
    }
    for pair in pairs.values():
        records = tag(records, pair)
    return records
