"""The iCalendar export: each call's deadline as an event, in Japan time.

A pure function of the snapshot's records with the snapshot's time as every DTSTAMP, so exporting
the same snapshot twice gives the same bytes and calendar clients see no spurious updates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from ingest import __version__
from ingest.models import JAPAN, CallPeriod, Precision, Program
from ingest.normalize import strip_controls
from ingest.report.freshness import freshness
from ingest.report.links import safe_href


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
    event.add("summary", strip_controls(f"Deadline: {program.name}"))  # RFC 5545 forbids controls
    closes = call.closes
    if isinstance(closes, datetime):  # datetime before date: a datetime is a date too
        event.add("dtstart", closes.astimezone(JAPAN))
    elif closes is not None:
        event.add("dtstart", closes)
        event.add("dtend", closes + timedelta(days=1))  # all-day: DTEND is exclusive
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    event.add("description", strip_controls(_event_description(program, call)))
    website = safe_href(program.website)
    if website:
        event.add("url", website)
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
