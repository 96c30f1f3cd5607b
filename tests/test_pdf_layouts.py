"""The reference text re-laid out (tests/pdf_layouts.py: numbered parts and a ruled field table, colour-only
headings, Japanese markers with labels on their own line, chapters with an aligned field table, a running
header and page footers on another page size): the same records as the bundled PDF from every layout, the
modified edition's edits and only those from every layout, and a clear failure naming what was not found
when a layout gives no outline to read."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pdfplumber
import pytest

from ingest.diff import diff_programs
from ingest.errors import EmptyExtractError
from ingest.extract import extract_file
from ingest.extract.pdf import read_pdf
from pdf_fixtures import (
    MODIFIED_TEXT,
    REFERENCE_PDF,
    REFERENCE_TEXT,
    _outputs,
    dump_without_provenance,
    extract_cached,
    ingest_command,
    load_edition,
    records_by_id,
)
from pdf_fixtures import modified_records as modified_records  # fixtures
from pdf_fixtures import reference_records as reference_records
from pdf_layouts import (
    DESIGNS,
    FLAT,
    UNMARKED_TITLES,
    chromium,
    items,
    printed_words,
    render_chromium,
    render_once,
    rendered_designs,
)
from test_modified_edition import EXPECTED

NAMES = [design.name for design in DESIGNS]
BY_NAME = {design.name: design for design in DESIGNS}


@pytest.fixture(scope="session")
def layout_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return rendered_designs(tmp_path_factory, REFERENCE_TEXT)


@pytest.fixture(scope="session")
def modified_layout_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return rendered_designs(tmp_path_factory, MODIFIED_TEXT)


@dataclass(frozen=True)
class _Facts:
    size: tuple[int, int]
    fonts: Counter[tuple[str, float]]
    lines: list[list[str]]  # per page
    ruled: list[bool]  # per page: draws rectangles or lines


@cache
def _facts(path: Path) -> _Facts:
    """What a rendering looks like, read once per file."""
    with pdfplumber.open(path) as pdf:
        return _Facts(
            size=(round(pdf.pages[0].width), round(pdf.pages[0].height)),
            fonts=Counter((c["fontname"], round(c["size"], 1)) for page in pdf.pages for c in page.chars),
            lines=[[line["text"] for line in page.extract_text_lines()] for page in pdf.pages],
            ruled=[bool(page.rects or page.lines) for page in pdf.pages],
        )


# ------------------------------------------------------------------------ the renderings are what they claim


def test_renderings_print_the_edition_words(layout_pdfs: dict[str, Path]) -> None:
    """Each rendering prints every word of the edition (headings and titles with the design's own numbering
    and markers), in order, plus nothing but its page furniture."""
    blocks = load_edition(REFERENCE_TEXT)
    for name, path in layout_pdfs.items():
        design = BY_NAME[name]
        printed = [line for page in _facts(path).lines for line in page]
        if design.header:
            printed = [line for line in printed if line != design.header]
        if design.footer:
            footer = re.escape(design.footer).replace(r"\{page\}", r"\d+").replace(r"\{pages\}", r"\d+")
            printed = [line for line in printed if not re.fullmatch(footer, line)]
        ours, expected = re.sub(r"\s+", "", "".join(printed)), printed_words(blocks, design)
        if design.fields.endswith("table"):  # a wrapped label cell interleaves with its value's lines
            ours, expected = "".join(sorted(ours)), "".join(sorted(expected))
        assert ours == expected, name


def test_renderings_differ_from_each_other_and_from_the_bundled_pdf(layout_pdfs: dict[str, Path]) -> None:
    bundled_size = _facts(REFERENCE_PDF).size
    bundled_body = _facts(REFERENCE_PDF).fonts.most_common(1)[0][0]
    seen = set()
    for name, path in layout_pdfs.items():
        size, body = _facts(path).size, _facts(path).fonts.most_common(1)[0][0]
        fingerprint = (size, body, BY_NAME[name].fields)
        assert body != bundled_body, name
        assert fingerprint not in seen, name
        seen.add(fingerprint)
    assert any(size != bundled_size for size, _, _ in seen)
    assert {fields for _, _, fields in seen} == {"inline", "own-line", "ruled-table", "aligned-table"}


def test_each_rendering_has_its_distinguishing_features(layout_pdfs: dict[str, Path]) -> None:
    pages = {name: _facts(path).lines for name, path in layout_pdfs.items()}
    text = {name: "\n".join(line for page in lines for line in page) for name, lines in pages.items()}
    # numbered parts and programs, fields in a ruled two-column table, a page number on every page
    assert "Part 2. You can apply and receive funding when moving to Japan" in text["numbered-ruled-table"]
    assert re.search(r"^1\.1 CREST$", text["numbered-ruled-table"], re.M)
    table = _facts(layout_pdfs["numbered-ruled-table"])
    assert all(ruled for ruled, lines in zip(table.ruled, table.lines, strict=True) if "Contact" in lines)
    assert all(page[-1] == f"– {number} –" for number, page in enumerate(pages["numbered-ruled-table"], 1))
    assert re.search(
        r"^2025 call for Japan .*\nbased researchers$", text["numbered-ruled-table"], re.M
    )  # wraps
    # no bold font at all: headings and titles stand out by colour (and headings by size) only
    assert not [font for font, _ in _facts(layout_pdfs["colour-only"]).fonts if "Bold" in font]
    assert "[" not in text["colour-only"].split("Note: This information")[1]
    # Japanese markers; a field's label alone on its line, its value on the next
    assert re.search(r"^■ You can apply", text["japanese-markers"], re.M)
    assert re.search(r"^・CREST$", text["japanese-markers"], re.M)
    assert re.search(r"^Program Website\nhttps://", text["japanese-markers"], re.M)
    # 第N章 chapters, an unruled table, a running header and "Page N of M" on every page
    assert re.search(r"^第3章 Remaining Abroad", text["chapters-running-header"], re.M)
    count = len(pages["chapters-running-header"])
    for number, page in enumerate(pages["chapters-running-header"], 1):
        assert page[0] == BY_NAME["chapters-running-header"].header
        assert page[-1] == f"Page {number} of {count}"
    assert not any(_facts(layout_pdfs["chapters-running-header"]).ruled)


def test_table_layouts_have_rows_with_an_empty_label_cell() -> None:
    """A second contact, a call-notice link: continuation rows, to be kept with the field above them."""
    rows = [row for item in items(load_edition(REFERENCE_TEXT), DESIGNS[0]) for row in item.rows]
    continuations = [row.value for row in rows if not row.label]
    assert "aspirers@jst.go.jp (ASPIRE for Rising Scientists)" in continuations
    assert "https://www.amed.go.jp/en/news/program/0301B_00035.html" in continuations


def test_furniture_is_dropped(layout_pdfs: dict[str, Path]) -> None:
    for name, per_page in (("numbered-ruled-table", 1), ("chapters-running-header", 2), ("colour-only", 0)):
        pdf = read_pdf(layout_pdfs[name].read_bytes(), name)
        assert pdf.furniture == per_page * pdf.pages, name
        assert not [line for line in pdf.lines if re.fullmatch(r"Page \d+ of \d+|– \d+ –", line.text)]
    assert read_pdf(REFERENCE_PDF.read_bytes(), "reference").furniture == 0


# ---------------------------------------------------------------------------------------------- extraction


@pytest.mark.parametrize("name", NAMES)
def test_every_layout_gives_the_bundled_pdf_records(
    name: str, layout_pdfs: dict[str, Path], reference_records: list
) -> None:
    ours, theirs = records_by_id(extract_cached(layout_pdfs[name])), records_by_id(reference_records)
    assert list(ours) == list(theirs)  # same programs, same order
    for program_id, record in theirs.items():
        assert dump_without_provenance(ours[program_id]) == dump_without_provenance(record), program_id
    assert diff_programs(reference_records, list(ours.values())) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_layout_of_the_modified_edition_shows_exactly_its_edits(
    name: str, modified_layout_pdfs: dict[str, Path], reference_records: list, modified_records: list
) -> None:
    records = extract_cached(modified_layout_pdfs[name])
    changes = diff_programs(reference_records, records)
    assert {(change.program, change.category) for change in changes} == EXPECTED
    assert diff_programs(modified_records, records) == []  # the same as pdf_fixtures' rendering of it


@pytest.mark.parametrize("name", NAMES)
def test_provenance_points_at_the_layouts_own_pages(name: str, layout_pdfs: dict[str, Path]) -> None:
    last_page = len(_facts(layout_pdfs[name]).lines)
    records = extract_cached(layout_pdfs[name])
    assert max(page for record in records for page in record.provenance[0].pages) == last_page  # HFSP


# ------------------------------------------------------------------------------ layouts that cannot be read


def _unknown_heading_blocks() -> list:
    blocks = load_edition(REFERENCE_TEXT)
    heading = next(block for block in blocks if block.kind == "heading" and "moving to Japan" in block.text)
    heading.segments = ["[Further opportunities for researchers abroad]"]
    return blocks


@pytest.mark.parametrize(
    ("name", "blocks", "design", "reason"),
    [
        ("flat.pdf", lambda: load_edition(REFERENCE_TEXT), FLAT, "no audience heading was found"),
        (
            "unknown-heading.pdf",
            _unknown_heading_blocks,
            DESIGNS[0],
            "the heading “Part 2. Further opportunities for researchers abroad” names none of the three "
            "audiences",
        ),
        (
            "unmarked-titles.pdf",
            lambda: load_edition(REFERENCE_TEXT),
            UNMARKED_TITLES,
            "no program title was found under the heading “Part ",
        ),
    ],
)
def test_an_unreadable_layout_fails_naming_what_was_not_found(
    tmp_path_factory: pytest.TempPathFactory, name: str, blocks, design, reason: str
) -> None:
    path = render_once(tmp_path_factory, name, blocks(), design)
    with pytest.raises(EmptyExtractError) as caught:
        extract_file(path)
    message = str(caught.value)
    assert path.name in message and "no funding program could be found" in message
    assert reason in message
    assert "\n" not in message


def test_an_unreadable_layout_is_one_line_and_exit_2_on_the_command_line(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = render_once(tmp_path_factory, "unknown-heading.pdf", _unknown_heading_blocks(), DESIGNS[0])
    result = subprocess.run(
        [ingest_command(), "extract", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert (
        len(result.stderr.strip().splitlines()) == 1 and "names none of the three audiences" in result.stderr
    )
    assert result.stdout.strip() == ""


# ------------------------------------------------------------------------------ another producer: Chromium

needs_chromium = pytest.mark.skipif(chromium() is None, reason="chromium is not installed on this machine")


def _chromium_once(factory: pytest.TempPathFactory, source: Path) -> Path:
    target = _outputs(factory) / f"{source.stem}-chromium.pdf"
    if not target.exists():
        render_chromium(load_edition(source), target)
    return target


@pytest.fixture(scope="session")
def chromium_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _chromium_once(tmp_path_factory, REFERENCE_TEXT)


@pytest.fixture(scope="session")
def chromium_modified_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _chromium_once(tmp_path_factory, MODIFIED_TEXT)


@needs_chromium
def test_chromium_rendering_is_another_producer_with_its_own_furniture(chromium_pdf: Path) -> None:
    with pdfplumber.open(chromium_pdf) as pdf:
        assert "Skia" in (pdf.metadata.get("Producer") or "")
        assert any(page.curves for page in pdf.pages)  # list bullets drawn as shapes, not glyphs
    pages = _facts(chromium_pdf).lines
    assert all(re.search(rf"\b{number}/{len(pages)}$", page[-1]) for number, page in enumerate(pages, 1))
    pdf_text = read_pdf(chromium_pdf.read_bytes(), "chromium")
    assert pdf_text.furniture >= 2 * pdf_text.pages  # its print header and footer, on every page
    assert not [line for line in pdf_text.lines if line.text.startswith("file://")]


@needs_chromium
def test_chromium_rendering_gives_the_bundled_pdf_records(
    chromium_pdf: Path, reference_records: list
) -> None:
    ours, theirs = records_by_id(extract_cached(chromium_pdf)), records_by_id(reference_records)
    assert list(ours) == list(theirs)
    for program_id, record in theirs.items():
        assert dump_without_provenance(ours[program_id]) == dump_without_provenance(record), program_id


@needs_chromium
def test_chromium_rendering_of_the_modified_edition_shows_exactly_its_edits(
    chromium_modified_pdf: Path, reference_records: list
) -> None:
    changes = diff_programs(reference_records, extract_cached(chromium_modified_pdf))
    assert {(change.program, change.category) for change in changes} == EXPECTED
