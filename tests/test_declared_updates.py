"""The sites' own change logs: dated entries read into `declared_updates`, a declared close sets the
call's status, and the entries never show as changes."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest import pipeline
from ingest.cli import main
from ingest.declared import NOT_ANNOUNCED
from ingest.diff import change_id, diff_programs
from ingest.extract.html import extract_html
from ingest.models import Change
from ingest.pipeline import RunOutcome
from ingest.snapshot import SnapshotStore
from site_server import Fault, SiteState, serve_sites

ROOT = Path(__file__).resolve().parents[1]
AMED_KOUBO = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<title>令和8年度「国際共同研究推進事業」に係る公募について | 日本医療研究開発機構</title></head><body>
<div id="contents"><div id="main">
<p class="date">掲載日：2026年4月1日</p>
<h1 class="title">令和8年度「国際共同研究推進事業」に係る公募について</h1>
<h2>更新履歴</h2>
<ul class="changeLog">
  <li>令和８年５月８日資料欄に「よくある質問（FAQ）」を追加しました。</li>
  <li>令和8年4月1日 公募を開始しました。</li>
</ul>
<h2>基本情報</h2>
<table class="basicInfo">
  <tr><th>公募の段階</th><td>公募</td></tr>
  <tr><th>公募締め切り</th><td><p>令和8年5月20日(水) 正午【厳守】</p></td></tr>
  <tr><th>お問い合わせ先</th><td><p>E-mail: kokusai"AT"amed.go.jp</p></td></tr>
</table>
<h2>資料</h2>
<ul><li><a href="/content/000300001.pdf">公募要領（PDF：1.0MB）</a>［令和8年4月15日修正］</li></ul>
</div></div></body></html>"""
AMED_URL = "https://www.amed.go.jp/koubo/26/01/2601B_00042.html"

ASPIRE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>FY2024 Call for Japan based researchers | ASPIRE | JST</title></head><body>
<main id="main">
<h1>FY2024 Call for Japan based researchers (ASPIRE for Top Scientists)</h1>
<p class="updated">(Last updated June 11, 2024)</p>
<h2>Update details</h2>
<ul class="updates">
  <li>June 11, 2024: This call for proposals has been closed.</li>
  <li>March 4, 2024:<ul><li>The call for proposals has been opened.</li></ul></li>
</ul>
<p>March 2024</p>
<h2>Schedule</h2>
<table><tr><th>Call for proposals period</th>
<td>Monday, March 4, 2024 &ndash; Tuesday, June 11, 2024 12:00 noon (JST)</td></tr></table>
<h2>Contact</h2><p><a href="mailto:aspire@jst.go.jp">aspire@jst.go.jp</a></p>
</main></body></html>"""
ASPIRE_URL = "https://www.jst.go.jp/aspire/en/program_e/announce_e/announce_aspire2024_e.html"


def test_amed_change_log_with_the_date_glued_to_the_text() -> None:
    [record] = extract_html(AMED_KOUBO, url=AMED_URL).programs
    entries = [(u.date, u.text, u.url) for u in record.declared_updates]
    assert entries == [
        (date(2026, 5, 8), "資料欄に「よくある質問(FAQ)」を追加しました。", AMED_URL),
        (date(2026, 4, 15), "公募要領(PDF:1.0MB)", AMED_URL),  # the revision note beside a document link
        (date(2026, 4, 1), "公募を開始しました。", AMED_URL),
    ]
    assert record.calls[0].status == "dated"  # an opening is not a close


def test_aspire_update_details_and_last_updated_and_a_declared_close() -> None:
    [record] = extract_html(ASPIRE, url=ASPIRE_URL).programs
    entries = [(u.date, u.text) for u in record.declared_updates]
    assert entries == [
        (date(2024, 6, 11), "This call for proposals has been closed."),
        (date(2024, 6, 11), "Last updated"),
        (date(2024, 3, 4), "The call for proposals has been opened."),
    ]  # "March 2024" under the list is no entry: an entry needs a full date
    assert [call.status for call in record.calls] == ["closed"]


def test_a_japanese_declared_close_sets_the_status() -> None:
    page = AMED_KOUBO.replace(
        "<li>令和８年５月８日", "<li>令和8年5月20日公募を締め切りました。</li><li>令和８年５月８日"
    )
    [record] = extract_html(page, url=AMED_URL).programs
    assert record.declared_updates[0].text == "公募を締め切りました。"
    assert [call.status for call in record.calls] == ["closed"]


def test_declared_updates_are_never_a_change() -> None:
    [old] = extract_html(AMED_KOUBO, url=AMED_URL).programs
    page = AMED_KOUBO.replace(
        "<li>令和８年５月８日", "<li>令和8年5月9日様式を差し替えました。</li><li>令和８年５月８日"
    )
    [new] = extract_html(page, url=AMED_URL).programs
    assert len(new.declared_updates) == len(old.declared_updates) + 1
    assert diff_programs([old], [new]) == []


# -- end to end: the change logs reconciled with the changes, run by run ----------------------------

SOURCES = """[fetch]
min_interval = 0
retries = 0
connect_timeout = 2
read_timeout = 2

[[source]]
id = "amed-koubo"
kind = "html"
url = "https://www.amed.go.jp/koubo/26/01/2601B_00042.html"
allowed_domains = ["amed.go.jp"]
programs = ["e-asia-jrp"]

[[source]]
id = "jst-aspire-call"
kind = "html"
url = "https://www.jst.go.jp/aspire/en/program_e/announce_e/announce_aspire2024_e.html"
allowed_domains = ["jst.go.jp"]
programs = ["aspire-jst"]
"""
AMED_PATH = "/koubo/26/01/2601B_00042.html"
ASPIRE_PATH = "/aspire/en/program_e/announce_e/announce_aspire2024_e.html"


def _serve(state: SiteState, amed: str, aspire: str) -> None:
    state.faults[("www.amed.go.jp", AMED_PATH)] = Fault(body=amed.encode())
    state.faults[("www.jst.go.jp", ASPIRE_PATH)] = Fault(body=aspire.encode())


def test_a_declared_update_not_detected_and_a_silent_edit_are_both_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, snapshots = tmp_path / "sources", tmp_path / "snapshots"
    sources.mkdir()
    (sources / "sources.toml").write_text(SOURCES)
    aspire_open = ASPIRE.replace("<li>June 11, 2024: This call for proposals has been closed.</li>", "")
    aspire_open = aspire_open.replace("(Last updated June 11, 2024)", "(Last updated March 4, 2024)")
    with serve_sites() as (state, mirrors):

        def run_at(day: str) -> RunOutcome:
            return pipeline.run(
                sources, snapshots, now=datetime.fromisoformat(f"{day}T01:00:00+00:00"), rewrite_hosts=mirrors
            )

        _serve(state, AMED_KOUBO, aspire_open)
        first = run_at("2024-05-01")
        assert first.snapshot is not None and not first.undetected
        # The AMED page announces a new document and nothing else changes on it; the ASPIRE page moves
        # its deadline without a word in its change log.
        amed_v2 = AMED_KOUBO.replace(
            "<li>令和８年５月８日",
            "<li>令和8年5月9日資料欄に「提案書様式」を追加しました。</li><li>令和８年５月８日",
        )
        aspire_silent = aspire_open.replace("Tuesday, June 11, 2024 12:00", "Tuesday, June 18, 2024 12:00")
        _serve(state, amed_v2, aspire_silent)
        second = run_at("2024-05-10")
        assert second.snapshot is not None
        assert [(u.program, u.date, u.text, u.url) for u in second.undetected] == [
            ("e-asia-jrp", date(2026, 5, 9), "資料欄に「提案書様式」を追加しました。", AMED_URL)
        ]
        [moved] = [c for c in second.changes if c.field.endswith(".closes")]
        assert moved.program == "aspire-jst" and NOT_ANNOUNCED in moved.detail
        report = second.snapshot.report_path.read_text()
        assert "## Declared by the site, not detected by ingest: 1 to check by hand" in report
        assert "the site declares an update that ingest did not detect: 9 May 2026" in report
        assert f"({NOT_ANNOUNCED})" in report
        stored = SnapshotStore(snapshots).undetected(second.snapshot.name)
        assert stored == second.undetected
        assert main(["review", "--snapshots", str(snapshots), "--ledger", str(tmp_path / "ledger.tsv")]) == 0
        listing = capsys.readouterr().out
        assert "the sites declare 1 update(s) ingest did not detect" in listing
        assert "e-asia-jrp  the site declares an update that ingest did not detect: 9 May 2026" in listing
        assert NOT_ANNOUNCED in listing
        html = tmp_path / "report.html"
        assert first.snapshot is not None
        names = [first.snapshot.name, second.snapshot.name]
        assert main(["report", *names, "--snapshots", str(snapshots), "--output", str(html)]) == 0
        page = html.read_text()
        assert "Declared by the site, not detected by ingest" in page
        assert "資料欄に「提案書様式」を追加しました。" in page and "not announced by the site" in page

        # The call closes, and the change log says so: the status change is announced, and nothing is
        # declared that was not detected.
        _serve(state, amed_v2, ASPIRE.replace("Tuesday, June 11, 2024 12:00", "Tuesday, June 18, 2024 12:00"))
        third = run_at("2024-06-12")
        assert not third.undetected
        [closed] = [c for c in third.changes if c.field.endswith(".status")]
        assert (closed.old, closed.new) == ("dated", "closed")
        assert NOT_ANNOUNCED not in closed.detail
        # Ids hash program, field and values only: the note does not change them.
        assert moved.id == change_id(moved.program, moved.field, moved.old, moved.new)


def test_the_v2_fixture_sites_announced_changes_and_silent_ones(tmp_path: Path) -> None:
    """tests/fixtures/sites v1 → v2 (CHANGES.md), run on the days the sites' notes are dated: the CREST,
    e-ASIA and ASPIRE edits come with a change-log entry, the others without one; the CREST note on the
    call page shared with PRESTO is accounted for by CREST's change on that page."""
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", sources)
    toml = sources / "sources.toml"
    toml.write_text("[fetch]\nmin_interval = 0\nretries = 0\n\n" + toml.read_text())
    with serve_sites() as (state, mirrors):
        pipeline.run(
            sources, tmp_path / "snapshots", now=datetime(2025, 3, 1, tzinfo=UTC), rewrite_hosts=mirrors
        )
        state.version = "v2"
        outcome = pipeline.run(
            sources, tmp_path / "snapshots", now=datetime(2025, 5, 30, tzinfo=UTC), rewrite_hosts=mirrors
        )
    assert outcome.undetected == []
    silent = {c.program for c in outcome.changes if NOT_ANNOUNCED in c.detail}
    announced = {c.program for c in outcome.changes if c.review and NOT_ANNOUNCED not in c.detail}
    assert silent == {"aspire-amed", "hfsp", "jsps-international-fellowships", "us-japan-cmsp"}
    assert {"crest", "e-asia-jrp", "aspire-jst"} <= announced
    closed = by_field(outcome.changes, "aspire-jst")
    assert any(
        c.get("new") == "closed" or (isinstance(c.get("new"), dict) and c["new"].get("status") == "closed")
        for c in closed
    )


def by_field(changes: list[Change], program: str) -> list[dict[str, object]]:
    return [c.model_dump(mode="json") for c in changes if c.program == program]
