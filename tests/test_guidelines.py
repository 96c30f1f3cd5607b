"""Call guidelines as child documents: the links on a call page, the guideline extractor on generated
PDFs (Japanese and English, 12 to 90 pages), and the whole run through loopback servers: a guideline
added, revised (with a moved deadline, a conflict with the page) and removed."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from guideline_pdfs import Guideline, guideline_pdf
from ingest.cli import main
from ingest.extract.guidelines import document_links, read_guideline
from ingest.extract.periods import call_period
from ingest.isolation import ExtractLimits, run_limited
from ingest.models import JAPAN, Change, ChangeCategory, Document, Program, Severity
from ingest.severity import severity_of
from ingest.snapshot import SnapshotStore
from site_server import Fault, serve_sites

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "guidelines"
PAGE = "/kokusai/joint/r8/call.html"
PAGE_URL = f"https://www.jst.go.jp{PAGE}"
JA_PDF = "/kokusai/joint/r8/pdf/kobo_yoryo_r8.pdf"
EN_PDF = "/kokusai/joint/r8/pdf/call_guidelines_fy2026.pdf"
JA = Guideline("ja", "令和8年4月1日（水）", "令和8年5月20日（水）正午")
EN = Guideline("en", "April 1, 2026", "May 20, 2026, 12:00 (noon) JST", pages=30)
NOON_MAY_20 = datetime(2026, 5, 20, 12, tzinfo=JAPAN)


def test_call_page_links_are_found_by_text_and_type_with_their_revision_notes() -> None:
    links = document_links((FIXTURES / "call-v2.html").read_bytes(), url=PAGE_URL)
    assert [(link.url, link.title, link.revision) for link in links] == [
        (f"https://www.jst.go.jp{JA_PDF}", "令和8年度 公募要領(PDF:1.1MB)", "[令和8年4月15日修正]"),
        (
            f"https://www.jst.go.jp{EN_PDF}",
            "Call Guidelines FY2026 (English, PDF)",
            "(updated April 1, 2026)",
        ),
    ]  # the Word form and the FAQ are not guidelines
    assert document_links((FIXTURES / "call-v1.html").read_bytes(), url=PAGE_URL)[0].revision is None


@pytest.mark.parametrize(
    "text", ["令和8年度 公募要領(PDF:1.1MB)[令和8年4月15日修正]", "Call Guidelines (updated May 8, 2026)"]
)
def test_a_revision_note_beside_a_link_is_not_a_deadline(text: str) -> None:
    call = call_period(text)
    assert call.closes is None and call.status == "unparsed"
    assert any("change log" in warning for warning in call.warnings)


@pytest.mark.parametrize("spec", [JA, EN], ids=["ja", "en"])
def test_the_call_period_comes_out_right_with_page_evidence(spec: Guideline) -> None:
    reading = read_guideline(guideline_pdf(spec), name="guideline.pdf")
    [call] = reading.calls
    assert (call.opens, call.closes, call.closes_precision) == (date(2026, 4, 1), NOON_MAY_20, "minute")
    assert call.status == "dated" and call.warnings == []
    # cover and contents are unnumbered: printed page 3 (the schedule) is the PDF's page 5
    assert reading.evidence == {"calls": [5], "eligibility": [6], "contacts": [spec.pages]}
    assert ("応募要件" if spec.language == "ja" else "Eligibility") in reading.eligibility
    assert [c.email for c in reading.contacts] == ["kobo@example.go.jp"]


def test_a_cover_that_disagrees_with_the_schedule_is_a_warning() -> None:
    spec = Guideline("en", "April 1, 2026", "May 20, 2026, 12:00 (noon) JST", cover_closes="May 27, 2026")
    [call] = read_guideline(guideline_pdf(spec), name="g.pdf").calls
    assert call.closes == NOON_MAY_20  # the schedule table wins
    assert any("page 1 gives another deadline" in w for w in call.warnings)


def test_a_second_deadline_on_the_schedule_page_is_named_not_guessed() -> None:
    second = "第2回 応募締切 令和8年9月30日（水）正午"
    spec = Guideline("ja", "令和8年4月1日（水）", "令和8年5月20日（水）正午", second_round=second)
    [call] = read_guideline(guideline_pdf(spec), name="g.pdf").calls
    assert call.closes == NOON_MAY_20
    assert any("令和8年9月30日" in w and "page 5" in w for w in call.warnings), call.warnings


def test_a_90_page_guideline_is_read_within_the_limits_in_under_5_seconds() -> None:
    data = guideline_pdf(Guideline("ja", "令和8年4月1日（水）", "令和8年5月20日（水）正午", pages=90))
    limits = ExtractLimits(memory_mb=512, cpu_seconds=10, wall_seconds=10)
    started = time.monotonic()
    reading = run_limited(read_guideline, (data,), {"name": "g.pdf"}, limits=limits, what="g.pdf")
    elapsed = time.monotonic() - started
    assert reading.pages == 90 and reading.calls[0].closes == NOON_MAY_20
    assert len(reading.pages_read) <= 12  # the cover, the contents, the chapters it points to
    assert elapsed < 5, elapsed


def _document_change(old: object, new: object) -> Change:
    return Change(
        id="x",
        program="p",
        category=ChangeCategory.DOCUMENT,
        field="documents[u]",
        old=old,
        new=new,
        review=True,
    )


def test_a_removed_guideline_is_high_and_a_revised_one_medium() -> None:
    value = {"title": "t", "revision": None, "sha256": "a"}
    assert severity_of(_document_change(value, None)) == Severity.HIGH
    assert severity_of(_document_change(value, {**value, "sha256": "b"})) == Severity.MEDIUM
    assert severity_of(_document_change(None, value)) == Severity.MEDIUM


def test_records_without_documents_serialize_as_before() -> None:
    program = Program.model_validate(
        {
            "id": "p",
            "name": "P",
            "provenance": [
                {"source": "s", "kind": "web-page", "content_sha256": "x", "extracted_at": NOON_MAY_20}
            ],
        }
    )
    assert "documents" not in program.model_dump_json()
    with_one = program.model_copy(update={"documents": [Document(title="公募要領", url="https://x/a.pdf")]})
    assert json.loads(with_one.model_dump_json())["documents"][0]["title"] == "公募要領"


# -- end to end -------------------------------------------------------------------------------------

SOURCES = """[fetch]
min_interval = 0
retries = 0
connect_timeout = 2
read_timeout = 2

[[source]]
id = "jst-joint"
kind = "html"
url = "https://www.jst.go.jp/kokusai/joint/r8/call.html"
allowed_domains = ["www.jst.go.jp"]
documents = true
"""


def test_guidelines_added_revised_and_removed_end_to_end(tmp_path: Path) -> None:
    sources, snapshots = tmp_path / "sources", tmp_path / "snapshots"
    sources.mkdir()
    (sources / "sources.toml").write_text(SOURCES)
    store = SnapshotStore(snapshots)
    with serve_sites() as (state, mirrors):

        def serve(page: str, ja: Guideline) -> None:
            state.faults[("www.jst.go.jp", PAGE)] = Fault(body=(FIXTURES / page).read_bytes())
            state.faults[("www.jst.go.jp", JA_PDF)] = Fault(body=guideline_pdf(ja))
            state.faults[("www.jst.go.jp", EN_PDF)] = Fault(body=guideline_pdf(EN))

        def run() -> tuple[Program, list[dict[str, object]]]:
            args = ["run", "--sources", str(sources), "--snapshots", str(snapshots)]
            args += ["--rewrite-host", f"www.jst.go.jp={mirrors['www.jst.go.jp']}"]
            assert main(args) == 0
            latest = store.latest()
            assert latest is not None
            [record] = latest.records
            return record, json.loads((latest.path / "changes.json").read_text())["changes"]

        serve("call-v1.html", JA)
        record, _ = run()
        by_url = {d.url.rsplit("/", 1)[-1]: d for d in record.documents}
        assert sorted(by_url) == ["call_guidelines_fy2026.pdf", "kobo_yoryo_r8.pdf"]
        ja = by_url["kobo_yoryo_r8.pdf"]
        assert ja.title == "令和8年度 公募要領(PDF:1.1MB)" and ja.linked_from == PAGE_URL
        assert ja.size == len(guideline_pdf(JA)) and ja.sha256 and ja.pages == 12
        assert ja.calls[0].closes == NOON_MAY_20 and ja.evidence["calls"] == [5]
        assert by_url["call_guidelines_fy2026.pdf"].revision == "(updated April 1, 2026)"
        assert record.conflicts == []  # the page and both guidelines agree
        assert state.hits[("www.jst.go.jp", "/kokusai/joint/r8/doc/yoshiki.docx")] == 0  # not a guideline
        written = store.names()
        record, changes = run()  # the same bytes again, guidelines included: a quiet day
        assert store.names() == written and changes == []

        moved = Guideline("ja", "令和8年4月1日（水）", "令和8年5月27日（水）正午")
        serve("call-v2.html", moved)
        record, changes = run()
        [revised] = [c for c in changes if c["category"] == "document"]
        assert revised["field"] == f"documents[https://www.jst.go.jp{JA_PDF}]"
        assert revised["severity"] == "medium" and revised["new"]["revision"] == "[令和8年4月15日修正]"
        assert "2026-05-20T12:00:00+09:00 → 2026-05-27T12:00:00+09:00" in revised["detail"]
        assert revised["new_evidence"][0]["pages"] == [5]
        assert "[令和8年4月15日修正]" in revised["new_evidence"][0]["text"]
        [conflict] = [c for c in changes if c["category"] == "conflict"]
        assert conflict["field"].startswith("conflicts.documents[")
        assert conflict["new"] == {
            f"guideline https://www.jst.go.jp{JA_PDF} (page 5)": "2026-05-27 12:00:00+09:00",
            "jst-joint": ["2026-05-20 12:00:00+09:00"],
        }

        serve("call-v3.html", moved)
        record, changes = run()
        [removed] = [c for c in changes if c["category"] == "document"]
        assert removed["field"] == f"documents[https://www.jst.go.jp{EN_PDF}]"
        assert removed["new"] is None and removed["severity"] == "high"
        assert [d.url for d in record.documents] == [f"https://www.jst.go.jp{JA_PDF}"]

        state.faults[("www.jst.go.jp", JA_PDF)] = Fault(status=500)
        record, changes = run()  # a guideline that cannot be fetched keeps its entry, marked stale
        assert [(d.url, d.stale) for d in record.documents] == [(f"https://www.jst.go.jp{JA_PDF}", True)]
        assert not [c for c in changes if c["category"] == "document"]
