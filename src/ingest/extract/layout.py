"""Styled lines → the reference document's outline, whatever its layout.

Nothing here depends on one edition's typography. The body style is the style most of the text is set in;
a line set apart from it (larger, bolder or in another colour) is a heading candidate unless it is a field
label or a link. Audience headings are recognised by their wording, in any numbering or style; their style
and numbering then mark the section level, and the most common other candidate style marks program
titles. Field labels are recognised by their wording wherever they stand: before a colon, alone on their
line, or in a table's first column (cells come from ingest.extract.pdf). A heading at section level that
names none of the audiences is reported, not guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from ingest.extract.pdf import Line
from ingest.models import Category

BULLETS = "·•‧∙●○◦▪▫■□◆◇▶►-–*・"
# Private-use glyphs and unmapped "(cid:127)" codes are how some fonts' bullets come out of pdfminer.
BULLET = re.compile(rf"^(?:[{re.escape(BULLETS)}]|[\ue000-\uf8ff]|\(cid:\d+\))\s*")
# Heading numbering: "Part 2.", "Chapter II", "第2章", "1.2", "1.", "(1)", "II.", or a marker glyph.
HEADING_MARKER = re.compile(
    r"^(?:(?P<part>(?:part|chapter|section)\s+(?:\d{1,2}|[ivx]{1,4})\s*[.:)]?)"
    r"|(?P<chapter>第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*[章部節編])"
    r"|(?P<deep>\d{1,2}(?:\.\d{1,2}){1,3}\.?)"
    r"|(?P<number>\(?\d{1,2}[.)]|[IVX]{1,4}\.)"
    rf"|(?P<glyph>[{re.escape(BULLETS)}]|[\ue000-\uf8ff]|\(cid:\d+\)))\s*",
    re.I,
)
_BRACKETS = re.compile(r"^[\[【〔(](?P<inner>.*)[\]】〕)]$")
_URL_OR_EMAIL = re.compile(r"https?://|www\.|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_TERMINAL = re.compile(r"[.;!?]$")
_ADDRESS_PIECE = re.compile(
    r"^\S*(?:[/@]\S*|\.(?:html?|pdf|php|jp|org|com))$"
)  # "02/002.html": a wrapped link

# Field labels, with or without their colon.
WEBSITE_LABEL = re.compile(
    r"^(?:program\s+)?(?:website|web\s*site|program\s+description|homepage|url)\s*:", re.I
)
CONTACT_LABEL = re.compile(r"^(?:contacts?|e-?mail|inquiries)\s*:\s*", re.I)
CALL_LABEL = re.compile(
    r"^(?P<label>[^:]{0,80}?\b(?:call|deadline|application\s+period|submission)s?\b[^:]{0,60}?)\s*:\s*(?P<value>.*)$",
    re.I,
)
NOTE_LABEL = re.compile(r"^notes?\s*:\s*", re.I)
_PLAIN_LABEL = re.compile(
    r"^(?:(?:program\s+)?(?:website|web\s*site|program\s+description|homepage|url)|contacts?|e-?mail|inquiries"
    r"|notes?)\s*:?$",
    re.I,
)
_CALL_WORDS = re.compile(r"\b(?:call|deadline|application\s+period|submission)s?\b", re.I)

CATEGORY_WORDING = (
    (re.compile(r"affiliated with an overseas|while affiliated", re.I), Category.AFFILIATED_OVERSEAS),
    (re.compile(r"moving to japan|move to japan", re.I), Category.MOVING_TO_JAPAN),
    (
        re.compile(r"member of a japanese|remaining abroad|remain abroad", re.I),
        Category.MEMBER_OF_JAPANESE_TEAM,
    ),
)
AUDIENCES = (
    "“…while affiliated with an overseas research institution”, “…when moving to Japan”, "
    "“Remaining abroad as a member of a Japanese research team”"
)


@dataclass(frozen=True)
class Style:
    size: float
    bold: bool
    color: str


def style(line: Line) -> Style:
    return Style(round(line.size * 2) / 2, line.bold, line.color)


def body_style(lines: list[Line]) -> Style:
    """The style most of the document's characters are set in."""
    counts: Counter[Style] = Counter()
    for line in lines:
        counts[style(line)] += len(line.text)
    return counts.most_common(1)[0][0] if counts else Style(10.0, False, "#000000")


def is_emphasized(line: Line, body: Style) -> bool:
    """Set apart from the body text: larger, bold where the body is not, or in another colour."""
    own = style(line)
    return (
        own.size >= body.size * 1.08
        or (own.bold and not body.bold)
        or (own.color != body.color and own.size >= body.size * 0.95)
    )


def is_label_line(line: Line, body: Style) -> bool:
    """A field label standing alone: "Website", "Contact:", a bold "2025 call for proposals"."""
    text = line.text.strip()
    if _PLAIN_LABEL.match(text):
        return True
    if len(text) > 70 or _TERMINAL.search(text) or not _CALL_WORDS.search(text):
        return False
    return text.endswith(":") or is_emphasized(line, body)


def as_label(text: str) -> str:
    return text.rstrip().rstrip(":").rstrip() + ":"


def category_for(heading: str) -> Category | None:
    return next((category for pattern, category in CATEGORY_WORDING if pattern.search(heading)), None)


def marker_kind(text: str) -> str:
    """What numbers a heading: "part", "chapter", "deep" (1.2), "number", "glyph:■", "bracket" or ""."""
    if match := HEADING_MARKER.match(text):
        kind = next(name for name, value in match.groupdict().items() if value)
        return f"glyph:{match.group('glyph')}" if kind == "glyph" else kind
    return "bracket" if _BRACKETS.match(text.strip()) else ""


def heading_text(text: str) -> str:
    """A heading without its numbering or marker and brackets: what it says."""
    text = HEADING_MARKER.sub("", text.strip(), count=1).strip()
    if match := _BRACKETS.match(text):
        text = match.group("inner").strip()
    return text


def title_text(text: str) -> str:
    """A program title as printed, without the numbering or bullet the layout put before it."""
    return HEADING_MARKER.sub("", text.strip(), count=1).strip()


# -- table cells and labels ---------------------------------------------------------------------------


def normalize_fields(lines: list[Line], body: Style) -> list[Line]:
    """Fields in any arrangement → "Label:" lines followed by their value's lines.

    A table's first cell becomes a label line when a cell follows it on the same row; every cell's first
    line starts a paragraph (a row with an empty first cell continues the field above it). A label alone on
    its line gets its colon. In a ruled table a first cell's further lines before the next rule continue
    its label ("2025 call for Japan" / "based researchers")."""
    result: list[Line] = []
    label_at: int | None = None  # where in `result` the current table row's label is
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if (
            label_at is not None
            and line.column == 0
            and line.in_table
            and not line.row_start
            and line.page == result[label_at].page
            and all(other.column > 0 for other in result[label_at + 1 :])
        ):
            label = result[label_at]
            result[label_at] = replace(label, text=as_label(f"{label.text.rstrip(':')} {line.text}"))
            continue
        label_cell = (
            line.column == 0
            and following is not None
            and following.column > line.column
            and following.page == line.page
            and abs(following.top - line.top) < 1
        )
        if label_cell:
            label_at = len(result)
            result.append(replace(line, text=as_label(line.text), row_start=True))
            continue
        if line.column == 0:
            label_at = None
        if line.column == 0 and is_label_line(line, body):
            result.append(replace(line, text=as_label(line.text), row_start=True))
        else:
            result.append(line)
    return result


def is_candidate(line: Line, body: Style) -> bool:
    """Could be a heading or a title: set apart from the body, not a label, a table cell or a link."""
    text = line.text
    if line.column > 0 or len(text) > 250 or _URL_OR_EMAIL.search(text) or _ADDRESS_PIECE.match(text):
        return False
    if line.row_start and text.endswith(":"):
        return False  # a label (see normalize_fields)
    if (
        WEBSITE_LABEL.match(text)
        or CONTACT_LABEL.match(text)
        or NOTE_LABEL.match(text)
        or CALL_LABEL.match(text)
    ):
        return False
    return is_emphasized(line, body)
