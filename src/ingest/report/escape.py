"""Scraped text made inert where it is shown: in Markdown (the pull request's body) and in
spreadsheets. Control characters are already gone (every text field of the models strips them, so
terminals, XML and iCalendar never see one); HTML pages are escaped by Jinja's autoescaping; links
everywhere are limited to http(s) and mailto (ingest.report.links)."""

from __future__ import annotations

import re

from ingest.normalize import strip_controls

# What makes inline Markdown (GitHub-flavoured) emphasis, code, links, images, tables or strike-through,
# escaped with a backslash; angle brackets and ampersands become entities, so no tag, autolink or
# entity of the source is ever rendered. Text sits inside a line, so line-start markers are inert.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def markdown_text(text: str) -> str:
    """Text that Markdown renders as exactly these characters, on one line."""
    flat = " ".join(strip_controls(text).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def spreadsheet_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (OWASP: CSV injection)."""
    text = strip_controls(text)
    return f"'{text}" if text.startswith(_FORMULA_START) else text
