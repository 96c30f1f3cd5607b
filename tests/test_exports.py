"""Exports: the CSV of call periods, the iCalendar of deadlines, the Atom feed of changes, the JSON export."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ElementTree
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import jsonschema
import pytest

from ingest.cli import main
from ingest.diff import diff_programs
from ingest.models import CallPeriod, Contact, Manifest, Program, Provenance, SourceResult, export_schema
from ingest.report.calendar import calendar_ics, call_uid
from ingest.report.feed import changes_atom
from ingest.report.spreadsheet import CSV_COLUMNS, export_csv
from ingest.snapshot import SnapshotStore, snapshot_name

DAY1 = datetime(2026, 11, 24, 13, 0, 5, tzinfo=UTC)
DAY2 = datetime(2026, 11, 25, 13, 0, 5, tzinfo=UTC)
DAY3 = datetime(2026, 11, 26, 13, 0, 5, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
CREST_SITE = "https://www.jst.go.jp/kisoken/crest/en/index.html"


def _crest(closes: str = "2025-06-03T12:00:00+09:00", eligibility: str = "Researchers abroad.") -> Program:
    return Program(
        id="crest",
        name="CREST",
        agencies=["JST"],
        eligibility=eligibility,
        website=CREST_SITE,
        contacts=[Contact(email="rp-info@jst.go.jp"), Contact(label="Office")],
        calls=[
            CallPeriod(
                label="2025 call for proposals",
                raw="April 10 – Noon, June 3",
                opens="2025-04-10",
                closes=closes,
                opens_precision="day",
                closes_precision="minute",
                status="dated",
                source="reference-pdf",
            ),
            CallPeriod(
                label="Spring call", raw="End of March 2025", closes="2025-03-31", closes_precision="month"
            ),
            CallPeriod(label="2026 call", raw="TBD", status="tbd"),
        ],
        provenance=[Provenance(source="reference-pdf", content_sha256="a" * 64, extracted_at=DAY2)],
    )


def _hfsp(stale: bool = True) -> Program:
    provenance = Provenance(
        source="hfsp-web",
        content_sha256="b" * 64,
        extracted_at=DAY2,
        stale=stale,
        last_verified=DAY1 if stale else None,
    )
    return Program(
        id="hfsp-fellowships", name='HFSP Fellowships, "Cross-disciplinary"', provenance=[provenance]
    )


# -- CSV ------------------------------------------------------------------------------------------------


def test_csv_round_trips_one_row_per_call() -> None:
    rows = list(csv.DictReader(io.StringIO(export_csv([_hfsp(), _crest()]))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(row["program_id"], row["call_label"]) for row in rows] == [
        ("crest", "2025 call for proposals"),
        ("crest", "Spring call"),
        ("crest", "2026 call"),
        ("hfsp-fellowships", ""),  # no calls: still listed, once
    ]
    first = rows[0]
    assert first["opens"] == "2025-04-10" and first["closes"] == "2025-06-03T12:00:00+09:00"
    assert (first["closes_precision"], first["status"]) == ("minute", "dated")
    assert (first["agencies"], first["contact_emails"], first["website"]) == (
        "JST",
        "rp-info@jst.go.jp",
        CREST_SITE,
    )
    assert (first["stale"], first["last_verified"]) == ("false", "2026-11-25T13:00:05Z")
    assert rows[2]["status"] == "tbd" and rows[2]["closes"] == ""
    hfsp = rows[3]
    assert hfsp["program_name"] == 'HFSP Fellowships, "Cross-disciplinary"'  # quoting survives the round trip
    assert (hfsp["stale"], hfsp["last_verified"]) == ("true", "2026-11-24T13:00:05Z")


# -- iCalendar ------------------------------------------------------------------------------------------


def _events(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(event["DESCRIPTION"]).splitlines()[0]: event for event in calendar.walk("VEVENT")}


def test_calendar_has_one_event_per_dated_deadline_in_japan_time() -> None:
    data = calendar_ics([_crest(), _hfsp()], stamp=DAY2)
    calendar = icalendar.Calendar.from_ical(data)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    events = _events(data)
    assert set(events) == {"2025 call for proposals", "Spring call"}  # the TBD call has no deadline
    timed = events["2025 call for proposals"]
    start = timed.decoded("DTSTART")
    assert timed["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert start.utcoffset().total_seconds() == 9 * 3600
    assert start.astimezone(UTC) == datetime(2025, 6, 3, 3, 0, tzinfo=UTC)
    assert str(timed["SUMMARY"]) == "Deadline: CREST"
    assert str(timed["URL"]) == CREST_SITE
    description = str(timed["DESCRIPTION"])
    assert "April 10 – Noon, June 3" in description and "rp-info@jst.go.jp" in description
    assert CREST_SITE in description
    assert timed.decoded("DTSTAMP") == DAY2


def test_date_only_deadlines_are_all_day_events() -> None:
    event = _events(calendar_ics([_crest()], stamp=DAY2))["Spring call"]
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert event.decoded("DTSTART") == date(2025, 3, 31)
    assert event.decoded("DTEND") == date(2025, 4, 1)
    assert "only the month" in str(event["DESCRIPTION"])


def test_event_uids_are_stable_and_distinct() -> None:
    before = _events(calendar_ics([_crest()], stamp=DAY1))
    after = _events(calendar_ics([_crest(closes="2025-06-10T12:00:00+09:00")], stamp=DAY2))
    uids = {label: str(event["UID"]) for label, event in before.items()}
    assert uids == {
        label: str(event["UID"]) for label, event in after.items()
    }  # a moved deadline keeps its UID
    assert len(set(uids.values())) == 2
    program = _crest()
    assert uids["2025 call for proposals"] == call_uid(program, program.calls[0])


def test_calls_sharing_a_label_get_distinct_uids() -> None:
    twice = _crest().model_copy(update={"calls": [_crest().calls[0], _crest().calls[0]]})
    events = icalendar.Calendar.from_ical(calendar_ics([twice], stamp=DAY1)).walk("VEVENT")
    assert len({str(event["UID"]) for event in events}) == 2


# -- snapshots on disk, and the commands ----------------------------------------------------------------


def _write(
    store: SnapshotStore, when: datetime, records: list[Program], previous: list[Program] | None
) -> None:
    changes = diff_programs(previous, records) if previous is not None else []
    source = SourceResult(id="reference-pdf", kind="pdf", location="reference.pdf", status="ok", records=1)
    manifest = Manifest(
        snapshot=snapshot_name(when),
        created_at=when,
        tool_version="t",
        sources=[source],
        records_sha256="x",
        programs=len(records),
    )
    store.write(manifest, records, changes=changes)


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    """Day 2 moves crest's deadline and renames it (not review-worthy); day 3 changes its eligibility."""
    store = SnapshotStore(tmp_path / "snapshots")
    day1 = [_crest()]
    day2 = [_crest(closes="2025-06-10T12:00:00+09:00").model_copy(update={"name": "CREST (renamed)"})]
    day3 = [day2[0].model_copy(update={"eligibility": "Anyone."})]
    _write(store, DAY1, day1, None)
    _write(store, DAY2, day2, day1)
    _write(store, DAY3, day3, day2)
    return store


def _entries(feed: bytes) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(feed)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def test_atom_feed_has_review_worthy_changes_newest_first(store: SnapshotStore) -> None:
    seen = store.seen_changes()
    deadline, eligibility = (item.change for item in seen if item.change.review)
    assert any(not item.change.review for item in seen)  # the rename: not in the feed
    feed = changes_atom(seen, updated=DAY3, websites={"crest": CREST_SITE})
    entries = _entries(feed)
    assert [entry.findtext(f"{ATOM}id") for entry in entries] == [
        f"urn:ingest:change:{eligibility.id}",
        f"urn:ingest:change:{deadline.id}",
    ]
    newest = entries[0]
    title = newest.findtext(f"{ATOM}title")
    assert title == 'CREST (renamed): eligibility changed: "Researchers abroad." → "Anyone."'
    assert newest.findtext(f"{ATOM}updated") == "2026-11-26T13:00:05+00:00"
    assert '"Researchers abroad." → "Anyone."' in (newest.findtext(f"{ATOM}content") or "")
    assert newest.find(f"{ATOM}link").get("href") == CREST_SITE  # type: ignore[union-attr]
    root = ElementTree.fromstring(feed)
    assert root.findtext(f"{ATOM}updated") == "2026-11-26T13:00:05+00:00"


def test_a_change_reported_twice_is_one_entry_updated_by_the_later_report(store: SnapshotStore) -> None:
    seen = store.seen_changes()
    deadline = next(item for item in seen if item.change.category == "deadline")
    again = type(deadline)(
        snapshot="2026-11-27T13-00-05Z", created_at=datetime(2026, 11, 27, tzinfo=UTC), change=deadline.change
    )
    entries = _entries(changes_atom([*seen, again], updated=DAY3))
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert ids.count(f"urn:ingest:change:{deadline.change.id}") == 1
    assert ids[0] == f"urn:ingest:change:{deadline.change.id}"  # seen most recently: first
    assert entries[0].findtext(f"{ATOM}published") == "2026-11-25T13:00:05+00:00"


def test_changes_command_writes_the_feed(store: SnapshotStore, tmp_path: Path) -> None:
    output = tmp_path / "out" / "changes.atom"
    assert main(["changes", "--format", "atom", "--snapshots", str(store.root), "--output", str(output)]) == 0
    entries = _entries(output.read_bytes())
    assert len(entries) == 2
    assert entries[0].find(f"{ATOM}link").get("href") == CREST_SITE  # type: ignore[union-attr]


def test_calendar_command_reads_the_latest_snapshot(
    store: SnapshotStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["calendar", "--snapshots", str(store.root)]) == 0
    events = _events(capsys.readouterr().out.encode())
    moved = events["2025 call for proposals"].decoded("DTSTART")
    assert moved.astimezone(UTC) == datetime(2025, 6, 10, 3, 0, tzinfo=UTC)  # day 3's deadline, not day 1's
    assert events["2025 call for proposals"].decoded("DTSTAMP") == DAY3
    output = tmp_path / "deadlines.ics"
    assert main(["calendar", "--snapshots", str(store.root), "-o", str(output)]) == 0
    assert set(_events(output.read_bytes())) == set(events)


def test_calendar_without_snapshot_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calendar", "--snapshots", str(tmp_path / "empty")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_export_json_validates_against_the_published_schema(
    store: SnapshotStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--snapshots", str(store.root)]) == 0
    document = json.loads(capsys.readouterr().out)
    validator = jsonschema.Draft202012Validator(export_schema())
    validator.validate(document)
    assert document["snapshot"] == "2026-11-26T13-00-05Z"
    assert document["records"][0]["calls"][0]["closes"] == "2025-06-10T12:00:00+09:00"
    broken = {**document, "records": [{**document["records"][0], "id": "Not A Slug"}]}
    assert not validator.is_valid(broken)  # the schema does constrain the records
