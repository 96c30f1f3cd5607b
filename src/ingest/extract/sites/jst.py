"""JST (www.jst.go.jp): program pages describe CREST, PRESTO and ASPIRE without dates; the yearly call
pages (/kisoken/boshuu/r7/..., /aspire/en/program_e/announce_e/...) hold the schedule."""

from __future__ import annotations

import re

from ingest.extract.periods import call_period, parse_fiscal_year
from ingest.extract.soup import (
    Draft,
    Page,
    SiteResult,
    contacts_in,
    key_values,
    known_program_id,
    mark_closed,
    page_links,
    page_title,
    says_closed,
    section,
    value_for,
    visible_text,
)
from ingest.models import CallPeriod, Contact

_FISCAL_SEGMENT = re.compile(r"/boshuu/(?P<era>[hr])(?P<year>\d{1,2})/")
_ERA_YEAR_ZERO = {"h": 1988, "r": 2018}  # Heisei 1 = 1989, Reiwa 1 = 2019
# "2025年4月10日（木）～6月3日（火）正午：CREST": a period, then the programs it is for.
_JA_PERIOD_LINE = re.compile(r"^(?P<period>.*\d.*?)\s*[:：]\s*(?P<programs>[^:：\d]+)$")
_ASPIRE_CALL = re.compile(r"\bFY\s?(?P<year>\d{4})\s+(?P<call>call for [^(]+?)\s*(?:\(|$)", re.IGNORECASE)


def program_page(page: Page) -> SiteResult:
    """A program's English top page: its name, contacts and links (the call pages among them)."""
    title = page_title(page)
    contacts, missing = _contacts(page)
    draft = Draft(title=title, name=title, website=page.url, links=page_links(page), contacts=contacts)
    return SiteResult([draft], missing)


def call_page_en(page: Page) -> SiteResult:
    """The English yearly call page: one schedule table, one deadline row per program."""
    year = fiscal_year(page)
    label = f"{year} call for proposals" if year else "call for proposals"
    pairs = key_values(page.main)
    start = value_for(pairs, r"\bstart\b")
    calls: dict[str, tuple[str, CallPeriod]] = {}
    for key, value in pairs:
        if not re.search(r"deadline", key, re.IGNORECASE):
            continue
        program_id = known_program_id(key, page.agencies)
        if program_id is None or program_id in calls:
            continue
        ends = [visible_text(cell).replace("\n", " ") for cell in (start, value) if cell is not None]
        calls[program_id] = (key, call_period(" – ".join(ends), label=label, year=year))
    return _call_drafts(page, {pid: (title, [call]) for pid, (title, call) in calls.items()})


def call_page_ja(page: Page) -> SiteResult:
    """The Japanese yearly call page: '2025年4月10日（木）～6月3日（火）正午：CREST' lines."""
    year = fiscal_year(page)
    label = f"{year} call for proposals" if year else "call for proposals"
    calls: dict[str, tuple[str, list[CallPeriod]]] = {}
    for line in visible_text(page.main).split("\n"):
        match = _JA_PERIOD_LINE.match(line)
        if match is None:
            continue
        call = call_period(match["period"], label=label, year=year)
        if call.opens is None and call.closes is None:
            continue
        for name in re.split(r"[・、,]", match["programs"]):
            program_id = known_program_id(name.strip(), page.agencies)
            if program_id is not None and program_id not in calls:
                calls[program_id] = (name.strip(), [call])
    return _call_drafts(page, calls)


def aspire_call_page(page: Page) -> SiteResult:
    """An ASPIRE call page: the period row of its schedule, closed when an update says so."""
    title = page_title(page)
    named = _ASPIRE_CALL.search(title)
    label = f"{named['year']} {named['call']}" if named else "call for proposals"
    period = value_for(key_values(page.main), r"call for proposals period|application period|deadline")
    calls = [call_period(visible_text(period).replace("\n", " "), label=label)] if period is not None else []
    return _call_drafts(page, {known_program_id(title, page.agencies) or title: (title, calls)})


def fiscal_year(page: Page) -> int | None:
    """The fiscal year of a call page: from its URL ('r7' = Reiwa 7 = 2025), else from its title."""
    match = _FISCAL_SEGMENT.search(page.path)
    if match:
        return _ERA_YEAR_ZERO[match["era"]] + int(match["year"])
    return parse_fiscal_year(page_title(page))


def _call_drafts(page: Page, calls: dict[str, tuple[str, list[CallPeriod]]]) -> SiteResult:
    """One draft per program named on a call page, sharing the page's contacts and links."""
    contacts, missing = _contacts(page)
    closed = says_closed(visible_text(page.main))
    links = [page.url, *page_links(page)]
    drafts = [
        Draft(title=title, links=links, contacts=contacts, calls=mark_closed(found) if closed else found)
        for title, found in calls.values()
    ]
    if not any(draft.calls for draft in drafts):
        missing.append("calls")
    if not drafts:  # still one record for the page: what it is about, its contacts and links
        drafts = [Draft(title=page_title(page), links=links, contacts=contacts)]
    return SiteResult(drafts, missing)


def _contacts(page: Page) -> tuple[list[Contact], list[str]]:
    elements = section(page.main, r"^(?:contact|お問い?合わ?せ)")
    contacts = contacts_in(elements) if elements is not None else []
    return contacts, [] if contacts else ["contacts"]
