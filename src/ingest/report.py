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
) -> str:
    """Grouped by program, old → new, review-worthy changes first within each program."""
    review = [c for c in changes if c.review]
    lines = [f"# {title}", ""]
    lines.append(
        f"{len(review)} change(s) waiting for review, {len(changes) - len(review)} other."
        if changes
        else "No changes."
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
            lines.append(_change_line(change))
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
