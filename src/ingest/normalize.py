"""Pure text helpers shared by the extractors, the models and the differ.

`clean_text` is what every stored string goes through; `canonical_text` is the stricter form the
differ compares, so that wrapping, whitespace, quote and dash styles and full-width forms never
count as a change.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

import orjson

_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Removed with a pattern, not str.translate: a table lookup per character was half of cleaning a page.
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# A run of spaces to fold into one space: two or more, or one that is not a plain space (a lone space
# stays as it is, and a page has a hundred of them).
_HSPACE = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_SINGLE_QUOTES, _DOUBLE_QUOTES = "‘’‚‛′`´", "“”„‟″«»"
_QUOTES = str.maketrans({c: "'" for c in _SINGLE_QUOTES} | {c: '"' for c in _DOUBLE_QUOTES})
_ANY_QUOTE = re.compile(f"[{_SINGLE_QUOTES}{_DOUBLE_QUOTES}]")
# Hyphen, non-breaking hyphen, figure dash, en and em dash, minus, small/full-width forms, katakana long
# vowel misused as a dash is NOT folded: it is a letter in Japanese words.
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_TILDES = re.compile(r"[\u301c\uff5e\u223c]")  # wave dash, full-width tilde, tilde operator
# Characters clean_text removes or replaces in NFKC text: whitespace other than a space or a newline,
# and the invisible ones.
_NOT_CLEAN = re.compile(rf"[^\S\n ]|[{_INVISIBLE_CHARS}]")


def _is_clean(text: str) -> bool:
    """True when clean_text would return `text` unchanged. Stored records hold clean text and loading
    them meets ~20 strings a record: this check is several times cheaper than cleaning."""
    if (  # the layout tests first: they are the cheapest, and what a page's raw text fails
        "  " in text
        or " \n" in text
        or "\n " in text
        or "\n\n" in text
        or text.startswith((" ", "\n"))
        or text.endswith((" ", "\n"))
    ):
        return False
    if text.isascii():  # ASCII is NFKC; printable ASCII has no whitespace but the space
        return text.isprintable() or text.replace("\n", "").isprintable()
    return not (
        not unicodedata.is_normalized("NFKC", text) or _NOT_CLEAN.search(text) or _CONTROLS.search(text)
    )


# C0 and C1 control characters except tab and line breaks, and the bidirectional overrides and
# isolates that make text display in another order than it is stored ("Trojan source").
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """The text without control characters: scraped text never drives a terminal, a spreadsheet or
    an XML parser. Tabs and line breaks stay."""
    return _CONTROLS.sub("", text)


def clean_text(text: str) -> str:
    """NFKC, control and invisible characters removed, runs of spaces collapsed, lines trimmed, blank
    lines dropped."""
    if _is_clean(text):
        return text  # the same result, without rebuilding the string
    return _clean_short(text) if len(text) <= _SHORT else _clean(text)


# A page's labels, cells and headings ("Call period", "Contact") recur on every page of a site and are
# cleaned for its text blocks and again for the records: short strings are cleaned once.
_SHORT = 200


def _clean(text: str) -> str:
    if text.isascii():  # ASCII is NFKC and holds no invisible character
        text = strip_controls(text)
    else:
        text = _INVISIBLE.sub("", strip_controls(unicodedata.normalize("NFKC", text)))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # One substitution over the text: a run of spaces never crosses a line break.
    lines = (line.strip() for line in _HSPACE.sub(" ", text).split("\n"))
    return "\n".join(line for line in lines if line)


_clean_short = lru_cache(maxsize=8192)(_clean)


def canonical_text(text: str) -> str:
    """The form two strings are compared in: cosmetic differences removed."""
    text = clean_text(text)
    if _ANY_QUOTE.search(text):  # most text has none: translating looks each character up
        text = text.translate(_QUOTES)
    text = _TILDES.sub("~", _DASHES.sub("-", text))
    text = _RANGE_DASH.sub("-", text)  # "10 - 12" and "10-12" are the same range
    return _WHITESPACE.sub(" ", text).strip()


_RANGE_DASH = re.compile(r"\s*-\s*(?=\d)|(?<=\d)\s*-\s*")
_WHITESPACE = re.compile(r"\s+")


def canonical(value: Any) -> Any:
    """Apply `canonical_text` to every string inside a JSON-like value."""
    if isinstance(value, str):
        return canonical_text(value)
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


def slugify(text: str) -> str:
    """A lower-case ASCII slug: 'Interstellar Initiative' -> 'interstellar-initiative'."""
    text = unicodedata.normalize("NFKD", clean_text(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def canonical_json(value: Any) -> str:
    """Deterministic JSON for hashing and for files kept in git: json.dumps(value, sort_keys=True,
    ensure_ascii=False, indent=2, default=str), byte for byte, written by orjson when that gives the
    same bytes (json's indenting encoder is pure Python: a thousand records took 40 ms, orjson 2 ms)."""
    return _orjson_canonical(value) or (
        json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2, default=str) + "\n"
    )


# Dates and dataclasses go to `default=str` as with json (orjson would write its own ISO form).
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _orjson_canonical(value: Any) -> str | None:
    """orjson's indented text, when its compact text equals json's C encoder's (the same keys, order
    and values: the two differ on a few floats such as 1e-05 and NaN, enums, keys that are not
    strings, integers beyond 64 bits); None otherwise. Indenting is the same in both."""
    try:
        compact = orjson.dumps(value, option=_ORJSON, default=str)
        indented = orjson.dumps(value, option=_ORJSON | orjson.OPT_INDENT_2, default=str)
    except (orjson.JSONEncodeError, TypeError):
        return None
    expected = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return indented.decode() + "\n" if compact.decode() == expected else None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
