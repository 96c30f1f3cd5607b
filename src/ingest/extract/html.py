"""Program web pages → program records: pick the site extractor by URL, turn its drafts into records.

The site extractors (ingest.extract.sites.*) read one page family each and return drafts. This module
decodes and parses the page, picks the extractor from the URL's host and path (the generic one for a
page no route matches, and the result says it fell back), and turns drafts into validated `Program`
records (stable id, agencies, provenance).
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime
from enum import Enum
from urllib.parse import urlsplit

from ingest.errors import ErrorKind, ExtractError
from ingest.extract import HtmlExtraction
from ingest.extract.catalogue import load_catalogue
from ingest.extract.decode import decode_html
from ingest.extract.periods import find_moments
from ingest.extract.sites import ROUTES, Route, generic
from ingest.extract.soup import (
    Draft,
    Page,
    declared_closed,
    declared_updates,
    main_content,
    mark_closed,
    reading_page,
    unique,
    visible_text,
)
from ingest.extract.tree import parse_html
from ingest.models import CallPeriod, Program, Provenance, ProvenanceKind
from ingest.normalize import canonical_text, clean_text, sha256_bytes


def extract_html(
    content: bytes | str,
    *,
    url: str,
    source_id: str = "adhoc",
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> HtmlExtraction:
    """The program records on one page fetched from `url`.

    Bytes are decoded the way a browser would (HTTP charset, <meta charset>, detection). The site
    extractor is chosen by host and path; a page no site extractor knows is read by the generic one,
    and the result says it fell back. `missing` lists the fields a site extractor expected and could
    not find, which means the site's layout changed.
    """
    if isinstance(content, bytes):
        data = content
        text, _encoding = decode_html(content, content_type)
    else:
        data, text = content.encode("utf-8"), content
    _require_readable_html(text, url)
    with reading_page():
        return _extract(data, text, url=url, source_id=source_id, fetched_at=fetched_at)


def _extract(
    data: bytes, text: str, *, url: str, source_id: str, fetched_at: datetime | None
) -> HtmlExtraction:
    soup = parse_html(text)  # the tree BeautifulSoup(text, "lxml") builds, built faster
    agency = load_catalogue().agency_for_url(url)
    page = Page(url=url, soup=soup, main=main_content(soup), agencies=[agency] if agency else [])
    route = _route(url)
    if route is None:
        name, result, fell_back = "generic", generic.extract(page), True
    else:
        name, result, fell_back = route.name, route.extract(page), False
    provenance = Provenance(
        source=source_id,
        kind=ProvenanceKind.WEB_PAGE,
        url=url,
        content_sha256=sha256_bytes(data),
        extracted_at=fetched_at or datetime.now(UTC),
    )
    updates = declared_updates(page)
    if declared_closed(updates):  # the page's change log says the call closed, whatever the site family
        for draft in result.drafts:
            draft.calls = mark_closed(draft.calls)
    programs = [
        build_program(draft, page, provenance).model_copy(update={"declared_updates": updates})
        for draft in result.drafts
    ]
    unused = unused_dates(page, [call for program in programs for call in program.calls])
    for program in programs:
        program.provenance[0].unused_dates = unused
    return HtmlExtraction(
        programs=programs, extractor=name, fell_back=fell_back, missing=unique(result.missing)
    )


# A change-log entry ("令和7年3月24日…を延長しました。", "June 11, 2024: This call … has been closed",
# "(Last updated …)") dates the page's own edit, not a call: it is not an unused date.
_CHANGE_LOG = re.compile(
    r"(?:追加|更新|掲載|公開|延長|変更|削除|修正|掲示)(?:しました|いたしました|しています)|更新履歴|更新日|掲載日"
    r"|\b(?:last\s+updated|updated|update details|added|posted|published|uploaded|has been closed)\b",
    re.IGNORECASE,
)


# A full date has a year: four digits, or an era year (令和7年, R7., 令和八年).
_MAY_HOLD_YEAR = re.compile(r"\d{4}|年|[RHrh]\s?\d{1,2}[./]")


def unused_dates(page: Page, calls: list[CallPeriod]) -> list[str]:
    """The lines of the page's main text that hold a full date no call was read from: a reviewer sees
    when an extractor is blind to something (a new call, a moved deadline in a table it ignores)."""
    used = [canonical_text(text) for call in calls for text in (call.raw, call.label or "") if text]
    found: list[str] = []
    for line in visible_text(page.main).splitlines():
        # Cheap tests first (no year at all, a call's own text, a change-log entry); the date parser last.
        if not _MAY_HOLD_YEAR.search(line) or _CHANGE_LOG.search(line):
            continue
        key = canonical_text(line)
        if not any(key in text or text in key for text in used) and find_moments(line):
            found.append(line)
    return unique(found)


def _route(url: str) -> Route | None:
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path or "/"
    return next((route for route in ROUTES if route.matches(host, path)), None)


# Random or binary bytes decode to something in some legacy code page; what gives them away is how
# many characters are controls or replacements, and that no HTML element is found.
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_HTML_ELEMENT = re.compile(r"<\s*(?:html|head|body|title|main|div|p|table|section|article|h[1-6])\b", re.I)
MAX_UNREADABLE_SHARE = 0.02


def _require_readable_html(text: str, url: str) -> None:
    """An answer that is not HTML text fails the page (its last good data is kept): read as HTML it
    would give a record of nothing and lose the page's fields and links."""
    unreadable = len(_UNREADABLE.findall(text))
    if unreadable > max(16, MAX_UNREADABLE_SHARE * len(text)):
        raise ExtractError(
            f"{url}: the answer is not readable text ({unreadable} of {len(text)} characters are control "
            "or undecodable bytes)",
            ErrorKind.GARBAGE,
        )
    if _HTML_ELEMENT.search(text) is None:
        raise ExtractError(f"{url}: the answer holds no HTML document", ErrorKind.GARBAGE)


def build_program(draft: Draft, page: Page, provenance: Provenance) -> Program:
    """A validated record from a draft: id from the catalogue, the page's agency, provenance."""
    catalogue = load_catalogue()
    title = clean_text(draft.title).replace("\n", " ")
    program_id = catalogue.identify(title, page.agencies)
    known = next((p.name for p in catalogue.programs if p.id == program_id), None)
    program = Program(
        id=program_id,
        name=draft.name or known or title,
        agencies=page.agencies,
        summary=draft.summary,
        website=draft.website,
        links=unique(draft.links),
        contacts=draft.contacts,
        calls=draft.calls,
        provenance=[_own_copy(provenance)],
    )
    data = program.model_dump(exclude={"id", "provenance"})
    program.provenance[0].fields = sorted(key for key, value in data.items() if value not in (None, "", []))
    return program


_IMMUTABLE = (str, int, float, Enum, datetime, date, type(None))  # bool is an int


def _own_copy(provenance: Provenance) -> Provenance:
    """A copy whose mutable values (its lists) are the record's own: a deep copy of the whole model
    (immutable strings, dates, enums) cost 4% of a page's extraction."""
    own = {name: copy.deepcopy(value) for name, value in provenance if not isinstance(value, _IMMUTABLE)}
    return provenance.model_copy(update=own)
