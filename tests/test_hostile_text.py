"""Hostile scraped text through every output, each parsed back with a real parser: the text is shown,
inert. Control characters never survive validation; Markdown, CSV and HTML escape what they must."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from markdown_it import MarkdownIt

from ingest.cli import main
from ingest.diff import diff_programs
from ingest.errors import ErrorKind
from ingest.models import CallPeriod, Manifest, Program, Provenance, SourceResult, SourceStatus
from ingest.snapshot import SnapshotStore

DAY1 = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
DAY2 = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)
HOSTILE_NAME = (
    'Fellowship <script>alert(1)</script> "><img src=x onerror=alert(1)> [x](javascript:alert(1))\x01\x1b[31m'
)
FORMULA = '=HYPERLINK("http://evil.example","x")'
CONTROLS = [chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127)] + ["\u202e"]


def _program(closes: str, label: str) -> Program:
    return Program(
        id="hostile",
        name=HOSTILE_NAME,
        agencies=["JSPS"],
        eligibility=f"Anyone \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 {closes}",
        website="javascript:alert(1)",
        calls=[CallPeriod(label=label, raw=f"@SUM(1+1) until {closes}", closes=closes, status="dated")],
        provenance=[
            Provenance(source="reference-pdf", content_sha256="0" * 64, extracted_at=DAY1, pages=[1])
        ],
    )


@pytest.fixture
def snapshots(tmp_path: Path) -> Path:
    store = SnapshotStore(tmp_path / "snapshots")
    failed = SourceResult(
        id="jsps-site",
        kind="html",
        location="https://www.jsps.go.jp/english/",
        status=SourceStatus.FAILED,
        error="https://www.jsps.go.jp/english/: HTTP 500 \x1b[2J\x1b[HOops <b>bold</b>",
        error_kind=ErrorKind.HTTP_5XX,
    )
    before, after = [_program("2026-06-03", FORMULA)], [_program("2026-05-27", FORMULA)]
    for moment, records, changes in ((DAY1, before, None), (DAY2, after, diff_programs(before, after))):
        name = moment.strftime("%Y-%m-%dT%H-%M-%SZ")
        manifest = Manifest(
            snapshot=name,
            created_at=moment,
            tool_version="t",
            previous=store.names()[-1] if store.names() else None,
            sources=[failed],
            records_sha256="0" * 64,
            programs=1,
        )
        store.write(manifest, records, changes=changes, report="# r\n")
    return store.root


def _out(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) in (0, 1)
    captured = capsys.readouterr()
    return captured.out + captured.err


def _assert_no_controls(text: str) -> None:
    assert not [c for c in CONTROLS if c in text], repr(text[:200])


def test_control_characters_never_reach_a_record() -> None:
    program = _program("2026-06-03", FORMULA)
    for text in (program.name, program.eligibility, program.website or "", program.calls[0].raw):
        _assert_no_controls(text)
    assert "<script>" in program.name  # the text itself is kept: it is escaped where it is shown


def test_csv_cells_never_start_a_formula(snapshots: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(
        csv.DictReader(io.StringIO(_out(capsys, "export", "--format", "csv", "--snapshots", str(snapshots))))
    )
    assert rows[0]["call_label"] == "'" + FORMULA
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_markdown_shows_hostile_text_as_text(snapshots: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = SnapshotStore(snapshots)
    old, new = store.names()
    text = _out(capsys, "diff", old, new, "--snapshots", str(snapshots), "--ledger", str(snapshots / "l.tsv"))
    _assert_no_controls(text)
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert not [
        t
        for t in tokens
        for child in (t.children or [])
        if child.type in ("link_open", "image", "html_inline")
    ]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text


def test_html_pages_show_hostile_text_as_text(
    snapshots: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    ledger = str(tmp_path / "l.tsv")
    _out(capsys, "report", "--index", "-o", str(site), "--snapshots", str(snapshots), "--ledger", ledger)
    for page in site.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        _assert_no_controls(html)
        assert "<script" not in html.lower() and "onerror=alert" not in html.replace(
            "onerror=alert(1)&gt;", ""
        )
        assert 'href="javascript' not in html


def test_atom_and_icalendar_parse_and_carry_no_controls(
    snapshots: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _out(capsys, "changes", "--snapshots", str(snapshots))
    root = ElementTree.fromstring(feed.split("\n", 1)[1] if feed.startswith("<?xml") else feed)
    titles = [e.text or "" for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any("<script>" in title for title in titles)  # XML escapes it; the parser gives it back as text
    assert not [
        e for e in root.iter("{http://www.w3.org/2005/Atom}link") if "javascript" in (e.get("href") or "")
    ]
    calendar = icalendar.Calendar.from_ical(_out(capsys, "calendar", "--snapshots", str(snapshots)))
    [event] = [c for c in calendar.walk("VEVENT")]
    _assert_no_controls(str(event["SUMMARY"]) + str(event["DESCRIPTION"]))
    assert "URL" not in event  # a script URL is not a link


def test_terminal_and_json_output_carry_no_controls(
    snapshots: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--snapshots", str(snapshots)]
    for args in (["health", *common], ["review", *common, "--ledger", str(snapshots / "l.tsv")]):
        _assert_no_controls(_out(capsys, *args))
    exported = json.loads(_out(capsys, "export", *common).split("\nWrote", 1)[0])
    assert exported["records"][0]["name"].startswith("Fellowship <script>")
    _assert_no_controls(json.dumps(exported, ensure_ascii=False))
