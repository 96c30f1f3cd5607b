"""Call guidelines (公募要領, 募集要項, "Application Guidelines"): the links to them on a call page, and
what a reviewer needs from the PDF itself. Pure: no network, no files.

A guideline runs to 50–150 pages, so only the pages that matter are read: the cover, the table of
contents (among the first pages), and the pages it points to for the schedule, the eligibility
chapter and the contact. A printed page number ("…… 12") is checked against the pages around it,
since the cover and the contents are often not numbered; evidence is the PDF page (1-based).
Dates go through the one date parser (`periods`), contacts through the one contact parser.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from ingest.errors import ExtractError
from ingest.extract.contacts import find_contacts
from ingest.extract.decode import decode_html
from ingest.extract.periods import call_period, parse_fiscal_year
from ingest.extract.tree import parse_html
from ingest.models import CallPeriod, Contact, Document
from ingest.normalize import clean_text

# The link texts a call guideline is published under.
GUIDELINE_LINK = re.compile(
    r"公募要領|募集要項|応募要領|募集要領|申請要領|"
    r"\b(?:application|call|submission)\s+guidelines?\b|\bguidelines?\s+for\s+(?:applicants|application)",
    re.I,
)
# The revision note printed beside a link: ［令和8年4月15日修正］, (updated May 8, 2026), 【5月8日更新】.
REVISION_NOTE = re.compile(
    r"[［\[【(（][^］\]】)）]{0,60}?(?:修正|更新|改訂|改定|差替|差し替え|updated|revised|amended)"
    r"[^］\]】)）]{0,60}[］\]】)）]",
    re.I,
)
MAX_DOCUMENT_LINKS = 5  # per page: a call page lists its guideline, rarely more than a few editions


@dataclass(frozen=True)
class DocumentLink:
    """A guideline linked from a page: its absolute URL, the link text and the revision note beside it."""

    url: str
    title: str
    revision: str | None


def document_links(content: bytes, *, url: str, content_type: str | None = None) -> list[DocumentLink]:
    """The call guidelines a page links to: PDF links whose text names a guideline, in page order."""
    text, _encoding = decode_html(content, content_type)
    soup = parse_html(text)
    found: dict[str, DocumentLink] = {}
    for anchor in soup.find_all("a", href=True):
        href = str(anchor["href"]).strip()
        absolute = urljoin(url, href)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not parts.path.lower().endswith(".pdf"):
            continue
        title = clean_text(anchor.get_text(" ")).replace("\n", " ")
        if not GUIDELINE_LINK.search(title) or absolute in found:
            continue
        found[absolute] = DocumentLink(url=absolute, title=title, revision=_revision_note(anchor, title))
    return list(found.values())[:MAX_DOCUMENT_LINKS]


def _revision_note(anchor: Tag, title: str) -> str | None:
    """The note in the link text, or printed after it in the same item (up to the next link)."""
    inside = REVISION_NOTE.search(title)
    if inside:
        return clean_text(inside.group(0))
    after: list[str] = []
    for sibling in anchor.next_siblings:
        if isinstance(sibling, Tag) and (sibling.name == "a" or sibling.find("a")):
            break
        after.append(sibling.get_text(" ") if isinstance(sibling, Tag) else str(sibling))
    match = REVISION_NOTE.search(clean_text(" ".join(after)))
    return clean_text(match.group(0)) if match else None


# -- the PDF ----------------------------------------------------------------------------------------

_CONTENTS = re.compile(r"目\s*次|\bcontents\b|\btable of contents\b", re.I)
_TOC_ENTRY = re.compile(r"^(?P<title>.*?\S)\s*(?:[.・…‥·_\-]{2,}\s*|\s+)(?P<page>\d{1,3})$")
_SCHEDULE = re.compile(
    r"スケジュール|日程|募集期間|公募期間|応募期間|受付期間|"
    r"\bschedule\b|\btimeline\b|\bkey dates\b|\bcall period\b",
    re.I,
)
_ELIGIBILITY = re.compile(
    r"応募要件|応募資格|申請資格|応募者の要件|申請者の要件|\beligibility\b|\bwho (?:may|can) apply\b", re.I
)
_CONTACT = re.compile(r"問い?合わ?せ|連絡先|\bcontacts?\b|\binquiries\b|\benquiries\b", re.I)
# A schedule line that states the call's own period or deadline (not a selection or an interview).
_CALL_LINE = re.compile(
    r"公募期間|募集期間|応募期間|受付期間|提出期限|応募締切|申請締切|締め?切り?|受付締切|"
    r"\bcall period\b|\bapplication period\b|\bsubmission period\b|"
    r"\bdeadline\b|\bdue date\b|\bclosing date\b",
    re.I,
)
TOC_PAGES = 4  # the contents are among the first pages
_NEARBY = 3  # printed page numbers may be off by the unnumbered cover and contents pages


@dataclass
class GuidelineReading:
    """What a call guideline says, with the PDF pages (1-based) each part was read from."""

    pages: int
    calls: list[CallPeriod] = field(default_factory=list)
    eligibility: str = ""
    contacts: list[Contact] = field(default_factory=list)
    evidence: dict[str, list[int]] = field(default_factory=dict)
    pages_read: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def document(self, link: DocumentLink, *, linked_from: str, size: int, sha256: str) -> Document:
        """The child document of a program: the guideline as linked, and what it says."""
        return Document(
            title=link.title,
            url=link.url,
            linked_from=linked_from,
            size=size,
            sha256=sha256,
            revision=link.revision,
            pages=self.pages,
            calls=self.calls,
            eligibility=self.eligibility,
            contacts=self.contacts,
            evidence=self.evidence,
            warnings=self.warnings,
        )


class _Pages:
    """The document's pages, text extracted on first use only (and each page's layout freed after)."""

    def __init__(self, pdf: object, count: int) -> None:
        self._pdf = pdf
        self.count = count
        self._text: dict[int, list[str]] = {}

    def lines(self, number: int) -> list[str]:
        if number not in self._text:
            page = self._pdf.pages[number - 1]  # type: ignore[attr-defined]
            text = page.extract_text() or ""
            page.close()
            self._text[number] = [line for line in (clean_text(t) for t in text.splitlines()) if line]
        return self._text[number]

    @property
    def read(self) -> list[int]:
        return sorted(self._text)


def read_guideline(data: bytes, *, name: str) -> GuidelineReading:
    """The call period, eligibility headline and contact of a call guideline PDF."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as error:
        raise ExtractError(f"{name}: not a readable PDF ({error})") from None
    with pdf:
        pages = _Pages(pdf, len(pdf.pages))
        reading = GuidelineReading(pages=pages.count)
        if pages.count == 0:
            reading.warnings.append("the PDF has no pages")
            return reading
        chapters = _chapters(pages)
        _read_calls(pages, chapters.get("schedule", []), reading)
        _read_eligibility(pages, chapters.get("eligibility", []), reading)
        _read_contacts(pages, chapters.get("contact", []), reading)
        reading.pages_read = pages.read
    return reading


def _chapters(pages: _Pages) -> dict[str, list[int]]:
    """Chapter → the PDF pages it starts on, from the table of contents (located, not trusted blindly)."""
    chapters: dict[str, list[int]] = {}
    for number in range(1, min(TOC_PAGES, pages.count) + 1):
        lines = pages.lines(number)
        if not any(_CONTENTS.fullmatch(line.strip()) or _CONTENTS.match(line) for line in lines[:5]):
            continue
        for line in lines:
            entry = _TOC_ENTRY.match(line)
            if entry is None:
                continue
            title, printed = entry["title"].strip(" .・…‥"), int(entry["page"])
            for chapter, pattern in (
                ("schedule", _SCHEDULE),
                ("eligibility", _ELIGIBILITY),
                ("contact", _CONTACT),
            ):
                if pattern.search(title) and chapter not in chapters:
                    located = _locate(pages, title, printed, toc_page=number)
                    if located is not None:
                        chapters[chapter] = [located]
        break
    return chapters


def _locate(pages: _Pages, title: str, printed: int, *, toc_page: int) -> int | None:
    """The PDF page near printed page `printed` that starts the chapter `title`."""
    key = _heading_key(title)
    candidates = sorted(
        (n for n in range(printed - _NEARBY, printed + _NEARBY + 1) if toc_page < n <= pages.count),
        key=lambda n: (abs(n - printed), n),
    )
    for number in candidates:
        if any(key and key in _heading_key(line) for line in pages.lines(number)):
            return number
    return None


def _heading_key(text: str) -> str:
    """A heading without its numbering and spacing: '第2章 応募要件' and '2. 応募要件' meet."""
    text = re.sub(r"^(?:第\s*\d+\s*[章節]|[IVX]+\.|\d+(?:\.\d+)*\.?|[（(]\d+[)）])\s*", "", text.strip())
    return re.sub(r"\s+", "", text).lower()[:24]


def _read_calls(pages: _Pages, schedule: list[int], reading: GuidelineReading) -> None:
    """The call period from the schedule pages, else the cover; a cover that says otherwise is a warning."""
    year = parse_fiscal_year(" ".join(pages.lines(1)[:8]))
    found: list[tuple[int, CallPeriod]] = []
    unread: list[str] = []  # further deadlines on the same page (a second round): said, not guessed
    for number in dict.fromkeys([*schedule, *[n + 1 for n in schedule if n < pages.count], 1]):
        on_page = [call_period(line, year=year) for line in pages.lines(number) if _CALL_LINE.search(line)]
        dated = [call for call in on_page if call.closes is not None]
        if dated:
            found.append((number, dated[0]))
            unread += [f"page {number}: {c.raw}" for c in dated[1:] if c.closes != dated[0].closes]
    if not found:
        reading.warnings.append("no call period or deadline found on the cover or the schedule pages")
        return
    page, call = found[0]
    others = [(n, c) for n, c in found[1:] if c.closes != call.closes]
    if others:
        call = call.model_copy(
            update={
                "warnings": [
                    *call.warnings,
                    *(f"page {n} gives another deadline: {c.raw}" for n, c in others),
                ]
            }
        )
    if unread:
        call = call.model_copy(
            update={
                "warnings": [
                    *call.warnings,
                    *(f"another deadline not read as this call's: {u}" for u in unread),
                ]
            }
        )
    reading.calls = [call]
    reading.evidence["calls"] = sorted({page, *(n for n, _ in others)})


def _read_eligibility(pages: _Pages, chapter: list[int], reading: GuidelineReading) -> None:
    """The eligibility chapter's heading and its first line of text."""
    for number in chapter:
        lines = pages.lines(number)
        for index, line in enumerate(lines):
            if _ELIGIBILITY.search(line):
                body = next((text for text in lines[index + 1 :] if not _ELIGIBILITY.search(text)), "")
                reading.eligibility = f"{line} {body}".strip()
                reading.evidence["eligibility"] = [number]
                return
    reading.warnings.append("no eligibility chapter found in the table of contents")


def _read_contacts(pages: _Pages, chapter: list[int], reading: GuidelineReading) -> None:
    """The contact chapter's addresses, else those on the last page (where guidelines print them)."""
    for number in [*chapter, pages.count]:
        contacts = find_contacts("\n".join(pages.lines(number)))
        if contacts:
            reading.contacts = contacts
            reading.evidence["contacts"] = [number]
            return
