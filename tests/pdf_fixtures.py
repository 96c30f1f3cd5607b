"""PDF test fixtures: a second rendering of the reference document, a modified edition, and bad inputs.

Everything is generated at test time from the text sources in tests/fixtures/editions/, never committed as
binaries. The reference PDF (sources/, LibreOffice, A4, Carlito) is the ground truth; the reportlab
rendering here is deliberately different in every way a real re-publication could be (page size, fonts,
sizes, margins, bullet glyphs, wrapping, URL and e-mail splits, link annotations) while printing exactly
the same words, so records extracted from both must be equal.

Markup of the edition files (one block per paragraph; blank lines separate blocks):

    %% text        a comment, never rendered
    # text         a document title line (Helvetica-Bold, large, centred)
    ## text        a section heading, e.g. "## [Remaining Abroad ...]" (Helvetica-Bold, larger than body)
    ### text       a program title (Helvetica-Bold at body size); a bullet glyph, if any, is part of the text
    - text         a bullet item; "• text" and "· text" too, printed with the glyph written (hanging indent)
    1. text        a numbered item, number printed as written (hanging indent)
    other text     body text (Times-Roman)

A marker counts only in column 0: an indented line continues the block above it, so a list item can be
written over several lines. The lines of a block are joined with single spaces and re-flowed to the
column, except that a line ending in " \\" forces a line break there (a paragraph whose line breaks are
not the renderer's own). Link annotations are added to every URL (https://...) and e-mail address
(mailto:...), one per printed fragment when an address is split across lines.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

REPO = Path(__file__).resolve().parents[1]
EDITIONS = Path(__file__).resolve().parent / "fixtures" / "editions"
REFERENCE_PDF = REPO / "sources" / "funding-programs-overseas-2025-04.pdf"
REFERENCE_TEXT = EDITIONS / "reference-2025-04.txt"
MODIFIED_TEXT = EDITIONS / "modified-2026.txt"

BULLETS = ("-", "•", "·")
_NUMBERED = re.compile(r"^(\d+\.)\s+(.*)$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://\S+")
_URL_BREAKS = "/.-_@"  # where a URL may be split, after the character (as LaTeX's url package does)


# ----------------------------------------------------------------------------------------------- markup


@dataclass
class Block:
    """One paragraph of an edition: its kind, list marker and text segments (split at forced breaks)."""

    kind: str  # title | heading | program | bullet | numbered | body
    segments: list[str] = field(default_factory=list)
    marker: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.segments)


def parse_edition(source: str) -> list[Block]:
    """The blocks of an edition file, in order (see the module docstring for the markup)."""
    blocks: list[Block] = []
    current: Block | None = None
    open_segment = False  # whether the next continuation line extends the last segment
    for raw in source.splitlines():
        if raw.startswith("%%"):
            continue
        if not raw.strip():
            current, open_segment = None, False
            continue
        forced = raw.rstrip().endswith(" \\")
        text = raw.rstrip().removesuffix("\\").strip()
        start = _block_start(raw)
        if start is not None:
            blocks.append(start)
            # headings and titles are one line in the source; anything after them starts a new block
            current = None if start.kind in {"title", "heading", "program"} else start
        elif current is None:
            current = Block("body", [text])
            blocks.append(current)
        elif open_segment:
            current.segments[-1] = f"{current.segments[-1]} {text}".strip()
        else:
            current.segments.append(text)
        open_segment = not forced
    return blocks


def _block_start(raw: str) -> Block | None:
    for prefix, kind in (("### ", "program"), ("## ", "heading"), ("# ", "title")):
        if raw.startswith(prefix):
            return Block(kind, [raw.removeprefix(prefix).strip()])
    text = raw.rstrip().removesuffix("\\").strip()
    if raw[:1] in BULLETS and raw[1:2] == " ":
        return Block("bullet", [text[2:].strip()], marker=raw[0])
    if raw[:1].isdigit() and (match := _NUMBERED.match(text)):
        return Block("numbered", [match.group(2)], marker=match.group(1))
    return None


def load_edition(path: Path) -> list[Block]:
    return parse_edition(path.read_text(encoding="utf-8"))


def printed_text(blocks: list[Block]) -> str:
    """Everything the rendering prints, markers included, whitespace removed: what a PDF must contain."""
    return "".join(f"{block.marker}{block.text}" for block in blocks).replace(" ", "")


# -------------------------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Layout:
    """How the reportlab rendering differs from LibreOffice's A4 / Carlito 10.5 / 62pt-margin original."""

    pagesize: tuple[float, float] = LETTER
    left: float = 126.0
    right: float = 146.0  # a 340pt column: "Program Website: <url>" lines split inside the URL
    top: float = 78.0
    bottom: float = 66.0
    body_font: str = "Times-Roman"
    bold_font: str = "Helvetica-Bold"
    body_size: float = 12.0
    leading: float = 15.0
    title_size: float = 15.0
    heading_size: float = 13.0
    paragraph_gap: float = 7.0
    program_gap: float = 13.0
    heading_gap: float = 20.0
    marker_indent: float = 12.0
    hang_indent: float = 32.0  # room for "10."
    # E-mail addresses split after these prefixes whatever the room left (LaTeX-style \url breaking would
    # never split a short "Contact:" line); one after "@", one inside the domain.
    break_after: tuple[str, ...] = ("nichibei@amed.", "amed-aspire@")

    @property
    def width(self) -> float:
        return self.pagesize[0] - self.left - self.right


def _bullet_font(font: str) -> str:
    """The font "•" is drawn in: reportlab writes it into standard Type1 fonts as code 0x7F, which
    pdfminer reads back as "(cid:127)"; reportlab's bundled Vera TrueType fonts carry a ToUnicode map."""
    name = "Vera-Bold" if "Bold" in font else "Vera"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, "VeraBd.ttf" if name == "Vera-Bold" else "Vera.ttf"))
    return name


def _font_runs(text: str, font: str) -> Iterator[tuple[str, str]]:
    for run in re.split(r"(•+)", text):
        if run:
            yield (_bullet_font(font) if run.startswith("•") else font), run


def text_width(text: str, font: str, size: float) -> float:
    return sum(stringWidth(run, run_font, size) for run_font, run in _font_runs(text, font))


@dataclass(frozen=True)
class Piece:
    text: str
    uri: str | None
    space_before: bool


def _link_target(word: str) -> str | None:
    if _URL.fullmatch(word):
        return word
    if _EMAIL.fullmatch(word):
        return f"mailto:{word}"
    return None


def _url_split(token: str, room: float, font: str, size: float) -> str | None:
    """The longest head of a URL/e-mail token that fits in `room`, cut after a "/" if possible (as word
    processors do), else after another break character; never inside "https://", never leaving < 3 chars."""
    for breaks in ("/", _URL_BREAKS):
        heads = [
            token[:index]
            for index in range(10, len(token) - 2)
            if token[index - 1] in breaks and stringWidth(token[:index], font, size) <= room
        ]
        if heads:
            return heads[-1]
    return None


def wrap(text: str, font: str, size: float, width: float, layout: Layout) -> list[list[Piece]]:
    """Greedy line filling; URL and e-mail tokens may be split across lines, other words never."""
    lines: list[list[Piece]] = [[]]
    used = 0.0
    space = stringWidth(" ", font, size)
    for word in text.split():
        uri, rest = _link_target(word), word
        while rest:
            gap = space if lines[-1] else 0.0
            forced = next((p for p in layout.break_after if uri and rest.startswith(p) and rest != p), None)
            head = forced
            if head is None and used + gap + text_width(rest, font, size) <= width:
                lines[-1].append(Piece(rest, uri, bool(lines[-1])))
                used += gap + text_width(rest, font, size)
                break
            if head is None and uri:
                head = _url_split(rest, width - used - gap, font, size)
            if head is not None and used + gap + text_width(head, font, size) <= width:
                lines[-1].append(Piece(head, uri, bool(lines[-1])))
                rest = rest[len(head) :]
            elif not lines[-1]:  # longer than a whole line and unbreakable: let it overflow
                lines[-1].append(Piece(rest, uri, False))
                rest = ""
            lines.append([])
            used = 0.0
    return [line for line in lines if line]


class _Writer:
    """A cursor over pages: places lines top to bottom, starting a new page when one is full."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.canvas, self.layout = canvas, layout
        self.y = layout.pagesize[1] - layout.top
        self.at_page_top = True

    def space(self, points: float) -> None:
        if not self.at_page_top:
            self.y -= points

    def line(self, pieces: list[Piece], x: float, font: str, size: float, marker: str = "") -> None:
        if self.y - self.layout.leading < self.layout.bottom:
            self.canvas.showPage()
            self.y, self.at_page_top = self.layout.pagesize[1] - self.layout.top, True
        self.y -= self.layout.leading
        self.at_page_top = False
        if marker:
            self._text(self.layout.left + self.layout.marker_indent, marker, self.layout.body_font, size)
        for piece in pieces:
            if piece.space_before:  # a real space character, so extractors see a word boundary
                x = self._text(x, " ", font, size)
            start = x
            x = self._text(x, piece.text, font, size)
            if piece.uri:
                box = (start, self.y - size * 0.25, x, self.y + size * 0.85)
                self.canvas.linkURL(piece.uri, box, relative=0, thickness=0)

    def _text(self, x: float, text: str, font: str, size: float) -> float:
        """Draw `text` at x on the current line; return where it ends."""
        for run_font, run in _font_runs(text, font):
            self.canvas.setFont(run_font, size)
            self.canvas.drawString(x, self.y, run)
            x += stringWidth(run, run_font, size)
        return x


def _draw_block(writer: _Writer, block: Block, previous: Block | None) -> None:
    layout = writer.layout
    left, width = layout.left, layout.width
    if block.kind == "title":
        font, size = layout.bold_font, layout.title_size
    elif block.kind == "heading":
        font, size = layout.bold_font, layout.heading_size
        writer.space(layout.heading_gap)
    elif block.kind == "program":
        font, size = layout.bold_font, layout.body_size
        writer.space(layout.program_gap)
    else:
        font, size = layout.body_font, layout.body_size
        listed = block.kind in {"bullet", "numbered"}
        in_list = listed and previous is not None and previous.kind == block.kind
        writer.space(0 if in_list else layout.paragraph_gap)  # list items follow each other unspaced
        if listed:
            left, width = layout.left + layout.hang_indent, layout.width - layout.hang_indent
    if block.kind == "title":
        width = layout.pagesize[0] - 2 * 72.0
    first = True
    for segment in block.segments:
        for pieces in wrap(segment, font, size, width, layout):
            x = left
            if block.kind == "title":  # centred on the page, not the column
                line_width = sum(text_width(p.text, font, size) for p in pieces)
                line_width += stringWidth(" ", font, size) * sum(p.space_before for p in pieces)
                x = (layout.pagesize[0] - line_width) / 2
            writer.line(pieces, x, font, size, marker=block.marker if first else "")
            first = False


def render_edition(
    blocks: list[Block], path: Path, layout: Layout | None = None, encrypt: str | None = None
) -> Path:
    """Render `blocks` to a PDF at `path`; `encrypt` sets a user password (the file then needs it to open)."""
    layout = layout or Layout()
    encryption = StandardEncryption(encrypt, ownerPassword=f"{encrypt}-owner") if encrypt else None
    canvas = Canvas(str(path), pagesize=layout.pagesize, invariant=1, encrypt=encryption)
    canvas.setTitle(blocks[0].text if blocks else "")
    canvas.setAuthor("ingest test fixtures")
    writer = _Writer(canvas, layout)
    previous = None
    for block in blocks:
        _draw_block(writer, block, previous)
        previous = block
    canvas.showPage()
    canvas.save()
    return path


# ------------------------------------------------------------------------------------------- bad inputs

_HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Japanese Funding Programs</title></head>
<body><h1>Reference Information: Japanese Funding Programs</h1>
<p>[You can apply for and receive funding while affiliated with an overseas research institution]</p>
<h2>CREST</h2><p>Website: https://www.jst.go.jp/kisoken/crest/en/index.html</p>
</body></html>
"""

_LETTER = [
    "Tokyo, 14 March 2025",
    "Dear Dr. Sato,",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et",
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip",
    "ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore.",
    "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est.",
    "Sincerely,",
    "Hanako Suzuki",
]


def _write_text_pdf(path: Path, lines: list[str]) -> Path:
    canvas = Canvas(str(path), pagesize=LETTER, invariant=1)
    canvas.setFont("Times-Roman", 11)
    y = LETTER[1] - 90
    for line in lines:
        canvas.drawString(72, y, line)
        y -= 22
    canvas.showPage()
    canvas.save()
    return path


def _write_blank_pdf(path: Path) -> Path:
    canvas = Canvas(str(path), pagesize=LETTER, invariant=1)
    canvas.showPage()
    canvas.save()
    return path


# Bad inputs: name → whether extract_file must raise EmptyExtractError (opens, but no programs) rather
# than only ExtractError (cannot be read at all).
BAD_INPUTS: dict[str, bool] = {
    "empty.pdf": False,
    "truncated.pdf": False,
    "encrypted.pdf": False,
    "saved-web-page.pdf": False,
    "blank-page.pdf": True,
    "lorem-letter.pdf": True,
    "missing.pdf": False,
}


def build_bad_inputs(directory: Path) -> dict[str, Path]:
    """Write every bad input into `directory` (missing.pdf deliberately not); name → path."""
    directory.mkdir(parents=True, exist_ok=True)
    reference = REFERENCE_PDF.read_bytes()
    (directory / "empty.pdf").write_bytes(b"")
    (directory / "truncated.pdf").write_bytes(reference[: len(reference) * 40 // 100])
    render_edition(load_edition(REFERENCE_TEXT), directory / "encrypted.pdf", encrypt="s3cret-user")
    (directory / "saved-web-page.pdf").write_text(_HTML_PAGE, encoding="utf-8")
    _write_blank_pdf(directory / "blank-page.pdf")
    _write_text_pdf(directory / "lorem-letter.pdf", _LETTER)
    return {name: directory / name for name in BAD_INPUTS}


# ------------------------------------------------------------------------------------ helpers for tests


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def records_by_id(records: list[Any]) -> dict[str, Any]:
    return {record.id: record for record in records}


def dump_without_provenance(record: Any) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude={"provenance"})


def ingest_command() -> str:
    """The `ingest` console script of the environment running the tests."""
    beside_python = Path(sys.executable).parent / "ingest"
    found = str(beside_python) if beside_python.exists() else shutil.which("ingest")
    if found is None:
        pytest.fail("the `ingest` console script is not installed (pip install -e .)")
    return found


def iter_pdf_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(page number, text) of every printed line, as pdfplumber groups them."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for line in page.extract_text_lines():
                yield number, line["text"]


# ---------------------------------------------------------------------------------------------- fixtures
# Test modules import these by name until the lead's conftest loads this module as a plugin. Outputs go
# to one fixed directory under the session's basetemp and are reused, so a fixture imported into several
# modules (one FixtureDef each) still renders and extracts once per session.

_extracted: dict[Path, list[Any]] = {}


def _outputs(factory: pytest.TempPathFactory) -> Path:
    directory = factory.getbasetemp() / "pdf-fixtures"
    directory.mkdir(exist_ok=True)
    return directory


def _render_once(factory: pytest.TempPathFactory, source: Path, name: str) -> Path:
    target = _outputs(factory) / name
    if not target.exists():
        render_edition(load_edition(source), target)
    return target


def extract_cached(path: Path) -> list[Any]:
    """ingest.extract.extract_file, memoised per session (the extractor is the lead's, imported late so that
    rendering tests run before it exists)."""
    from ingest.extract import extract_file

    if path not in _extracted:
        _extracted[path] = extract_file(path)
    return _extracted[path]


@pytest.fixture(scope="session")
def reference_pdf() -> Path:
    return REFERENCE_PDF


@pytest.fixture(scope="session")
def rendered_reference_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference edition rendered by reportlab (US Letter, Times/Helvetica, links)."""
    return _render_once(tmp_path_factory, REFERENCE_TEXT, "reference-2025-04-reportlab.pdf")


@pytest.fixture(scope="session")
def modified_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our own modified edition (tests/fixtures/editions/modified-2026.txt) rendered like the above."""
    return _render_once(tmp_path_factory, MODIFIED_TEXT, "modified-2026-reportlab.pdf")


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = _outputs(tmp_path_factory) / "bad"
    if directory.exists():
        return {name: directory / name for name in BAD_INPUTS}
    return build_bad_inputs(directory)


@pytest.fixture(scope="session")
def reference_records() -> list[Any]:
    return extract_cached(REFERENCE_PDF)


@pytest.fixture(scope="session")
def rendered_reference_records(rendered_reference_pdf: Path) -> list[Any]:
    return extract_cached(rendered_reference_pdf)


@pytest.fixture(scope="session")
def modified_records(modified_pdf: Path) -> list[Any]:
    return extract_cached(modified_pdf)


__all__ = [
    "BAD_INPUTS",
    "Block",
    "Layout",
    "bad_inputs",
    "dump_without_provenance",
    "extract_cached",
    "ingest_command",
    "iter_pdf_lines",
    "load_edition",
    "modified_pdf",
    "modified_records",
    "parse_edition",
    "printed_text",
    "records_by_id",
    "reference_pdf",
    "reference_records",
    "render_edition",
    "rendered_reference_pdf",
    "rendered_reference_records",
    "sha256_file",
]
