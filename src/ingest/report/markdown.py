"""Changes and run results for people, as Markdown (the run's report.md, `ingest diff`). Decides nothing:
which changes wait for review is the review state's answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ingest.models import Change, SourceResult, SourceStatus
from ingest.report.escape import markdown_text
from ingest.report.values import value_text
from ingest.review import ReviewState, ReviewStatus


def changes_markdown(
    changes: Sequence[Change],
    *,
    title: str,
    review: ReviewState,
    sources: Sequence[SourceResult] = (),
    seen_at: datetime | None = None,
) -> str:
    """Grouped by program, old → new, review-worthy changes first within each program; changes the
    review ledger settles are counted and marked as reviewed."""
    review_worthy = [c for c in changes if c.review]
    waiting = review.pending(review_worthy, seen_at)
    lines = [f"# {title}", ""]
    if not changes:
        lines.append("No changes.")
    else:
        reviewed = (
            f" ({len(review_worthy) - len(waiting)} already reviewed or expected)"
            if len(waiting) < len(review_worthy)
            else ""
        )
        other = len(changes) - len(review_worthy)
        lines.append(f"{len(waiting)} change(s) waiting for review{reviewed}, {other} other.")
    failed = [s for s in sources if s.status == SourceStatus.FAILED]
    if failed:
        lines += ["", "## Sources that failed (their last good data is kept, marked stale)", ""]
        lines += [f"- `{s.id}` ({s.error_kind}): {markdown_text(s.error or '')}" for s in failed]
    by_program: dict[str, list[Change]] = {}
    for change in changes:
        by_program.setdefault(change.program, []).append(change)
    for program_id, items in by_program.items():
        name = markdown_text(items[0].program_name or program_id)
        lines += ["", f"## {name} (`{program_id}`)", ""]
        for change in sorted(items, key=lambda c: not c.review):
            status = review.status(change, seen_at)
            marks = {
                ReviewStatus.REVIEWED: " — ✓ reviewed",
                ReviewStatus.EXPECTED: " — expected (not reviewed)",
            }
            lines.append(_change_line(change) + marks.get(status, ""))
    return "\n".join(lines) + "\n"


def _change_line(change: Change) -> str:
    flag = "**review**" if change.review else "other"
    where = f" {_code(change.field)}" if change.field else ""
    text = f"- {flag} · {change.category}{where}: {_value(change.old)} → {_value(change.new)}"
    if change.detail:
        text += f" ({markdown_text(change.detail)})"
    return f"{text} — id `{change.id}`"


def _value(value: Any) -> str:
    return "∅" if value is None else _code(value)


def _code(value: Any) -> str:
    """Inline code, which Markdown shows as is: only a backtick could end it early."""
    return f"`{value_text(value, width=300).replace('`', chr(39))}`"
