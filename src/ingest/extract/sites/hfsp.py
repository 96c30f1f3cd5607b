"""HFSP (www.hfsp.org, Drupal): the Research Grants page, reused every cycle with new letter-of-intent
dates ('by 18 March 2025', no time of day)."""

from __future__ import annotations

import re

from ingest.extract.periods import call_period, find_moments
from ingest.extract.soup import (
    Draft,
    Page,
    SiteResult,
    contacts_in,
    document_title,
    page_links,
    page_title,
    section,
    visible_text,
)
from ingest.models import CallPeriod

_ROMAN_ITEM = re.compile(r"^\s*[ivx]+[.)]\s*", re.IGNORECASE)
# Words left between a deadline's name and its date: "… (1XXXXXX) by 18 March 2025", "…: 27 March 2025".
_LABEL_TAIL = re.compile(r"[\s:：,-]*(?:\bby|\bon|\buntil)?[\s:：,-]*$", re.IGNORECASE)


def funding_page(page: Page) -> SiteResult:
    """A funding page: its letter-of-intent deadlines, and what it says the grant types are.

    The reference document names AMED's HFSP page as the program website, so this page is a link of the
    record rather than its website.
    """
    heading = page_title(page)
    # "Research Grants" alone names no program: the site name in <title> does.
    title = f"{heading} — {document_title(page)}"
    calls = _deadlines(page)
    summary = _summary(page)
    missing = [name for name, found in (("calls", calls), ("summary", summary)) if not found]
    contacts = contacts_in(page.main)
    draft = Draft(
        title=title, summary=summary, links=[page.url, *page_links(page)], contacts=contacts, calls=calls
    )
    return SiteResult([draft], missing)


def _deadlines(page: Page) -> list[CallPeriod]:
    elements = section(page.main, r"^deadlines?$")
    if not elements:
        return []
    calls: list[CallPeriod] = []
    for line in visible_text(elements).split("\n"):
        item = _ROMAN_ITEM.sub("", line)
        moments = find_moments(item)
        if not moments:
            continue
        label = _LABEL_TAIL.sub("", item[: moments[0].span[0]]) or None
        calls.append(call_period(item, label=label))
    return calls


def _summary(page: Page) -> str:
    """The paragraphs introducing the program's distinguishing features (they name the grant types)."""
    elements = section(page.main, r"distinguishing features", stop_at_any_heading=True)
    paragraphs = [element for element in elements or [] if element.name == "p"]
    return visible_text(paragraphs).replace("\n", " ") if paragraphs else ""
