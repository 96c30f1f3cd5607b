"""The Atom feed of review-worthy changes, newest first, one entry per change id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from ingest.models import Change
from ingest.normalize import strip_controls
from ingest.report.links import safe_href
from ingest.report.wording import describe
from ingest.snapshot import SeenChange

FEED_ID = "urn:ingest:changes"


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
    entry.title(strip_controls(entry_title(change)))  # XML cannot carry control characters
    entry.published(first.created_at.astimezone(UTC))
    entry.updated(last.created_at.astimezone(UTC))
    entry.category(term=str(change.category))
    entry.content(strip_controls(_entry_text(change, first, last)), type="text")
    if safe_href(website):
        entry.link(href=safe_href(website), rel="alternate")


def entry_title(change: Change) -> str:
    """`CREST: deadline moved 7 days later (2025 call for proposals): 3 June 2025 12:00 JST → …`."""
    return f"{change.program_name or change.program}: {describe(change)}"


def _entry_text(change: Change, first: SeenChange, last: SeenChange) -> str:
    lines = [describe(change), f"Severity: {change.severity}."]
    if change.detail:
        lines.append(change.detail)
    lines.append(f"First seen in snapshot {first.snapshot}.")
    if last.snapshot != first.snapshot:
        lines.append(f"Seen again in snapshot {last.snapshot}.")
    lines.append(f"Change id {change.id}: `ingest review ack {change.id} --note ...`")
    return "\n".join(lines)
