"""One extractor per site family, and the routes that say which one reads which page.

Routes are tried in order; the first whose domain and path match wins. A page no route matches is
read by `generic` (and its extraction says it fell back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.extract.sites import amed, generic, hfsp, jsps, jst
from ingest.extract.soup import SiteExtractor

__all__ = ["ROUTES", "Route", "amed", "generic", "hfsp", "jsps", "jst"]


@dataclass(frozen=True)
class Route:
    """Pages on `domain` (or its subdomains) whose path matches `path` are read by `extract`."""

    domain: str
    path: re.Pattern[str]
    name: str
    extract: SiteExtractor

    def matches(self, host: str, path: str) -> bool:
        on_domain = host == self.domain or host.endswith("." + self.domain)
        return on_domain and bool(self.path.search(path))


ROUTES: tuple[Route, ...] = (
    # JST yearly call pages carry the fiscal year in the path: /kisoken/boshuu/r7/en/index.html
    Route("jst.go.jp", re.compile(r"^/kisoken/boshuu/[a-z]?\d+/en/"), "jst-call-en", jst.call_page_en),
    Route(
        "jst.go.jp",
        re.compile(r"^/kisoken/boshuu/[a-z]?\d+/(?:index\.html)?$"),
        "jst-call-ja",
        jst.call_page_ja,
    ),
    Route(
        "jst.go.jp", re.compile(r"^/aspire/en/program_e/announce_e/"), "jst-aspire-call", jst.aspire_call_page
    ),
    Route(
        "jst.go.jp",
        re.compile(r"^/(?:kisoken/(?:crest|presto)|aspire)/en/(?:index\.html)?$"),
        "jst-program",
        jst.program_page,
    ),
    Route("amed.go.jp", re.compile(r"^/en/news/program/"), "amed-en-call", amed.news_page),
    Route("amed.go.jp", re.compile(r"^/en/program/list/"), "amed-en-program", amed.program_page),
    Route("amed.go.jp", re.compile(r"^/koubo/\d+/\d+/"), "amed-ja", amed.koubo_page),
    Route("jsps.go.jp", re.compile(r"^/english/[\w-]*(?:inv|fellow)"), "jsps-en", jsps.fellowships_page),
    Route("hfsp.org", re.compile(r"^/funding/"), "hfsp", hfsp.funding_page),
)
