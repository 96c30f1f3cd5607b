"""Re-laid-out renderings of the edition texts: the same words, another document design.

pdf_fixtures renders an edition the way its markup says (bracketed bold headings, bold titles, "Label: value"
lines); here the same blocks are printed in other designs a publisher could choose for the next edition —
numbered parts and programs, colour instead of weight, Japanese markers (■ ・ 第1章), field labels on their
own line or in a table's first column (ruled or merely aligned), running headers, page footers, other page
sizes and fonts. Every design prints the same words (bar the numbering and markers it adds to headings and
titles and the brackets it drops), so extraction must give the same records from every one.

The edition's fields ("Website: …", "Contact: …", "2025 call for proposals: …") become rows of (label, value);
a bare link, a second e-mail address or a call's sub-label after a field continues it as a row with an empty
label. Glyphs Helvetica and Times lack (■ ・ 第 章) are drawn in reportlab's built-in Japanese CID font.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, A5, LETTER
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pdf_fixtures import Block, Layout, Piece, wrap

CJK_FONT = "HeiseiKakuGo-W5"
_FIELD = re.compile(
    r"^(?P<label>(?:Program )?Website|Program Description|Contact|Deadline|[^:]{0,60}?\b[Cc]all\b[^:]{0,50}?)"
    r"\s*:\s*(?P<value>.*)$"
)
_BARE_LINK = re.compile(r"^https?://\S+$")
_STARTS_WITH_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TITLE_GLYPH = re.compile(r"^[-•·]\s*")
_BRACKETS = re.compile(r"^\[(.*)\]$")
_NON_LATIN = re.compile(r"([^\x00-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026]+)")


@dataclass(frozen=True)
class Font:
    face: str
    size: float
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Design:
    """One document design. Fields: "inline" (as in the text), "own-line" (label line, then value),
    "ruled-table" (two-column table with ruling lines) or "aligned-table" (two aligned columns, no lines)."""

    name: str
    pagesize: tuple[float, float]
    margin: float
    body: Font
    heading: Font
    title: Font
    label: Font
    doc_title: Font
    fields: str
    heading_number: Callable[[int, str], str]
    title_number: Callable[[int, int, str], str]
    bullet: str = "•"
    leading: float = 1.3  # × font size
    header: str | None = None  # running header, on every page
    footer: str | None = None  # "{page}" and "{pages}" are filled in
    links: bool = False  # link annotations on URLs and e-mail addresses
    link_color: tuple[float, float, float] | None = None
    label_column: float | None = None  # a table's label column; None: as wide as the longest label


def _part(number: int, text: str) -> str:
    return f"Part {number}. {text}"


def _decimal(section: int, number: int, text: str) -> str:
    return f"{section}.{number} {text}"


DESIGNS: tuple[Design, ...] = (
    Design(
        name="numbered-ruled-table",
        pagesize=A4,
        margin=56.0,
        body=Font("Helvetica", 10.0),
        heading=Font("Helvetica-Bold", 14.0, (0.1, 0.2, 0.45)),
        title=Font("Helvetica-Bold", 11.0),
        label=Font("Helvetica-Bold", 9.5),
        doc_title=Font("Helvetica-Bold", 18.0),
        fields="ruled-table",
        heading_number=_part,
        title_number=_decimal,
        bullet="-",
        footer="– {page} –",
        label_column=112.0,  # long labels ("2025 call for Japan based researchers") wrap in their cell
    ),
    Design(
        name="colour-only",
        pagesize=LETTER,
        margin=80.0,
        body=Font("Times-Roman", 11.5),
        heading=Font("Times-Roman", 14.0, (0.12, 0.3, 0.48)),
        title=Font("Times-Roman", 11.5, (0.75, 0.1, 0.1)),
        label=Font("Times-Roman", 11.5),
        doc_title=Font("Times-Roman", 20.0, (0.12, 0.3, 0.48)),
        fields="inline",
        heading_number=lambda number, text: text,
        title_number=lambda section, number, text: text,
        bullet="·",
        links=True,
        link_color=(0.0, 0.3, 0.8),
    ),
    Design(
        name="japanese-markers",
        pagesize=A4,
        margin=64.0,
        body=Font("Helvetica", 10.0),
        heading=Font("Helvetica-Bold", 13.0),
        title=Font("Helvetica-Bold", 10.5, (0.2, 0.2, 0.2)),
        label=Font("Helvetica-Bold", 10.0),
        doc_title=Font("Helvetica-Bold", 16.0),
        fields="own-line",
        heading_number=lambda number, text: f"■ {text}",
        title_number=lambda section, number, text: f"・{text}",
        bullet="・",
    ),
    Design(
        name="chapters-running-header",
        pagesize=(A5[0] * 1.25, A5[1] * 1.2),
        margin=40.0,
        body=Font("Times-Roman", 10.0),
        heading=Font("Times-Bold", 12.5),
        title=Font("Helvetica-Bold", 10.0, (0.0, 0.35, 0.25)),
        label=Font("Times-Italic", 10.0),
        doc_title=Font("Times-Bold", 15.0),
        fields="aligned-table",
        heading_number=lambda number, text: f"第{number}章 {text}",
        title_number=lambda section, number, text: f"◆ {text}",
        bullet="●",
        header="Japanese Funding Programs Available to Researchers Living Overseas",
        footer="Page {page} of {pages}",
        links=True,
    ),
)


# ----------------------------------------------------------------------------------------------- content


@dataclass
class Row:
    label: str
    value: str
    sublabel: bool = False  # the value is a call's sub-label, printed on its own line in the text


@dataclass
class Item:
    """What a design prints: a heading, a title, a paragraph or list item, or a group of field rows."""

    kind: str  # title | heading | program | body | bullet | numbered | fields
    text: str = ""
    marker: str = ""
    rows: list[Row] = field(default_factory=list)


def items(blocks: list[Block], design: Design) -> list[Item]:
    """The edition's blocks with headings and titles numbered the design's way and fields grouped."""
    result: list[Item] = []
    section = number = 0
    for block in blocks:
        text = block.text
        if block.kind == "heading":
            section, number = section + 1, 0
            inner = _BRACKETS.sub(r"\1", text)
            result.append(Item("heading", design.heading_number(section, inner)))
            continue
        if block.kind == "program":
            number += 1
            result.append(Item("program", design.title_number(section, number, _TITLE_GLYPH.sub("", text))))
            continue
        previous = result[-1] if result else None
        if block.kind == "body" and section and (match := _FIELD.match(text)):
            label, value = match.group("label").strip(), match.group("value").strip()
            group = previous if previous is not None and previous.kind == "fields" else Item("fields")
            if group is not previous:
                result.append(group)
            group.rows.append(Row(label, value))
            continue
        if (
            block.kind == "body"
            and previous is not None
            and previous.kind == "fields"
            and (_BARE_LINK.match(text) or _STARTS_WITH_EMAIL.match(text) or not previous.rows[-1].value)
        ):
            if not previous.rows[-1].value:  # "2025 Call for Applications:" takes its sub-label as value
                previous.rows[-1].value, previous.rows[-1].sublabel = text, True
            else:
                previous.rows.append(Row("", text))
            continue
        marker = {"bullet": design.bullet, "numbered": block.marker}.get(block.kind, "")
        result.append(Item(block.kind, text, marker))
    return result


def printed_words(blocks: list[Block], design: Design) -> str:
    """Everything a rendering in `design` prints but its page furniture, whitespace removed."""
    parts = []
    for item in items(blocks, design):
        parts.append(f"{item.marker}{item.text}")
        for row in item.rows:
            colon = ":" if design.fields == "inline" and row.label else ""
            parts.append(f"{row.label}{colon}{row.value}")
    return re.sub(r"\s+", "", "".join(parts))


# ---------------------------------------------------------------------------------------------- drawing


def _runs(text: str, face: str) -> Iterator[tuple[str, str]]:
    """Text in runs of one font: glyphs outside Latin-1 (■ ・ ● ◆ 第 章) in the CID font."""
    for run in _NON_LATIN.split(text):
        if run:
            yield (CJK_FONT if _NON_LATIN.fullmatch(run) else face), run


def _width(text: str, font: Font) -> float:
    return sum(stringWidth(run, face, font.size) for face, run in _runs(text, font.face))


_NO_FORCED_BREAKS = Layout(break_after=())


def _wrap(text: str, font: Font, width: float) -> list[list[Piece]]:
    """Greedy wrapping (pdf_fixtures.wrap); a leading word with a CJK marker ("■", "・CREST", "第1章")
    stays whole on the first line."""
    head, _, rest = text.partition(" ")
    if not _NON_LATIN.match(head) or not rest:
        return wrap(text, font.face, font.size, width, _NO_FORCED_BREAKS)
    lines = wrap(rest, font.face, font.size, width - _width(head + " ", font), _NO_FORCED_BREAKS)
    first = [
        Piece(head, None, False),
        *(Piece(p.text, p.uri, True) if i == 0 else p for i, p in enumerate(lines[0])),
    ]
    return [first, *lines[1:]]


class _Pages:
    def __init__(self, path: Path, design: Design, total: int | None) -> None:
        self.design, self.total = design, total
        self.canvas = Canvas(str(path), pagesize=design.pagesize, invariant=1)
        self.canvas.setAuthor("ingest test fixtures")
        self.page = 1
        self._start_page()

    @property
    def bottom(self) -> float:
        return self.design.margin + (24 if self.design.footer else 0)

    def _start_page(self) -> None:
        design = self.design
        width, height = design.pagesize
        self.y = height - design.margin - (20 if design.header else 0)
        self.at_top = True
        if design.header:
            self._draw(
                design.margin, height - design.margin + 4, design.header, Font("Helvetica-Oblique", 8.0)
            )
        if design.footer:
            text = design.footer.format(page=self.page, pages=self.total or "?")
            font = Font("Helvetica", 8.0)
            self._draw((width - _width(text, font)) / 2, design.margin - 6, text, font)

    def new_page(self) -> None:
        self.canvas.showPage()
        self.page += 1
        self._start_page()

    def space(self, points: float) -> None:
        if not self.at_top:
            self.y -= points

    def need(self, height: float) -> None:
        if self.y - height < self.bottom:
            self.new_page()

    def _draw(self, x: float, y: float, text: str, font: Font, uri: str | None = None) -> float:
        start = x
        color = self.design.link_color if uri and self.design.link_color else font.color
        self.canvas.setFillColorRGB(*color)
        for face, run in _runs(text, font.face):
            self.canvas.setFont(face, font.size)
            self.canvas.drawString(x, y, run)
            x += stringWidth(run, face, font.size)
        if uri and self.design.links:
            self.canvas.linkURL(
                uri, (start, y - font.size * 0.25, x, y + font.size * 0.85), relative=0, thickness=0
            )
        return x

    def pieces(self, x: float, y: float, pieces: list[Piece], font: Font) -> None:
        for piece in pieces:
            if piece.space_before:
                x = self._draw(x, y, " ", font)
            x = self._draw(x, y, piece.text, font, piece.uri)

    def paragraph(self, text: str, font: Font, x: float, width: float, marker: str = "") -> None:
        leading = font.size * self.design.leading
        for index, pieces in enumerate(_wrap(text, font, width)):
            self.need(leading)
            self.y -= leading
            self.at_top = False
            if marker and index == 0:
                self._draw(x - 20, self.y, marker, font)
            self.pieces(x, self.y, pieces, font)


def _draw_fields(pages: _Pages, rows: list[Row], label_column: float) -> None:
    design = pages.design
    left, width = design.margin, design.pagesize[0] - 2 * design.margin
    if design.fields == "inline":
        for row in rows:
            pages.space(design.body.size * 0.6)
            if row.sublabel:
                pages.paragraph(f"{row.label}:", design.body, left, width)
                pages.space(design.body.size * 0.6)
            text = f"{row.label}: {row.value}" if row.label and not row.sublabel else row.value
            pages.paragraph(text, design.body, left, width)
        return
    if design.fields == "own-line":
        for row in rows:
            pages.space(design.body.size * 0.6)
            if row.label:
                pages.paragraph(row.label, design.label, left, width)
            pages.paragraph(row.value, design.body, left, width)
        return
    ruled = design.fields == "ruled-table"
    pad = 4.0 if ruled else 3.0
    leading = design.body.size * design.leading
    value_width = width - label_column - 2 * pad
    pages.space(design.body.size * 0.6)
    for row in rows:
        value_lines = _wrap(row.value, design.body, value_width)
        label_lines = _wrap(row.label, design.label, label_column - 2 * pad) if row.label else []
        height = max(len(value_lines), len(label_lines)) * leading + 2 * pad + (0 if ruled else 3)
        pages.need(height)
        top = pages.y
        baseline = top - pad - design.body.size
        for index, pieces in enumerate(label_lines):
            pages.pieces(left + pad, baseline - index * leading, pieces, design.label)
        for index, pieces in enumerate(value_lines):
            pages.pieces(left + label_column + pad, baseline - index * leading, pieces, design.body)
        if ruled:
            pages.canvas.setStrokeColorRGB(0.5, 0.5, 0.5)
            pages.canvas.setLineWidth(0.5)
            pages.canvas.rect(left, top - height, label_column, height, stroke=1, fill=0)
            pages.canvas.rect(
                left + label_column, top - height, width - label_column, height, stroke=1, fill=0
            )
        pages.y = top - height
        pages.at_top = False


def _render(content: list[Item], path: Path, design: Design, total: int | None) -> int:
    pages = _Pages(path, design, total)
    left, width = design.margin, design.pagesize[0] - 2 * design.margin
    labels = [row.label for item in content for row in item.rows if row.label]
    label_column = design.label_column or max(_width(label, design.label) for label in labels) + (
        12 if design.fields == "ruled-table" else 30
    )
    previous: Item | None = None
    for item in content:
        if item.kind == "title":
            pages.space(4)
            pages.paragraph(item.text, design.doc_title, left, width)
        elif item.kind == "heading":
            pages.space(design.heading.size * 1.6)
            pages.need(design.heading.size * 6)  # no heading alone at the foot of a page
            pages.paragraph(item.text, design.heading, left, width)
        elif item.kind == "program":
            pages.space(design.title.size * 1.2)
            pages.need(design.title.size * 5)
            pages.paragraph(item.text, design.title, left, width)
        elif item.kind == "fields":
            _draw_fields(pages, item.rows, label_column)
        else:
            listed = item.kind in {"bullet", "numbered"}
            same_list = listed and previous is not None and previous.kind == item.kind
            pages.space(0 if same_list else design.body.size * 0.6)
            indent = 24 if listed else 0
            pages.paragraph(item.text, design.body, left + indent, width - indent, marker=item.marker)
        previous = item
    pages.canvas.showPage()
    pages.canvas.save()
    return pages.page


def render_design(blocks: list[Block], path: Path, design: Design) -> Path:
    """`blocks` printed in `design` to `path` (twice for a "Page N of M" footer: first to count pages)."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    content = items(blocks, design)
    total = _render(content, path, design, None)
    if design.footer and "{pages}" in design.footer:
        _render(content, path, design, total)
    return path


# ----------------------------------------------------------------------------------- designs that must fail

# Everything in the body's style: no heading, title or field stands out, so no outline can be read.
FLAT = Design(
    name="flat",
    pagesize=LETTER,
    margin=72.0,
    body=Font("Helvetica", 10.0),
    heading=Font("Helvetica", 10.0),
    title=Font("Helvetica", 10.0),
    label=Font("Helvetica", 10.0),
    doc_title=Font("Helvetica", 10.0),
    fields="inline",
    heading_number=lambda number, text: text,
    title_number=lambda section, number, text: text,
)
# Headings stand out but program titles are set like the body, without a marker: no program is found.
UNMARKED_TITLES = Design(
    name="unmarked-titles",
    pagesize=A4,
    margin=56.0,
    body=Font("Helvetica", 10.0),
    heading=Font("Helvetica-Bold", 14.0),
    title=Font("Helvetica", 10.0),
    label=Font("Helvetica", 10.0),
    doc_title=Font("Helvetica-Bold", 18.0),
    fields="inline",
    heading_number=_part,
    title_number=lambda section, number, text: text,
)


# ---------------------------------------------------------------------------------------------- fixtures


def rendered_designs(
    factory: Any, source: Path, blocks: list[Block] | None = None, tag: str = ""
) -> dict[str, Path]:
    """Every design of DESIGNS rendered once per session under the pdf_fixtures output folder."""
    from pdf_fixtures import _outputs, load_edition

    paths = {}
    for design in DESIGNS:
        target = _outputs(factory) / f"{source.stem}{tag}-{design.name}.pdf"
        if not target.exists():
            render_design(blocks or load_edition(source), target, design)
        paths[design.name] = target
    return paths


def render_once(factory: Any, name: str, blocks: list[Block], design: Design) -> Path:
    from pdf_fixtures import _outputs

    target = _outputs(factory) / name
    if not target.exists():
        render_design(blocks, target, design)
    return target


# ------------------------------------------------------------------------------ another producer: Chromium

# Chromium's own print header (date, document title) and footer (file URL, "2/5") are left on: real furniture.
CHROMIUM_DESIGN = Design(
    name="chromium-html",
    pagesize=LETTER,
    margin=0.0,
    body=Font("DejaVu Serif", 10.0),
    heading=Font("DejaVu Sans", 13.0, (0.55, 0.1, 0.1)),
    title=Font("DejaVu Sans", 10.5, (0.1, 0.25, 0.5)),
    label=Font("DejaVu Sans", 9.0),
    doc_title=Font("DejaVu Sans", 17.0),
    fields="ruled-table",
    heading_number=lambda number, text: f"Section {number} — {text}",
    title_number=lambda section, number, text: text,
)
_CSS = """
body { font-family: 'DejaVu Serif'; font-size: 10pt; margin: 0 0.3in; }
h1 { font-family: 'DejaVu Sans'; font-size: 17pt; font-weight: bold; text-align: center; margin: 0; }
h2 { font-family: 'DejaVu Sans'; font-size: 13pt; font-weight: normal; color: #8c1a1a; margin: 18pt 0 6pt; }
h3 { font-family: 'DejaVu Sans'; font-size: 10.5pt; font-weight: normal; color: #1a4080; margin: 12pt 0 4pt; }
p { margin: 4pt 0; }
table { border-collapse: collapse; margin: 6pt 0; width: 100%; }
td { border: 0.75pt solid #777; padding: 2pt 5pt; vertical-align: top; font-size: 10pt; }
td.label { font-family: 'DejaVu Sans'; font-size: 9pt; white-space: nowrap; width: 1%; }
ul, ol { margin: 4pt 0; }
"""


def chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


def edition_html(blocks: list[Block], design: Design = CHROMIUM_DESIGN) -> str:
    """The edition as an HTML page: h1/h2/h3, paragraphs, lists, one bordered table per run of fields."""
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(blocks[0].text)}</title>"]
    out.append(f"<style>{_CSS}</style></head><body>")
    open_list = ""
    for item in items(blocks, design):
        wanted = {"bullet": "ul", "numbered": "ol"}.get(item.kind, "")
        if open_list and wanted != open_list:
            out.append(f"</{open_list}>")
            open_list = ""
        if wanted and not open_list:
            start = f" start='{item.marker.rstrip('.')}'" if wanted == "ol" else ""
            out.append(f"<{wanted}{start}>")
            open_list = wanted
        text = escape(item.text)
        if item.kind == "title":
            out.append(f"<h1>{text}</h1>")
        elif item.kind == "heading":
            out.append(f"<h2>{text}</h2>")
        elif item.kind == "program":
            out.append(f"<h3>{text}</h3>")
        elif item.kind == "fields":
            rows = "".join(
                f"<tr><td class='label'>{escape(row.label)}</td><td>{escape(row.value)}</td></tr>"
                for row in item.rows
            )
            out.append(f"<table>{rows}</table>")
        elif wanted:
            out.append(f"<li>{text}</li>")
        else:
            out.append(f"<p>{text}</p>")
    if open_list:
        out.append(f"</{open_list}>")
    out.append("</body></html>")
    return "\n".join(out)


def render_chromium(blocks: list[Block], path: Path) -> Path:
    """`blocks` as HTML printed to PDF by headless Chromium (US Letter, its default print header/footer)."""
    browser = chromium()
    if browser is None:
        raise RuntimeError("chromium is not installed")
    page = path.with_suffix(".html")
    page.write_text(edition_html(blocks), encoding="utf-8")
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--print-to-pdf={path}",
        page.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return path
