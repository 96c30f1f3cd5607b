"""The pull request body and `ingest review` in plain language: one line a change, values rendered
(dates in Japan time in words, contacts as addresses, calls as their dates), the most severe first,
failed sources last and folded."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import ErrorKind
from ingest.models import Change, SourceResult, SourceStatus
from ingest.report.markdown import changes_markdown
from ingest.report.wording import describe, moment_text
from ingest.review import ReviewState

PAIRS = Path(__file__).resolve().parent / "fixtures" / "stored-pairs"


def _change(
    field: str, old: object, new: object, category: str = "deadline", severity: str = "medium"
) -> Change:
    return Change(
        id=hashlib.sha256(field.encode()).hexdigest()[:12],
        program="crest",
        program_name="CREST",
        category=category,
        field=field,
        old=old,
        new=new,
        review=category != "other",
        severity=severity,
    )


def test_a_moved_deadline_reads_as_days_and_dates_in_japan_time() -> None:
    change = _change("calls[2025 call].closes", "2025-06-10T12:00:00+09:00", "2025-06-03T03:00:00+00:00")
    assert describe(change) == (
        "deadline moved 7 days earlier (2025 call): 10 June 2025 12:00 JST → 3 June 2025 12:00 JST"
    )
    assert moment_text("2026-03-17") == "17 March 2026"  # a day stays a day: no time is invented


def test_calls_contacts_links_and_conflicts_are_rendered_not_dumped() -> None:
    call = {"raw": "Until 3 June", "closes": "2025-06-03", "status": "dated", "opens": None}
    assert describe(_change("calls[2026 call]", None, call)) == (
        'call added: 2026 call (closes 3 June 2025, as printed: "Until 3 June")'
    )
    contact = {"email": "rp-info@jst.go.jp", "label": "Department of Research Promotion", "phone": None}
    assert describe(_change("contacts[rp-info@jst.go.jp]", contact, None, "contact")) == (
        "contact removed: rp-info@jst.go.jp (Department of Research Promotion)"
    )
    assert describe(_change("links[https://a.example/x]", None, "https://a.example/x", "website")) == (
        "link added: https://a.example/x"
    )
    conflict = _change(
        "conflicts.calls[2025 call].closes",
        None,
        {"reference-pdf": "2025-06-03", "jst-crest": ["2025-06-10"]},
        "conflict",
    )
    assert describe(conflict) == (
        "sources disagree on calls[2025 call].closes: "
        "jst-crest says 10 June 2025; reference-pdf says 3 June 2025"
    )
    described = [describe(c) for c in _stored("websites") + _stored("edition")]
    assert "{" not in "".join(described)  # no raw JSON
    assert not [text for text in described if "no dates → no dates" in text]  # a contact is not a call


def _stored(pair: str) -> list[Change]:
    data = json.loads((PAIRS / pair / "changes.json").read_text(encoding="utf-8"))
    return [Change.model_validate(item) for item in data["changes"]]


def test_the_report_puts_changes_first_by_severity_and_failed_sources_last() -> None:
    changes = [
        _change("calls[2025 call].raw", "Until 10 June", "Until 3 June"),
        _change("calls[2025 call].closes", "2025-06-10", "2025-06-03", severity="critical"),
        _change("summary", "Old words.", "New words.", "other", "low"),
    ]
    failed = SourceResult(
        id="jst-crest", kind="html", location="https://www.jst.go.jp/", status=SourceStatus.FAILED,
        error="https://www.jst.go.jp/: HTTP 503", error_kind=ErrorKind.HTTP_5XX,
        fetched_at=datetime(2026, 5, 1, tzinfo=UTC),
    )  # fmt: skip
    report = changes_markdown(changes, title="Changes", review=ReviewState(), sources=[failed])
    order = [report.index(text) for text in ("## Critical", "## Medium", "## Wording only", "<details>")]
    assert order == sorted(order)
    assert "Waiting: 1 critical, 1 medium." in report
    assert "deadline moved 7 days earlier (2025 call): 10 June 2025 → 3 June 2025" in report
    assert f'ingest review ack {changes[1].id} --note "…"' in report
    assert "`jst-crest` (http-5xx)" in report.split("<details>")[1]
