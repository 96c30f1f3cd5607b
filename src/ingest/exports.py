"""Exports for people's tools: a CSV of call periods, an iCalendar of deadlines, an Atom feed of changes.

Every export is a pure function of snapshot data (the records, or the changes the snapshots
reported), with any time stamp taken from the snapshot rather than the clock, so exporting the same
snapshot twice gives the same bytes and calendar or feed clients see no spurious updates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event

from ingest import __version__
from ingest.models import JAPAN, CallPeriod, Change, Precision, Program, Provenance
from ingest.review import SeenChange

CSV_COLUMNS = (
    "program_id",
    "program_name",
    "agencies",
    "call_label",
    "opens",
    "closes",
    "opens_precision",
    "closes_precision",
    "status",
    "website",
    "contact_emails",
    "stale",
    "last_verified",
)
FEED_ID = "urn:ingest:changes"
_LIST_SEPARATOR = "; "


# -- CSV ---------------------------------------------------------------------------------------------


def export_csv(records: Iterable[Program]) -> str:
    """One row per call period (columns: CSV_COLUMNS); a program without calls still gets one row, with
    the call columns empty, so that no program silently drops out of a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for program in sorted(records, key=lambda record: record.id):
        for call in program.calls or [None]:
            writer.writerow(_csv_row(program, call))
    return buffer.getvalue()


def _csv_row(program: Program, call: CallPeriod | None) -> dict[str, str]:
    stale, last_verified = freshness(program, call.source if call else None)
    return {
        "program_id": program.id,
        "program_name": program.name,
        "agencies": _LIST_SEPARATOR.join(program.agencies),
        "call_label": (call.label or "") if call else "",
        "opens": _iso(call.opens) if call else "",
        "closes": _iso(call.closes) if call else "",
        "opens_precision": str(call.opens_precision or "") if call else "",
        "closes_precision": str(call.closes_precision or "") if call else "",
        "status": str(call.status) if call else "",
        "website": program.website or "",
        "contact_emails": _LIST_SEPARATOR.join(c.email for c in program.contacts if c.email),
        "stale": "true" if stale else "false",
        "last_verified": _iso(last_verified),
    }


def freshness(program: Program, source: str | None = None) -> tuple[bool, datetime | None]:
    """Whether the data (from `source`, else from any source) was carried forward from an earlier run,
    and when it was last confirmed: the oldest confirmation among those sources, as the data is only as
    fresh as its stalest part."""
    entries = [p for p in program.provenance if p.source == source] or program.provenance
    confirmed = [_confirmed_at(entry) for entry in entries]
    return any(entry.stale for entry in entries), min(confirmed) if confirmed else None


def _confirmed_at(entry: Provenance) -> datetime:
    return (entry.last_verified or entry.extracted_at) if entry.stale else entry.extracted_at


def _iso(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.utcoffset() == timedelta(0):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


# -- iCalendar ---------------------------------------------------------------------------------------


def calendar_ics(records: Iterable[Program], *, stamp: datetime) -> bytes:
    """One VEVENT per call with a closing date: timed deadlines in Japan time (TZID Asia/Tokyo, with its
    VTIMEZONE), date-only ones as all-day events. `stamp` (the snapshot's time) is every DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", f"-//ingest-funding//ingest {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Japanese funding deadlines for researchers overseas")
    used: set[str] = set()
    for program in sorted(records, key=lambda record: record.id):
        for index, call in enumerate(program.calls):
            if call.closes is not None:
                uid = _unique(call_uid(program, call, index), used)
                calendar.add_component(_deadline_event(program, call, uid, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def call_uid(program: Program, call: CallPeriod, index: int = 0) -> str:
    """Stable across runs: derived from the program id and the call's label (its raw text when unlabelled),
    so that a changed deadline updates the existing calendar entry instead of adding another."""
    key = call.label or call.raw or f"#{index + 1}"
    digest = hashlib.sha256(f"{program.id}\0{key}".encode()).hexdigest()[:16]
    return f"{program.id}-{digest}@ingest-funding"


def _unique(uid: str, used: set[str]) -> str:
    candidate, counter = uid, 2
    while candidate in used:  # two calls of one program under the same label: keep both events
        candidate = uid.replace("@", f"-{counter}@", 1)
        counter += 1
    used.add(candidate)
    return candidate


def _deadline_event(program: Program, call: CallPeriod, uid: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("summary", f"Deadline: {program.name}")
    closes = call.closes
    if isinstance(closes, datetime):  # datetime before date: a datetime is a date too
        event.add("dtstart", closes.astimezone(JAPAN))
    elif closes is not None:
        event.add("dtstart", closes)
        event.add("dtend", closes + timedelta(days=1))  # all-day: DTEND is exclusive
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    event.add("description", _event_description(program, call))
    if program.website:
        event.add("url", program.website)
    return event


def _event_description(program: Program, call: CallPeriod) -> str:
    lines = [call.label or "Call for proposals", f"As printed: {call.raw}"]
    if call.closes_precision in (Precision.MONTH, Precision.YEAR):
        lines.append(f"Approximate date: the source gives only the {call.closes_precision}.")
    if program.website:
        lines.append(f"Website: {program.website}")
    emails = [contact.email for contact in program.contacts if contact.email]
    if emails:
        lines.append(f"Contact: {', '.join(emails)}")
    stale, last_verified = freshness(program, call.source)
    if stale and last_verified:
        lines.append(f"Not confirmed since {last_verified.date().isoformat()}: the source could not be read.")
    return "\n".join(lines)


# -- Atom ----------------------------------------------------------------------------------------------


def changes_atom(
    seen: Sequence[SeenChange],
    *,
    updated: datetime,
    websites: Mapping[str, str] | None = None,
) -> bytes:
    """An Atom feed with one entry per review-worthy change, newest first. A change's entry id comes from
    its change id, so the same change reported again updates its entry instead of adding one."""
    feed = FeedGenerator()
    feed.id(FEED_ID)
    feed.title("Changes to Japanese funding programs for researchers overseas")
    feed.author({"name": "ingest"})
    feed.subtitle("Review-worthy changes between dated snapshots: deadlines, eligibility, contacts.")
    feed.language("en")
    feed.updated(updated.astimezone(UTC))
    for first, last in _sightings(seen):
        _add_entry(feed, first, last, (websites or {}).get(last.change.program))
    return feed.atom_str(pretty=True)


def _sightings(seen: Sequence[SeenChange]) -> list[tuple[SeenChange, SeenChange]]:
    """(first, last) sighting of every review-worthy change, the most recently seen first."""
    first: dict[str, SeenChange] = {}
    last: dict[str, SeenChange] = {}
    for item in seen:
        if item.change.review:
            first.setdefault(item.change.id, item)
            last[item.change.id] = item
    # sorted() is stable, so changes of one snapshot keep the order its changes.json gave them.
    order = sorted(last, key=lambda change_id: last[change_id].created_at, reverse=True)
    return [(first[change_id], last[change_id]) for change_id in order]


def _add_entry(feed: FeedGenerator, first: SeenChange, last: SeenChange, website: str | None) -> None:
    change = last.change
    entry = feed.add_entry(order="append")  # feedgen prepends by default; the list is already newest first
    entry.id(f"urn:ingest:change:{change.id}")
    entry.title(entry_title(change))
    entry.published(first.created_at.astimezone(UTC))
    entry.updated(last.created_at.astimezone(UTC))
    entry.category(term=str(change.category))
    entry.content(_entry_text(change, first, last), type="text")
    if website:
        entry.link(href=website, rel="alternate")


def entry_title(change: Change) -> str:
    """`CREST: deadline calls[2025 call for proposals].closes`."""
    name = change.program_name or change.program
    return f"{name}: {change.category} {change.field}".rstrip()


def _entry_text(change: Change, first: SeenChange, last: SeenChange) -> str:
    lines = [f"{change.field or 'program'}: {_plain(change.old)} → {_plain(change.new)}"]
    if change.detail:
        lines.append(change.detail)
    lines.append(f"First seen in snapshot {first.snapshot}.")
    if last.snapshot != first.snapshot:
        lines.append(f"Seen again in snapshot {last.snapshot}.")
    lines.append(f"Change id {change.id}: `ingest review ack {change.id} --note ...`")
    return "\n".join(lines)


def _plain(value: object) -> str:
    if value is None:
        return "∅"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
