"""Two statements of one call are one call: the reference PDF and a call page giving the same label
used to leave the merged record with `label` and `label #2` (ingest.keys), and the differ reported the
second as a call added. Calls that differ stay apart, and no deadline is dropped without a conflict
naming it."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

from ingest.cli import main
from ingest.diff import diff_programs
from ingest.keys import calls_by_key
from ingest.merge import merge_records
from ingest.models import JAPAN, CallPeriod, CallStatus, Precision, Program, Provenance, ProvenanceKind
from ingest.snapshot import SnapshotStore
from site_server import serve_sites

ROOT = Path(__file__).resolve().parents[1]
PAGE = "https://www.jst.go.jp/kisoken/boshuu/r7/en/index.html"
LABEL = "2025 call for proposals"
NOON_JUNE_3 = datetime(2025, 6, 3, 12, tzinfo=JAPAN)


def _record(source: str, *calls: CallPeriod, url: str | None = None) -> Program:
    kind = ProvenanceKind.REFERENCE_PDF if source == "reference-pdf" else ProvenanceKind.WEB_PAGE
    provenance = Provenance(
        source=source,
        kind=kind,
        url=url if kind == ProvenanceKind.WEB_PAGE else None,
        pages=[1] if kind == ProvenanceKind.REFERENCE_PDF else [],
        content_sha256="0" * 64,
        extracted_at=datetime(2025, 5, 1, tzinfo=UTC),
        fields=["calls", "name"],
    )
    return Program(id="crest", name="CREST", calls=list(calls), provenance=[provenance])


def _pdf(*calls: CallPeriod) -> Program:
    return _record("reference-pdf", *calls)


def _page(*calls: CallPeriod, source: str = "jst-crest", url: str = PAGE) -> Program:
    return _record(source, *calls, url=url)


def _call(
    closes: date | datetime | None,
    precision: Precision | None,
    *,
    label: str | None = LABEL,
    raw: str = "",
    opens: date | None = None,
    status: CallStatus = CallStatus.DATED,
) -> CallPeriod:
    return CallPeriod(
        label=label,
        raw=raw or str(closes),
        opens=opens,
        opens_precision=Precision.DAY if opens else None,
        closes=closes,
        closes_precision=precision,
        status=status,
    )


def test_a_day_precision_deadline_and_the_pages_minute_for_that_day_are_one_call() -> None:
    pdf = _pdf(_call(date(2025, 6, 3), Precision.DAY, raw="Deadline: June 3, 2025"))
    page = _page(
        _call(
            NOON_JUNE_3, Precision.MINUTE, raw="April 10 – June 3, 2025 12:00 (noon)", opens=date(2025, 4, 10)
        )
    )
    for records in ([pdf, page], [page, pdf]):  # the rank decides the order, not the input's
        [record] = merge_records(records)
        [call] = record.calls
        assert list(calls_by_key(record)) == [LABEL]  # no 'label #2'
        # the most precise deadline, with the text and source that give it; the opening the page gives
        assert (call.closes, call.closes_precision, call.source) == (NOON_JUNE_3, "minute", "jst-crest")
        assert (call.raw, call.opens) == ("April 10 – June 3, 2025 12:00 (noon)", date(2025, 4, 10))
        # both sources stay on record as sources of the calls
        assert [(p.source, "calls" in p.fields) for p in record.provenance] == [
            ("reference-pdf", True),
            ("jst-crest", True),
        ]
        assert record.conflicts == []


def test_a_month_precision_statement_folds_into_a_date_in_that_month() -> None:
    pdf = _pdf(_call(date(2025, 6, 30), Precision.MONTH, raw="June 2025"))
    [record] = merge_records([pdf, _page(_call(NOON_JUNE_3, Precision.MINUTE))])
    assert [(c.closes, c.closes_precision) for c in record.calls] == [(NOON_JUNE_3, "minute")]


def test_a_page_that_says_the_call_closed_is_the_same_call_closed() -> None:
    """JST's ASPIRE page in the fixture sites' v2: the PDF's dated call, the page's "2025 Call for …"
    (another letter case) closed. One call, closed, its evidence the page; keyed as before."""
    pdf = _pdf(_call(NOON_JUNE_3, Precision.MINUTE, raw="Noon, June 3"))
    page = _page(
        _call(NOON_JUNE_3, Precision.MINUTE, label="2025 Call for Proposals", status=CallStatus.CLOSED)
    )
    [record] = merge_records([pdf, page])
    [call] = record.calls
    assert (call.label, call.status, call.source) == (LABEL, "closed", "jst-crest")
    [change] = diff_programs(merge_records([pdf]), [record])
    assert change.field == f"calls[{LABEL}].status"  # not a call added


def test_the_pdf_and_a_page_disagreeing_on_the_deadline_keep_both_values_in_a_conflict() -> None:
    """The website's deadline is the call's (the pages are where deadlines move), under the label the
    call is keyed by; the PDF's stays in the conflict, never dropped silently."""
    pdf = _pdf(_call(NOON_JUNE_3, Precision.MINUTE, raw="Noon, June 3"))
    june_10 = datetime(2025, 6, 10, 12, tzinfo=JAPAN)
    page = _page(_call(june_10, Precision.MINUTE, label="2025 Call for Proposals", raw="June 10 (extended)"))
    [record] = merge_records([pdf, page])
    [call] = record.calls
    assert (call.label, call.closes, call.source, call.raw) == (
        LABEL,
        june_10,
        "jst-crest",
        "June 10 (extended)",
    )
    [conflict] = record.conflicts
    assert conflict.field == f"calls[{LABEL}].closes"
    assert conflict.values == {"reference-pdf": str(NOON_JUNE_3), "jst-crest": [str(june_10)]}
    changes = diff_programs(merge_records([pdf, _page(_call(NOON_JUNE_3, Precision.MINUTE))]), [record])
    assert [c.field for c in changes] == [f"calls[{LABEL}].closes", f"conflicts.calls[{LABEL}].closes"]


def test_calls_of_one_label_that_differ_stay_apart() -> None:
    june_10 = datetime(2025, 6, 10, 12, tzinfo=JAPAN)
    # two websites disagreeing (no conflict is recorded between websites): both deadlines stay
    [record] = merge_records(
        [
            _page(_call(NOON_JUNE_3, Precision.MINUTE)),
            _page(_call(june_10, Precision.MINUTE), source="jst-crest-ja", url=PAGE.replace("/en/", "/")),
        ]
    )
    assert [c.closes for c in record.calls] == [NOON_JUNE_3, june_10]
    # one page stating two rounds under one label
    [record] = merge_records([_page(_call(NOON_JUNE_3, Precision.MINUTE), _call(june_10, Precision.MINUTE))])
    assert list(calls_by_key(record)) == [LABEL, f"{LABEL} #2"]
    # the same deadline, but other openings: not the same call
    [record] = merge_records(
        [
            _pdf(_call(NOON_JUNE_3, Precision.MINUTE, opens=date(2025, 4, 10))),
            _page(_call(NOON_JUNE_3, Precision.MINUTE, opens=date(2025, 5, 1))),
        ]
    )
    assert len(record.calls) == 2
    # undated calls of one label fold only when they say the same (a tbd and a rolling call do not)
    [record] = merge_records(
        [
            _pdf(_call(None, None, status=CallStatus.TBD, raw="TBD")),
            _page(_call(None, None, status=CallStatus.ROLLING, raw="at any time")),
        ]
    )
    assert [c.status for c in record.calls] == ["tbd", "rolling"]
    [record] = merge_records(
        [
            _pdf(_call(None, None, status=CallStatus.UNPARSED, raw="Deadline: see the guidelines")),
            _page(_call(None, None, status=CallStatus.UNPARSED, raw="締切: 別途お知らせします")),
        ]
    )
    assert len(record.calls) == 2  # unreadable texts are never folded into one
    [record] = merge_records(
        [
            _pdf(_call(None, None, status=CallStatus.TBD, raw="TBD")),
            _page(_call(None, None, status=CallStatus.TBD, raw="To be announced")),
        ]
    )
    assert [(c.status, c.raw, c.source) for c in record.calls] == [("tbd", "TBD", "reference-pdf")]


def test_a_whole_run_on_the_fixture_sites_reports_the_crest_extension_not_a_call_added(
    tmp_path: Path,
) -> None:
    """`ingest run` over the bundled sources against the fixture sites, v1 then v2 (CHANGES.md): CREST's
    page extends the deadline the PDF states, ASPIRE's page closes its call."""
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", sources)
    toml = sources / "sources.toml"
    toml.write_text("[fetch]\nmin_interval = 0\nretries = 0\nread_timeout = 2\n\n" + toml.read_text())
    snapshots = tmp_path / "snapshots"
    with serve_sites() as (state, mirrors):
        rewrites = [arg for host, mirror in mirrors.items() for arg in ("--rewrite-host", f"{host}={mirror}")]
        assert main(["run", "--sources", str(sources), "--snapshots", str(snapshots), *rewrites]) == 0
        time.sleep(1.1)  # snapshot names are to the second
        state.version = "v2"
        assert main(["run", "--sources", str(sources), "--snapshots", str(snapshots), *rewrites]) == 0
    latest = SnapshotStore(snapshots).latest()
    assert latest is not None
    records = {record.id: record for record in latest.records}
    for record in records.values():
        assert not any("#" in key for key in calls_by_key(record)), (record.id, list(calls_by_key(record)))
    changes = json.loads((latest.path / "changes.json").read_text())["changes"]
    fields = {(c["program"], c["field"]) for c in changes if c["program"] in ("crest", "aspire-jst")}
    assert fields == {
        ("crest", f"calls[{LABEL}].closes"),  # June 3 → June 10, from the call page
        ("crest", f"conflicts.calls[{LABEL}].closes"),  # the PDF still says June 3
        ("aspire-jst", "calls[2025 call for Japan based researchers].status"),  # dated → closed
    }
    [conflict] = records["crest"].conflicts
    assert conflict.values["reference-pdf"] == str(NOON_JUNE_3)
