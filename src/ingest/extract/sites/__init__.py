"""One extractor per site family, and the routes that say which one reads which page.

Routes are tried in order; the first whose domain and path match wins. A page no route matches is
read by `generic` (and its extraction says it fell back).
"""

from __future__ import annotations

import re

from ingest.extract.html import Route
from ingest.extract.sites import amed, generic, hfsp, jsps, jst

__all__ = ["ROUTES", "amed", "generic", "hfsp", "jsps", "jst"]

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
