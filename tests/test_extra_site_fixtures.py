"""Extractor tests on hand-written pages under tests/fixtures/sites/extra/ that imitate the real sites:
the call period an AMED 公募 page states in its body text, AMED's English contact whose domain is an
image after the replace-"AT" instruction, and JSPS's "*" standing for "@"."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ingest.extract.html import extract_html
from ingest.models import JAPAN, CallStatus, Precision

EXTRA = Path(__file__).parent / "fixtures" / "sites" / "extra"


def _extract(host_path: str):  # type: ignore[no-untyped-def]
    result = extract_html(
        (EXTRA / host_path).read_bytes(), url=f"https://{host_path}", content_type="text/html"
    )
    assert not result.fell_back and result.missing == []
    [program] = result.programs
    return result.extractor, program


def test_amed_koubo_page_takes_the_opening_date_from_the_body_text_period() -> None:
    extractor, program = _extract("www.amed.go.jp/koubo/26/01/2601B_00007.html")
    assert extractor == "amed-ja"
    [call] = program.calls
    assert (call.opens, call.opens_precision) == (date(2026, 3, 2), Precision.DAY)
    assert (call.closes, call.closes_precision) == (datetime(2026, 4, 14, 12, tzinfo=JAPAN), Precision.MINUTE)
    assert call.status == CallStatus.DATED and call.warnings == []
    assert call.raw == "令和8年4月14日(火) 正午【厳守】"  # the table's deadline, as printed
    [contact] = program.contacts
    assert (contact.email, contact.rebuilt) == ("kaigai-kyoten@amed.go.jp", True)


def test_amed_english_contact_with_the_instruction_between_local_part_and_domain_image() -> None:
    extractor, program = _extract("www.amed.go.jp/en/news/program/2601B_00009.html")
    assert extractor == "amed-en-call"
    [contact] = program.contacts
    assert (contact.email, contact.rebuilt) == ("sicorp@amed.go.jp", True)
    assert contact.label == "Office of International Collaboration, Department of International Strategy"
    [call] = program.calls  # 13:00 CEST and 20:00 JST are one instant
    assert (call.closes, call.closes_precision) == (datetime(2026, 4, 8, 20, tzinfo=JAPAN), Precision.MINUTE)
    assert call.warnings == []


def test_jsps_contact_with_a_star_for_the_at_sign() -> None:
    extractor, program = _extract("www.jsps.go.jp/english/e-inv/2026.html")
    assert extractor == "jsps-en"
    [contact] = program.contacts
    assert (contact.email, contact.rebuilt, contact.phone) == (
        "invitation@jsps.go.jp",
        True,
        "+81-3-3263-2480",
    )
    [call] = program.calls
    assert call.closes == datetime(2026, 9, 4, 17, tzinfo=JAPAN)
