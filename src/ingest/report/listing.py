"""Changes as one terminal line each, for `ingest review`."""

from __future__ import annotations

from ingest.models import Change
from ingest.report.wording import describe


def change_line(change: Change) -> str:
    """`id  program  severity  what changed`, in the words report.md and the feed use (values whole,
    so both sides of an eligibility change can be told apart)."""
    return f"{change.id}  {change.program}  {change.severity}  {describe(change)}"
