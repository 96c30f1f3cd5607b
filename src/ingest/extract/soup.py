"""The BeautifulSoup helpers every site extractor uses, and the page and draft they exchange.

A site extractor (ingest.extract.sites.*) reads one `Page` and returns a `SiteResult` of drafts:
what the page states about each program it describes, nothing more. The router (ingest.extract.html)
builds the page and turns drafts into records.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.element import CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

from ingest.extract.catalogue import load_catalogue
from ingest.extract.contacts import find_contacts
from ingest.extract.periods import parse_moment
from ingest.models import CallPeriod, CallStatus, Contact, DeclaredUpdate, Precision
from ingest.normalize import clean_text


@dataclass
class Page:
    """A parsed page as the site extractors see it."""

    url: str
    soup: BeautifulSoup
    main: Tag  # the main content, boilerplate removed
    agencies: list[str]

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


@dataclass
class Draft:
    """What a page states about one program. `title` is what identifies it (catalogue patterns)."""

    title: str
    name: str | None = None  # the program's name as printed, when the page prints it; else the catalogue's
    summary: str = ""
    website: str | None = None
    links: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    calls: list[CallPeriod] = field(default_factory=list)


@dataclass
class SiteResult:
    drafts: list[Draft]
    missing: list[str] = field(default_factory=list)  # Program fields the layout no longer gave


SiteExtractor = Callable[[Page], SiteResult]


def known_program_id(text: str, agencies: list[str]) -> str | None:
    """The catalogue id of the program `text` names, or None when it names no known program."""
    catalogue = load_catalogue()
    program_id = catalogue.identify(text, agencies)
    return program_id if program_id in catalogue.known_ids() else None


# -- reading the page -------------------------------------------------------------------------------

# Candidates for the main content, most specific first: the CSS selectors `main`, `[role=main]`,
# `#main`, `#main-content`, `#contents`, `#content`, `article`, matched by hand in one walk of the tree
# (soupsieve took a third of a page's extraction).
_MAIN_TAGS = {"main": 0, "article": 6}
_MAIN_IDS = {"main": 2, "main-content": 3, "contents": 4, "content": 5}
_MAIN_ROLE_RANK = 1
# Site chrome that can sit inside the main content too: `script, style, noscript, template, nav, aside,
# [role=navigation], [role=banner], [role=contentinfo], #header, #footer, footer, .breadcrumb, #pankuzu,
# .pankuzu, #topicpath, .skip, .skip-link, #localnav, #gNav, #gnav, #side, #sidebar`.
_CHROME_TAGS = frozenset({"script", "style", "noscript", "template", "nav", "aside", "footer"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo"})
_CHROME_IDS = frozenset(
    {"header", "footer", "pankuzu", "topicpath", "localnav", "gNav", "gnav", "side", "sidebar"}
)
_CHROME_CLASSES = frozenset({"breadcrumb", "pankuzu", "skip", "skip-link"})
_BLOCK_TAGS = frozenset(
    "address article aside blockquote caption dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6"
    " header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head"})
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction, CData)
_HEADING = re.compile(r"^h([1-6])$")
_SPACES = re.compile(r"\s+")


def main_content(soup: BeautifulSoup) -> Tag:
    """The element holding the page's own content, with navigation, header, footer and sidebars removed.

    The page's own element when it holds no such chrome (most pages: nothing is copied); otherwise a
    copy without it, so that the page's tree stays whole for the extractors that read all of it."""
    found = _main_element(soup)
    scope = found if found is not None else (soup.body or soup)
    # A <header> inside the main content may hold its title; directly in the body it is the site's.
    with_header = found is None
    if not any(_is_chrome(tag, with_header) for tag in _tags(scope)):
        return scope
    main = copy.copy(scope)
    for element in [tag for tag in _walk(main) if _is_chrome(tag, with_header)]:  # not remembered: it changes
        element.decompose()
    return main


def _main_element(soup: BeautifulSoup) -> Tag | None:
    """The first element matching the most specific of the main-content candidates."""
    best, best_rank = None, len(_MAIN_IDS) + len(_MAIN_TAGS) + 1
    # Walked lazily: a <main> near the top ends the walk.
    for tag in (node for node in soup.descendants if isinstance(node, Tag)):
        rank = _MAIN_TAGS.get(tag.name, best_rank)
        if tag.attrs:  # most elements have no attribute: only their name can rank them
            rank = min(
                rank,
                _MAIN_ROLE_RANK if tag.get("role") == "main" else best_rank,
                _MAIN_IDS.get(_text_attribute(tag, "id"), best_rank),
            )
        if rank < best_rank:
            best, best_rank = tag, rank
            if rank == 0:
                break
    return best


def _is_chrome(tag: Tag, with_header: bool) -> bool:
    if tag.name in _CHROME_TAGS or (with_header and tag.name == "header"):
        return True
    if not tag.attrs:
        return False
    classes = tag.get("class")
    return (
        _text_attribute(tag, "role") in _CHROME_ROLES
        or _text_attribute(tag, "id") in _CHROME_IDS
        or (
            classes is not None
            and not _CHROME_CLASSES.isdisjoint(classes if isinstance(classes, list) else [classes])
        )
    )


def _text_attribute(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return value if isinstance(value, str) else ""


# While one page is extracted (`reading_page`), the text of each element it asks for is laid out once,
# and the elements below it are listed once: the extractors, the contact and change-log readers and the
# unused-date scan all read the main content. Each entry keeps its element, so that its id is not reused.
_TEXTS: ContextVar[dict[int, tuple[Tag, str]] | None] = ContextVar("texts", default=None)
_DESCENDANTS: ContextVar[dict[int, tuple[Tag, list[Tag]]] | None] = ContextVar("descendants", default=None)
# Where each element's text pieces are among those of the element laid out around it (see visible_text).
_Span = tuple[Tag, list[str], int, int]
_SPANS: ContextVar[dict[int, _Span] | None] = ContextVar("spans", default=None)


@contextmanager
def reading_page() -> Iterator[None]:
    """Remember each element's visible text and elements until the block ends (the tree must not change
    in it)."""
    texts, descendants, spans = _TEXTS.set({}), _DESCENDANTS.set({}), _SPANS.set({})
    try:
        yield
    finally:
        _TEXTS.reset(texts)
        _DESCENDANTS.reset(descendants)
        _SPANS.reset(spans)


# Element names looked for, as sets: walking the tree once and testing names is several times cheaper
# than BeautifulSoup's find_all filters, and finds the same elements in the same (document) order.
_HEADINGS = frozenset(f"h{level}" for level in range(1, 7))
_ROW, _TERM, _ITEM, _ANCHOR = frozenset({"tr"}), frozenset({"dt"}), frozenset({"li"}), frozenset({"a"})
_CELLS = frozenset({"th", "td"})


def _tags(scope: Tag, names: frozenset[str] | None = None) -> list[Tag]:
    """The elements below scope (all, or those named in `names`), in document order: find_all(names).
    The list must not be changed (it is remembered while a page is read)."""
    remembered = _DESCENDANTS.get()
    if remembered is None:
        tags = _walk(scope)
    else:
        known = remembered.get(id(scope))
        if known is None or known[0] is not scope:
            known = remembered[id(scope)] = (scope, _walk(scope))
        tags = known[1]
    return tags if names is None else [tag for tag in tags if tag.name in names]


def anchors_in(scope: Tag) -> list[Tag]:
    """The <a> elements below scope, in document order: find_all("a"), from the page's one listing."""
    return _tags(scope, _ANCHOR)


def _walk(scope: Tag) -> list[Tag]:
    return [node for node in scope.descendants if isinstance(node, Tag)]


def _children(scope: Tag, names: frozenset[str]) -> list[Tag]:
    """find_all(names, recursive=False)."""
    return [node for node in scope.children if isinstance(node, Tag) and node.name in names]


def visible_text(node: Tag | Iterable[Tag]) -> str:
    """Text as a browser lays it out: block elements on lines of their own, inline ones run together,
    an image replaced by its alt text (AMED prints e-mail domains as images)."""
    texts = _TEXTS.get()
    if isinstance(node, list) and len(node) == 1:
        node = node[0]  # the same text as the element's own, which is remembered (contacts_in(page.main))
    if texts is None or not isinstance(node, Tag):
        return _visible_text(node)
    known = texts.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    spans = _SPANS.get()
    span = spans.get(id(node)) if spans is not None else None
    if span is not None and span[0] is node:
        # Laid out already, as part of an element around it: the same pieces, without walking again.
        _, parts, start, end = span
        text = clean_text("".join(parts[start:end]) + "\n")
    else:
        parts = []
        _collect_text(node, parts, spans)
        parts.append("\n")
        text = clean_text("".join(parts))
    texts[id(node)] = (node, text)  # the node is kept with its text, so its id is not reused meanwhile
    return text


def _visible_text(node: Tag | Iterable[Tag]) -> str:
    parts: list[str] = []
    for element in [node] if isinstance(node, Tag) else node:
        _collect_text(element, parts)
        parts.append("\n")
    return clean_text("".join(parts))


def _collect_text(node: Tag, parts: list[str], spans: dict[int, _Span] | None = None) -> None:
    """Append the text pieces of node's children to parts; with `spans`, note where each element's
    own pieces are (its visible text is those pieces alone)."""
    for child in node.children:
        if isinstance(child, _SKIPPED_STRINGS):
            continue
        if isinstance(child, NavigableString):
            parts.append(_collapse_spaces(str(child)) if len(child) <= 80 else _SPACES.sub(" ", child))
            continue
        if not isinstance(child, Tag) or child.name in _SKIPPED_TAGS:
            continue
        if child.name == "img":
            parts.append(str(child.get("alt") or ""))
        elif child.name == "br":
            parts.append("\n")
        elif child.name in _BLOCK_TAGS:
            parts.append("\n")
            _collect_child(child, parts, spans)
            parts.append("\n")
        else:
            _collect_child(child, parts, spans)


@lru_cache(maxsize=4096)  # the whitespace between elements and a site's labels recur on every page
def _collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text)


def _collect_child(child: Tag, parts: list[str], spans: dict[int, _Span] | None) -> None:
    start = len(parts)
    _collect_text(child, parts, spans)
    if spans is not None:
        spans[id(child)] = (child, parts, start, len(parts))


def text_without(node: Tag, selectors: str) -> str:
    """The node's text one line, with the elements matching `selectors` (badges, divisions) left out."""
    node = copy.copy(node)
    for element in node.select(selectors):
        element.decompose()
    return visible_text(node).replace("\n", " ")


def page_title(page: Page, drop: str = "") -> str:
    """The main heading (less the elements matching `drop`), else the document title before its '|'."""
    heading = page.main.find("h1")
    if isinstance(heading, Tag):
        text = text_without(heading, drop) if drop else visible_text(heading).replace("\n", " ")
        if text:
            return text
    title = page.soup.title.get_text() if page.soup.title else ""
    return clean_text(title.split("|")[0])


def document_title(page: Page) -> str:
    return clean_text(page.soup.title.get_text()) if page.soup.title else ""


def heading_level(tag: Tag) -> int | None:
    match = _HEADING.match(tag.name or "")
    return int(match.group(1)) if match else None


def find_heading(scope: Tag, pattern: str) -> Tag | None:
    """The first heading (h1-h6) in scope whose text matches `pattern` (case-insensitive)."""
    regex = re.compile(pattern, re.IGNORECASE)
    for heading in _tags(scope, _HEADINGS):
        if regex.search(visible_text(heading)):
            return heading
    return None


def section(scope: Tag, pattern: str, *, stop_at_any_heading: bool = False) -> list[Tag] | None:
    """The elements after the heading matching `pattern`, up to the next heading of the same or a
    higher level (any heading with `stop_at_any_heading`); None when there is no such heading."""
    heading = find_heading(scope, pattern)
    if heading is None:
        return None
    level = heading_level(heading) or 6
    elements: list[Tag] = []
    for sibling in heading.find_next_siblings():
        sibling_level = heading_level(sibling)
        if sibling_level is not None and (stop_at_any_heading or sibling_level <= level):
            break
        elements.append(sibling)
    return elements


def key_values(scope: Tag) -> list[tuple[str, Tag]]:
    """Two-column rows (th | td) and definition lists (dt | dd), as (key text, value element)."""
    pairs: list[tuple[str, Tag]] = []
    for row in _tags(scope, _ROW):
        cells = _children(row, _CELLS)
        if len(cells) == 2 and cells[0].name == "th" and cells[1].name == "td":
            pairs.append((visible_text(cells[0]).replace("\n", " "), cells[1]))
    for term in _tags(scope, _TERM):
        value = term.find_next_sibling("dd")
        if isinstance(value, Tag):
            pairs.append((visible_text(term).replace("\n", " "), value))
    return pairs


def value_for(pairs: Sequence[tuple[str, Tag]], pattern: str) -> Tag | None:
    """The value of the first key matching `pattern` (case-insensitive)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return next((value for key, value in pairs if regex.search(key)), None)


def table_grid(table: Tag) -> tuple[list[str], list[list[Tag]]]:
    """A table's header texts and its body rows (lists of cells)."""
    rows = _tags(table, _ROW)
    if not rows:
        return [], []
    header_cells = _tags(rows[0], _CELLS)
    has_header = all(cell.name == "th" for cell in header_cells)
    headers = [visible_text(cell).replace("\n", " ") for cell in header_cells] if has_header else []
    body = rows[1:] if has_header else rows
    return headers, [_tags(row, _CELLS) for row in body]


_SKIPPED_SCHEMES = ("mailto:", "javascript:", "tel:", "data:")


def page_links(page: Page, scope: Tag | Iterable[Tag] | None = None) -> list[str]:
    """Absolute, de-duplicated links in scope (default: the main content), without in-page anchors,
    mailto links, or a link to the page itself."""
    elements = [page.main] if scope is None else [scope] if isinstance(scope, Tag) else list(scope)
    here = urldefrag(page.url).url
    links: list[str] = []
    for element in elements:
        anchors = [element] if element.name == "a" else []
        for anchor in [*anchors, *(a for a in _tags(element, _ANCHOR) if a.get("href") is not None)]:
            href = str(anchor.get("href") or "").strip()
            if not href or href.startswith("#") or href.lower().startswith(_SKIPPED_SCHEMES):
                continue
            absolute = urldefrag(urljoin(page.url, href)).url
            if absolute != here:
                links.append(absolute)
    return unique(links)


def contacts_in(scope: Tag | Iterable[Tag]) -> list[Contact]:
    """The contacts in scope: its text read by `find_contacts`, plus mailto links whose address the
    text does not show."""
    elements = [scope] if isinstance(scope, Tag) else list(scope)
    contacts = find_contacts(visible_text(elements))
    known = {contact.email for contact in contacts}
    for element in elements:
        for anchor in _tags(element, _ANCHOR):
            href = anchor.get("href")
            if not isinstance(href, str) or not href[:7].lower() == "mailto:":
                continue
            address = href[len("mailto:") :].split("?")[0].strip().lower()
            if address and "@" in address and address not in known:
                contacts.append(Contact(email=address))
                known.add(address)
    return contacts


# "This call for proposals has been closed.", "Applications for the FY2025 are already closed.",
# "公募は終了しました", "公募を締め切りました"
_CLOSED_NOTICE = re.compile(
    r"\b(?:call for (?:proposals|applications)|applications?(?: for [^.\n]{0,40})?|this call|the call)"
    r"\s+(?:has|have|is|are|was|were)\s+(?:been\s+)?(?:already\s+)?closed"
    r"|(?:募集|公募|受付)(?:は|を)?(?:既に|すでに)?(?:終了(?:しました|いたしました)|締め?切(?:り|られ)?ました)",
    re.IGNORECASE,
)
# "The call for proposals has been opened.", "公募を開始しました", "申請受付を開始しました"
_OPENED_NOTICE = re.compile(
    r"\b(?:call for (?:proposals|applications)|this call|the call|applications?)\s+(?:has|have|is|are)\s+"
    r"(?:been\s+)?(?:opened|now open)|(?:募集|公募|受付)(?:を)?(?:開始|再開)(?:しました|いたしました)",
    re.IGNORECASE,
)


def says_closed(text: str) -> bool:
    """Whether the text announces that a call has closed."""
    return bool(_CLOSED_NOTICE.search(clean_text(text)))


def declared_closed(updates: Sequence[DeclaredUpdate]) -> bool:
    """Whether the page's own change log says the call closed (and no later entry reopened it)."""
    closing = [u.date for u in updates if says_closed(u.text)]
    opening = [u.date for u in updates if _OPENED_NOTICE.search(u.text) and not says_closed(u.text)]
    return bool(closing) and (not opening or max(closing) >= max(opening))


def mark_closed(calls: list[CallPeriod]) -> list[CallPeriod]:
    """The calls with status CLOSED: the page says so (their dates are kept)."""
    return [CallPeriod.model_validate(call.model_dump() | {"status": CallStatus.CLOSED}) for call in calls]


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- the page's own change log --------------------------------------------------------------------

# The heading of a change-log section: "更新履歴", "Update details", "Change log", "Updates".
_CHANGE_LOG_HEADING = (
    r"^\s*(?:更新履歴|更新情報|変更履歴|改訂履歴|update details|updates?|update history|change ?log"
    r"|revision history|history of (?:updates|changes))\s*$"
)
# A dated note in brackets, anywhere: "[Updated May 28, 2025] …", "【2025年5月28日更新】…",
# "(Last updated 13 May 2025)", "［令和8年4月15日修正］", "（最終更新日：2025年5月13日）".
_BRACKETED_NOTE = re.compile(
    r"[\[【(（［]\s*(?P<inner>[^\]】)）］\n]{0,60}?(?:updated|update|更新|修正|改訂)[^\]】)）］\n]{0,60})"
    r"[\]】)）］]",
    re.IGNORECASE,
)
# A dated line that says it is an update: "Last updated: May 13, 2025", "最終更新日：2025年5月13日".
_UPDATED_LINE = re.compile(
    r"^(?:last\s+updated|updated\s+on|最終更新日?|更新日)\s*[:：]?\s*\S", re.IGNORECASE
)
_ENTRY_GLUE = " :：　-–—・"
_BULLET = re.compile(r"^[・•●◆■□○◎※\-–*]\s*")


def declared_updates(page: Page) -> list[DeclaredUpdate]:
    """The dated entries of the page's own change log: the lines of a change-log section that start with
    a date (the date may be glued to the text, "令和7年3月24日e-Radによる…", or stand alone on its line with
    the text below, "May 13, 2025:"), and dated update notes in brackets or "Last updated" lines anywhere.
    Dates go through the one date parser; an entry without a full date (no year) is not guessed."""
    entries: list[DeclaredUpdate] = []
    for heading in _tags(page.main, _HEADINGS):
        if re.match(_CHANGE_LOG_HEADING, visible_text(heading), re.IGNORECASE):
            entries.extend(_log_entries(section_after(heading), page.url))
    for line in visible_text(page.main).split("\n"):
        for match in _BRACKETED_NOTE.finditer(line):
            moment = parse_moment(match["inner"])
            if moment is None:
                continue
            rest = (line[: match.start()] + " " + line[match.end() :]).strip(_ENTRY_GLUE)
            text = rest or match["inner"].replace(_date_text(match["inner"], moment.span), "").strip(
                _ENTRY_GLUE
            )
            entries.append(_entry(moment.value, text or match["inner"], page.url))
        if _UPDATED_LINE.match(line) and (moment := parse_moment(line)) is not None:
            entries.append(_entry(moment.value, line[: moment.span[0]].strip(_ENTRY_GLUE), page.url))
    unique_entries = {(e.date, e.text, e.url): e for e in entries if e.text}
    return sorted(unique_entries.values(), key=lambda e: (e.date, e.text), reverse=True)


def section_after(heading: Tag) -> list[Tag]:
    """The elements after `heading`, up to the next heading of the same or a higher level."""
    level = heading_level(heading) or 6
    elements: list[Tag] = []
    for sibling in heading.find_next_siblings():
        sibling_level = heading_level(sibling)
        if sibling_level is not None and sibling_level <= level:
            break
        elements.append(sibling)
    return elements


def _log_entries(elements: list[Tag], url: str) -> list[DeclaredUpdate]:
    """A change-log section's items (list items, dt/dd pairs, paragraphs) that start with a full date;
    an item's lines are one entry (the ASPIRE layout: the date, then its points in a nested list).
    Tables and undated paragraphs (a publication month, a link) are not entries."""
    items: list[str] = []
    for element in elements:
        if element.name in ("ul", "ol"):
            items.extend(visible_text(li) for li in _children(element, _ITEM))
        elif element.name == "dl":
            for term in _children(element, _TERM):
                value = term.find_next_sibling("dd")
                items.append(visible_text([term, value] if isinstance(value, Tag) else [term]))
        elif element.name in ("p", "div"):
            items.extend(visible_text(element).split("\n"))
    entries: list[DeclaredUpdate] = []
    for item in items:
        line = _BULLET.sub("", item.replace("\n", " ").strip())
        moment = parse_moment(line)
        if moment is None or moment.span[0] != 0 or moment.precision not in (Precision.DAY, Precision.MINUTE):
            continue
        entries.append(_entry(moment.value, line[moment.span[1] :].strip(_ENTRY_GLUE), url))
    return entries


def _date_text(text: str, span: tuple[int, int]) -> str:
    return text[span[0] : span[1]]


def _entry(day: date, text: str, url: str) -> DeclaredUpdate:
    value = day.date() if isinstance(day, datetime) else day
    return DeclaredUpdate(date=value, text=clean_text(text), url=url)
