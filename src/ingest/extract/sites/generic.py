"""Any other page: its title, the dated lines that name a call or deadline, e-mail addresses and links.

Used for hosts no site extractor knows, and for pages of a known site whose path no route matches.
It reads only lines that say what their date is for, so a page's publication date is not a deadline.
"""

from __future__ import annotations

import re

from bs4 import Tag

from ingest.extract.guidelines import GUIDELINE_LINK, REVISION_NOTE
from ingest.extract.periods import call_period, find_moments, parse_fiscal_year
from ingest.extract.soup import (
    Draft,
    Page,
    SiteResult,
    anchors_in,
    contacts_in,
    key_values,
    page_links,
    page_title,
    visible_text,
)
from ingest.models import CallPeriod

_CALL_CUE = re.compile(
    r"deadline|due\b|closes|closing|opens|call for|call period|application|submission|proposals?|"
    r"letters? of intent|schedule|締め?切|期限|募集|公募|応募|受付|期間",
    re.IGNORECASE,
)
# A part of each English cue, for lines in ASCII (where re.IGNORECASE is plain lower case): most lines
# name none and need no search.
_CALL_CUE_WORDS = (
    "deadline", "due", "clos", "opens", "call ", "application", "submission", "proposal", "letter", "schedule"
)  # fmt: skip
_OPENING_CUE = re.compile(r"\bopens?\b|\bstart|受付開始|募集開始|公募開始", re.IGNORECASE)
_CLOSING_CUE = re.compile(r"deadline|due\b|clos|締め?切|期限", re.IGNORECASE)
_LABELLED = re.compile(r"^(?P<label>[^:：]{2,80}?)\s*[:：]\s*(?P<value>.*\d.*)$")
_YEAR = re.compile(r"\b(20\d{2})\b")
# A link to a document (a guideline, a form): its text names the document, never a call.
_DOCUMENT_HREF = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|zip)(?:[?#].*)?$", re.IGNORECASE)


def extract(page: Page) -> SiteResult:
    """One record for the page, with whatever calls, contacts and links it shows."""
    title = page_title(page)
    # A th|td row ("Call period | April 10 – June 3") lays out on two lines; read it as "key: value".
    rows = "\n".join(
        f"{key}: {visible_text(value).replace(chr(10), ' ')}" for key, value in key_values(page.main)
    )
    calls = _calls(f"{rows}\n{visible_text(page.main)}", _context_year(title), _document_titles(page.main))
    draft = Draft(
        title=title,
        website=page.url,
        links=page_links(page),
        contacts=contacts_in(page.main),
        calls=calls,
    )
    return SiteResult([draft])


def _document_titles(scope: Tag) -> list[str]:
    """The texts of the links to documents ("公募要領［令和8年4月15日修正］", "Call Guidelines (updated May 8,
    2026)"), longest first: a line that is one of them (with its revision note) is not a call."""
    titles = set()
    for anchor in anchors_in(scope):
        href = anchor.get("href")
        if href is None:
            continue
        text = visible_text(anchor).replace("\n", " ").strip()
        if text and (_DOCUMENT_HREF.search(str(href).strip()) or GUIDELINE_LINK.search(text)):
            titles.add(text)
    return sorted(titles, key=len, reverse=True)


def _is_document_link(line: str, titles: list[str], year: int | None) -> bool:
    """The line holds a document link, and without the links' texts and revision notes no date is left."""
    rest = line
    for title in titles:
        rest = rest.replace(title, " ")
    return rest != line and not find_moments(REVISION_NOTE.sub(" ", rest), year=year)


def _calls(text: str, year: int | None, documents: list[str] | None = None) -> list[CallPeriod]:
    """Calls from dated lines that say what the date is for; an opening line ('Call opens: 1 July 2025')
    joins the deadline line that follows it. A document link's text (and its revision note) is not one."""
    calls: list[CallPeriod] = []
    opening: str | None = None
    for line in text.split("\n"):
        if _names_no_cue_word(line):
            continue
        if not _CALL_CUE.search(line) or not find_moments(line, year=year):
            continue
        if documents and _is_document_link(line, documents, year):
            continue
        labelled = _LABELLED.match(line)
        label, value = (labelled["label"], labelled["value"]) if labelled else (None, line)
        if label is not None and find_moments(label, year=year):
            label, value = None, line
        if _OPENING_CUE.search(label or line) and not _CLOSING_CUE.search(label or line):
            opening = value
            continue
        raw = f"{opening} – {value}" if opening else value
        calls.append(call_period(raw, label=label, year=year))
        opening = None
    if opening is not None:  # an opening date with no deadline after it
        call = call_period(opening, year=year)
        calls.append(
            call.model_copy(
                update={
                    "opens": call.closes,
                    "opens_precision": call.closes_precision,
                    "closes": None,
                    "closes_precision": None,
                }
            )
        )
    return calls


def _names_no_cue_word(line: str) -> bool:
    if not line.isascii():
        return False
    lowered = line.lower()
    return not any(word in lowered for word in _CALL_CUE_WORDS)


def _context_year(title: str) -> int | None:
    fiscal = parse_fiscal_year(title)
    if fiscal is not None:
        return fiscal
    match = _YEAR.search(title)
    return int(match.group(1)) if match else None
