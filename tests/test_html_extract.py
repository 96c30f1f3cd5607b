"""ingest.extract.html: dispatch by URL, the shared page helpers, the generic fallback, and what a site
extractor says when a page's layout no longer matches it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from ingest.extract.html import extract_html
from ingest.extract.soup import key_values, main_content, says_closed, value_for, visible_text
from ingest.models import Contact
from ingest.normalize import sha256_bytes

SITES = Path(__file__).parent / "fixtures" / "sites"
KOUBO = SITES / "v1" / "www.amed.go.jp" / "koubo" / "20" / "01" / "2001B_00101.html"
KOUBO_URL = "https://www.amed.go.jp/koubo/20/01/2001B_00101.html"
GENERIC = SITES / "extra" / "www.example-foundation.org" / "grants" / "exchange-2025.html"
GENERIC_URL = "https://www.example-foundation.org/grants/exchange-2025.html"


def koubo_text() -> str:
    return KOUBO.read_bytes().decode("shift_jis")


def amed_koubo_page(
    basic_rows: str, title: str = "令和7年度「e-ASIA共同研究プログラム」に係る公募について"
) -> str:
    """A minimal AMED 公募 page with the given 基本情報 rows (th|td)."""
    return f"""<html lang="ja"><head><meta charset="utf-8"><title>{title}</title></head><body>
<div id="header"><a href="/index.html">AMED</a></div>
<div id="contents"><div id="main">
<h1><span class="cat">公募情報</span>{title}</h1>
<h2>基本情報</h2><table>{basic_rows}</table>
<h2>資料</h2><ul><li><a href="/content/1.pdf">公募要領（PDF：1.0MB）</a></li></ul>
</div></div>
<div id="footer"><address>〒100-0004 東京都千代田区大手町1-7-1 電話：03-6870-2200</address></div>
</body></html>"""


CONTACT_ROW = (
    '<tr><th>お問い合わせ先</th><td><p>国際連携研究課</p><p>E-mail: e-asia"AT"amed.go.jp</p></td></tr>'
)


# -- text and structure helpers -------------------------------------------------------------------


def test_visible_text_lays_out_blocks_and_keeps_inline_runs_together() -> None:
    soup = BeautifulSoup(
        "<div><p>E-mail: interstellar“AT”<img src='d.gif' alt='amed.go.jp'> (Replace)</p>"
        "<p>TEL<span>+81-3-1234</span></p><!-- a comment --><script>var x = 1;</script>"
        "<p>wrapped\n     over   lines<br>next line</p></div>",
        "lxml",
    )
    assert visible_text(soup.div) == (
        "E-mail: interstellar“AT”amed.go.jp (Replace)\nTEL+81-3-1234\nwrapped over lines\nnext line"
    )


def test_main_content_drops_site_chrome_but_leaves_the_soup_intact() -> None:
    soup = BeautifulSoup(
        "<body><div id='header'>Site</div><div id='main'><nav>Menu</nav><h1>Title</h1>"
        "<div class='breadcrumb'>Home &gt; X</div><p>Body</p></div><div id='footer'>Footer</div></body>",
        "lxml",
    )
    main = main_content(soup)
    assert visible_text(main) == "Title\nBody"
    assert "Menu" in soup.get_text()  # the page itself is untouched: sidebars stay readable


def test_main_content_without_a_main_element_uses_the_body() -> None:
    soup = BeautifulSoup("<body><header>Site</header><p>Body</p><footer>Footer</footer></body>", "lxml")
    assert visible_text(main_content(soup)) == "Body"


def test_key_values_reads_th_td_rows_and_definition_lists() -> None:
    soup = BeautifulSoup(
        "<div><table><tr><th>公募締め切り</th><td>令和7年3月31日</td></tr>"
        "<tr><th>a</th><th>b</th></tr></table><dl><dt>R&amp;D phase</dt><dd>Basic Study</dd></dl></div>",
        "lxml",
    )
    pairs = key_values(soup.div)
    assert [(key, visible_text(value)) for key, value in pairs] == [
        ("公募締め切り", "令和7年3月31日"),
        ("R&D phase", "Basic Study"),
    ]
    found = value_for(pairs, r"締め?切")
    assert found is not None and visible_text(found) == "令和7年3月31日"
    assert value_for(pairs, r"^contact") is None


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ("This call for proposals has been closed.", True),
        ("Applications for the FY2025 are already closed.", True),
        ("本公募の受付は終了しました。", True),
        ("Registration is closed.", False),  # a webinar, not the call
        ("The call for proposals has been opened.", False),
        ("Offices are closed on Saturdays.", False),
    ],
)
def test_says_closed(text: str, closed: bool) -> None:
    assert says_closed(text) is closed


# -- dispatch, decoding, provenance -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "extractor"),
    [
        ("https://www.jst.go.jp/kisoken/crest/en/index.html", "jst-program"),
        ("https://www.jst.go.jp/aspire/en/", "jst-program"),
        ("https://www.jst.go.jp/kisoken/boshuu/r8/en/index.html", "jst-call-en"),
        ("https://www.jst.go.jp/kisoken/boshuu/r7/index.html", "jst-call-ja"),
        (
            "https://www.jst.go.jp/aspire/en/program_e/announce_e/announce_aspire2026_e.html",
            "jst-aspire-call",
        ),
        ("https://www.amed.go.jp/en/news/program/2001B_00041.html", "amed-en-call"),
        ("https://www.amed.go.jp/en/program/list/20/02/002.html", "amed-en-program"),
        ("https://www.amed.go.jp/koubo/20/01/2001B_00101.html", "amed-ja"),
        ("https://www.jsps.go.jp/english/e-inv_researchers/", "jsps-en"),
        ("https://www.hfsp.org/funding/hfsp-funding/research-grants", "hfsp"),
        ("https://jrecin.jst.go.jp/seek/SeekTop", "generic"),  # a known agency, but no extractor for the page
        ("https://www.example-foundation.org/grants/exchange-2025.html", "generic"),
    ],
)
def test_extractor_is_chosen_by_host_and_path(url: str, extractor: str) -> None:
    result = extract_html("<html><body><h1>Some page</h1></body></html>", url=url)
    assert result.extractor == extractor
    assert result.fell_back is (extractor == "generic")


def test_shift_jis_bytes_are_decoded_from_the_meta_declaration() -> None:
    data = KOUBO.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = extract_html(data, url=KOUBO_URL, content_type="text/html")  # no charset in the header
    [program] = result.programs
    assert program.id == "e-asia-jrp"
    assert program.calls[0].raw == "令和7年3月31日(月) 正午【厳守】"
    assert program.contacts[0].label == "国際戦略推進部 国際連携研究課"


def test_a_lying_header_charset_does_not_garble_the_page() -> None:
    result = extract_html(KOUBO.read_bytes(), url=KOUBO_URL, content_type="text/html; charset=ISO-8859-1")
    assert result.programs[0].contacts[0].address == "〒100-0004 東京都千代田区大手町1-7-1 読売新聞ビル21階"


def test_provenance_names_the_source_page_bytes_and_fields() -> None:
    data = KOUBO.read_bytes()
    fetched = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
    [program] = extract_html(data, url=KOUBO_URL, source_id="amed-e-asia", fetched_at=fetched).programs
    [provenance] = program.provenance
    assert provenance.source == "amed-e-asia"
    assert provenance.url == KOUBO_URL
    assert provenance.content_sha256 == sha256_bytes(data)
    assert provenance.extracted_at == fetched
    assert provenance.fields == ["agencies", "calls", "contacts", "links", "name", "website"]


def test_text_input_hashes_its_utf8_form_and_stamps_the_time() -> None:
    text = koubo_text()
    [program] = extract_html(text, url=KOUBO_URL).programs
    assert program.provenance[0].content_sha256 == sha256_bytes(text.encode("utf-8"))
    assert (datetime.now(UTC) - program.provenance[0].extracted_at).total_seconds() < 60


# -- the generic fallback -------------------------------------------------------------------------------


def test_generic_fallback_on_an_unknown_host() -> None:
    result = extract_html(GENERIC.read_bytes(), url=GENERIC_URL)
    assert (result.extractor, result.fell_back, result.missing) == ("generic", True, [])
    [program] = result.programs
    assert program.id == "pacific-biomedical-exchange-grants"  # derived: the catalogue does not know it
    assert program.agencies == []
    assert program.website == GENERIC_URL
    # the posting date is not a call; the opening line joins the deadline line
    assert [(c.label, c.opens.isoformat(), c.closes.isoformat()) for c in program.calls] == [
        ("Application deadline", "2025-07-01", "2025-09-15T17:00:00+09:00")
    ]
    assert program.contacts == [
        Contact(email="grants@example-foundation.org", label="Grants Office", rebuilt=True),
        Contact(email="portal-help@example-foundation.org"),  # only in a mailto link
    ]
    assert program.links == [
        "https://www.example-foundation.org/grants/docs/exchange-2025-guidelines.pdf",
        "https://apply.example-foundation.org/exchange",
    ]  # no navigation or footer links


def test_generic_fallback_finds_a_known_program_on_an_unrouted_page_of_a_known_site() -> None:
    page = """<html><head><title>PRESTO news</title></head><body><main>
    <h1>PRESTO: extra call for the new research area</h1>
    <p>Application deadline: Tuesday, September 2, 2025 12:00 noon (JST)</p>
    <p>Contact: rp-info@jst.go.jp</p></main></body></html>"""
    result = extract_html(page, url="https://www.jst.go.jp/kisoken/presto/news/2025/extra.html")
    assert result.fell_back
    [program] = result.programs
    assert (program.id, program.agencies) == ("presto", ["JST"])
    assert program.calls[0].closes.isoformat() == "2025-09-02T12:00:00+09:00"


# -- layout changes are reported, not hidden --------------------------------------------------------------


def test_amed_koubo_page_without_its_basic_information_table_reports_missing_fields() -> None:
    soup = BeautifulSoup(koubo_text(), "lxml")
    soup.select_one("table.basicInfo").decompose()
    result = extract_html(str(soup), url=KOUBO_URL)
    assert result.extractor == "amed-ja" and not result.fell_back
    assert result.missing == ["contacts", "calls"]
    [program] = result.programs
    assert program.id == "e-asia-jrp"  # still one record: the title and links are there
    assert program.calls == [] and program.contacts == []
    assert "https://www.amed.go.jp/content/000138511.pdf" in program.links


def test_amed_news_page_without_its_deadline_row_reports_calls_missing() -> None:
    path = SITES / "v1" / "www.amed.go.jp" / "en" / "news" / "program" / "2001B_00041.html"
    text = path.read_text("utf-8").replace("<th>Submission Deadline</th>", "<th>Timeline</th>")
    result = extract_html(text, url="https://www.amed.go.jp/en/news/program/2001B_00041.html")
    assert result.missing == ["calls"]
    assert result.programs[0].calls == []


def test_jst_call_page_without_a_schedule_still_gives_the_page_record() -> None:
    path = SITES / "v1" / "www.jst.go.jp" / "kisoken" / "boshuu" / "r7" / "en" / "index.html"
    soup = BeautifulSoup(path.read_text("utf-8"), "lxml")
    soup.select_one("table.schedule").decompose()
    result = extract_html(str(soup), url="https://www.jst.go.jp/kisoken/boshuu/r7/en/index.html")
    assert result.missing == ["calls"]
    assert [program.id for program in result.programs] == ["crest"]  # the title names CREST first


def test_jsps_page_without_sidebar_reports_contacts_missing() -> None:
    path = SITES / "v1" / "www.jsps.go.jp" / "english" / "e-inv_researchers" / "index.html"
    soup = BeautifulSoup(path.read_text("utf-8"), "lxml")
    soup.select_one("#sidebar").decompose()
    result = extract_html(str(soup), url="https://www.jsps.go.jp/english/e-inv_researchers/")
    assert result.missing == ["contacts"]
    assert len(result.programs[0].calls) == 7


# -- AMED 公募 variants from program-sites.md ----------------------------------------------------------------


def test_amed_koubo_empty_contact_cell_falls_back_to_a_contact_section() -> None:
    rows = (
        "<tr><th>公募締め切り</th><td>令和3年3月31日(水)</td></tr><tr><th>お問い合わせ先</th><td></td></tr>"
    )
    page = amed_koubo_page(rows).replace(
        "<h2>資料</h2>",
        "<h2>お問い合わせ先</h2><p>研究企画課</p><p>E-mail: kenkyu“AT”amed.go.jp</p><h2>資料</h2>",
    )
    result = extract_html(page, url=KOUBO_URL)
    assert result.missing == []
    assert [(c.email, c.label) for c in result.programs[0].contacts] == [("kenkyu@amed.go.jp", "研究企画課")]


def test_amed_koubo_empty_contact_cell_and_no_section_is_missing() -> None:
    rows = (
        "<tr><th>公募締め切り</th><td>令和3年3月31日(水)</td></tr><tr><th>お問い合わせ先</th><td></td></tr>"
    )
    result = extract_html(amed_koubo_page(rows), url=KOUBO_URL)
    assert result.missing == ["contacts"]


def test_amed_koubo_deadline_without_a_time_is_a_day() -> None:
    rows = f"<tr><th>公募締め切り</th><td>令和3年3月31日(水)</td></tr>{CONTACT_ROW}"
    [call] = extract_html(amed_koubo_page(rows), url=KOUBO_URL).programs[0].calls
    assert (call.closes.isoformat(), call.closes_precision, call.status) == ("2021-03-31", "day", "dated")


def test_amed_koubo_cell_with_two_sub_calls() -> None:
    rows = (
        "<tr><th>公募締め切り</th><td>"
        "<p>公募課題1：令和2年1月20日(月)〜令和2年3月10日(火)正午【厳守】</p>"
        "<p>公募課題2：令和2年1月20日(月)〜令和2年7月30日(木)17時00分【厳守】</p>"
        "<p>※締め切りに間に合わず不受理となるケースがあります。</p>"
        f"</td></tr>{CONTACT_ROW}"
    )
    calls = (
        extract_html(amed_koubo_page(rows, title="令和2年度「e-ASIA」公募"), url=KOUBO_URL).programs[0].calls
    )
    assert [(c.label, c.opens.isoformat(), c.closes.isoformat()) for c in calls] == [
        ("2020 call for proposals — 公募課題1", "2020-01-20", "2020-03-10T12:00:00+09:00"),
        ("2020 call for proposals — 公募課題2", "2020-01-20", "2020-07-30T17:00:00+09:00"),
    ]


def test_amed_koubo_era_overlap_title_gives_the_fiscal_year() -> None:
    rows = f"<tr><th>公募締め切り</th><td>令和元年6月11日(火) 正午【厳守】</td></tr>{CONTACT_ROW}"
    page = amed_koubo_page(rows, title="平成31年(令和元年)度「e-ASIA共同研究プログラム」に係る公募について")
    [call] = extract_html(page, url=KOUBO_URL).programs[0].calls
    assert call.label == "2019 call for proposals"
    assert call.closes.isoformat() == "2019-06-11T12:00:00+09:00"


def test_amed_koubo_finished_stage_marks_the_call_closed() -> None:
    rows = (
        "<tr><th>公募の段階</th><td>公募終了</td></tr>"
        f"<tr><th>公募締め切り</th><td>令和7年3月31日(月) 正午</td></tr>{CONTACT_ROW}"
    )
    [call] = extract_html(amed_koubo_page(rows), url=KOUBO_URL).programs[0].calls
    assert call.status == "closed"
    assert call.closes.isoformat() == "2025-03-31T12:00:00+09:00"  # the dates stay


def test_amed_koubo_unreadable_deadline_is_kept_unparsed() -> None:
    rows = f"<tr><th>公募締め切り</th><td>未定</td></tr>{CONTACT_ROW}"
    [call] = extract_html(amed_koubo_page(rows), url=KOUBO_URL).programs[0].calls
    assert (call.raw, call.closes) == ("未定", None)
    assert call.status in ("tbd", "unparsed")


def test_generic_fallback_reads_a_call_period_table_row() -> None:
    """A th|td row lays its key and its dates out on two lines; the fallback still pairs them."""
    page = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
    <title>FY2025 Marine Biology Fellowship No. 0042 | Research Promotion Council</title></head>
    <body><header><nav><a href="/">Home</a></nav></header><main>
    <h1>FY2025 Marine Biology Fellowship No. 0042</h1>
    <table><tr><th>Call period</th><td>April 10, 2025 \xe2\x80\x93 Noon (12:00 JST), June 3, 2025</td></tr>
    <tr><th>Budget per project</th><td>Up to JPY 5,000 thousand</td></tr></table>
    <p>E-mail: <a href="mailto:call-0042@example.go.jp">call-0042@example.go.jp</a></p>
    </main></body></html>"""
    extraction = extract_html(page, url="https://calls.example.org/program-0042.html")
    [program] = extraction.programs
    assert extraction.fell_back
    assert program.id == "marine-biology-fellowship-no-0042"  # the number names the program; the year goes
    [call] = program.calls
    assert (call.label, str(call.opens), str(call.closes)) == (
        "Call period",
        "2025-04-10",
        "2025-06-03 12:00:00+09:00",
    )
