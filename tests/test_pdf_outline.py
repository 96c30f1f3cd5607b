"""The outline reader (ingest.extract.layout, reference.split_blocks) on hand-made styled lines: numbering and
styles of every kind, audience headings by wording, and the failures that name what was not understood."""

from __future__ import annotations

import re

import pytest

from ingest.extract.layout import category_for, heading_text, marker_kind, title_text
from ingest.extract.pdf import Line, _drop_furniture, _Raw
from ingest.extract.reference import OutlineError, Paragraph, attach_values, split_blocks
from ingest.models import Category

BODY = "Body text of a program, long enough to be what most of the document is set in, and then some more."


def _line(
    text: str, *, size: float = 10.0, bold: bool = False, color: str = "#000000", **extra: object
) -> Line:
    return Line(text=text, page=1, bold=bold, size=size, top=0.0, gap_before=12.0, color=color, **extra)  # type: ignore[arg-type]


def _document(heading: str, title: str, *, heading_style: dict, title_style: dict) -> list[Line]:
    lines = [_line("Reference Information", size=18, bold=True)]
    for audience in (
        "You can apply for and receive funding while affiliated with an overseas research institution",
        "You can apply and receive funding when moving to Japan",
        "Remaining Abroad as a Member of a Japanese Research Team",
    ):
        lines.append(_line(heading.format(audience), **heading_style))
        lines.append(_line(title.format("CREST"), **title_style))
        lines.extend(_line(BODY) for _ in range(3))
    return lines


@pytest.mark.parametrize(
    ("heading", "title", "heading_style", "title_style"),
    [
        ("[{}]", "·{}", {"size": 12, "bold": True}, {"bold": True}),  # the 2025 edition
        ("Part 2. {}", "1.2 {}", {"size": 14, "bold": True}, {"size": 11, "bold": True}),
        ("第2章 {}", "・{}", {"size": 13}, {"color": "#aa0000"}),  # no bold at all
        ("■ {}", "◆ {}", {"color": "#1f4e79"}, {"bold": True}),  # heading by colour only
        ("{}", "{}", {"size": 13, "color": "#333399"}, {"size": 11}),  # no numbering at all
        ("2. {}", "(1) {}", {"size": 12, "bold": True}, {"bold": True, "color": "#006633"}),
    ],
)
def test_outline_in_any_numbering_and_style(
    heading: str, title: str, heading_style: dict, title_style: dict
) -> None:
    blocks = list(
        split_blocks(_document(heading, title, heading_style=heading_style, title_style=title_style))
    )
    assert [block.category for block in blocks] == [
        Category.AFFILIATED_OVERSEAS,
        Category.MOVING_TO_JAPAN,
        Category.MEMBER_OF_JAPANESE_TEAM,
    ]
    assert {block.title for block in blocks} == {"CREST"}
    assert all(len(block.lines) == 3 for block in blocks)


def test_a_title_saying_moving_to_japan_stays_a_title() -> None:
    lines = _document("[{}]", "·{}", heading_style={"size": 12, "bold": True}, title_style={"bold": True})
    lines.insert(4, _line("·Support for researchers moving to Japan", bold=True))
    lines.insert(5, _line(BODY))
    blocks = list(split_blocks(lines))
    assert [block.title for block in blocks][:2] == ["CREST", "Support for researchers moving to Japan"]
    assert blocks[1].category is Category.AFFILIATED_OVERSEAS


def test_a_heading_naming_no_audience_is_reported() -> None:
    lines = _document(
        "Part 1. {}", "1.1 {}", heading_style={"size": 14, "bold": True}, title_style={"bold": True}
    )
    lines[6] = _line("Part 2. Other opportunities", size=14, bold=True)
    with pytest.raises(OutlineError, match=re.escape("the heading “Part 2. Other opportunities” names none")):
        list(split_blocks(lines))


def test_no_audience_heading_and_no_title_are_reported() -> None:
    with pytest.raises(OutlineError, match="no audience heading was found"):
        list(split_blocks([_line(BODY), _line("CREST", bold=True), _line(BODY)]))
    lines = _document("[{}]", "{}", heading_style={"size": 12, "bold": True}, title_style={})
    with pytest.raises(
        OutlineError, match="no program title was found under the heading “\\[You can apply for"
    ):
        list(split_blocks(lines))


@pytest.mark.parametrize(
    ("text", "kind", "inner"),
    [
        ("Part 2. Moving", "part", "Moving"),
        ("第3章 Remaining abroad", "chapter", "Remaining abroad"),
        ("1.2 CREST", "deep", "CREST"),
        ("(1) CREST", "number", "CREST"),
        ("■ CREST", "glyph:■", "CREST"),
        ("・CREST", "glyph:・", "CREST"),
        ("[Remaining abroad]", "bracket", "Remaining abroad"),
        (
            "U.S.-Japan Cooperative Medical Sciences Program",
            "",
            "U.S.-Japan Cooperative Medical Sciences Program",
        ),
    ],
)
def test_heading_numbering(text: str, kind: str, inner: str) -> None:
    assert marker_kind(text) == kind
    assert heading_text(text) == inner
    assert title_text(text) == (inner if kind != "bracket" else text)


def test_audiences_by_wording() -> None:
    assert category_for("When moving to Japan") is Category.MOVING_TO_JAPAN
    assert category_for("Funding while affiliated with an overseas research institution") is (
        Category.AFFILIATED_OVERSEAS
    )
    assert category_for("Remain abroad as a member of a Japanese research team") is (
        Category.MEMBER_OF_JAPANESE_TEAM
    )
    assert category_for("Other opportunities") is None


def test_a_label_alone_takes_the_value_after_it_but_a_call_header_keeps_its_sublabel() -> None:
    items = [
        Paragraph("Website:"),
        Paragraph("https://www.jst.go.jp/aspire/en/"),
        Paragraph("Contact:"),
        Paragraph("aspire@jst.go.jp (ASPIRE for Top Scientists)"),
        Paragraph("aspirers@jst.go.jp (ASPIRE for Rising Scientists)"),
        Paragraph("2025 Call for Applications:"),
        Paragraph("For the joint research program focusing on training young and female researchers"),
        Paragraph("Deadline:"),
        Paragraph("June 3, 2025 (12:59) Japan Standard Time (JST)"),
        Paragraph("https://www.amed.go.jp/en/news/program/0301B_00035.html"),
    ]
    assert [item.text for item in attach_values(items)] == [
        "Website: https://www.jst.go.jp/aspire/en/",
        "Contact: aspire@jst.go.jp (ASPIRE for Top Scientists)",
        "aspirers@jst.go.jp (ASPIRE for Rising Scientists)",
        "2025 Call for Applications:",
        "For the joint research program focusing on training young and female researchers",
        "Deadline: June 3, 2025 (12:59) Japan Standard Time (JST)",
        "https://www.amed.go.jp/en/news/program/0301B_00035.html",
    ]


def _raw(text: str, page: int, top: float, size: float = 10.0) -> _Raw:
    return _Raw(text, page, 842.0, top, top + size, 60.0, False, size, "#000000")


def test_furniture_is_dropped_but_body_text_starting_pages_alike_is_kept() -> None:
    boilerplate = (
        "Please note that eligibility criteria such as nationality and application details are subject"
    )
    pages = [
        [
            _raw("Japanese Funding Programs — April 2025", page, 30.0, size=8.0),
            _raw(boilerplate, page, 60.0),
            _raw("to change. Always refer to the official websites.", page, 73.0),
            *(_raw(f"Body line {n} of page {page}.", page, 86.0 + 13 * n) for n in range(40)),
            _raw(f"Page {page} of 3", page, 800.0, size=8.0),
        ]
        for page in (1, 2, 3)
    ]
    kept, dropped = _drop_furniture(pages)
    assert dropped == 6
    assert all(page[0].text == boilerplate and page[-1].text.startswith("Body line 39") for page in kept)


def test_a_title_in_a_style_of_its_own_is_reported_not_swallowed() -> None:
    lines = _document(
        "Part 1. {}", "1.1 {}", heading_style={"size": 14, "bold": True}, title_style={"bold": True}
    )
    lines.insert(4, _line("1.2 Human Frontier Science Program (HFSP)", bold=True, color="#006600"))
    with pytest.raises(OutlineError, match=re.escape("the line “1.2 Human Frontier Science Program (HFSP)”")):
        list(split_blocks(lines))
