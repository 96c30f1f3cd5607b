"""Changes as one terminal line each, for `ingest review`."""

from __future__ import annotations

from ingest.models import Change, UndetectedUpdate
from ingest.report.wording import describe, undetected_words


def change_line(change: Change) -> str:
    """`id  program  severity  what changed`, in the words report.md and the feed use (values whole,
    so both sides of an eligibility change can be told apart)."""
    line = f"{change.id}  {change.program}  {change.severity}  {describe(change)}"
    return f"{line} ({change.detail})" if change.detail else line


def undetected_line(update: UndetectedUpdate) -> str:
    """`program  what the site declares  page`."""
    return f"{update.program}  {undetected_words(update)}" + (f"  {update.url}" if update.url else "")
