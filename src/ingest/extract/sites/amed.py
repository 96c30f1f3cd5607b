"""AMED (www.amed.go.jp): English program pages (/en/program/list/), English call news pages
(/en/news/program/) and Japanese call pages (/koubo/), each built around a key/value table."""

from __future__ import annotations

import re

from bs4 import Tag

from ingest.extract.periods import call_period, find_moments, parse_fiscal_year
from ingest.extract.soup import (
    Draft,
    Page,
    SiteResult,
    contacts_in,
    key_values,
    mark_closed,
    page_links,
    page_title,
    says_closed,
    section,
    value_for,
    visible_text,
)
from ingest.models import CallPeriod, Contact

# Badges and the category glued into titles ("Calls for ProposalsEarly-stageOverseasFY 2025 …"),
# and the division printed before a program's name.
_TITLE_EXTRAS = ".cat, .badge, .icon, .division"
# A sub-call's name before its date in a deadline cell: "公募課題2:令和2年1月20日(月)~…".
_SUB_CALL = re.compile(r"^(?P<name>[^:：]{1,40}?)\s*[:：]\s*(?P<rest>.+)$")


def program_page(page: Page) -> SiteResult:
    """An English program page: the program's name (less its division), contacts and links; no dates."""
    title = page_title(page, drop=_TITLE_EXTRAS)
    contacts, missing = _contacts(page, value=None, required=False)
    draft = Draft(title=title, name=title, website=page.url, links=page_links(page), contacts=contacts)
    return SiteResult([draft], missing)


def news_page(page: Page) -> SiteResult:
    """An English call page: the 'Submission Deadline' and 'Contact' rows of its key/value table."""
    return _call_table_page(
        page, deadline=r"^submission deadline|^deadline", stage=r"^status", contact=r"^contact"
    )


# The call period stated in a 公募 page's body text: "【公募期間】令和8年4月1日（水）～5月20日（水）正午",
# "公募期間は令和7年1月20日（月）〜令和7年3月31日（月）１２時です。"
_BODY_PERIOD = re.compile(
    r"(?:【\s*(?:公募|募集|受付)期間\s*】|(?:公募|募集|受付)期間\s*(?:は|[:：]))\s*(?P<period>[^\n。]+)"
)


def koubo_page(page: Page) -> SiteResult:
    """A Japanese 公募 page: 公募締め切り and お問い合わせ先 of its 基本情報 table, completed by the opening
    date of the call period its body text states when that period ends at the table's deadline (the
    table gives only the deadline). It is the program's only page, so it is also its website."""
    result = _call_table_page(
        page, deadline=r"締め?切", stage=r"公募の段階", contact=r"問い?合わ?せ", is_website=True
    )
    body = _body_period(page, result.drafts[0].calls)
    if body is None:
        return result
    draft = result.drafts[0]
    # Only the same deadline is completed: a page without its table stays a layout change.
    if len(draft.calls) == 1 and draft.calls[0].opens is None and draft.calls[0].closes == body.closes:
        # the same deadline, with the opening date the table leaves out
        update = {"opens": body.opens, "opens_precision": body.opens_precision}
        draft.calls = [draft.calls[0].model_copy(update=update)]
    return result


def _body_period(page: Page, calls: list[CallPeriod]) -> CallPeriod | None:
    """The first dated call period the body text states, with the table's label."""
    label = calls[0].label if calls else _label(page_title(page, drop=_TITLE_EXTRAS))
    year = parse_fiscal_year(label or "")
    for match in _BODY_PERIOD.finditer(visible_text(page.main)):
        call = call_period(match["period"].strip(), label=label, year=year)
        if call.opens is not None or call.closes is not None:
            return call
    return None


def _call_table_page(
    page: Page, *, deadline: str, stage: str, contact: str, is_website: bool = False
) -> SiteResult:
    """A call page whose key/value table holds the deadline, the call's stage and the contact."""
    title = page_title(page, drop=_TITLE_EXTRAS)
    pairs = key_values(page.main)
    deadline_cell = value_for(pairs, deadline)
    calls = _deadline_calls(deadline_cell, _label(title))
    contacts, missing = _contacts(page, value=value_for(pairs, contact), required=True)
    if deadline_cell is None:
        missing.append("calls")
    if _closed(page, value_for(pairs, stage)):
        calls = mark_closed(calls)
    # A news page links to its program page; a 公募 page is the program's website itself.
    website, links = (page.url, page_links(page)) if is_website else (None, [page.url, *page_links(page)])
    draft = Draft(title=title, website=website, links=links, contacts=contacts, calls=calls)
    return SiteResult([draft], missing)


def _label(title: str) -> str:
    year = parse_fiscal_year(title)
    return f"{year} call for proposals" if year else "call for proposals"


def _deadline_calls(cell: Tag | None, label: str) -> list[CallPeriod]:
    """The call(s) in a deadline cell: its first dated line, or one call per named sub-call line
    ('公募課題1: …', '公募課題2: …'). Notes after the date ('※…') stay out of `raw`."""
    if cell is None:
        return []
    year = parse_fiscal_year(label)
    dated = [
        line
        for line in visible_text(cell).split("\n")
        if not line.startswith("※") and find_moments(line, year=year)
    ]
    named = [match for line in dated if (match := _SUB_CALL.match(line)) and not find_moments(match["name"])]
    if len(dated) > 1 and len(named) == len(dated):
        return [call_period(m["rest"], label=f"{label} — {m['name'].strip()}", year=year) for m in named]
    if not dated:  # "TBD", "Mid-June" without a year, …: keep the text, unparsed
        text = visible_text(cell).replace("\n", " ")
        return [call_period(text, label=label, year=year)] if text else []
    return [call_period(dated[0], label=label, year=year)]


def _contacts(page: Page, *, value: Tag | None, required: bool) -> tuple[list[Contact], list[str]]:
    """Contacts from the table's contact cell, else from a 'Contact' / 'お問い合わせ先' section.
    An empty cell with no section elsewhere is a layout change when the page type always has one."""
    contacts = contacts_in(value) if value is not None else []
    if not contacts:
        elements = section(page.main, r"^(?:contact|お問い?合わ?せ)")
        contacts = contacts_in(elements) if elements else []
        required = required or elements is not None
    return contacts, ["contacts"] if required and not contacts else []


def _closed(page: Page, status: Tag | None) -> bool:
    status_text = visible_text(status) if status is not None else ""
    return says_closed(visible_text(page.main)) or bool(re.search(r"終了|closed", status_text, re.IGNORECASE))
