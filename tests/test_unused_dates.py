"""Misses made visible: the dated lines of a page that no call was read from are kept with the
record's provenance and counted in the report; the parser's warnings reach the HTML index."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from ingest.extract.html import extract_html
from ingest.models import CallPeriod, Manifest, Program, Provenance
from ingest.report.html import render_index
from ingest.report.markdown import changes_markdown
from ingest.review import ReviewState
from ingest.snapshot import SnapshotStore

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
CALL_PAGE = "www.jst.go.jp/kisoken/boshuu/r7/en/index.html"


def _unused(version: str) -> list[str]:
    records = extract_html((SITES / version / CALL_PAGE).read_bytes(), url=f"https://{CALL_PAGE}").programs
    [unused] = {tuple(p.unused_dates) for r in records for p in r.provenance}
    return list(unused)


def test_dated_lines_no_call_came_from_are_listed_but_not_the_calls_or_the_change_log() -> None:
    unused = _unused("v2")
    assert "Late June 2025 - Late July 2025" in unused  # the selection schedule: not a call's deadline
    assert not [line for line in unused if "June 10, 2025" in line]  # the deadline itself is attributed
    assert not [line for line in unused if "Updated May 28" in line]  # the change-log note is the page's edit


def test_the_report_counts_them_per_page_folded_at_the_end() -> None:
    records = extract_html((SITES / "v1" / CALL_PAGE).read_bytes(), url=f"https://{CALL_PAGE}").programs
    report = changes_markdown([], title="t", review=ReviewState(), records=records)
    details = report.split("<details>", 1)[1]
    assert (
        f"`adhoc` https://{CALL_PAGE}: {len(_unused('v1'))} date(s) on this page were not attributed"
        in details
    )


def test_a_calls_parser_warnings_show_in_the_html_index(tmp_path: Path) -> None:
    call = CallPeriod(
        label="2026 call",
        raw="Deadline: 20 May 2026, 17:00 XST",
        closes=date(2026, 5, 20),
        closes_precision="day",
        status="dated",
        warnings=['unknown zone "XST": the time of day is not used'],
    )
    moment = datetime(2026, 5, 1, tzinfo=UTC)
    record = Program(
        id="crest",
        name="CREST",
        calls=[call],
        provenance=[Provenance(source="s", content_sha256="0" * 64, extracted_at=moment)],
    )
    store = SnapshotStore(tmp_path)
    name = "2026-05-01T00-00-00Z"
    manifest = Manifest(
        snapshot=name, created_at=moment, tool_version="t", sources=[], records_sha256="0" * 64, programs=1
    )
    store.write(manifest, [record])
    page = render_index(store, today=date(2026, 5, 1), review=ReviewState())
    assert "⚠ unknown zone &#34;XST&#34;: the time of day is not used" in page
