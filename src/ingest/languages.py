"""Japanese and English pages of the same call, side by side.

AMED and JST publish a call in Japanese and in English; the Japanese text prevails. A source's main
page is paired with its counterpart in the other language, declared (`counterpart = URL` in
sources.toml) or found on the page (`discover_counterpart = true`: an `hreflang` alternate, else the
language switch link, "English" / "日本語"). The counterpart is fetched as a follow-up page of the same
source; each page's provenance says its `language` and its `counterpart`, and merge.py compares what the
two say (a disagreement is a conflict, the Japanese value kept).

Each run also looks at the pages' history in the manifests: when the Japanese page changed (its bytes)
and the English page has not changed since, for more than `[languages] grace_days`, the record gets a
conflict "English page not yet updated". It is recomputed every run from the stored manifests (nothing
is stored for it), so it goes away when the English page changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

from ingest.extract.decode import decode_html
from ingest.models import JAPAN, Conflict, FetchedPage, Manifest, Program, Provenance

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

JAPANESE, ENGLISH = "ja", "en"
OTHER = {JAPANESE: ENGLISH, ENGLISH: JAPANESE}
NAMES = {JAPANESE: "Japanese", ENGLISH: "English"}
NOT_UPDATED_FIELD = "languages.english-page"
_LANGUAGE_FOLDERS = frozenset({"en", "english", "ja", "jp", "japanese"})  # a site's home in a language
# The text of a language switch link to a page in that language.
_SWITCH = {
    ENGLISH: re.compile(r"^\s*(?:english|en|english\s+(?:page|site|version)|英語(?:ページ)?)\s*$", re.I),
    JAPANESE: re.compile(r"^\s*(?:日本語(?:ページ|サイト)?|japanese|jp|ja)\s*$", re.I),
}


@dataclass(frozen=True)
class Counterpart:
    """A page (`url`, in `language`) and its counterpart (`other_url`, in the other language)."""

    url: str
    language: str
    other_url: str

    @property
    def other_language(self) -> str:
        return OTHER[self.language]


def page_language(content: bytes, content_type: str | None = None) -> str | None:
    """'ja' or 'en' from the page's <html lang> ("ja-JP" is Japanese), else None."""
    soup = _soup(content, content_type)
    root = soup.find("html")
    lang = str(root.get("lang") or root.get("xml:lang") or "") if root is not None else ""
    primary = lang.strip().lower().split("-")[0]
    return primary if primary in OTHER else None


def switch_link(content: bytes, *, url: str, language: str, content_type: str | None = None) -> str | None:
    """The page's link to itself in the other language: an `hreflang` alternate, else a language
    switch link by its text ("English" on a Japanese page, "日本語" on an English one)."""
    soup = _soup(content, content_type)
    other = OTHER[language]
    here = urldefrag(url).url
    for element in soup.find_all(["link", "a"], href=True):
        hreflang = str(element.get("hreflang") or "").strip().lower().split("-")[0]
        if hreflang == other:
            found = urldefrag(urljoin(url, str(element["href"]).strip())).url
            if found != here:
                return found
    for anchor in soup.find_all("a", href=True):
        if _SWITCH[other].match(anchor.get_text(" ")):
            found = urldefrag(urljoin(url, str(anchor["href"]).strip())).url
            if found != here and urlsplit(found).scheme in ("http", "https") and not _home(found):
                return found
    return None


def _home(url: str) -> bool:
    """The site's home page in a language ("/en/index.html", "/"): the header's language switch of many
    pages (AMED's) leads there, and it is not the page's counterpart."""
    path = re.sub(r"(?:index\.html?)?$", "", urlsplit(url).path or "/")
    parts = [part for part in path.split("/") if part]
    return not parts or (len(parts) == 1 and parts[0].lower() in _LANGUAGE_FOLDERS)


def find_counterpart(
    page: FetchedPage,
    content: bytes,
    *,
    declared: str | None,
    language: str | None,
    discover: bool,
) -> Counterpart | str:
    """The page's counterpart, or why there is none (one sentence)."""
    url = page.final_url or page.url
    language = language or page_language(content, page.content_type)
    if language is None:
        return f"{url}: the page's language is not given (<html lang>); declare `language` to pair it"
    other = declared or (
        switch_link(content, url=url, language=language, content_type=page.content_type) if discover else None
    )
    if other is None:
        return f"{url}: no link to the {NAMES[OTHER[language]]} page was found"
    return Counterpart(url=url, language=language, other_url=other)


def within(url: str, domains: Sequence[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)


def tag(records: Iterable[Program], pair: Counterpart) -> list[Program]:
    """The records, their provenance for `pair.url` marked with its language and counterpart."""
    return [
        record.model_copy(
            update={
                "provenance": [
                    p.model_copy(update={"language": pair.language, "counterpart": pair.other_url})
                    if p.url == pair.url
                    else p
                    for p in record.provenance
                ]
            }
        )
        for record in records
    ]


@dataclass
class Pair:
    """The records one program has from a page in Japanese and from its English counterpart."""

    japanese: list[Program]
    english: list[Program]
    japanese_url: str
    english_url: str


def pairs(records: list[Program]) -> tuple[list[Program], list[Pair]]:
    """The group's records with the counterpart pages' provenance marked too (the counterpart was
    fetched as a follow-up page, so only the page that names it was marked), and the pairs."""
    marked: dict[str, Counterpart] = {}  # page URL → its language and counterpart
    for record in records:
        for p in record.provenance:
            if p.language in OTHER and p.counterpart and p.url:
                marked[p.url] = Counterpart(url=p.url, language=p.language, other_url=p.counterpart)
    for pair in list(marked.values()):
        marked.setdefault(pair.other_url, Counterpart(pair.other_url, pair.other_language, pair.url))
    if not marked:
        return records, []
    records = [
        r.model_copy(update={"provenance": [_marked(p, marked) for p in r.provenance]}) for r in records
    ]
    found: list[Pair] = []
    for pair in marked.values():
        if pair.language != JAPANESE:
            continue
        japanese = [r for r in records if _primary_url(r) == pair.url]
        english = [r for r in records if _primary_url(r) == pair.other_url]
        if japanese and english:
            found.append(Pair(japanese, english, pair.url, pair.other_url))
    return records, found


def _marked(p: Provenance, marked: dict[str, Counterpart]) -> Provenance:
    pair = marked.get(p.url or "")
    if pair is None or (p.language == pair.language and p.counterpart == pair.other_url):
        return p
    return p.model_copy(update={"language": pair.language, "counterpart": pair.other_url})


def _primary_url(record: Program) -> str | None:
    return record.provenance[0].url if record.provenance else None


def label(language: str, url: str) -> str:
    """How a conflict names a page: the Japanese one says it prevails."""
    return f"{NAMES[language]} page {url}" + (" (prevails)" if language == JAPANESE else "")


def figures(text: str) -> set[str]:
    """The numbers a text states, dates left out: what two translations of one eligibility rule must
    share ("博士号取得後8年以内" and "within 8 years of the PhD"; the wording itself cannot be compared)."""
    from ingest.extract.periods import find_moments
    from ingest.normalize import clean_text

    text = clean_text(text)
    for moment in sorted(find_moments(text), key=lambda m: m.span[0], reverse=True):
        text = text[: moment.span[0]] + " " + text[moment.span[1] :]
    return set(re.findall(r"\d+(?:\.\d+)?", text))


# -- the English page not yet updated --------------------------------------------------------------


def flag_not_updated(
    records: list[Program], manifests: Callable[[], Sequence[Manifest]], now: datetime, grace_days: int
) -> list[Program]:
    """Records whose Japanese page changed more than `grace_days` ago while their English page has not
    changed since get a conflict saying so. `manifests`: the earlier snapshots' manifests, oldest first
    (read only when some record has a pair)."""
    if not any(p.language for r in records for p in r.provenance):
        return records
    history = manifests()
    flagged: list[Program] = []
    for record in records:
        pages = {
            p.language: p
            for p in record.provenance
            if p.language in OTHER and p.url and not p.stale and p.kind == "web-page"
        }
        japanese, english = pages.get(JAPANESE), pages.get(ENGLISH)
        if japanese is None or english is None:
            flagged.append(record)
            continue
        ja_since = _unchanged_since(japanese, history, now)
        en_since = _unchanged_since(english, history, now)
        if ja_since > en_since and now - ja_since >= timedelta(days=grace_days):
            conflict = Conflict(
                field=NOT_UPDATED_FIELD,
                values={
                    label(JAPANESE, str(japanese.url)): f"changed on {_day(ja_since)}",
                    label(ENGLISH, str(english.url)): (
                        f"English page not yet updated: unchanged since {_day(en_since)} "
                        f"({grace_days} days' grace)"
                    ),
                },
            )
            kept = [c for c in record.conflicts if c.field != NOT_UPDATED_FIELD]
            record = record.model_copy(update={"conflicts": [*kept, conflict]})
        flagged.append(record)
    return flagged


def _unchanged_since(page: Provenance, history: Sequence[Manifest], now: datetime) -> datetime:
    """When the page's current bytes were first read, in the unbroken run of snapshots that read them
    (a snapshot that did not read the page, or failed to, says nothing either way)."""
    since = now
    for manifest in reversed(history):
        sha = next(
            (
                fetched.content_sha256
                for source in manifest.sources
                for fetched in source.pages
                if fetched.content_sha256 and page.url in (fetched.url, fetched.final_url)
            ),
            None,
        )
        if sha is None:
            continue
        if sha != page.content_sha256:
            break
        since = manifest.created_at
    return since


def _day(moment: datetime) -> str:
    return moment.astimezone(JAPAN).date().isoformat()


def _soup(content: bytes, content_type: str | None) -> BeautifulSoup:
    from ingest.extract.tree import parse_html  # only a paired page needs it: not at every run's start-up

    text, _encoding = decode_html(content, content_type)
    return parse_html(text)
