"""Turn a fetched page's bytes into text, choosing the encoding the way a careful browser would.

Japanese sites still serve Shift_JIS, EUC-JP and ISO-2022-JP, and their HTTP headers are not always
truthful. The order of evidence is: a byte-order mark; the HTTP header's charset if the bytes decode
with it; the document's own declaration (`<meta charset>`, `<meta http-equiv ... charset=>` or the
XML prolog) if the bytes decode with it; charset-normalizer's guess; and as a last resort UTF-8 with
bad bytes replaced, reported as such in the returned encoding name.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

REPLACED = "utf-8 (replaced)"

# How far into the document to look for a declaration: browsers look at the first 1024 bytes,
# but generated Japanese pages often put long comments or scripts before <meta>.
DECLARATION_WINDOW = 4096

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Codecs tried, in order, for a declared or guessed encoding of the Shift_JIS and EUC-JP families.
# Strict Shift_JIS comes first because it maps 〜 and − the way browsers (WHATWG) do; cp932, the
# Windows superset, is needed when a page uses Windows-only characters such as ① or № (common on
# real Japanese sites that label themselves "Shift_JIS").
_SHIFT_JIS_FAMILY = ("shift_jis", "cp932")
_EUC_JP_FAMILY = ("euc_jp", "euc_jis_2004")
_FAMILIES: dict[str, tuple[str, ...]] = {
    "shift_jis": _SHIFT_JIS_FAMILY,
    "cp932": _SHIFT_JIS_FAMILY,  # detectors say cp932 for plain Shift_JIS text too
    "shift_jis_2004": (*_SHIFT_JIS_FAMILY, "shift_jis_2004"),
    "shift_jisx0213": (*_SHIFT_JIS_FAMILY, "shift_jisx0213"),
    "euc_jp": _EUC_JP_FAMILY,
    "euc_jis_2004": _EUC_JP_FAMILY,
    "euc_jisx0213": (*_EUC_JP_FAMILY, "euc_jisx0213"),
}

# Labels Python's codec registry does not know, or maps differently from what the web means.
_LABEL_ALIASES = {
    "x-sjis": "shift_jis",
    "x-shift-jis": "shift_jis",
    "shift-jis": "shift_jis",
    "windows-31j": "cp932",
    "x-euc-jp": "euc_jp",
    "x-euc": "euc_jp",
    # An ASCII-readable page cannot really be UTF-16; the WHATWG rule is to read it as UTF-8.
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}

_UTF8_CODECS = frozenset({"utf-8", "utf-8-sig"})
_JAPANESE_MULTIBYTE = frozenset(codec for family in _FAMILIES.values() for codec in family) | {"iso2022_jp"}
_WESTERN_SINGLE_BYTE = re.compile(r"^(ascii|iso8859-\d+|latin_1|cp125\d)$")

_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml\b[^>]*?encoding\s*=\s*[\"']([a-zA-Z0-9_.:-]+)[\"']", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.IGNORECASE)
_ISO_2022_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b$(D")


def decode_html(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a page's bytes; return (text, name of the encoding used). Never raises on bad bytes.

    The name is a Python codec name ("cp932", "euc_jp", "utf-8", ...), or "utf-8 (replaced)" when
    nothing decoded cleanly and undecodable bytes were replaced by U+FFFD.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, errors="replace"), codec
    header = header_charset(content_type)
    # A Western single-byte header decodes any bytes, and is typically a server default rather than
    # the author's choice: it only counts after the page's own declaration and a Japanese guess.
    weak_header = header if _is_western_single_byte(header) else None
    for label in (None if weak_header else header, declared_charset(content)):
        decoded = _decode_label(content, label)
        if decoded is not None:
            return decoded
    guessed = _guess(content)
    if weak_header and not (guessed and guessed[1] in _JAPANESE_MULTIBYTE):
        guessed = _decode_label(content, weak_header) or guessed
    if guessed is not None:
        return guessed
    return content.decode("utf-8", errors="replace"), REPLACED


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def declared_charset(content: bytes) -> str | None:
    """The charset the document declares about itself (XML prolog or <meta>), if any."""
    head = content[:DECLARATION_WINDOW]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def candidate_codecs(label: str | None) -> tuple[str, ...]:
    """Python codecs to try, in order, for a charset label; empty when the label is unknown."""
    if not label:
        return ()
    label = _LABEL_ALIASES.get(label.strip().lower(), label.strip().lower())
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return ()
    return _FAMILIES.get(name, (name,))


def _is_western_single_byte(label: str | None) -> bool:
    codecs_for_label = candidate_codecs(label)
    return bool(codecs_for_label) and bool(_WESTERN_SINGLE_BYTE.match(codecs_for_label[0]))


def _decode_label(content: bytes, label: str | None) -> tuple[str, str] | None:
    for codec in candidate_codecs(label):
        if not _plausible(content, codec):
            continue
        try:
            return content.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return None


def _plausible(content: bytes, codec: str) -> bool:
    """Whether a codec that decodes `content` could really be its encoding.

    Two lies a bare "it decodes" cannot catch: a single-byte label (ISO-8859-1 decodes anything) on a
    page that is in fact UTF-8, and a UTF-8/ASCII label on 7-bit ISO-2022-JP text.
    """
    if codec not in _UTF8_CODECS and _is_utf8_with_non_ascii(content):
        return False
    if not codec.startswith("iso2022") and any(escape in content for escape in _ISO_2022_ESCAPES):
        return False
    return True


def _is_utf8_with_non_ascii(content: bytes) -> bool:
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Legacy-encoded text (Latin-1, Shift_JIS, EUC-JP) almost never forms valid multi-byte UTF-8.
    return True


def _guess(content: bytes) -> tuple[str, str] | None:
    best = from_bytes(content).best()
    if best is None:
        return None
    return _decode_label(content, best.encoding)
