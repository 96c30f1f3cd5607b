"""Changes as one terminal line each, for `ingest review`."""

from __future__ import annotations

from ingest.models import Change
from ingest.report.values import value_text


def change_line(change: Change, width: int = 60) -> str:
    """`id  program  category  field: old → new` on one line, long values shortened."""
    where = change.field or "(whole program)"
    values = f"{value_text(change.old, width)} → {value_text(change.new, width)}"
    return f"{change.id}  {change.program}  {change.category}  {where}: {values}"
