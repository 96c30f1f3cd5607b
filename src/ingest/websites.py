"""Website sources: fetch each program's pages (and the call pages they link to), extract records.

Fetching is done by ingest.fetch (polite, conditional, size-capped); extraction by
ingest.extract.html. This module decides what to fetch and what a page's failure means: a page
that cannot be fetched, or whose layout no longer matches its extractor, keeps its last good
values (marked stale) and is reported; it never empties a record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from queue import SimpleQueue
from typing import TYPE_CHECKING, cast

from ingest.errors import ErrorKind, ExtractError, FetchError, IngestError
from ingest.fetch import Fetcher, FetchRequest, FetchResult, Validators
from ingest.isolation import POOL_MIN_PAGES, ExtractLimits, ExtractPool, extract_pdf_limited, run_limited
from ingest.models import Document, FetchedPage, Program, Provenance, SourceResult, SourceStatus
from ingest.snapshot import SnapshotStore
from ingest.sources import HtmlSource

if TYPE_CHECKING:
    from ingest.extract import HtmlExtraction
    from ingest.extract.guidelines import DocumentLink

log = logging.getLogger(__name__)


@dataclass
class Previous:
    """What the last snapshot knew about one source: its pages (for validators) and its records."""

    result: SourceResult | None = None
    records: list[Program] = field(default_factory=list)
    fingerprint: str | None = None  # of the extractor code that made `records`

    def page(self, url: str) -> FetchedPage | None:
        pages = self.result.pages if self.result else []
        return next((p for p in pages if p.url == url and p.content_sha256), None)

    def records_from(self, url: str) -> list[Program]:
        """The records a page gave last time (its provenance names the page's final URL if it moved)."""
        known = self.page(url)
        urls = {url, known.final_url} if known and known.final_url else {url}
        return [r for r in self.records if any(p.url in urls for p in r.provenance)]


@dataclass
class WebsiteRun:
    source: HtmlSource
    previous: Previous
    result: SourceResult
    limits: ExtractLimits  # for the PDFs its pages link to
    records: list[Program] = field(default_factory=list)
    fingerprint: str = ""  # of today's extractor code (hashing it is read once a run, not once a page)


def read_websites(
    sources: list[HtmlSource],
    previous: dict[str, Previous],
    fetcher: Fetcher,
    store: SnapshotStore,
    limits: ExtractLimits,
) -> Iterator[tuple[SourceResult, list[Program]]]:
    """Every website source read: its result for the manifest and the records it gave, each source
    as soon as all of its pages are done (in the order they finish).

    Pages are extracted while the next ones are fetched, in a pool of limited worker processes
    (`isolation.ExtractPool`) when `[extract] isolate` is on and enough pages need reading (see
    `_Pool`); in this process otherwise."""
    from ingest.extract import extractor_fingerprint

    fingerprint = extractor_fingerprint()
    runs = [
        WebsiteRun(
            source=s,
            previous=previous.get(s.id, Previous()),
            result=SourceResult(id=s.id, kind=s.kind, location=s.url, status=SourceStatus.OK),
            limits=limits,
            fingerprint=fingerprint,
        )
        for s in sources
    ]
    # Main pages with no stored records to reuse (a new source, or new extractor code): a run that
    # knows it reads this many starts its pool at once.
    unread = sum(1 for run in runs if not run.previous.records or run.previous.fingerprint != fingerprint)
    pool = _Pool(limits, expected=unread)
    try:
        waiting: list[WebsiteRun] = []  # main page read, its call pages still to fetch
        follow_ups: dict[str, list[str]] = {}
        mains = {run.source.id: [run.source.url] for run in runs}
        for run in _fetch_round(runs, mains, fetcher, store, pool, main=True):
            if run.result.status != SourceStatus.FAILED:
                # Once a run: finding the counterpart also tags the main page's records.
                follow_ups[run.source.id] = _follow_ups(run, store)
            if follow_ups.get(run.source.id) or (
                run.result.status != SourceStatus.FAILED and run.source.documents
            ):
                waiting.append(run)
            else:
                yield _finished(run)
        later: list[WebsiteRun] = []
        for run in _fetch_round(waiting, follow_ups, fetcher, store, pool, main=False):
            if run.source.documents:
                later.append(run)
            else:
                yield _finished(run)
        _fetch_documents(later, fetcher, store)
        for run in later:
            yield _finished(run)
    except BaseException:  # interrupted, or the caller stopped reading: the queued pages are dropped
        pool.close(cancel=True)
        raise
    pool.close()


def _finished(run: WebsiteRun) -> tuple[SourceResult, list[Program]]:
    run.result.records = len(run.records)
    if run.result.pages:
        first = run.result.pages[0]
        run.result.content_sha256, run.result.final_url = first.content_sha256, first.final_url
        run.result.redirects, run.result.content_type = first.redirects, first.content_type
        run.result.etag, run.result.last_modified = first.etag, first.last_modified
    return run.result, run.records


@dataclass
class _Job:
    """One page of a round: its run, its page entry, and what fetching and extraction gave."""

    run: WebsiteRun
    page: FetchedPage
    outcome: FetchResult | FetchError | None = None
    extraction: Future[HtmlExtraction] | None = None  # from the pool
    reused: list[Program] | None = None  # a 304's (or the same bytes') stored records, if any
    unrecorded: IngestError | None = None  # why the fetch could not be recorded (a 304 with no copy)


def _fetch_round(
    runs: list[WebsiteRun],
    urls: dict[str, list[str]],
    fetcher: Fetcher,
    store: SnapshotStore,
    pool: _Pool,
    *,
    main: bool,
) -> Iterator[WebsiteRun]:
    """Fetch one round of pages for all sources at once (the fetcher spaces requests per host), and
    yield each run once all of its pages of the round are fetched and extracted.

    A page is handed to the pool as soon as its bytes arrive; what a page means for its source
    (records, failures, problems) is settled in the order of the source's pages, as before."""
    jobs = [_Job(run, FetchedPage(url=url)) for run in runs for url in urls.get(run.source.id, [])]
    by_run: dict[int, list[_Job]] = {}
    for job in jobs:
        job.run.result.pages.append(job.page)
        by_run.setdefault(id(job.run), []).append(job)
    left = {key: len(run_jobs) for key, run_jobs in by_run.items()}
    yield from (run for run in runs if id(run) not in by_run)  # nothing to fetch this round
    extracted: SimpleQueue[_Job] = SimpleQueue()  # filled by the pool's thread as pages are extracted
    extracting = 0

    def page_done(job: _Job) -> Iterator[WebsiteRun]:
        left[id(job.run)] -= 1
        if left[id(job.run)] == 0:
            yield _settle(job.run, by_run[id(job.run)], store, main=main)

    for index, outcome in fetcher.fetch_each([_request(job.run, job.page.url) for job in jobs]):
        job = jobs[index]
        job.outcome = outcome
        job.extraction = _submit(pool, job, store)
        if job.extraction is None:
            yield from page_done(job)
        else:
            extracting += 1
            job.extraction.add_done_callback(lambda _, job=job: extracted.put(job))  # type: ignore[misc]
        while not extracted.empty():
            extracting -= 1
            yield from page_done(extracted.get())
    for _ in range(extracting):
        yield from page_done(extracted.get())


class _Pool:
    """Where a run's pages are read. A run expected to read at least POOL_MIN_PAGES pages (its first, or
    one after the extractor code changed) starts the pool at once, so that its workers start while the
    first pages are fetched and every page is read there. Otherwise pages are read in this process
    until POOL_MIN_PAGES of them needed reading (a day's few changed pages never pay for the pool's
    start-up), in the pool from then on. Always in this process with `isolate = false`."""

    def __init__(self, limits: ExtractLimits, *, expected: int = 0) -> None:
        self._limits, self._read = limits, 0
        self._pool: ExtractPool | None = None
        if limits.isolate and expected >= POOL_MIN_PAGES:
            self._pool = ExtractPool(limits)

    def for_next_page(self) -> ExtractPool | None:
        self._read += 1
        if self._pool is None and self._limits.isolate and self._read > POOL_MIN_PAGES:
            self._pool = ExtractPool(self._limits)
        return self._pool

    def close(self, *, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.close(cancel=cancel)


def _submit(pools: _Pool, job: _Job, store: SnapshotStore) -> Future[HtmlExtraction] | None:
    """Record a fetched page as it arrives (its entry, its bytes stored) and hand it to the pool; None
    when it needs no extraction there (a failure, a 304 whose stored records are reused, a PDF, which
    has a limited child of its own) or is read in this process when its source is settled (the run's
    first pages)."""
    fetched, run = job.outcome, job.run
    if not isinstance(fetched, FetchResult):
        return None
    try:
        _record_fetch(run, job.page, fetched, store)
    except IngestError as error:
        job.unrecorded = error  # the page fails with it when its source is settled
        return None
    job.reused = _unchanged_page_records(run, job.page, fetched)
    if job.reused is not None:
        return None
    from ingest.extract import is_pdf, read_html

    try:
        content = _content(job.page, fetched, store)
    except IngestError:
        return None  # fails the same way when settled
    if is_pdf(content) or (pool := pools.for_next_page()) is None:
        return None
    kwargs = {
        "url": fetched.final_url,
        "source_id": run.source.id,
        "content_type": job.page.content_type,
        "fetched_at": fetched.fetched_at,
    }
    return pool.submit(read_html, (content,), kwargs, what=fetched.final_url)


def _settle(run: WebsiteRun, jobs: list[_Job], store: SnapshotStore, *, main: bool) -> WebsiteRun:
    """The run's pages of the round, in order: records kept, or the failure and its carried-forward data."""
    for job in jobs:
        page, outcome = job.page, job.outcome
        try:
            if isinstance(outcome, FetchError):
                raise outcome
            assert outcome is not None  # every job was fetched before its run is settled
            if job.unrecorded is not None:
                raise job.unrecorded
            records = _extract_page(run, page, outcome, store, job.extraction, job.reused)
        except IngestError as error:
            page.error = str(error)
            page.error_kind = (
                error.kind if isinstance(error, FetchError | ExtractError) else ErrorKind.EXTRACT
            )
            log.info("%s: failed (%s), last good data kept", page.url, page.error_kind)
            _page_failed(run, page, main=main)
            continue
        run.records.extend(records)
    return run


def _request(run: WebsiteRun, url: str) -> FetchRequest:
    known = run.previous.page(url)
    validators = (
        Validators(known.etag, known.last_modified) if known and (known.etag or known.last_modified) else None
    )
    return FetchRequest(url=url, allowed_domains=run.source.allowed_domains, validators=validators)


def _extract_page(
    run: WebsiteRun,
    page: FetchedPage,
    fetched: FetchResult,
    store: SnapshotStore,
    extracted: Future[HtmlExtraction] | None,
    reused: list[Program] | None,
) -> list[Program]:
    """The records of a page recorded by `_submit`: reused, extracted in the pool, or read here."""
    if fetched.not_modified and run.result.status == SourceStatus.OK and page.url == run.source.url:
        run.result.status = SourceStatus.NOT_MODIFIED
    records = (
        reused
        if reused is not None
        else extract_page(
            run.source, page, _content(page, fetched, store), fetched.fetched_at, run.limits, extracted
        )
    )
    if not records:
        raise ExtractError(f"{page.url}: no program information found on the page")
    if page.missing:
        records = _keep_missing_fields(run, page, records)
    if page.final_url != page.url:
        run.result.problems.append(f"{page.url} moved to {page.final_url}")
    how = (
        f"unchanged ({'304' if fetched.not_modified else 'same bytes'}), stored records reused"
        if reused is not None
        else f"{page.extractor} extractor"
    )
    log.info("%s: %s, %d record(s)", page.url, how, len(records))
    return records


def _unchanged_page_records(run: WebsiteRun, page: FetchedPage, fetched: FetchResult) -> list[Program] | None:
    """On a 304, or a 200 with the very bytes (`page.content_sha256`, recorded by `_record_fetch`) and
    content type stored last time (a server without validators), the records the same extractor code
    made from those bytes last time: extraction is a function of them. None when the extractor changed
    since, or nothing is stored."""
    known = run.previous.page(page.url)
    before = run.previous.records_from(page.url)
    if known is None or not before or run.previous.fingerprint != run.fingerprint:
        return None
    if not fetched.not_modified and (
        fetched.content_type != known.content_type or page.content_sha256 != known.content_sha256
    ):
        return None
    if fetched.final_url != (known.final_url or known.url):
        return None  # the page moved: its new address must reach the records
    if any(p.stale for r in before for p in r.provenance if p.url == page.url):
        return None  # what is stored was itself carried forward: read the page again
    page.extractor, page.fell_back, page.missing = known.extractor, known.fell_back, list(known.missing)
    return [
        r.model_copy(
            update={
                "provenance": [
                    p.model_copy(update={"extracted_at": fetched.fetched_at}) if p.url == page.url else p
                    for p in r.provenance
                ]
            }
        )
        for r in before
    ]


def extract_page(
    source: HtmlSource,
    page: FetchedPage,
    content: bytes,
    fetched_at: datetime | None,
    limits: ExtractLimits,
    extracted: Future[HtmlExtraction] | None = None,
) -> list[Program]:
    """The records one fetched page gives for `source` (also used to replay extraction on stored bytes).

    Sets the page's extractor, fallback and missing-field facts. A page that moved adds its new
    address to the records' links, so the move shows up as a change to review. `extracted`: the
    page's extraction already under way in the pool."""
    from ingest.extract import is_pdf, read_html

    url = page.final_url or page.url
    if is_pdf(content):  # a call document linked from a page
        records = extract_pdf_limited(
            content, name=url, source_id=source.id, extracted_at=fetched_at, url=url, limits=limits
        )
        page.extractor = "pdf"
    else:
        extraction = (
            extracted.result()
            if extracted is not None
            else read_html(
                content, url=url, source_id=source.id, content_type=page.content_type, fetched_at=fetched_at
            )
        )
        records, page.extractor = extraction.programs, extraction.extractor
        page.fell_back, page.missing = extraction.fell_back, list(extraction.missing)
    records = _assign(source, page, records)
    if url != page.url:
        records = [r.model_copy(update={"links": [*r.links, url]}) for r in records]
    return records


def _content_type(run: WebsiteRun, url: str, fetched: FetchResult) -> str | None:
    """The content type of the bytes held for the page: a 304 seldom repeats it (RFC 9110 §15.4.5),
    and the stored bytes keep the one they came with (their charset decodes them)."""
    if fetched.not_modified and fetched.content_type is None:
        known = run.previous.page(url)
        return known.content_type if known is not None else None
    return fetched.content_type


def _content(page: FetchedPage, fetched: FetchResult, store: SnapshotStore) -> bytes:
    """The bytes of a recorded page: the body fetched, or on a 304 the stored copy (read, and checked
    against its hash, only when the page is read again)."""
    if fetched.content is not None:
        return fetched.content
    return store.read_raw(cast(str, page.content_sha256))  # `_record_fetch` found the copy


def _stored_copy(run: WebsiteRun, page: FetchedPage, store: SnapshotStore) -> str:
    """The hash of the copy a 304 refers to: the bytes stored when the page was last fetched."""
    known = run.previous.page(page.url)
    if known is None or known.content_sha256 is None:
        raise ExtractError(f"{page.url}: the server answered 304 but no earlier copy is stored")
    store.require_raw(known.content_sha256)
    return known.content_sha256


def _assign(source: HtmlSource, page: FetchedPage, records: list[Program]) -> list[Program]:
    """Keep the records about this source's programs; a page about one unnamed program is that program's.
    A source that names no programs (a watch list of arbitrary pages) keeps whatever its pages give."""
    if not source.programs:
        return records
    covered = set(source.programs)
    kept: list[Program] = []
    for record in records:
        if record.id not in covered and len(covered) == 1:
            from ingest.extract.catalogue import load_catalogue

            if record.id not in load_catalogue().known_ids():
                record = record.model_copy(update={"id": source.programs[0]})
        if record.id in covered:
            kept.append(record)
        else:  # a call page shared by several programs (CREST and PRESTO): each source takes its own
            log.debug("%s: skipping %s, which source %s does not cover", page.url, record.id, source.id)
    return kept


def _keep_missing_fields(run: WebsiteRun, page: FetchedPage, records: list[Program]) -> list[Program]:
    """A changed layout lost some fields: keep their previous values, marked stale, and say so."""
    run.result.status = SourceStatus.PARTIAL
    run.result.error_kind = ErrorKind.LAYOUT_CHANGED
    run.result.problems.append(
        f"{page.url}: layout changed, the {page.extractor} extractor no longer finds "
        f"{', '.join(page.missing)}; previous values kept"
    )
    before = {r.id: r for r in run.previous.records_from(page.url)}
    kept: list[Program] = []
    for record in records:
        old = before.get(record.id)
        restore = [
            f for f in page.missing if old is not None and f in Program.model_fields and getattr(old, f)
        ]
        if not old or not restore:
            kept.append(record)
            continue
        stale = _stale_provenance(old, page.url, restore)
        kept.append(
            record.model_copy(
                update={f: getattr(old, f) for f in restore} | {"provenance": [*record.provenance, *stale]}
            )
        )
    return kept


def _page_failed(run: WebsiteRun, page: FetchedPage, *, main: bool) -> None:
    """Carry the page's last good records forward, marked stale (all of them when the main page
    failed: its call pages are not even looked for then)."""
    before = run.previous.records if main else run.previous.records_from(page.url)
    stale = [r.model_copy(update={"provenance": _stale_provenance(r, page.url, None)}) for r in before]
    run.records.extend(stale)
    run.result.stale_records += len(stale)
    if main:
        run.result.status, run.result.error, run.result.error_kind = (
            SourceStatus.FAILED,
            page.error,
            page.error_kind,
        )
    else:
        run.result.status = SourceStatus.PARTIAL
        run.result.problems.append(f"{page.url}: {page.error}")


def _stale_provenance(record: Program, url: str, fields: list[str] | None) -> list[Provenance]:
    entries = [p for p in record.provenance if p.url == url] or record.provenance[:1]
    return [
        p.model_copy(
            update={
                "stale": True,
                "last_verified": p.last_verified or p.extracted_at,
                "fields": fields if fields is not None else p.fields,
            }
        )
        for p in entries
    ]


def _follow_ups(run: WebsiteRun, store: SnapshotStore) -> list[str]:
    """Call pages linked from the program page, found by the source's patterns, and the main page's
    counterpart in the other language (declared, or found by its language switch; ingest.languages):
    the main page's records are marked with their language and counterpart here."""
    links = [link for record in run.records for link in record.links]
    wanted: list[str] = []
    for rule in run.source.follow:
        pattern = re.compile(rule.pattern)
        matches = [link for link in dict.fromkeys(links) if pattern.search(link) and link != run.source.url]
        wanted.extend(matches[: rule.limit])
    main = run.result.pages[0] if run.result.pages else None
    if (run.source.counterpart or run.source.discover_counterpart) and main and main.content_sha256:
        from ingest import languages

        found = languages.find_counterpart(
            main,
            store.read_raw(main.content_sha256),
            declared=run.source.counterpart,
            language=run.source.language,
            discover=run.source.discover_counterpart,
        )
        if isinstance(found, str) or not languages.within(found.other_url, run.source.allowed_domains):
            problem = found if isinstance(found, str) else f"{found.other_url}: outside the allowed domains"
            run.result.problems.append(f"not paired with another language: {problem}")
        else:
            run.records = languages.tag(run.records, found)
            wanted.append(found.other_url)
    return list(dict.fromkeys(wanted))


# -- call guidelines ------------------------------------------------------------------------------

GUIDELINE_EXTRACTOR = "guideline"  # FetchedPage.extractor of a call guideline (not a page of records)


def _fetch_documents(runs: list[WebsiteRun], fetcher: Fetcher, store: SnapshotStore) -> None:
    """The call guidelines the sources' pages link to (`documents = true`), fetched like any page
    (politely, size-capped, conditionally) and attached to the records of the page that links them.
    A guideline that cannot be fetched or read keeps its last good entry, marked stale."""
    jobs: list[tuple[WebsiteRun, DocumentLink, str]] = []
    for run in runs:
        if run.result.status == SourceStatus.FAILED:
            continue
        fetched = {page.url for page in run.result.pages}
        for page_url, link in _document_links(run, store):
            if link.url not in fetched:
                fetched.add(link.url)
                jobs.append((run, link, page_url))
    requests = [_request(run, link.url) for run, link, _ in jobs]
    for (run, link, page_url), outcome in zip(jobs, fetcher.fetch_all(requests), strict=True):
        page = FetchedPage(url=link.url, extractor=GUIDELINE_EXTRACTOR)
        run.result.pages.append(page)
        try:
            if isinstance(outcome, FetchError):
                raise outcome
            document: Document | None = _read_document(run, page, outcome, store, link, page_url)
        except IngestError as error:
            page.error = str(error)
            page.error_kind = (
                error.kind if isinstance(error, FetchError | ExtractError) else ErrorKind.EXTRACT
            )
            log.info("%s: failed (%s), last good entry kept", page.url, page.error_kind)
            run.result.status = SourceStatus.PARTIAL
            run.result.problems.append(f"{page.url}: {page.error}")
            document = _previous_document(run, link.url)
        if document is not None:
            _attach(run, document, page_url)


def _document_links(run: WebsiteRun, store: SnapshotStore) -> list[tuple[str, DocumentLink]]:
    """(page URL, link) for every guideline linked from the source's web pages read this run."""
    from ingest.extract import is_pdf
    from ingest.extract.guidelines import document_links

    found: list[tuple[str, DocumentLink]] = []
    for page in list(run.result.pages):
        if page.error or page.content_sha256 is None or page.extractor in ("pdf", GUIDELINE_EXTRACTOR):
            continue
        content = store.read_raw(page.content_sha256)
        if is_pdf(content):
            continue
        url = page.final_url or page.url
        found.extend((url, link) for link in document_links(content, url=url, content_type=page.content_type))
    return found


def _record_fetch(run: WebsiteRun, page: FetchedPage, fetched: FetchResult, store: SnapshotStore) -> None:
    """What the fetch gave, on the page's entry (address, status, validators), and its bytes stored.
    A 304's bytes are already in the store: neither read nor hashed again."""
    sha256 = store.put_raw(fetched.content) if fetched.content is not None else _stored_copy(run, page, store)
    page.final_url, page.status, page.redirects = fetched.final_url, fetched.status, fetched.redirects
    page.content_type, page.etag, page.last_modified = (
        _content_type(run, page.url, fetched),
        fetched.etag,
        fetched.last_modified,
    )
    page.content_sha256 = sha256


def _read_document(
    run: WebsiteRun,
    page: FetchedPage,
    fetched: FetchResult,
    store: SnapshotStore,
    link: DocumentLink,
    page_url: str,
) -> Document:
    from ingest.extract import is_pdf
    from ingest.extract.guidelines import read_guideline

    _record_fetch(run, page, fetched, store)
    content = _content(page, fetched, store)
    if not is_pdf(content):
        raise ExtractError(f"{page.url}: the call guideline is not a PDF", ErrorKind.CONTENT_TYPE)
    reading = run_limited(read_guideline, (content,), {"name": page.url}, limits=run.limits, what=page.url)
    log.info("%s: call guideline, %d pages, read %s", page.url, reading.pages, reading.pages_read)
    return reading.document(link, linked_from=page_url, size=len(content), sha256=page.content_sha256)


def _previous_document(run: WebsiteRun, url: str) -> Document | None:
    known = next((d for r in run.previous.records for d in r.documents if d.url == url), None)
    return known.model_copy(update={"stale": True}) if known is not None else None


def _attach(run: WebsiteRun, document: Document, page_url: str) -> None:
    """The guideline joins the records the linking page gave (all the source's records when none)."""
    mine = [i for i, r in enumerate(run.records) if any(p.url == page_url for p in r.provenance)]
    for index in mine or range(len(run.records)):
        record = run.records[index]
        documents = [d for d in record.documents if d.url != document.url]
        run.records[index] = record.model_copy(update={"documents": [*documents, document]})
