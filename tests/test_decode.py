"""decode_html: Japanese pages in every encoding the sites use, lying headers, and a third-party corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract.decode import REPLACED, candidate_codecs, declared_charset, decode_html, header_charset

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "html-ja"

# Kana, kanji, full-width digits and punctuation, and the two characters on which Shift_JIS and
# cp932 disagree (〜 wave dash and − minus sign): a decoder that picks the wrong one changes them.
BODY = (
    "国際共同研究加速基金（国際先導研究）の公募について。"
    "応募期間：２０２５年４月１０日〜５月３０日 正午。"
    "研究者の皆様へ − 詳細は募集要項をご確認ください。"
    "科学技術振興機構、日本医療研究開発機構、日本学術振興会。"
) * 3


def page(body: str = BODY, meta: str | None = None) -> str:
    meta_tag = f'<meta charset="{meta}">' if meta else ""
    head = f"<head>{meta_tag}<title>公募情報</title></head>"
    return f"<!DOCTYPE html><html lang=ja>{head}<body><p>{body}</p></body></html>"


ENCODINGS = [
    ("Shift_JIS", "shift_jis"),
    ("EUC-JP", "euc_jp"),
    ("ISO-2022-JP", "iso2022_jp"),
    ("UTF-8", "utf-8"),
]


@pytest.mark.parametrize(("label", "codec"), ENCODINGS)
def test_http_header_charset_is_used(label: str, codec: str) -> None:
    html = page()
    text, used = decode_html(html.encode(codec), f"text/html; charset={label}")
    assert text == html
    assert used == codec


@pytest.mark.parametrize(("label", "codec"), ENCODINGS)
def test_meta_charset_is_used_without_header_charset(label: str, codec: str) -> None:
    html = page(meta=label)
    text, used = decode_html(html.encode(codec), "text/html")
    assert text == html
    assert used == codec


@pytest.mark.parametrize(("label", "codec"), ENCODINGS)
def test_undeclared_page_is_detected(label: str, codec: str) -> None:
    html = page()
    text, _ = decode_html(html.encode(codec), None)
    assert text == html


def test_meta_http_equiv_form_is_read() -> None:
    html = page().replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">'
    )
    text, used = decode_html(html.encode("euc_jp"), None)
    assert (text, used) == (html, "euc_jp")


def test_xml_prolog_encoding_is_read() -> None:
    feed = f'<?xml version="1.0" encoding="Shift_JIS"?><rss><channel><title>{BODY}</title></channel></rss>'
    text, used = decode_html(feed.encode("shift_jis"), "application/rss+xml")
    assert (text, used) == (feed, "shift_jis")


def test_header_says_utf8_but_page_is_shift_jis() -> None:
    html = page(meta="Shift_JIS")
    text, used = decode_html(html.encode("shift_jis"), "text/html; charset=utf-8")
    assert (text, used) == (html, "shift_jis")


def test_header_says_utf8_but_undeclared_page_is_shift_jis() -> None:
    html = page()
    text, used = decode_html(html.encode("shift_jis"), "text/html; charset=UTF-8")
    assert text == html
    assert used in candidate_codecs("shift_jis")


def test_header_says_iso_8859_1_but_page_is_utf8() -> None:
    html = page()
    text, used = decode_html(html.encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert text == html
    assert used == "utf-8"


def test_header_says_iso_8859_1_but_page_is_euc_jp() -> None:
    # A server-wide default charset on a legacy page: the Japanese reading wins over Latin-1 mojibake.
    html = page()
    text, used = decode_html(html.encode("euc_jp"), "text/html; charset=iso-8859-1")
    assert (text, used) == (html, "euc_jp")


def test_iso_8859_1_header_is_kept_for_western_text() -> None:
    html = "<html><body><p>Café, naïve résumé: Ünïcödé façade déjà vu.</p></body></html>" * 5
    text, used = decode_html(html.encode("latin-1"), "text/html; charset=ISO-8859-1")
    assert (text, used) == (html, "iso8859-1")


def test_header_says_utf8_but_page_is_7bit_iso_2022_jp() -> None:
    # ISO-2022-JP is 7-bit, so it "decodes" as UTF-8 with escape characters left in the text.
    html = page()
    text, used = decode_html(html.encode("iso2022_jp"), "text/html; charset=utf-8")
    assert (text, used) == (html, "iso2022_jp")


@pytest.mark.parametrize("label", ["Shift_JIS", "x-sjis", "shift-jis", "Windows-31J", "MS932"])
def test_shift_jis_labels_reach_cp932_for_windows_only_characters(label: str) -> None:
    html = page("①募集要項 №２ ⅰ〜ⅲ ㈱ " + BODY)  # ① № ⅰ ㈱ are not in strict Shift_JIS
    data = html.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")
    text, used = decode_html(data, f"text/html; charset={label}")
    assert used == "cp932"
    assert text == data.decode("cp932")  # cp932 reads 〜 as U+FF5E: that is its mapping
    assert "①募集要項 №２ ⅰ" in text


def test_shift_jis_label_prefers_jis_mapping_of_wave_dash() -> None:
    # Browsers read 0x8160 as U+301C WAVE DASH; cp932 would give U+FF5E FULLWIDTH TILDE.
    text, _ = decode_html("５月〜６月".encode("shift_jis") * 20, "text/html; charset=Shift_JIS")
    assert "\u301c" in text
    assert "\uff5e" not in text


@pytest.mark.parametrize(
    ("bom", "codec"), [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]
)
def test_byte_order_mark_wins_over_header(bom: bytes, codec: str) -> None:
    html = page()
    text, _ = decode_html(bom + html.encode(codec), "text/html; charset=Shift_JIS")
    assert text == html


def test_undecodable_bytes_are_replaced_and_said_so() -> None:
    text, used = decode_html(b"<p>\x81\xff\x80\xfe\x00\x9f</p>", "text/html; charset=utf-8")
    assert used == REPLACED
    assert text.startswith("<p>")
    assert "\ufffd" in text


def test_unknown_charset_label_is_ignored() -> None:
    html = page(meta="no-such-charset")
    text, _ = decode_html(html.encode("euc_jp"), "text/html; charset=bogus")
    assert text == html


@settings(max_examples=150, deadline=None)
@given(
    content=st.binary(max_size=600),
    content_type=st.one_of(
        st.none(), st.sampled_from(["text/html; charset=utf-8", "text/html; charset=shift_jis", "charset=x"])
    ),
)
def test_never_raises(content: bytes, content_type: str | None) -> None:
    text, used = decode_html(content, content_type)
    assert isinstance(text, str)
    assert used


def test_header_and_declaration_parsing() -> None:
    assert header_charset('text/html; charset="Shift_JIS"') == "Shift_JIS"
    assert header_charset("text/html") is None
    assert header_charset(None) is None
    assert declared_charset(b"<html><head><META CHARSET=euc-jp></head>") == "euc-jp"
    assert declared_charset(b" " * 5000 + b'<meta charset="euc-jp">') is None  # beyond the first 4 KB


# -- the third-party corpus -------------------------------------------------------------------


def _manifest() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _corpus_cases() -> list[object]:
    rows = _manifest()
    if not rows:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"corpus absent: {CORPUS}"))]
    headers = {
        "no header": lambda row: None,
        "declared (else utf-8) in header": lambda row: (
            "text/html; charset=" + (row["declared_charset"] or "utf-8")
        ),
        "lying latin-1 header": lambda row: "text/html; charset=ISO-8859-1",
    }
    return [
        pytest.param(row, make(row), id=f"{row['file']} ({name})")
        for row in rows
        for name, make in headers.items()
    ]


@pytest.mark.corpus
@pytest.mark.parametrize(("row", "content_type"), _corpus_cases())
def test_corpus_decodes_to_the_truth(row: dict[str, str], content_type: str | None) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    text, used = decode_html(data, content_type)
    assert text == data.decode(row["decodes_with"]), f"decoded as {used}"
