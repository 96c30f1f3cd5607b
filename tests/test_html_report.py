"""The HTML diff report and snapshot index: content, order, escaping, links, and the `report` command."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.diff import diff_programs
from ingest.evidence import evidence_for
from ingest.models import (
    CallPeriod,
    Change,
    Contact,
    Evidence,
    Manifest,
    Program,
    Provenance,
    SourceResult,
    SourceStatus,
    path_from_field,
)
from ingest.report.html import render_diff_report, render_index, upcoming_deadlines, with_evidence
from ingest.report.links import safe_href
from ingest.report.word_diff import Segment, word_diff
from ingest.review import Decision, DecisionKind, ReviewState
from ingest.snapshot import Snapshot, SnapshotStore

APRIL = datetime(2025, 4, 15, 3, 0, tzinfo=UTC)
MAY = datetime(2025, 5, 1, 3, 0, tzinfo=UTC)
PDF_URL = "https://www.jst.go.jp/inter/funding-programs-overseas-2025-04.pdf"
SCRIPT = "<script>alert(1)</script>"
ELIGIBILITY_BEFORE = (
    "Researchers affiliated with a university or research institution in Japan may apply, together with "
    "partners at overseas institutions in any country."
)
ELIGIBILITY_AFTER = (
    "Only researchers affiliated with a university in Japan may apply; overseas partners must be based "
    "in a G7 country."
)


# -- realistic records: the April edition, then the May one ---------------------------------------


def provenance(at: datetime, pages: list[int]) -> list[Provenance]:
    return [
        Provenance(source="reference-pdf", url=PDF_URL, pages=pages, content_sha256="a" * 64, extracted_at=at)
    ]


def crest(closes: str, raw: str, at: datetime) -> Program:
    return Program(
        id="crest",
        name="CREST (Core Research for Evolutional Science and Technology)",
        agencies=["JST"],
        categories=["member-of-japanese-team"],
        summary="Team-based research toward strategic goals set by the government.",
        eligibility="A CREST principal investigator in Japan may add a Co-PI based overseas.",
        website="https://www.jst.go.jp/kisoken/crest/en/index.html",
        contacts=[Contact(email="rp-info@jst.go.jp", label="CREST")],
        calls=[
            CallPeriod(
                label="2025 call for proposals",
                raw=raw,
                opens="2025-04-10",
                closes=closes,
                opens_precision="day",
                closes_precision="minute",
                status="dated",
            )
        ],
        provenance=provenance(at, [3]),
    )


def aspire(email: str, eligibility: str, at: datetime) -> Program:
    return Program(
        id="aspire-amed",
        name="ASPIRE (AMED)",
        agencies=["AMED"],
        categories=["affiliated-overseas"],
        summary="International collaborative research with top-level researchers abroad.",
        eligibility=eligibility,
        website="https://www.amed.go.jp/en/program/list/20/01/001.html",
        contacts=[Contact(email=email, label="ASPIRE for Rising Scientists")],
        provenance=provenance(at, [7, 8]),
    )


def fellowship(closes: str, at: datetime) -> Program:
    return Program(
        id="jsps-international-fellowships",
        name="JSPS International Fellowships for Research in Japan",
        agencies=["JSPS"],
        categories=["moving-to-japan"],
        website="https://www.jsps.go.jp/english/e-fellow/",
        contacts=[Contact(email="fellow@jsps.go.jp", label="Fellowship Division")],
        calls=[CallPeriod(label="FY2026 (1st round)", raw=f"Until {closes}", closes=closes, status="dated")],
        provenance=provenance(at, [10]),
    )


def presto(at: datetime) -> Program:
    return Program(
        id="presto",
        name="PRESTO",
        agencies=["JST"],
        website="https://www.jst.go.jp/kisoken/presto/en/",
        provenance=provenance(at, [4]),
    )


def hostile(at: datetime) -> Program:
    """Scraped text is data: markup in it must reach the page as text, and a script URL never as a link."""
    return Program(
        id="evil-fellowship",
        name=f"{SCRIPT} Fellowship",
        summary='A program whose page says <img src=x onerror="alert(2)">.',
        website="javascript:alert(3)",
        provenance=provenance(at, [12]),
    )


def april_records() -> list[Program]:
    return [
        crest("2025-06-03T12:00:00+09:00", "April 10 – Noon, June 3", APRIL),
        aspire("aspire@amed.go.jp", ELIGIBILITY_BEFORE, APRIL),
        fellowship("2025-09-05", APRIL),
        presto(APRIL),
    ]


def may_records() -> list[Program]:
    return [
        crest("2025-06-10T12:00:00+09:00", "April 10 – Noon, June 10", MAY),
        aspire("aspire-2025@amed.go.jp", ELIGIBILITY_AFTER, MAY),
        fellowship("2025-09-03", MAY),
        hostile(MAY),
    ]


def manifest(
    name: str, at: datetime, records: list[Program], *, failed: bool, previous: str | None
) -> Manifest:
    sources = [
        SourceResult(
            id="reference-pdf",
            kind="pdf",
            location=PDF_URL,
            status=SourceStatus.OK,
            content_sha256="a" * 64,
            records=len(records),
        )
    ]
    if failed:
        sources.append(
            SourceResult(
                id="amed-aspire-page",
                kind="html",
                location="https://www.amed.go.jp/en/program/list/20/01/001.html",
                status=SourceStatus.FAILED,
                error="the server answered 404 Not Found",
                error_kind="http-4xx",
                stale_records=1,
            )
        )
    return Manifest(
        snapshot=name,
        created_at=at,
        tool_version="0.1.0",
        previous=previous,
        sources=sources,
        records_sha256="b" * 64,
        programs=len(records),
    )


def write_snapshots(root: Path) -> tuple[Snapshot, Snapshot]:
    """Two snapshots as `ingest run` writes them (with changes.json), the second with a failed source."""
    store = SnapshotStore(root)
    old_records, new_records = april_records(), may_records()
    old = store.write(
        manifest("2025-04-15T03-00-00Z", APRIL, old_records, failed=False, previous=None), old_records
    )
    new = store.write(
        manifest("2025-05-01T03-00-00Z", MAY, new_records, failed=True, previous=old.name),
        new_records,
        changes=diff_programs(old_records, new_records),
    )
    return old, new


def sample_report(root: Path, review: ReviewState | None = None) -> tuple[str, list[Change]]:
    """The rendered report of the two sample snapshots, and the changes it shows."""
    old, new = write_snapshots(root)
    changes = diff_programs(old.records, new.records)
    title = "Changes April → May 2025"
    page = render_diff_report(changes, old=old, new=new, title=title, review=review or ReviewState())
    return page, changes


def reviewed_except(changes: list[Change], *waiting: str) -> ReviewState:
    """A review state in which every change but `waiting` was acknowledged."""
    return ReviewState(
        [Decision(APRIL, "tester", DecisionKind.ACK, c.id, "seen") for c in changes if c.id not in waiting]
    )


@pytest.fixture
def report(tmp_path: Path) -> tuple[str, list[Change]]:
    return sample_report(tmp_path / "snapshots")


def summary_of(page: str) -> str:
    """The text of the sticky summary at the top of a report."""
    return text_of(page.split('<header class="summary">')[1].split("</header>")[0])


def text_of(page: str) -> str:
    """The page's visible words, tags dropped, whitespace collapsed (entities kept as written)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def review_ids(changes: list[Change]) -> list[str]:
    return [c.id for c in changes if c.review]


# -- the diff report ---------------------------------------------------------------------------------


def test_programs_are_ordered_most_severe_first(report: tuple[str, list[Change]]) -> None:
    page, _ = report
    order = re.findall(r'<section class="program" id="program-([a-z0-9-]+)"', page)
    # JSPS: a deadline moved earlier (critical); then the high ones by name; CREST was only extended.
    assert order == ["jsps-international-fellowships", "evil-fellowship", "aspire-amed", "presto", "crest"]


def test_within_a_program_the_most_severe_change_comes_first(report: tuple[str, list[Change]]) -> None:
    page, _ = report
    jsps = page.split('id="program-jsps-international-fellowships"')[1].split('<section class="program"')[0]
    # One change per edited call: the deadline moved earlier, its printed text folded in as evidence.
    assert re.findall(r'<article class="change sev-(\w+)', jsps) == ["critical"]
    assert "FY2026 (1st round): Until 2025-09-05" in jsps and "FY2026 (1st round): Until 2025-09-03" in jsps


def test_summary_counts_only_review_worthy_changes(tmp_path: Path) -> None:
    old, new = write_snapshots(tmp_path)
    changes = diff_programs(old.records, new.records)
    wording = Change(
        id="f" * 12,
        program="crest",
        program_name="CREST",
        category="other",
        field="summary",
        old="Team-based research.",
        new="Team research toward strategic goals.",
        review=False,
    )
    page = render_diff_report([*changes, wording], old=old, new=new, title="t", review=ReviewState())
    summary = summary_of(page)
    assert "6 changes to review" in summary
    assert re.search(r"1 critical.*3 high.*2 medium", summary)
    assert not re.search(r"\blow\b", summary) and "9 changes" not in summary
    assert "CREST (Core Research for Evolutional Science and Technology) · 1" in summary
    assert "wording only, not for review" in text_of(page)
    assert f"ingest review ack {'f' * 12}" not in page  # nothing to acknowledge


def test_old_and_new_values_are_highlighted_word_by_word(report: tuple[str, list[Change]]) -> None:
    page, _ = report
    crest = page.split('id="program-crest"')[1]
    assert "2025-06-<del>03</del>T12:00:00+09:00" in crest
    assert "2025-06-<ins>10</ins>T12:00:00+09:00" in crest
    assert "closes 7 days later" in crest
    assert "<ins>Only researchers</ins> affiliated" in page
    assert "<ins>must be based</ins>" in page
    assert "aspire<ins>-2025</ins>@amed.go.jp" in page


def test_evidence_snippets_link_to_the_pdf_page(report: tuple[str, list[Change]]) -> None:
    page, _ = report
    crest = html.unescape(page.split('id="program-crest"')[1])
    assert "2025 call for proposals: April 10 – Noon, June 3" in crest  # the raw text as printed, old side
    assert "2025 call for proposals: April 10 – Noon, June 10" in crest
    assert f'<a href="{PDF_URL}#page=3" rel="noopener noreferrer">PDF page 3</a>' in crest


def test_every_pending_change_says_how_to_acknowledge_it(report: tuple[str, list[Change]]) -> None:
    page, changes = report
    text = html.unescape(page)
    for change_id in review_ids(changes):
        assert f'ingest review ack {change_id} --note "…"' in text
        assert f'ingest review dismiss {change_id} --note "…"' in text


def test_failed_sources_are_listed_before_the_changes(report: tuple[str, list[Change]]) -> None:
    page, _ = report
    failure = page.index("amed-aspire-page")
    assert failure < page.index('<section class="program"')
    assert "the server answered 404 Not Found" in page
    assert "1 source failed" in summary_of(page)


def test_scraped_markup_is_shown_as_text(report: tuple[str, list[Change]]) -> None:
    page, _ = report
    assert "<script" not in page.lower()  # the page has no script of its own either
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Fellowship" in page
    assert "<img" not in page
    assert "javascript:" not in page  # its website is a script URL: never made a link


def test_reviewed_changes_are_shown_as_reviewed(tmp_path: Path) -> None:
    page, changes = sample_report(tmp_path)
    first = review_ids(changes)[0]
    page, _ = sample_report(tmp_path / "again", reviewed_except(changes, first))
    summary = summary_of(page)
    assert "1 change to review" in summary
    assert "5 already reviewed" in summary
    assert page.count("ingest review ack ") == 1 and f"ingest review ack {first}" in page
    assert page.count("✓ reviewed") == 5


def test_nothing_pending_when_everything_was_reviewed(tmp_path: Path) -> None:
    _, changes = sample_report(tmp_path)
    page, _ = sample_report(tmp_path / "again", reviewed_except(changes))
    assert "Nothing to review" in page
    assert "ingest review ack" not in page


def test_no_changes(tmp_path: Path) -> None:
    old, _ = write_snapshots(tmp_path)
    page = render_diff_report([], old=old, new=old, title="Same", review=ReviewState())
    assert "No changes between these snapshots." in page
    assert "Nothing to review" in page


def test_evidence_is_looked_up_when_a_change_has_none() -> None:
    changes = diff_programs(april_records(), may_records())
    filled = with_evidence(changes, april_records(), may_records())
    removed = next(c for c in filled if c.category == "removed")
    assert [(e.source, e.pages, e.text) for e in removed.old_evidence] == [("reference-pdf", [4], "PRESTO")]
    assert removed.new_evidence == []
    own = changes[0].model_copy(update={"old_evidence": [Evidence(source="x", text="kept")]})
    assert with_evidence([own], april_records(), may_records())[0].old_evidence[0].text == "kept"


@pytest.mark.parametrize(
    ("old", "new", "old_marks", "new_marks"),
    [
        ("April 10 – Noon, June 3", "April 10 – Noon, June 10", ["3"], ["10"]),
        ("rp-info@jst.go.jp", "crest@jst.go.jp", ["rp-info"], ["crest"]),
        ("A PI may add a Co-PI.", "A PI must add a Co-PI.", ["may"], ["must"]),
        ("any country in the world", "any country", ["in the world"], []),
        ("", "New program", [], ["New program"]),
        ("same text", "same  text", [], []),
    ],
)
def test_word_diff(old: str, new: str, old_marks: list[str], new_marks: list[str]) -> None:
    before, after = word_diff(old, new)
    assert "".join(s.text for s in before) == old and "".join(s.text for s in after) == new
    assert [s.text for s in before if s.kind == "del"] == old_marks
    assert [s.text for s in after if s.kind == "ins"] == new_marks
    assert all(s.kind in ("same", "del") for s in before) and all(s.kind in ("same", "ins") for s in after)


def test_word_diff_keeps_spaces_outside_the_marks() -> None:
    before, _ = word_diff("a university or research institution in Japan", "a university in Japan")
    assert Segment("del", "or research institution") in before


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.jst.go.jp/", "https://www.jst.go.jp/"),
        ("http://example.org/a", "http://example.org/a"),
        ("mailto:rp-info@jst.go.jp", "mailto:rp-info@jst.go.jp"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("sources/reference.pdf", None),
        (None, None),
    ],
)
def test_only_safe_addresses_become_links(url: str | None, expected: str | None) -> None:
    assert safe_href(url) == expected


# -- evidence ------------------------------------------------------------------------------------------


def test_evidence_for_a_call_is_its_label_and_raw_text() -> None:
    program = crest("2025-06-03T12:00:00+09:00", "April 10 – Noon, June 3", APRIL)
    [item] = evidence_for(program, path_from_field("calls[2025 call for proposals].closes"))
    assert (item.source, item.url, item.pages) == ("reference-pdf", PDF_URL, [3])
    assert item.text == "2025 call for proposals: April 10 – Noon, June 3"
    assert evidence_for(program, path_from_field("calls[2024 call for proposals].closes")) == []


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("contacts[aspire@amed.go.jp]", "ASPIRE for Rising Scientists: aspire@amed.go.jp"),
        ("contacts[aspire@amed.go.jp].label", "ASPIRE for Rising Scientists: aspire@amed.go.jp"),
        ("contacts", "ASPIRE for Rising Scientists: aspire@amed.go.jp"),
        ("eligibility", ELIGIBILITY_BEFORE),
        ("website", "https://www.amed.go.jp/en/program/list/20/01/001.html"),
        ("summary", "International collaborative research with top-level researchers abroad."),
        ("", "ASPIRE (AMED)\nInternational collaborative research with top-level researchers abroad."),
    ],
)
def test_evidence_for_fields(field: str, text: str) -> None:
    [item] = evidence_for(aspire("aspire@amed.go.jp", ELIGIBILITY_BEFORE, APRIL), path_from_field(field))
    assert item.text == text and item.pages == [7, 8]


def test_evidence_for_set_members_and_missing_values() -> None:
    program = crest("2025-06-03", "Until June 3", APRIL).model_copy(
        update={"links": ["https://a.example/1", "https://a.example/2"]}
    )
    assert [e.text for e in evidence_for(program, path_from_field("links[https://a.example/2]"))] == [
        "https://a.example/2"
    ]
    assert evidence_for(program, path_from_field("links[https://a.example/3]")) == []
    assert evidence_for(program, path_from_field("contacts[nobody@jst.go.jp]")) == []


def test_evidence_comes_from_the_sources_that_supplied_the_field() -> None:
    pdf = Provenance(
        source="reference-pdf",
        pages=[3],
        content_sha256="a" * 64,
        extracted_at=APRIL,
        fields=["name", "calls"],
    )
    page = Provenance(
        source="crest-page",
        url="https://www.jst.go.jp/kisoken/crest/en/",
        content_sha256="c" * 64,
        extracted_at=APRIL,
        fields=["name", "eligibility"],
    )
    program = crest("2025-06-03", "Until June 3", APRIL).model_copy(update={"provenance": [pdf, page]})
    assert [e.source for e in evidence_for(program, path_from_field("eligibility"))] == ["crest-page"]
    assert [
        e.source for e in evidence_for(program, path_from_field("calls[2025 call for proposals].raw"))
    ] == ["reference-pdf"]
    assert [e.source for e in evidence_for(program, path_from_field("name"))] == [
        "reference-pdf",
        "crest-page",
    ]


# -- the index -----------------------------------------------------------------------------------------


def test_index_lists_runs_newest_first_with_what_they_changed(tmp_path: Path) -> None:
    write_snapshots(tmp_path)
    page = render_index(SnapshotStore(tmp_path), today=date(2025, 5, 20), review=ReviewState())
    runs = page.split('id="runs"')[1]
    assert runs.index("2025-05-01T03-00-00Z") < runs.index("2025-04-15T03-00-00Z")
    assert '<a href="2025-05-01T03-00-00Z.html">' in runs
    assert '<a href="2025-04-15T03-00-00Z.html">' not in runs  # the first snapshot has no report
    may = text_of(runs.split('id="run-2025-05-01T03-00-00Z"')[1].split("</tr>")[0])
    assert "6 to review" in may
    for chip in ("deadline 2", "eligibility 1", "contact 1", "added 1", "removed 1"):
        assert chip in may
    assert "1 of 2 sources failed: amed-aspire-page (http-4xx)" in may and "404 Not Found" in may
    april = text_of(runs.split('id="run-2025-04-15T03-00-00Z"')[1].split("</tr>")[0])
    assert "all sources read" in april and "first snapshot" in april


def test_index_shows_the_deadlines_of_the_next_90_days(tmp_path: Path) -> None:
    write_snapshots(tmp_path)
    page = render_index(SnapshotStore(tmp_path), today=date(2025, 5, 20), review=ReviewState())
    deadlines = text_of(page.split('id="deadlines"')[1].split('id="runs"')[0])
    assert "2025-06-10 12:00 JST in 21 days CREST" in deadlines
    assert "rp-info@jst.go.jp" in deadlines and "www.jst.go.jp/kisoken/crest/en/" in deadlines
    assert "JSPS" not in deadlines  # closes 2025-09-03: more than 90 days away
    later = render_index(
        SnapshotStore(tmp_path), today=date(2025, 9, 4), review=ReviewState()
    )  # both calls closed
    assert "No call closes in the next 90 days" in later


def test_deadline_window_includes_both_ends() -> None:
    today = date(2025, 5, 1)
    records = [
        fellowship(day, APRIL).model_copy(update={"id": f"p{n}", "name": f"P{n}"})
        for n, day in enumerate(["2025-04-30", "2025-05-01", "2025-07-30", "2025-07-31"])
    ]
    rows = upcoming_deadlines(records, today=today)
    assert [(row.program, row.days_left) for row in rows] == [("P1", 0), ("P2", 90)]


def test_index_survives_an_unreadable_change_report(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    records = april_records()
    store.write(manifest("2025-04-15T03-00-00Z", APRIL, records, failed=False, previous=None), records)
    written = store.write(
        manifest("2025-05-01T03-00-00Z", MAY, records, failed=False, previous="2025-04-15T03-00-00Z"),
        records,
        changes=[],
    )
    (written.path / "changes.json").write_text("{not json")
    assert "changes.json is unreadable" in render_index(store, today=date(2025, 5, 1), review=ReviewState())


# -- the command ---------------------------------------------------------------------------------------


def test_report_command_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_snapshots(tmp_path / "snapshots")
    output = tmp_path / "out" / "report.html"
    status = main(
        [
            "report",
            "2025-04-15T03-00-00Z",
            "2025-05-01T03-00-00Z",
            "--output",
            str(output),
            "--snapshots",
            str(tmp_path / "snapshots"),
        ]
    )
    assert status == 0
    page = output.read_text(encoding="utf-8")
    assert "Changes 2025-04-15T03-00-00Z → 2025-05-01T03-00-00Z" in page
    assert "6 changes to review" in text_of(page) and "amed-aspire-page" in page
    assert str(output) in capsys.readouterr().err


def test_report_command_accepts_record_files(tmp_path: Path) -> None:
    old, new = write_snapshots(tmp_path / "snapshots")
    output = tmp_path / "report.html"
    assert (
        main(["report", str(old.path / "records.json"), str(new.path / "records.json"), "-o", str(output)])
        == 0
    )
    page = output.read_text(encoding="utf-8")
    assert "6 changes to review" in text_of(page)
    assert "PDF page 3" in page  # evidence comes from the records themselves


def test_report_index_command_writes_index_and_pages(tmp_path: Path) -> None:
    write_snapshots(tmp_path / "snapshots")
    site = tmp_path / "site"
    status = main(
        [
            "report",
            "--index",
            "--output",
            str(site),
            "--snapshots",
            str(tmp_path / "snapshots"),
            "--today",
            "2025-05-20",
        ]
    )
    assert status == 0
    assert sorted(p.name for p in site.iterdir()) == ["2025-05-01T03-00-00Z.html", "index.html"]
    assert "in 21 days" in (site / "index.html").read_text(encoding="utf-8")
    assert "6 changes to review" in text_of((site / "2025-05-01T03-00-00Z.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["report", "--output", "r.html"], "give two snapshots to compare"),
        (["report", "2025-04-15T03-00-00Z", "--output", "r.html"], "give two snapshots to compare"),
        (["report", "2025-04-15T03-00-00Z", "--index", "--output", "site"], "not both"),
        (
            ["report", "2025-04-15T03-00-00Z", "1999-01-01T00-00-00Z", "--output", "r.html"],
            "1999-01-01T00-00-00Z",
        ),
        (["report", "--index", "--output", "site", "--snapshots", "empty"], "no snapshot yet"),
        (["report", "2025-04-15T03-00-00Z", "2025-05-01T03-00-00Z", "--output", "."], "is a folder"),
    ],
)
def test_report_command_errors_are_one_line(
    arguments: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_snapshots(tmp_path / "snapshots")
    monkeypatch.chdir(tmp_path)
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert message in error and error.startswith("ingest: error:") and error.count("\n") == 1
