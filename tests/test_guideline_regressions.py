"""Regressions around call guidelines: `ingest reextract` replays them, a guideline link's text (with
its revision note) is not a call, and a removed guideline is one change, not two."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from guideline_pdfs import Guideline, guideline_pdf
from ingest.cli import main
from ingest.diff import diff_programs
from ingest.extract.html import extract_html
from ingest.models import JAPAN, Document, Program
from site_server import Fault, serve_sites

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "guidelines"
PAGE = "/kokusai/joint/r8/call.html"
JA_PDF = "/kokusai/joint/r8/pdf/kobo_yoryo_r8.pdf"
EN_PDF = "/kokusai/joint/r8/pdf/call_guidelines_fy2026.pdf"
JA = Guideline("ja", "令和8年4月1日（水）", "令和8年5月20日（水）正午")
NOON_MAY_27 = datetime(2026, 5, 27, 12, tzinfo=JAPAN)
EN = Guideline("en", "April 1, 2026", "May 20, 2026, 12:00 (noon) JST", pages=30)
SOURCES = """[fetch]
min_interval = 0
retries = 0

[extract]
isolate = false

[[source]]
id = "jst-joint"
kind = "html"
url = "https://www.jst.go.jp/kokusai/joint/r8/call.html"
allowed_domains = ["www.jst.go.jp"]
documents = true
"""


# -- a document link's text is not a call ----------------------------------------------------------

LINKS_PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<title>令和8年度 研究交流プログラム 公募 | Example Foundation</title></head><body><main>
<h1>令和8年度 研究交流プログラム 公募</h1>
<table><tr><th>応募締切</th><td>令和8年5月20日（水）正午</td></tr></table>
<h2>資料</h2>
<ul>
<li><a href="/files/kobo_yoryo.pdf">公募要領［令和8年4月15日修正］</a></li>
<li><a href="/files/yoryo2.pdf">公募要領（PDF）</a>［令和8年4月15日修正］</li>
<li><a href="/files/guidelines.pdf">Application Guidelines (updated May 8, 2026)</a></li>
<li><a href="/files/faq.html">Call Guidelines (updated May 8, 2026)</a></li>
</ul>
<p>お問い合わせ：kobo@example.org</p>
</main></body></html>"""


def test_a_guideline_link_with_a_revision_note_is_not_a_call() -> None:
    [record] = extract_html(
        LINKS_PAGE.encode(), url="https://www.example.org/grants/r8.html", source_id="s"
    ).programs
    # Only the deadline row is a call; none of the four link texts is one (undated or otherwise).
    assert [call.raw for call in record.calls] == ["令和8年5月20日(水)正午"]
    assert record.calls[0].closes == datetime(2026, 5, 20, 12, tzinfo=JAPAN)


def test_a_dated_line_that_also_links_a_document_is_still_a_call() -> None:
    page = LINKS_PAGE.replace(
        "<h2>資料</h2>", '<p>第2回 応募締切：令和8年9月30日（水） <a href="/files/r2.pdf">公募要領</a></p>'
    )
    [record] = extract_html(
        page.encode(), url="https://www.example.org/grants/r8.html", source_id="s"
    ).programs
    assert [str(call.closes) for call in record.calls] == [
        "2026-05-20 12:00:00+09:00",
        "2026-09-30",
    ]


# -- a removed guideline is one change ---------------------------------------------------------------


def _program(links: list[str], documents: list[Document]) -> Program:
    return Program.model_validate(
        {
            "id": "jst-joint",
            "name": "国際共同研究推進事業",
            "links": links,
            "documents": [d.model_dump() for d in documents],
            "provenance": [
                {
                    "source": "jst-joint",
                    "kind": "web-page",
                    "url": "https://www.jst.go.jp/call.html",
                    "content_sha256": "x",
                    "extracted_at": "2026-04-01T00:00:00+00:00",
                }
            ],
        }
    )


def test_a_removed_guideline_is_one_document_change_not_also_a_link_change() -> None:
    ja = Document(title="公募要領", url="https://www.jst.go.jp/ja.pdf", sha256="a")
    en = Document(title="Call Guidelines", url="https://www.jst.go.jp/en.pdf", sha256="b")
    faq = "https://www.jst.go.jp/faq.pdf"
    old = _program([ja.url, en.url, faq], [ja, en])
    new = _program([ja.url], [ja])
    changes = diff_programs([old], [new])
    # The guideline's link went with it: one `document` change; the FAQ (not a guideline) is a link change.
    assert [(c.category, c.field) for c in changes] == [
        ("website", f"links[{faq}]"),
        ("document", f"documents[{en.url}]"),
    ]
    added = diff_programs([new], [old])
    assert [c.category for c in added] == ["website", "document"]


# -- reextract replays guidelines ----------------------------------------------------------------------


@pytest.fixture
def guideline_run(tmp_path: Path) -> tuple[Path, Path]:
    sources, snapshots = tmp_path / "sources", tmp_path / "snapshots"
    sources.mkdir()
    (sources / "sources.toml").write_text(SOURCES)
    with serve_sites() as (state, mirrors):
        state.faults[("www.jst.go.jp", PAGE)] = Fault(body=(FIXTURES / "call-v2.html").read_bytes())
        state.faults[("www.jst.go.jp", JA_PDF)] = Fault(body=guideline_pdf(JA))
        state.faults[("www.jst.go.jp", EN_PDF)] = Fault(body=guideline_pdf(EN))
        args = ["run", "--sources", str(sources), "--snapshots", str(snapshots)]
        assert main([*args, "--rewrite-host", f"www.jst.go.jp={mirrors['www.jst.go.jp']}"]) == 0
    return sources, snapshots


def _reextract(sources: Path, snapshots: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    capsys.readouterr()
    code = main(
        ["reextract", "--sources", str(sources), "--snapshots", str(snapshots), "--json", "--exit-code"]
    )
    return code, json.loads(capsys.readouterr().out)["changes"]


def test_reextract_replays_the_guidelines_to_no_change(
    guideline_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, changes = _reextract(*guideline_run, capsys)
    assert (code, changes) == (0, [])  # before: both guidelines read as removed


def test_a_guideline_extractor_change_is_reported_by_reextract(
    guideline_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.reextract as reextract
    from ingest.extract.guidelines import read_guideline

    def later(content: bytes, *, name: str) -> object:  # stand-in for an edit to the guideline extractor
        reading = read_guideline(content, name=name)
        reading.calls = [c.model_copy(update={"closes": NOON_MAY_27}) for c in reading.calls]
        return reading

    monkeypatch.setattr(reextract, "read_guideline", later)
    code, changes = _reextract(*guideline_run, capsys)
    # The same bytes, read differently: the guidelines now disagree with the call page.
    assert code == 1 and {c["category"] for c in changes} == {"conflict"}
    assert all(c["detail"].startswith("extractor-induced") for c in changes)
    assert any("2026-05-27 12:00:00+09:00" in json.dumps(c["new"]) for c in changes)
