"""JSPS (www.jsps.go.jp) English fellowship pages: a schedule table per program and fiscal year, and a
CONTACT block in the sidebar, outside the main content."""

from __future__ import annotations

import re

from bs4 import Tag

from ingest.extract.periods import call_period
from ingest.extract.soup import (
    Draft,
    Page,
    SiteResult,
    contacts_in,
    find_heading,
    heading_level,
    mark_closed,
    page_links,
    page_title,
    says_closed,
    section,
    table_grid,
    visible_text,
)
from ingest.models import CallPeriod, Contact

_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")


def fellowships_page(page: Page) -> SiteResult:
    """The fellowship programs' page: one call per schedule row, labelled by program, fiscal year and row."""
    title = page_title(page)
    calls = [call for table in page.main.find_all("table") for call in _table_calls(table)]
    contacts = _sidebar_contacts(page)
    missing = [name for name, found in (("calls", calls), ("contacts", contacts)) if not found]
    draft = Draft(
        title=title, name=title, website=page.url, links=page_links(page), contacts=contacts, calls=calls
    )
    return SiteResult([draft], missing)


def _table_calls(table: Tag) -> list[CallPeriod]:
    """The calls of one schedule table. The Postdoctoral and Invitational tables order their columns
    differently, so the deadline column is found by its header."""
    headers, rows = table_grid(table)
    column = next(
        (i for i, header in enumerate(headers) if re.search(r"deadline", header, re.IGNORECASE)), None
    )
    if column is None:
        return []
    program, fiscal_year, notes = _context(table)
    calls: list[CallPeriod] = []
    for row in rows:
        if len(row) <= column:
            continue
        raw = visible_text(row[column]).replace("\n", " ")
        row_name = _row_name(row[0]) if column != 0 else ""
        label = ", ".join(part for part in (program, fiscal_year, row_name) if part)
        calls.append(call_period(raw, label=label))
    return mark_closed(calls) if says_closed(notes) else calls


def _context(table: Tag) -> tuple[str, str, str]:
    """The program heading (h2) and fiscal-year heading (h3) a table sits under, and the text between
    the fiscal-year heading and the table ('Applications for the FY2025 are already closed.')."""
    notes: list[str] = []
    program = fiscal_year = ""
    for sibling in table.find_previous_siblings():
        level = heading_level(sibling)
        if level is None:
            if not fiscal_year and not program:
                notes.append(visible_text(sibling))
            continue
        text = visible_text(sibling).replace("\n", " ")
        if level >= 3 and not fiscal_year and not program:
            fiscal_year = text
        elif level <= 2:
            program = text
            break
    return program, fiscal_year, "\n".join(notes)


def _row_name(cell: Tag) -> str:
    text = visible_text(cell).replace("\n", " ")
    return f"{text} recruitment" if _ORDINAL.match(text) else text


def _sidebar_contacts(page: Page) -> list[Contact]:
    """The CONTACT block (a sidebar, so outside the main content), else a contact section in the main."""
    heading = find_heading(page.soup, r"^contact$")
    if heading is not None and isinstance(heading.parent, Tag):
        contacts = contacts_in(heading.parent)
        if contacts:
            return contacts
    elements = section(page.main, r"^contact")
    return contacts_in(elements) if elements else []
