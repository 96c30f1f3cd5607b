"""The shortcuts that made web-page extraction cheaper (issue 12) change no result.

Each quick test put before a pattern (a hint: a digit, a month name, an "@", a cue word) must be a
necessary condition: whenever the hint is absent, the pattern finds nothing. Each remembered result (an
element's text, its descendants, short cleaned strings) must equal the result computed afresh. The
benchmark (benchmarks/bench_extract.py) measures the gain; these tests pin the equivalence.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract import contacts, periods
from ingest.extract.html import extract_html
from ingest.extract.sites import generic
from ingest.extract.soup import _tags, _visible_text, _walk, main_content, reading_page, visible_text
from ingest.normalize import canonical_text, clean_text, strip_controls

SITES = Path(__file__).parent / "fixtures" / "sites"
PAGES = sorted(p for tree in ("v1", "v2", "extra") for p in (SITES / tree).rglob("*.html"))

# Characters the hints and patterns care about, with the letters re.IGNORECASE folds beyond ASCII
# (ı, İ, ſ, K) and full-width and Japanese forms.
_ALPHABET = (
    "0123456789 /.:-–~,()[]\n\"'“”@＠*" + "AaTtRrHhSsMmJjNnOoPpDdEeUuYyLlCcIiKkVvGgBbFf"
    "ıİſK" + "年月日度末時分午前後正令和平成元上中下旬〒電話アットマーク" + "\u3000\ue000ＡＴ１２"
)
_TEXT = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=60) | st.text(max_size=40)
# Pieces of the things the patterns look for, glued in any order.
_PIECES = [
    "April", "apr", "May", "june", "Sept.", "dec", "noon", "Midnight", "12:00", "5 p.m.", "17時",
    "2025", "令和7年", "R7.", "6/30", "2025/04/10", "3月末", "令和元年度末", "Tel", "TEL:", "電話",
    "phone", "Phone:", "Telephone", " 03-5214-8404", "+81 3 5214 8404",
    "〒100-0004", "123-4567 Tokyo", "name@example.jp", 'name"AT"', "[at]", " AT ", "アットマーク",
    "replace * with @", "を@に", "deadline", "Due", "Closing", "opens", "Call for", "application",
    "Letters of intent", "schedule", "the", "at", ",", "(", ")", " ", "\n",
]  # fmt: skip
_WORDS = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_SAMPLES = _TEXT | _WORDS


def _never_without(hint: re.Pattern[str], pattern: re.Pattern[str], text: str) -> None:
    if hint.search(text) is None:
        assert pattern.search(text) is None, (hint.pattern, text)


@settings(max_examples=1500, deadline=None)
@given(_SAMPLES)
def test_a_date_or_time_family_never_matches_without_its_hint(text: str) -> None:
    for regex, _build, hint in (*periods._DATE_FAMILIES, *periods._TIME_FAMILIES):
        _never_without(hint, regex, text)
        _never_without(hint, regex, periods._normalize(text).text)


def _reference_normalize(raw: str) -> periods._Normalized:
    """The date parser's folding one character at a time, as it was before the ASCII shortcuts."""
    pieces: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(raw):
        folded = char if char.isascii() else " " if char.isspace() else clean_text(char)
        pieces.append(folded)
        origins.extend([index] * len(folded))
    return periods._kanji_numerals("".join(pieces), origins)


@settings(max_examples=1000, deadline=None)
@given(_SAMPLES)
def test_folding_for_the_date_parser_is_the_reference(text: str) -> None:
    assert periods._normalize(text) == _reference_normalize(text)


def test_dates_found_are_those_of_every_family_on_real_strings() -> None:
    texts = [
        line.split("\t")[1].replace("\\n", "\n")
        for line in (Path(__file__).parent / "fixtures" / "real-strings" / "periods.tsv")
        .read_text("utf-8")
        .splitlines()[3:]
        if line.strip()
    ]
    assert len(texts) > 50
    for text in texts:
        source = periods._normalize(text).text
        every = (build(m) for regex, build, _ in periods._DATE_FAMILIES for m in regex.finditer(source))
        assert periods._find_dates(source) == periods._leftmost_longest(t for t in every if t is not None)


@settings(max_examples=1500, deadline=None)
@given(_SAMPLES)
def test_contact_patterns_never_match_without_their_hints(text: str) -> None:
    _never_without(contacts._MAY_OBFUSCATE, contacts._OBFUSCATED, text)
    _never_without(contacts._MAY_INSTRUCT, contacts._INSTRUCTION, text)
    _never_without(contacts._MAY_INSTRUCT, contacts._MARKER_INSTRUCTION, text)
    if "@" not in text:
        assert contacts._PLAIN.search(text) is None
    if not any(word in text for word in contacts._PHONE_WORDS):
        assert contacts._PHONE.search(text) is None
    if "〒" not in text:
        assert contacts._POSTAL_MARK.search(text) is None
    if "-" not in text:
        assert contacts._ENGLISH_POSTAL.search(text) is None


@pytest.mark.parametrize("label", ["TEL", "Tel", "Phone", "phone", "Telephone", "電話", "電話番号"])
def test_every_phone_label_is_read(label: str) -> None:
    assert contacts._phone(f"{label}: 03-5214-8404") == "03-5214-8404"


@settings(max_examples=1000, deadline=None)
@given(_SAMPLES)
def test_an_ascii_line_without_a_cue_word_has_no_call_cue(text: str) -> None:
    if generic._names_no_cue_word(text):
        assert generic._CALL_CUE.search(text) is None


def _reference_clean_text(text: str) -> str:
    invisible = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
    text = strip_controls(unicodedata.normalize("NFKC", text)).translate(invisible)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


_LONG = st.lists(_SAMPLES, min_size=5, max_size=30).map(" \t\n".join)


@settings(max_examples=500, deadline=None)
@given(_LONG | _SAMPLES)
def test_clean_text_of_long_and_short_text_is_the_reference(text: str) -> None:
    # Short strings are remembered, long ones (a page's text) are not: both are cleaned the same way,
    # and a remembered one gives the same answer the second time.
    assert clean_text(text) == _reference_clean_text(text)
    assert clean_text(text) == _reference_clean_text(text)
    ascii_text = text.encode("ascii", "replace").decode()
    assert clean_text(ascii_text) == _reference_clean_text(ascii_text)


_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′`´"} | {c: '"' for c in "“”„‟″«»"})


@settings(max_examples=500, deadline=None)
@given(_LONG | _SAMPLES | st.text(alphabet=st.sampled_from("‘’‚‛′`´“”„‟″«»ab -1")))
def test_canonical_text_folds_quotes_as_before(text: str) -> None:
    expected = clean_text(text).translate(_QUOTES)
    expected = re.sub(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]", "-", expected)
    expected = re.sub(r"[\u301c\uff5e\u223c]", "~", expected)
    expected = re.sub(r"\s*-\s*(?=\d)|(?<=\d)\s*-\s*", "-", expected)
    assert canonical_text(text) == re.sub(r"\s+", " ", expected).strip()


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(SITES).as_posix())
def test_remembered_texts_and_listings_are_what_a_fresh_walk_gives(path: Path) -> None:
    soup = BeautifulSoup(path.read_bytes(), "lxml")
    with reading_page():
        main = main_content(soup)
        visible_text(main)  # lays out every element inside it, noting where each one's text is
        elements = _walk(main)
        assert elements
        for element in elements:
            assert visible_text(element) == _visible_text(element)
            assert _tags(element) == _walk(element)
            assert _tags(element, frozenset({"a", "td"})) == element.find_all(["a", "td"])
        assert _tags(main) == _walk(main) == main.find_all(True)


def test_main_content_without_its_chrome_is_listed_after_the_chrome_is_gone() -> None:
    page = (
        "<html><body><main><nav><a href='/'>Home</a></nav><h1>Grant</h1>"
        "<p>Deadline: <a href='mailto:a@example.org'>a@example.org</a></p><footer>Footer</footer></main>"
        "</body></html>"
    )
    with reading_page():
        main = main_content(BeautifulSoup(page, "lxml"))
        assert [tag.name for tag in _tags(main)] == ["h1", "p", "a"]
        assert visible_text(main) == "Grant\nDeadline: a@example.org"


def test_records_of_one_page_own_their_provenance() -> None:
    path = SITES / "v1" / "www.jst.go.jp" / "kisoken" / "boshuu" / "r7" / "en" / "index.html"
    first, second = extract_html(
        path.read_bytes(), url="https://www.jst.go.jp/kisoken/boshuu/r7/en/"
    ).programs
    mine, theirs = first.provenance[0], second.provenance[0]
    assert mine == theirs.model_copy(update={"fields": mine.fields})
    for name in ("pages", "fields", "unused_dates"):
        assert getattr(mine, name) is not getattr(theirs, name)
    theirs.unused_dates.append("another line")
    assert "another line" not in mine.unused_dates
