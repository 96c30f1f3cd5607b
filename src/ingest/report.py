"""Render changes and run results for people (Markdown) and machines (JSON). Decides nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ingest.models import Change, SourceResult, SourceStatus


def changes_json(changes: Sequence[Change], **context: Any) -> str:
    """`{"changes": [...]}` plus whatever context the caller names (snapshots compared, sources)."""
    payload = {**context, "changes": [change.model_dump(mode="json") for change in changes]}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def changes_markdown(
    changes: Sequence[Change],
    *,
    title: str,
    sources: Sequence[SourceResult] = (),
    pending_ids: set[str] | None = None,
) -> str:
    """Grouped by program, old → new, review-worthy changes first within each program. With
    `pending_ids` (from the review ledger), review-worthy changes outside it count as reviewed."""
    review = [c for c in changes if c.review]
    waiting = [c for c in review if pending_ids is None or c.id in pending_ids]
    lines = [f"# {title}", ""]
    if not changes:
        lines.append("No changes.")
    else:
        reviewed = (
            f" ({len(review) - len(waiting)} already reviewed or expected)"
            if len(waiting) < len(review)
            else ""
        )
        lines.append(
            f"{len(waiting)} change(s) waiting for review{reviewed}, {len(changes) - len(review)} other."
        )
    failed = [s for s in sources if s.status == SourceStatus.FAILED]
    if failed:
        lines += ["", "## Sources that failed (their last good data is kept, marked stale)", ""]
        lines += [f"- `{s.id}` ({s.error_kind}): {s.error}" for s in failed]  # the error names the URL
    by_program: dict[str, list[Change]] = {}
    for change in changes:
        by_program.setdefault(change.program, []).append(change)
    for program_id, items in by_program.items():
        name = items[0].program_name or program_id
        lines += ["", f"## {name} (`{program_id}`)", ""]
        for change in sorted(items, key=lambda c: not c.review):
            done = change.review and pending_ids is not None and change.id not in pending_ids
            lines.append(_change_line(change) + (" — ✓ reviewed" if done else ""))
    return "\n".join(lines) + "\n"


def _change_line(change: Change) -> str:
    flag = "**review**" if change.review else "other"
    where = f" `{change.field}`" if change.field else ""
    text = f"- {flag} · {change.category}{where}: {_value(change.old)} → {_value(change.new)}"
    if change.detail:
        text += f" ({change.detail})"
    return f"{text} — id `{change.id}`"


def _value(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value).replace("\n", " ").replace("`", "'")
    return f"`{text[:300]}{'…' if len(text) > 300 else ''}`"
