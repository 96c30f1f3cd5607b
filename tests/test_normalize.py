"""clean_text's shortcut for text that is already clean gives exactly what cleaning would (issue 12:
loading records met clean_text ~20 times a record, and rebuilding clean strings was half the load)."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize import clean_text, strip_controls

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_HSPACE = re.compile(r"[^\S\n]+")


def reference_clean_text(text: str) -> str:
    """clean_text without the shortcut, kept as the specification (control characters go too)."""
    text = strip_controls(unicodedata.normalize("NFKC", text)).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_HSPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# Characters that exercise every rule: spaces of all kinds, line breaks, invisible and full-width
# characters, combining marks, Japanese, control characters.
_TRICKY = (
    " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2028\u2029\u3000"
    "\u00ad\u200b\u2060\ufeff\u0301\uff21ｶﾞ日本é\x01\x7f\x9b\u202e"
)
_TEXT = st.text(alphabet=st.sampled_from(_TRICKY + "ab-.")) | st.text()


@settings(max_examples=2000, deadline=None)
@given(_TEXT)
def test_clean_text_is_the_reference(text: str) -> None:
    assert clean_text(text) == reference_clean_text(text)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_cleaned_text_is_returned_as_is_when_cleaning_would_not_change_it(text: str) -> None:
    cleaned = reference_clean_text(text)
    assert clean_text(cleaned) == reference_clean_text(cleaned)


def test_examples() -> None:
    for text in [
        "",
        "a",
        "a b\nc",
        " a",
        "a ",
        "a  b",
        "a\n\nb",
        "\na",
        "a\n",
        "a\tb",
        "a\u3000b",
        "ｱ",
        "e\u0301",
    ]:
        assert clean_text(text) == reference_clean_text(text), repr(text)
    clean = "Applications close on June 3.\n- Contact: grants@jst.go.jp"
    assert clean_text(clean) is clean
