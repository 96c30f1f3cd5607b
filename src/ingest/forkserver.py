"""The forkserver that extraction children and pool workers are forked from, with the extractors
imported once. Imports nothing but the standard library, so that the `ingest` command can start it
before it loads anything itself (see `ingest.__main__`)."""

from __future__ import annotations

import multiprocessing
from functools import cache
from multiprocessing import forkserver as server
from multiprocessing.context import BaseContext

# pdfplumber, BeautifulSoup and the extractors (ingest.extract itself imports the PDF reader only when
# a PDF is read, so it is named here).
PRELOAD = ["ingest.extract", "ingest.extract.pdf", "ingest.extract.reference", "ingest.extract.html"]


@cache
def context() -> BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start() -> None:
    """Start the forkserver now, in the background; it is started when first used otherwise. Its
    imports take 0.25 s of CPU, which another core can spend while this process goes on."""
    context()
    server.ensure_running()
