"""The CSV export for spreadsheets: one row per call period.

Like every export (this package's calendar and feed too), a pure function of snapshot data, so
exporting the same snapshot twice gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from ingest.models import CallPeriod, Program
from ingest.report.escape import spreadsheet_cell
from ingest.report.freshness import freshness

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
_LIST_SEPARATOR = "; "


# -- CSV ---------------------------------------------------------------------------------------------


def export_csv(records: Iterable[Program]) -> str:
    """One row per call period (columns: CSV_COLUMNS); a program without calls still gets one row, with
    the call columns empty, so that no program silently drops out of a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for program in sorted(records, key=lambda record: record.id):
        calls: list[CallPeriod | None] = [*program.calls] or [None]
        for call in calls:
            writer.writerow(
                {column: spreadsheet_cell(cell) for column, cell in _csv_row(program, call).items()}
            )
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


def _iso(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.utcoffset() == timedelta(0):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()
