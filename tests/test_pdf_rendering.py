"""The reportlab rendering of the reference edition: first that the fixture really is the same words laid out
differently (so it cannot silently degrade into an easy copy), then that extraction does not care."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest

from pdf_fixtures import (
    REFERENCE_PDF,
    REFERENCE_TEXT,
    Block,
    dump_without_provenance,
    iter_pdf_lines,
    load_edition,
    printed_text,
    records_by_id,
)
from pdf_fixtures import reference_records as reference_records  # fixtures
from pdf_fixtures import rendered_reference_pdf as rendered_reference_pdf
from pdf_fixtures import rendered_reference_records as rendered_reference_records

_BULLET_GLYPHS = re.compile(r"[\uf0b7•·]")  # the reference's private-use sub-bullet, and ours
_URL_OR_EMAIL = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _words_without_bullets(blocks: list[Block]) -> str:
    """The edition's text minus bullets (list markers and title glyphs), whitespace removed."""
    parts = []
    for block in blocks:
        text = f"{block.marker}{block.text}" if block.kind == "numbered" else block.text
        if block.kind == "program":
            text = re.sub(r"^[-•·]\s*", "", text)
        parts.append(text)
    return re.sub(r"\s+", "", "".join(parts))


def _pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "".join(page.extract_text() or "" for page in pdf.pages)


def _first_difference(a: str, b: str) -> str:
    index = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"at {index}: {a[index - 30 : index + 30]!r} vs {b[index - 30 : index + 30]!r}"


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    return load_edition(REFERENCE_TEXT)


@pytest.fixture(scope="module")
def lines(rendered_reference_pdf: Path) -> list[tuple[int, str]]:
    return list(iter_pdf_lines(rendered_reference_pdf))


@pytest.fixture(scope="module")
def hyperlinks(rendered_reference_pdf: Path) -> list[str]:
    with pdfplumber.open(rendered_reference_pdf) as pdf:
        return [link["uri"] for page in pdf.pages for link in page.hyperlinks]


# ----------------------------------------------------------------------------------- fixture properties


def test_text_source_has_the_reference_pdf_words(blocks: list[Block]) -> None:
    expected = re.sub(r"\s+", "", _BULLET_GLYPHS.sub("", _pdf_text(REFERENCE_PDF)))
    ours = _BULLET_GLYPHS.sub("", _words_without_bullets(blocks))
    assert ours == expected, _first_difference(ours, expected)


def test_rendering_prints_exactly_the_source_text(blocks: list[Block], rendered_reference_pdf: Path) -> None:
    printed = re.sub(r"\s+", "", _pdf_text(rendered_reference_pdf))
    assert printed == printed_text(blocks), _first_difference(printed, printed_text(blocks))


def test_rendering_differs_in_page_size_count_and_fonts(rendered_reference_pdf: Path) -> None:
    with pdfplumber.open(REFERENCE_PDF) as reference, pdfplumber.open(rendered_reference_pdf) as ours:
        assert len(ours.pages) != len(reference.pages)
        assert (round(ours.pages[0].width), round(ours.pages[0].height)) == (612, 792)  # US Letter, not A4
        fonts = Counter((c["fontname"], round(c["size"], 1)) for page in ours.pages for c in page.chars)
    body_font, body_size = fonts.most_common(1)[0][0]
    assert (body_font, body_size) == ("Times-Roman", 12.0)  # the reference's body is Carlito 10.5
    assert ("Helvetica-Bold", 12.0) in fonts  # program titles
    assert ("Helvetica-Bold", 13.0) in fonts  # section headings, larger than body


def test_rendering_breaks_a_sentence_across_pages(lines: list[tuple[int, str]]) -> None:
    last_lines = {page: text for page, text in lines}  # later lines overwrite: the last line of each page
    first_lines = {page: text for page, text in reversed(lines)}
    split = [
        page
        for page in last_lines
        if page + 1 in first_lines
        and not last_lines[page].rstrip().endswith((".", ":", ";", ")", "]"))
        and first_lines[page + 1][:1].islower()
    ]
    assert split, "no page ends mid-sentence"


def _split_addresses(lines: list[tuple[int, str]], blocks: list[Block]) -> set[str]:
    """Addresses printed with their head at the end of one line and their tail at the start of the next."""
    addresses = {match for block in blocks for match in _URL_OR_EMAIL.findall(block.text)}
    found = set()
    for (_, line), (_, following) in pairwise(lines):
        for address in addresses:
            cuts = range(1, len(address))
            if any(line.endswith(address[:i]) and following.startswith(address[i:]) for i in cuts):
                found.add(address)
    return found


def test_rendering_splits_urls_and_emails(lines: list[tuple[int, str]], blocks: list[Block]) -> None:
    split = _split_addresses(lines, blocks)
    assert any(address.startswith("https://") for address in split), split
    assert any("@" in address for address in split), split


def test_rendering_uses_several_bullet_glyphs(lines: list[tuple[int, str]]) -> None:
    for glyph in ("·", "•", "-"):
        assert any(text.startswith(f"{glyph} ") for _, text in lines), glyph


def test_rendering_links_every_url_and_email(hyperlinks: list[str], blocks: list[Block]) -> None:
    expected = set()
    for block in blocks:
        for address in _URL_OR_EMAIL.findall(block.text):
            expected.add(address if address.startswith("http") else f"mailto:{address}")
    assert set(hyperlinks) == expected
    with pdfplumber.open(REFERENCE_PDF) as reference:  # the point of the difference: LibreOffice's has none
        assert not [link for page in reference.pages for link in page.hyperlinks]


def test_split_addresses_carry_one_link_per_fragment(
    hyperlinks: list[str], lines: list[tuple[int, str]], blocks: list[Block]
) -> None:
    printed = Counter(address for block in blocks for address in _URL_OR_EMAIL.findall(block.text))
    links = Counter(hyperlinks)
    for address in _split_addresses(lines, blocks):
        uri = address if address.startswith("http") else f"mailto:{address}"
        assert links[uri] >= 2 * printed[address], uri


# ------------------------------------------------------------------------------------------- extraction


def test_rendering_gives_the_same_records(
    reference_records: list,
    rendered_reference_records: list,
) -> None:
    ours, theirs = records_by_id(rendered_reference_records), records_by_id(reference_records)
    assert list(ours) == list(theirs)  # same programs, same order
    for program_id, record in theirs.items():
        assert dump_without_provenance(ours[program_id]) == dump_without_provenance(record), program_id


def test_rendering_provenance_points_at_its_own_pages(
    rendered_reference_pdf: Path,
    rendered_reference_records: list,
) -> None:
    with pdfplumber.open(rendered_reference_pdf) as pdf:
        last_page = len(pdf.pages)
    pages = {p for record in rendered_reference_records for source in record.provenance for p in source.pages}
    assert max(pages) == last_page  # HFSP ends the document: on page 7 here, page 5 in the reference
