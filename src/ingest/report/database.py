"""The record and its history as one SQLite file for browsing (`ingest export --format sqlite`, then
`datasette FILE.db`): the latest snapshot's programs, calls and contacts, every snapshot's changes with
their review status as of now, and the ledger's decisions. Written with sqlite-utils; lists and objects
are stored as JSON text, which Datasette shows as such."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from ingest.models import Program
from ingest.review import Decision, ReviewState
from ingest.snapshot import SeenChange

TABLES = ("programs", "calls", "contacts", "changes", "decisions")

_COLUMNS: dict[str, dict[str, type]] = {
    "programs": {
        "id": str, "name": str, "agencies": str, "categories": str, "summary": str, "eligibility": str,
        "notes": str, "website": str, "links": str, "stale": int, "sources": str, "snapshot": str,
    },
    "calls": {
        "program_id": str, "position": int, "label": str, "raw": str, "opens": str, "closes": str,
        "opens_precision": str, "closes_precision": str, "status": str, "source": str, "warnings": str,
    },
    "contacts": {
        "program_id": str, "position": int, "email": str, "label": str, "phone": str, "address": str,
        "rebuilt": int,
    },
    "changes": {
        "snapshot": str, "id": str, "created_at": str, "program_id": str, "program_name": str,
        "category": str, "field": str, "old": str, "new": str, "review": int, "severity": str,
        "status": str, "detail": str,
    },
    "decisions": {"line": int, "at": str, "by": str, "decision": str, "subject": str, "note": str},
}  # fmt: skip
_KEYS: dict[str, str | tuple[str, ...]] = {
    "programs": "id",
    "calls": ("program_id", "position"),
    "contacts": ("program_id", "position"),
    "changes": ("snapshot", "id"),
    "decisions": "line",
}


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def write_database(
    path: Path,
    *,
    snapshot: str,
    records: Sequence[Program],
    seen: Sequence[SeenChange],
    decisions: Sequence[Decision],
    review: ReviewState,
) -> None:
    """Write the tables into a new SQLite file at `path` (which must not exist yet)."""
    db = sqlite_utils.Database(path)
    try:
        for table, columns in _COLUMNS.items():
            db[table].create(columns, pk=_KEYS[table])  # type: ignore[union-attr]
        programs, calls, contacts = [], [], []
        for program in records:
            data = program.model_dump(mode="json")
            programs.append(
                {
                    "id": program.id,
                    "name": program.name,
                    "agencies": _json(data["agencies"]),
                    "categories": _json(data["categories"]),
                    "summary": program.summary,
                    "eligibility": program.eligibility,
                    "notes": _json(data["notes"]),
                    "website": program.website,
                    "links": _json(data["links"]),
                    "stale": int(any(entry.stale for entry in program.provenance)),
                    "sources": _json(sorted({entry.source for entry in program.provenance})),
                    "snapshot": snapshot,
                }
            )
            for position, call in enumerate(data["calls"]):
                calls.append(
                    {
                        "program_id": program.id,
                        "position": position,
                        **call,
                        "warnings": _json(call["warnings"]),
                    }
                )
            for position, contact in enumerate(data["contacts"]):
                contacts.append(
                    {
                        "program_id": program.id,
                        "position": position,
                        **contact,
                        "rebuilt": int(contact["rebuilt"]),
                    }
                )
        changes = [
            {
                "snapshot": item.snapshot,
                "id": item.change.id,
                "created_at": item.created_at.isoformat(),
                "program_id": item.change.program,
                "program_name": item.change.program_name,
                "category": str(item.change.category),
                "field": item.change.field,
                "old": _json(item.change.old),
                "new": _json(item.change.new),
                "review": int(item.change.review),
                "severity": str(item.change.severity),
                "status": str(review.status(item.change, item.created_at)),
                "detail": item.change.detail,
            }
            for item in seen
        ]
        rows = [
            {
                "line": number,
                "at": decision.at.isoformat(),
                "by": decision.by,
                "decision": str(decision.kind),
                "subject": decision.subject,
                "note": decision.note,
            }
            for number, decision in enumerate(decisions, start=1)
        ]
        for table, found in (
            ("programs", programs),
            ("calls", calls),
            ("contacts", contacts),
            ("changes", changes),
            ("decisions", rows),
        ):
            db[table].insert_all(found)  # type: ignore[union-attr]
        for table in ("calls", "contacts"):
            db[table].add_foreign_key("program_id", "programs", "id")  # type: ignore[union-attr]
    finally:
        db.close()
