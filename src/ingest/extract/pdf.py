"""PDF → styled text lines (pdfplumber). Knows about fonts, colours, pages and ruled tables, nothing about
programs.

Each printed line carries its style (size, weight, colour), where it starts, and — inside a table — which
column it is in: a line crossing a vertical ruling line, or with a gap of several characters' width, is
split into one Line per cell; a small filled shape just before a line (a bullet some producers draw
as a path) becomes "• ". Page furniture is dropped here, since only pages know it: page numbers
("Page 2 of 5", "- 3 -") and lines repeated at the same place on most pages (running headers and footers).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from ingest.errors import ExtractError
from ingest.normalize import clean_text

log = logging.getLogger(__name__)

MAX_PAGES = 50  # the reference document has 5; a far longer PDF is not the document we were asked to read
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|W[6-9]\b", re.IGNORECASE)
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.)\s*\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?|\d{1,3}\s*(?:of|/)\s*\d{1,3}|[-–—]?\s*\d{1,3}\s*[-–—]?)$",
    re.IGNORECASE,
)
_FURNITURE_ZONE = 0.12  # page numbers and running lines live in the top or bottom 12% of a page
_CELL_GAP = 2.0  # a gap wider than this many font sizes inside a line separates two table cells
_WORD_GAP = 3.0  # pdfplumber's default x_tolerance: a wider gap between two characters is a space


@dataclass(frozen=True)
class Line:
    """One printed line (or one table cell's line) with the layout facts the document parser needs."""

    text: str
    page: int  # 1-based
    bold: bool
    size: float
    top: float
    gap_before: float  # distance from the previous line's bottom on the same page; inf on a new page
    color: str = "#000000"  # the fill colour of most of its characters
    x0: float = 0.0
    column: int = 0  # 0 outside tables and in a table's first column; 1, 2 … in the columns to its right
    row_start: bool = False  # a table cell's first line (a ruling line or the row's first cell before it)
    in_table: bool = False  # inside a table: split into cells, or crossed by a table's ruling lines


@dataclass(frozen=True)
class PdfText:
    lines: list[Line]
    links: dict[int, list[str]]  # page → URIs of link annotations (mailto: included)
    pages: int
    name: str = ""
    furniture: int = 0  # lines dropped as running headers, footers and page numbers


def read_pdf(data: bytes, name: str) -> PdfText:
    """Lines and link annotations of a PDF; ExtractError with a one-sentence reason if it can't be read."""
    _check_header(data, name)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise ExtractError(f"{name}: has {len(pdf.pages)} pages, more than the {MAX_PAGES} expected")
            pages: list[list[_Raw]] = []
            links: dict[int, list[str]] = {}
            for number, page in enumerate(pdf.pages, start=1):
                pages.append(_page_raw_lines(page, number))
                links[number] = [h["uri"] for h in page.hyperlinks if h.get("uri")]
            kept, dropped = _drop_furniture(pages)
            lines = [line for raw_lines in kept for line in _lines(raw_lines)]
            return PdfText(lines=lines, links=links, pages=len(pdf.pages), name=name, furniture=dropped)
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


# -- one page ---------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A printed line (or cell) before furniture removal and gaps."""

    text: str
    page: int
    page_height: float
    top: float
    bottom: float
    x0: float
    bold: bool
    size: float
    color: str
    column: int = 0
    row_start: bool = False
    ruled_before: bool = False
    in_table: bool = False


def _page_raw_lines(page: pdfplumber.page.Page, number: int) -> list[_Raw]:
    verticals, horizontals = _rulings(page)
    discs = _drawn_bullets(page)
    result: list[_Raw] = []
    previous_bottom: float | None = None
    value_x: float | None = None  # where the last table row's second cell started (unruled tables)
    printed = page.extract_text_lines(return_chars=True, keep_blank_chars=False)
    # the text's left margin: where most lines start (not the leftmost character, which may be furniture)
    page_left = Counter(round(raw["x0"]) for raw in printed).most_common(1)[0][0] if printed else 0.0
    for raw in printed:
        chars = [c for c in raw["chars"] if c["text"].strip()]
        if not clean_text(raw["text"]) or not chars:
            continue
        ruled = previous_bottom is not None and any(
            previous_bottom - 1 <= y <= raw["top"] + 1 and x0 <= chars[0]["x0"] <= x1
            for y, x0, x1 in horizontals
        )
        cells = _cells(chars, raw, verticals)
        ruled_table = bool(horizontals) and any(
            top <= raw["top"] + 1 and bottom >= raw["bottom"] - 1 and page_left + 3 < x
            for x, top, bottom in verticals
        )
        if len(cells) > 1:
            cells = _with_spaces(cells, raw["chars"])
        if len(cells) == 1 and not verticals and value_x is not None:
            # an unruled table's row with an empty first cell starts where the cells to its right start
            if abs(cells[0][0]["x0"] - value_x) > 2 or cells[0][0]["x0"] < page_left + 20:
                value_x = None
        for index, cell in enumerate(cells):
            text = clean_text(raw["text"] if len(cells) == 1 else _text(cell))
            if not text:
                continue
            if index == 0 and discs and _has_drawn_bullet(cell[0], raw, discs):
                text = f"• {text}"
            x0 = cell[0]["x0"]
            if verticals:
                column = _column(x0, raw, verticals, page_left)
            elif len(cells) > 1:
                column = index
            else:
                column = 1 if value_x is not None else 0
            if len(cells) > 1 and index == 1:
                value_x = x0
            style = _style(cell)
            result.append(
                _Raw(
                    text=text,
                    page=number,
                    page_height=float(page.height),
                    top=float(raw["top"]),
                    bottom=float(raw["bottom"]),
                    x0=float(x0),
                    bold=style[0],
                    size=style[1],
                    color=style[2],
                    column=column,
                    # in a ruled table a row starts at a rule, so a label cell may wrap; elsewhere at a row
                    row_start=ruled if ruled_table else len(cells) > 1 or ruled,
                    in_table=ruled_table or len(cells) > 1 or column > 0,
                    ruled_before=ruled,
                )
            )
        previous_bottom = raw["bottom"]
    return result


def _column(x0: float, raw: dict[str, Any], verticals: list[tuple[float, float, float]], left: float) -> int:
    """How many ruling lines crossing this line stand between the text margin and x0 (a table's left
    border, at or before the margin, does not count; the double edges of a drawn rectangle count once)."""
    crossing = sorted(
        x
        for x, top, bottom in verticals
        if left + 3 < x < x0 and top <= raw["top"] + 1 and bottom >= raw["bottom"] - 1
    )
    distinct = [x for index, x in enumerate(crossing) if index == 0 or x - crossing[index - 1] > 2]
    return len(distinct)


def _drawn_bullets(page: pdfplumber.page.Page) -> list[tuple[float, float, float]]:
    """Small filled shapes (x1, top, bottom): list bullets some producers draw as paths, not glyphs."""
    if not page.curves and not page.rects:
        return []
    shapes = [*page.curves, *page.rects]
    return [
        (float(s["x1"]), float(s["top"]), float(s["bottom"]))
        for s in shapes
        if s.get("fill")
        and 1 < s["x1"] - s["x0"] < 7
        and 1 < s["bottom"] - s["top"] < 7
        and abs((s["x1"] - s["x0"]) - (s["bottom"] - s["top"])) < 1.5
    ]


def _has_drawn_bullet(
    first: dict[str, Any], raw: dict[str, Any], discs: list[tuple[float, float, float]]
) -> bool:
    middle = (raw["top"] + raw["bottom"]) / 2
    return any(
        0 < first["x0"] - x1 < 20 and top <= middle + 2 and bottom >= middle - 6 for x1, top, bottom in discs
    )


def _rulings(
    page: pdfplumber.page.Page,
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Vertical (x, top, bottom) and horizontal (y, x0, x1) ruling lines, only when the page draws any."""
    if not page.lines and not page.rects:
        return [], []
    verticals: list[tuple[float, float, float]] = []
    horizontals: list[tuple[float, float, float]] = []
    for edge in page.edges:
        if edge.get("orientation") == "v" and edge["bottom"] - edge["top"] > 4:
            verticals.append((float(edge["x0"]), float(edge["top"]), float(edge["bottom"])))
        elif edge.get("orientation") == "h" and edge["x1"] - edge["x0"] > 20:
            horizontals.append((float(edge["top"]), float(edge["x0"]), float(edge["x1"])))
    return verticals, horizontals


def _cells(
    chars: list[dict[str, Any]], raw: dict[str, Any], verticals: list[tuple[float, float, float]]
) -> list[list[dict[str, Any]]]:
    """A line's characters split at vertical ruling lines and at gaps wider than a few characters."""
    crossing = [x for x, top, bottom in verticals if top <= raw["top"] + 1 and bottom >= raw["bottom"] - 1]
    cells: list[list[dict[str, Any]]] = [[chars[0]]]
    for previous, char in pairwise(chars):
        gap = char["x0"] - previous["x1"]
        ruled = any(previous["x1"] - 0.5 <= x <= char["x0"] + 0.5 for x in crossing)
        if ruled or gap > _CELL_GAP * max(char["size"], 1.0):
            cells.append([char])
        else:
            cells[-1].append(char)
    return cells


def _with_spaces(
    cells: list[list[dict[str, Any]]], chars: list[dict[str, Any]]
) -> list[list[dict[str, Any]]]:
    """The cells with the line's space characters put back inside them (not between them)."""
    result: list[list[dict[str, Any]]] = []
    for cell in cells:
        start, end = cell[0]["x0"], cell[-1]["x1"]
        result.append(
            sorted((c for c in chars if start <= c["x0"] and c["x1"] <= end + 0.01), key=lambda c: c["x0"])
        )
    return result


def _text(chars: list[dict[str, Any]]) -> str:
    """A cell's text: its characters in order, with a space wherever a gap is wider than a thin space."""
    parts: list[str] = []
    for index, char in enumerate(chars):
        previous = chars[index - 1] if index else None
        if (
            previous is not None
            and char["text"] != " "
            and previous["text"] != " "
            and char["x0"] - previous["x1"] > min(_WORD_GAP, char["size"] * 0.2)
        ):
            parts.append(" ")
        parts.append(char["text"])
    return "".join(parts)


def _style(chars: list[dict[str, Any]]) -> tuple[bool, float, str]:
    fonts = Counter(c.get("fontname") or "" for c in chars)
    bold_chars = sum(count for font, count in fonts.items() if _BOLD_FONT.search(font))
    size = round(max(c["size"] for c in chars), 1)
    colors = Counter(_hashable(c.get("non_stroking_color")) for c in chars)
    return bold_chars > len(chars) * 0.6, size, _color(colors.most_common(1)[0][0])


def _hashable(value: Any) -> Any:
    """A colour as a dict key (pdfplumber gives tuples, lists, or pattern names with nested values)."""
    value = tuple(value) if isinstance(value, list) else value
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _color(value: Any) -> str:
    """A fill colour as #rrggbb (grey, RGB and CMYK alike); black when absent or a pattern."""
    try:
        components = [float(v) for v in value] if isinstance(value, list | tuple) else [float(value)]
    except (TypeError, ValueError):
        return "#000000"
    if len(components) == 1:
        rgb = components * 3
    elif len(components) == 3:
        rgb = components
    elif len(components) == 4:
        c, m, y, k = components
        rgb = [(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)]
    else:
        return "#000000"
    return "#" + "".join(f"{max(0, min(255, round(v * 255))):02x}" for v in rgb)


# -- furniture ----------------------------------------------------------------------------------------------


def _drop_furniture(pages: list[list[_Raw]]) -> tuple[list[list[_Raw]], int]:
    """Drop page numbers and lines repeated at the same place on most pages, from the page margins only."""

    def in_margin(line: _Raw, index: int, count: int) -> bool:
        near_edge = line.top < line.page_height * _FURNITURE_ZONE or line.bottom > line.page_height * (
            1 - _FURNITURE_ZONE
        )
        return near_edge and (index < 2 or index >= count - 2)

    seen: dict[tuple[str, int], set[int]] = defaultdict(set)
    for raw_lines in pages:
        for index, line in enumerate(raw_lines):
            if in_margin(line, index, len(raw_lines)):
                seen[(_shape(line.text), round(line.top / 3))].add(line.page)
    needed = max(2, math.ceil(len(pages) / 2))
    repeated = {key for key, on in seen.items() if len(on) >= needed}
    sizes = sorted(line.size for raw_lines in pages for line in raw_lines)
    body_size = sizes[len(sizes) // 2] if sizes else 0.0
    kept: list[list[_Raw]] = []
    dropped = 0
    for raw_lines in pages:
        page_kept = []
        for index, line in enumerate(raw_lines):
            if in_margin(line, index, len(raw_lines)) and (
                _PAGE_NUMBER.match(line.text)
                or (
                    (_shape(line.text), round(line.top / 3)) in repeated
                    and _set_apart(raw_lines, index, body_size)
                )
            ):
                dropped += 1
                continue
            page_kept.append(line)
        kept.append(page_kept)
    return kept, dropped


def _set_apart(raw_lines: list[_Raw], index: int, body_size: float) -> bool:
    """A running header or footer is smaller than the body text or stands apart from it by a blank line, so
    that body text that happens to start two pages alike is never taken for one."""
    line = raw_lines[index]
    if line.size < body_size - 0.2:
        return True
    header = line.top < line.page_height / 2
    others = raw_lines[index + 1 :] if header else raw_lines[:index][::-1]
    neighbour = next((other for other in others if abs(other.top - line.top) > 1), None)
    if neighbour is None:
        return True
    gap = neighbour.top - line.bottom if header else line.top - neighbour.bottom
    return gap >= line.bottom - line.top


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _lines(raw_lines: list[_Raw]) -> list[Line]:
    lines: list[Line] = []
    previous_bottom: float | None = None
    for raw in raw_lines:
        same_row = previous_bottom is not None and lines and abs(raw.top - lines[-1].top) < 1
        gap = float("inf") if previous_bottom is None else raw.top - previous_bottom
        if same_row:
            gap = lines[-1].gap_before
        lines.append(
            Line(
                text=raw.text,
                page=raw.page,
                bold=raw.bold,
                size=raw.size,
                top=raw.top,
                gap_before=gap,
                color=raw.color,
                x0=raw.x0,
                column=raw.column,
                row_start=raw.row_start,
                in_table=raw.in_table,
            )
        )
        previous_bottom = raw.bottom
    return lines
