"""PDF → styled text lines (pdfplumber). Knows about fonts and pages, nothing about programs."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from ingest.errors import ExtractError
from ingest.normalize import clean_text

log = logging.getLogger(__name__)

MAX_PAGES = 50  # the reference document has 5; a far longer PDF is not the document we were asked to read
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One printed line with the layout facts the document parser needs."""

    text: str
    page: int  # 1-based
    bold: bool
    size: float
    top: float
    gap_before: float  # distance from the previous line's bottom on the same page; inf on a new page


@dataclass(frozen=True)
class PdfText:
    lines: list[Line]
    links: dict[int, list[str]]  # page → URIs of link annotations (mailto: included)
    pages: int


def read_pdf(data: bytes, name: str) -> PdfText:
    """Lines and link annotations of a PDF; ExtractError with a one-sentence reason if it can't be read."""
    _check_header(data, name)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise ExtractError(f"{name}: has {len(pdf.pages)} pages, more than the {MAX_PAGES} expected")
            lines: list[Line] = []
            links: dict[int, list[str]] = {}
            for number, page in enumerate(pdf.pages, start=1):
                lines.extend(_page_lines(page, number))
                links[number] = [h["uri"] for h in page.hyperlinks if h.get("uri")]
            return PdfText(lines=lines, links=links, pages=len(pdf.pages))
    except ExtractError:
        raise
    except Exception as error:  # pdfminer raises a zoo of types on damaged files; all mean "unreadable"
        raise ExtractError(f"{name}: {_describe(error)}") from error


def _check_header(data: bytes, name: str) -> None:
    if not data:
        raise ExtractError(f"{name}: the file is empty (0 bytes), not a PDF")
    if b"%PDF-" not in data[:1024]:
        start = data[:20].decode("latin-1").strip().replace("\n", " ")
        raise ExtractError(f"{name}: not a PDF (it starts with {start!r})")


def _describe(error: Exception) -> str:
    cause = error.__cause__ or error.__context__ or error
    for candidate in (error, cause, *getattr(error, "args", ())):
        if isinstance(candidate, PDFPasswordIncorrect | PDFEncryptionError):
            return "the PDF is encrypted and cannot be read without its password"
    if isinstance(cause, RecursionError) or "recursion" in str(error).lower():
        return "the PDF's structure loops on itself (damaged file)"
    reason = str(cause) or type(cause).__name__
    return f"the PDF is damaged or truncated and cannot be read ({reason[:160]})"


def _page_lines(page: pdfplumber.page.Page, number: int) -> list[Line]:
    lines: list[Line] = []
    previous_bottom: float | None = None
    for raw in page.extract_text_lines(return_chars=True, keep_blank_chars=False):
        text = clean_text(raw["text"])
        chars = [c for c in raw["chars"] if c["text"].strip()]
        if not text or not chars:
            continue
        bold_chars = sum(1 for c in chars if _BOLD_FONT.search(c.get("fontname", "")))
        size = max(round(c["size"], 1) for c in chars)
        gap = float("inf") if previous_bottom is None else raw["top"] - previous_bottom
        lines.append(
            Line(
                text=text,
                page=number,
                bold=bold_chars > len(chars) * 0.6,
                size=size,
                top=raw["top"],
                gap_before=gap,
            )
        )
        previous_bottom = raw["bottom"]
    return lines
