"""How fresh a program's data is: carried forward from an earlier run or not, and when last confirmed."""

from __future__ import annotations

from datetime import datetime

from ingest.models import Program, Provenance


def freshness(program: Program, source: str | None = None) -> tuple[bool, datetime | None]:
    """Whether the data (from `source`, else from any source) was carried forward from an earlier run,
    and when it was last confirmed: the oldest confirmation among those sources, as the data is only as
    fresh as its stalest part."""
    entries = [p for p in program.provenance if p.source == source] or program.provenance
    confirmed = [_confirmed_at(entry) for entry in entries]
    return any(entry.stale for entry in entries), min(confirmed) if confirmed else None


def _confirmed_at(entry: Provenance) -> datetime:
    return (entry.last_verified or entry.extracted_at) if entry.stale else entry.extracted_at
