"""Changes and run results for people, as Markdown: the run's report.md (the scheduled job's pull
request body) and `ingest diff`. Decides nothing: which changes wait is the review state's answer.

A maintainer acts on it in one read: the changes waiting for review first, most severe first and by
program, each one line of plain language (ingest.report.wording) with the evidence it was read from
and the command that acknowledges it; then what is already settled, then wording-only changes; the
sources that failed last, folded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ingest.models import Change, Evidence, Program, SourceResult, SourceStatus, UndetectedUpdate
from ingest.report.escape import markdown_text
from ingest.report.values import value_text
from ingest.report.wording import describe, undetected_words
from ingest.review import ReviewState, ReviewStatus
from ingest.severity import SEVERITY_ORDER, severity_rank

_EVIDENCE_WIDTH = 240
_MARKS = {ReviewStatus.REVIEWED: " — ✓ reviewed", ReviewStatus.EXPECTED: " — expected (not reviewed)"}


def changes_markdown(
    changes: Sequence[Change],
    *,
    title: str,
    review: ReviewState,
    sources: Sequence[SourceResult] = (),
    seen_at: datetime | None = None,
    records: Sequence[Program] = (),
    undetected: Sequence[UndetectedUpdate] = (),
) -> str:
    """The whole report; `seen_at` (when the changes were found) decides which expectations still
    covered them; `records` (the run's) give the dates their pages hold that no call was read from."""
    status = {change.id: review.status(change, seen_at) for change in changes}
    waiting = [c for c in changes if status[c.id] is ReviewStatus.PENDING]
    settled = [c for c in changes if status[c.id] in (ReviewStatus.REVIEWED, ReviewStatus.EXPECTED)]
    other = [c for c in changes if status[c.id] is ReviewStatus.INFO]
    lines = [f"# {title}", ""]
    if not changes:
        lines.append("No changes." if not undetected else "No changes detected.")
    else:
        reviewed = f" ({len(settled)} already reviewed or expected)" if settled else ""
        severities = _severity_summary(waiting)
        lines.append(
            f"{len(waiting)} change(s) waiting for review{reviewed}, {len(other)} other.{severities}"
        )
    for severity in SEVERITY_ORDER:
        batch = [c for c in waiting if c.severity == severity]
        if batch:
            lines += ["", f"## {str(severity).capitalize()}: {len(batch)} to review", ""]
            lines += [line for change in _by_program(batch) for line in _waiting_lines(change)]
    if undetected:
        lines += [
            "",
            f"## Declared by the site, not detected by ingest: {len(undetected)} to check by hand",
            "",
        ]
        lines += ["The page's own change log has a new entry, but no change was found on that page: an"]
        lines += ["extraction blind spot, or a change inside an attachment.", ""]
        lines += [undetected_line(update) for update in undetected]
    if settled:
        lines += ["", "## Already reviewed or expected", ""]
        lines += [_line(change) + _MARKS[status[change.id]] for change in _by_program(settled)]
    if other:
        lines += ["", "## Wording only (not for review)", ""]
        lines += [_line(change) for change in _by_program(other)]
    lines += _unattributed_dates(records)
    failed = [s for s in sources if s.status == SourceStatus.FAILED]
    if failed:
        lines += ["", "<details><summary>", ""]
        lines += [f"Sources that failed ({len(failed)}): their last good data is kept, marked stale", ""]
        lines += ["</summary>", ""]
        lines += [f"- `{s.id}` ({s.error_kind}): {markdown_text(s.error or '')}" for s in failed]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _unattributed_dates(records: Sequence[Program]) -> list[str]:
    """Per page read this run, how many of its dated lines no call came from (folded)."""
    pages: dict[tuple[str, str], list[str]] = {}
    for record in records:
        for entry in record.provenance:
            if entry.unused_dates and entry.url and not entry.stale:
                pages.setdefault((entry.source, entry.url), list(entry.unused_dates))
    if not pages:
        return []
    lines = ["", "<details><summary>", ""]
    lines += [
        f"Dates on {len(pages)} page(s) not attributed to a call: check what the extractor may miss",
        "",
    ]
    lines += ["</summary>", ""]
    for (source, url), found in sorted(pages.items()):
        shown = "; ".join(f"`{value_text(line, 120).replace('`', chr(39))}`" for line in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        lines.append(
            f"- `{source}` {markdown_text(url)}: {len(found)} date(s) on this page were not attributed "
            f"to a call: {shown}{more}"
        )
    return [*lines, "", "</details>"]


def undetected_line(update: UndetectedUpdate) -> str:
    """One declared-but-not-detected update, in the words `ingest review` uses too."""
    name = markdown_text(update.program_name or update.program)
    where = f" ({markdown_text(update.url)})" if update.url else ""
    return f"- **{name}** (`{update.program}`): {markdown_text(undetected_words(update))}{where}"


def _severity_summary(waiting: Sequence[Change]) -> str:
    counts = [(severity, sum(c.severity == severity for c in waiting)) for severity in SEVERITY_ORDER]
    shown = ", ".join(f"{count} {severity}" for severity, count in counts if count)
    return f" Waiting: {shown}." if shown else ""


def _by_program(changes: Sequence[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: ((c.program_name or c.program).lower(), severity_rank(c.severity)))


def _line(change: Change) -> str:
    name = markdown_text(change.program_name or change.program)
    text = f"- **{name}** (`{change.program}`): {markdown_text(describe(change))}"
    if change.detail:
        text += f" ({markdown_text(change.detail)})"
    return f"{text} — id `{change.id}`"


def _waiting_lines(change: Change) -> list[str]:
    lines = [_line(change)]
    evidence = _evidence(change.new_evidence or change.old_evidence)
    if evidence:
        lines.append(f"  - evidence: {evidence}")
    lines.append(f'  - `ingest review ack {change.id} --note "…"` (or `dismiss`)')
    return lines


def _evidence(items: Sequence[Evidence]) -> str:
    if not items:
        return ""
    first = items[0]
    where = f"PDF page {', '.join(map(str, first.pages))}" if first.pages else first.url or first.source
    snippet = value_text(first.text, _EVIDENCE_WIDTH).replace("`", "'")
    return f"`{snippet}` ({markdown_text(where)})" if snippet else markdown_text(where)
