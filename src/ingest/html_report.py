"""The maintainers' HTML pages: one diff report per pair of snapshots, and an index over all runs.

Pages are static and self-contained (inline CSS, no scripts, no external assets) so they can be
opened from disk, attached to a mail or published as they are. Every scraped string reaches the
page through Jinja's autoescaping; this module builds plain data (text segments, links) and never
marks anything safe. Links are only made from http(s) and mailto addresses, so a scraped
`javascript:` URL stays text.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError

from ingest import __version__
from ingest.diff import diff_programs
from ingest.evidence import evidence_for
from ingest.models import (
    JAPAN,
    Change,
    ChangeCategory,
    Contact,
    Evidence,
    Manifest,
    Program,
    Severity,
    SourceResult,
    SourceStatus,
)
from ingest.severity import (
    SEVERITY_ORDER,
    deadline_moment,
    deadline_shift,
    rule_for,
    severity_rank,
)
from ingest.snapshot import MANIFEST, Snapshot, SnapshotStore

CHANGES_FILE = "changes.json"
DEADLINE_WINDOW = timedelta(days=90)
# Letters, digit runs, runs of space, single punctuation marks: '03T12' is three tokens, so a moved
# date highlights only the day.
_TOKEN = re.compile(r"[^\W\d_]+|\d+|\s+|[^\w\s]|_")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_CATEGORY_TITLES = {
    ChangeCategory.DEADLINE: "Deadline",
    ChangeCategory.ELIGIBILITY: "Eligibility",
    ChangeCategory.CONTACT: "Contact",
    ChangeCategory.WEBSITE: "Website",
    ChangeCategory.ADDED: "Program added",
    ChangeCategory.REMOVED: "Program removed",
    ChangeCategory.OTHER: "Wording",
    ChangeCategory.EXTRACTION: "Extraction problem",
    ChangeCategory.CONFLICT: "Sources disagree",
}
# Calls and contacts print their keys in this order; other keys follow alphabetically.
_KEY_ORDER = ("label", "raw", "opens", "closes", "status", "email", "phone", "address")


# -- view data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of text on one side of a diff: 'same', 'del' (only in the old value) or 'ins' (only new)."""

    kind: str
    text: str


@dataclass(frozen=True)
class Link:
    label: str
    href: str | None  # None: show the label as text (no safe address to link to)


@dataclass(frozen=True)
class EvidenceView:
    source: str
    text: str
    links: list[Link]


@dataclass(frozen=True)
class ChangeView:
    change: Change
    title: str
    severity: Severity
    why: str
    state: str  # 'pending' (waits for review), 'reviewed', or 'info' (not review-worthy)
    old: list[Segment]
    new: list[Segment]
    old_placeholder: str  # shown when there is no old value
    new_placeholder: str
    note: str
    old_evidence: list[EvidenceView]
    new_evidence: list[EvidenceView]
    commands: list[str]


@dataclass
class ProgramGroup:
    id: str
    name: str
    website: Link | None
    changes: list[ChangeView] = field(default_factory=list)

    @property
    def worst(self) -> Severity:
        """The most severe change still waiting for review (low when none waits)."""
        pending = [view.severity for view in self.changes if view.state == "pending"]
        return min(pending, key=severity_rank, default=Severity.LOW)

    @property
    def pending(self) -> int:
        return sum(view.state == "pending" for view in self.changes)


@dataclass(frozen=True)
class RunView:
    name: str
    created_at: datetime | None
    programs: int | None
    previous: str | None
    report_href: str | None
    categories: list[tuple[str, int]]
    severities: list[tuple[str, int]]
    review: int
    sources: int
    failed: list[SourceResult]
    problem: str


@dataclass(frozen=True)
class DeadlineView:
    closes: datetime
    has_time: bool
    days_left: int
    program: str
    call: str
    raw: str
    status: str
    website: Link | None
    contact: Link | None
    contact_label: str
    stale: bool


# -- rendering -------------------------------------------------------------------------------------


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ingest", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["moment"] = format_moment
    return env


def format_moment(value: date | datetime) -> str:
    """'2025-06-03 12:00 JST' for Japan time, '… UTC' for UTC, a bare date as the date."""
    if not isinstance(value, datetime):
        return value.isoformat()
    offset = value.utcoffset()
    zone = (
        {timedelta(0): "UTC", timedelta(hours=9): "JST"}.get(offset, value.strftime("%z"))
        if offset is not None
        else ""
    )
    return f"{value.strftime('%Y-%m-%d %H:%M')} {zone}".strip()


def render_diff_report(
    changes: Sequence[Change],
    *,
    old: Snapshot | None,
    new: Snapshot | None,
    title: str,
    pending_ids: set[str] | None = None,
) -> str:
    """One page: failed sources, then changes grouped by program, most severe first.

    `pending_ids`: ids still waiting for review (from the review ledger); None means all of them.
    Evidence missing from a change is looked up in the snapshots' records.
    """
    old_records = old.records if old else []
    new_records = new.records if new else []
    sources = _sources_by_id(old, new)
    groups = group_changes(
        with_evidence(changes, old_records, new_records),
        _websites(old_records, new_records),
        sources,
        pending_ids,
    )
    views = [view for group in groups for view in group.changes]
    pending = [view for view in views if view.state == "pending"]
    return (
        environment()
        .get_template("diff_report.html.j2")
        .render(
            title=title,
            old=old,
            new=new,
            groups=groups,
            counts=_severity_counts(view.severity for view in pending),
            pending=len(pending),
            reviewed=sum(view.state == "reviewed" for view in views),
            informational=sum(view.state == "info" for view in views),
            failed=failed_sources(new),
            version=__version__,
        )
    )


def render_index(store: SnapshotStore, *, today: date) -> str:
    """Every run newest first with what it changed and which sources failed, and the deadlines of the
    next 90 days in the latest snapshot."""
    names = store.names()
    latest = store.latest()
    deadlines = upcoming_deadlines(latest.records, today=today) if latest else []
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            runs=[_run_view(store, name) for name in reversed(names)],
            latest=latest,
            deadlines=deadlines,
            today=today,
            until=today + DEADLINE_WINDOW,
            version=__version__,
        )
    )


def write_index(
    store: SnapshotStore, output: Path, *, today: date, pending_ids: set[str] | None = None
) -> list[Path]:
    """output/index.html plus output/<snapshot>.html for every snapshot that has a previous one."""
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in store.names():
        before = previous_name(store, name)
        if before is None:
            continue
        old, new = store.load(before), store.load(name)
        page = output / f"{name}.html"
        page.write_text(render_snapshot_pair(old, new, pending_ids=pending_ids), encoding="utf-8")
        written.append(page)
    index = output / "index.html"
    index.write_text(render_index(store, today=today), encoding="utf-8")
    return [index, *written]


def render_snapshot_pair(old: Snapshot, new: Snapshot, *, pending_ids: set[str] | None = None) -> str:
    changes = diff_programs(old.records, new.records)
    return render_diff_report(
        changes, old=old, new=new, title=f"Changes {old.name} → {new.name}", pending_ids=pending_ids
    )


def previous_name(store: SnapshotStore, name: str) -> str | None:
    """The snapshot a run was compared with: its manifest's `previous` if stored, else the one before."""
    names = store.names()
    position = names.index(name)
    manifest = _read_manifest(store.root / name)
    if manifest is not None and manifest.previous in names[:position]:
        return manifest.previous
    return names[position - 1] if position else None


# -- changes → views -------------------------------------------------------------------------------


def with_evidence(changes: Iterable[Change], old: Sequence[Program], new: Sequence[Program]) -> list[Change]:
    """The changes, each with evidence looked up in the records where it carries none of its own."""
    before = {program.id: program for program in old}
    after = {program.id: program for program in new}
    filled: list[Change] = []
    for change in changes:
        update: dict[str, list[Evidence]] = {}
        if not change.old_evidence and change.program in before:
            update["old_evidence"] = evidence_for(before[change.program], change.field)
        if not change.new_evidence and change.program in after:
            update["new_evidence"] = evidence_for(after[change.program], change.field)
        filled.append(change.model_copy(update=update) if update else change)
    return filled


def group_changes(
    changes: Iterable[Change],
    websites: dict[str, str],
    sources: dict[str, SourceResult],
    pending_ids: set[str] | None,
) -> list[ProgramGroup]:
    """Per program, changes most severe first; programs with the most severe pending change first."""
    groups: dict[str, ProgramGroup] = {}
    for change in changes:
        group = groups.get(change.program)
        if group is None:
            website = safe_link(websites.get(change.program), "website")
            group = groups[change.program] = ProgramGroup(
                change.program, change.program_name or change.program, website
            )
        group.changes.append(change_view(change, sources, pending_ids))
    for group in groups.values():
        group.changes.sort(key=_view_order)
    return sorted(groups.values(), key=lambda g: (g.pending == 0, severity_rank(g.worst), g.name.lower()))


def change_view(change: Change, sources: dict[str, SourceResult], pending_ids: set[str] | None) -> ChangeView:
    rule = rule_for(change)
    # A severity stored with the change is never lowered; changes recorded before severities existed
    # carry the default (low) and get theirs from the rules.
    severity = min(Severity(change.severity), rule.severity, key=severity_rank)
    old_text, new_text = display_value(change.old), display_value(change.new)
    old_segments, new_segments = word_diff(old_text, new_text)
    old_placeholder, new_placeholder = _placeholders(ChangeCategory(change.category))
    return ChangeView(
        change=change,
        title=_CATEGORY_TITLES.get(ChangeCategory(change.category), str(change.category)),
        severity=severity,
        why=rule.why,
        state=_state(change, pending_ids),
        old=old_segments,
        new=new_segments,
        old_placeholder=old_placeholder,
        new_placeholder=new_placeholder,
        note=_note(change),
        old_evidence=[evidence_view(item, sources) for item in change.old_evidence],
        new_evidence=[evidence_view(item, sources) for item in change.new_evidence],
        commands=review_commands(change.id),
    )


def _placeholders(category: ChangeCategory) -> tuple[str, str]:
    """What an empty side means: the value did not exist yet, is gone, or was not found."""
    if category is ChangeCategory.EXTRACTION:
        return "(none)", "(not found by the extractor: check the source)"
    if category is ChangeCategory.ADDED:
        return "(not in the earlier snapshot)", "(none)"
    if category is ChangeCategory.REMOVED:
        return "(none)", "(no longer listed)"
    return "(none)", "(none)"


def review_commands(change_id: str) -> list[str]:
    return [f'ingest review ack {change_id} --note "…"', f'ingest review dismiss {change_id} --note "…"']


def _state(change: Change, pending_ids: set[str] | None) -> str:
    if not change.review:
        return "info"
    return "pending" if pending_ids is None or change.id in pending_ids else "reviewed"


def _view_order(view: ChangeView) -> tuple[int, int, str]:
    states = ("pending", "reviewed", "info")
    return states.index(view.state), severity_rank(view.severity), view.change.field


def _note(change: Change) -> str:
    """What the reviewer should notice first, in words."""
    shift = deadline_shift(change)
    notes = [_shift_words(shift)] if shift else []
    if change.detail:
        notes.append(change.detail)
    return "; ".join(notes)


def _shift_words(shift: timedelta) -> str:
    days, rest = divmod(abs(shift), timedelta(days=1))
    hours = rest // timedelta(hours=1)
    parts = [
        f"{count} {unit}{'s' if count != 1 else ''}"
        for count, unit in ((days, "day"), (hours, "hour"))
        if count
    ]
    return f"closes {' '.join(parts) or 'minutes'} {'later' if shift > timedelta(0) else 'earlier'}"


def _severity_counts(severities: Iterable[Severity]) -> list[tuple[str, int]]:
    counted = Counter(Severity(severity) for severity in severities)
    return [(str(severity), counted[severity]) for severity in SEVERITY_ORDER if counted[severity]]


# -- values and word diffs -------------------------------------------------------------------------


def display_value(value: Any) -> str:
    """A change's old/new value as readable text: a call or contact one 'key: value' per line."""
    if value is None:
        return ""
    if isinstance(value, dict) and value and all(isinstance(item, dict) for item in value.values()):
        # A keyed collection (all contacts, all calls): one item a line.
        return "\n".join(_pairs(item, "; ") for item in value.values())
    if isinstance(value, dict):
        return _pairs(value, "\n")
    if isinstance(value, list | tuple):
        return "; ".join(display_value(item) for item in value)
    return str(value)


def _pairs(value: dict[str, Any], separator: str) -> str:
    keys = sorted(
        value, key=lambda key: (_KEY_ORDER.index(key) if key in _KEY_ORDER else len(_KEY_ORDER), key)
    )
    shown = (key for key in keys if value[key] not in (None, "", [], {}, False))
    return separator.join(f"{key}: {display_value(value[key])}" for key in shown)


def word_diff(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """Both sides as segments; words only in `old` are 'del', words only in `new` are 'ins'."""
    before, after = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    old_side: list[Segment] = []
    new_side: list[Segment] = []
    for tag, a_start, a_end, b_start, b_end in _merged_opcodes(matcher.get_opcodes(), before):
        removed, added = "".join(before[a_start:a_end]), "".join(after[b_start:b_end])
        if tag == "equal":
            _append(old_side, "same", removed)
            _append(new_side, "same", added)
        else:
            _append_changed(old_side, "del", removed)
            _append_changed(new_side, "ins", added)
    return old_side, new_side


def _merged_opcodes(
    opcodes: list[tuple[str, int, int, int, int]], before: list[str]
) -> list[tuple[str, int, int, int, int]]:
    """Fold a lone space between two changed words into the change, so 'a b'→'c d' reads as one edit."""
    merged: list[tuple[str, int, int, int, int]] = []
    for index, opcode in enumerate(opcodes):
        tag, a_start, a_end, b_start, b_end = opcode
        between_changes = 0 < index < len(opcodes) - 1 and opcodes[index + 1][0] != "equal"
        if tag == "equal" and between_changes and "".join(before[a_start:a_end]).isspace():
            tag = "replace"
        if merged and tag != "equal" and merged[-1][0] != "equal":
            previous = merged.pop()
            opcode = ("replace", previous[1], a_end, previous[3], b_end)
        else:
            opcode = (tag, a_start, a_end, b_start, b_end)
        merged.append(opcode)
    return merged


def _append_changed(side: list[Segment], kind: str, text: str) -> None:
    """Spaces around a changed run stay outside the mark, so only words are struck or inserted."""
    core = text.strip()
    start = text.index(core) if core else len(text)
    _append(side, "same", text[:start])
    _append(side, kind, core)
    _append(side, "same", text[start + len(core) :])


def _append(side: list[Segment], kind: str, text: str) -> None:
    if not text:
        return
    if side and side[-1].kind == kind:
        side[-1] = Segment(kind, side[-1].text + text)
    else:
        side.append(Segment(kind, text))


# -- evidence and links ----------------------------------------------------------------------------


def evidence_view(evidence: Evidence, sources: dict[str, SourceResult]) -> EvidenceView:
    """The snippet with a link to where it was read: the page, or the PDF's page N."""
    address = safe_href(evidence.url) or _source_address(sources.get(evidence.source))
    links: list[Link] = []
    if evidence.pages:
        links += [
            Link(f"PDF page {page}", f"{address}#page={page}" if address else None) for page in evidence.pages
        ]
    elif address:
        links.append(Link(_short_url(address), address))
    return EvidenceView(source=evidence.source, text=evidence.text, links=links)


def _source_address(source: SourceResult | None) -> str | None:
    if source is None:
        return None
    return safe_href(source.final_url) or safe_href(source.location)


def safe_href(url: str | None) -> str | None:
    """The URL when it is safe to link (http, https, mailto), else None: scraped text is never a script."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in _SAFE_SCHEMES else None


def safe_link(url: str | None, label: str | None = None, *, width: int = 60) -> Link | None:
    href = safe_href(url)
    return Link(label or _short_url(href, width), href) if href else None


def contact_link(contact: Contact) -> Link:
    """The e-mail address linking to mailto:, or whatever else the contact gives (phone, address) as text."""
    if contact.email:
        return Link(contact.email, safe_href(f"mailto:{quote(contact.email, safe='@.+-_')}"))
    return Link(" ".join(part for part in (contact.phone, contact.address) if part), None)


def _short_url(url: str, width: int = 60) -> str:
    """Host and the end of the path, without scheme or index page: 'www.jst.go.jp/…/crest/en/'."""
    parts = urlsplit(url)
    if parts.scheme == "mailto":
        return parts.path
    path = re.sub(r"/index\.html?$", "/", parts.path)
    if len(parts.netloc + path) <= width:
        return parts.netloc + path
    segments = [segment for segment in path.split("/") if segment]
    slash = "/" if path.endswith("/") else ""
    for count in range(len(segments) - 1, 0, -1):
        text = f"{parts.netloc}/…/{'/'.join(segments[-count:])}{slash}"
        if len(text) <= width:
            return text
    return (parts.netloc + path)[: width - 1] + "…"


def _websites(*record_sets: Sequence[Program]) -> dict[str, str]:
    """Program id → website, the newer records winning."""
    return {program.id: program.website for records in record_sets for program in records if program.website}


def _sources_by_id(*snapshots: Snapshot | None) -> dict[str, SourceResult]:
    return {source.id: source for snapshot in snapshots if snapshot for source in snapshot.manifest.sources}


def failed_sources(snapshot: Snapshot | None) -> list[SourceResult]:
    if snapshot is None:
        return []
    return [source for source in snapshot.manifest.sources if source.status == SourceStatus.FAILED]


# -- index -----------------------------------------------------------------------------------------


def _run_view(store: SnapshotStore, name: str) -> RunView:
    folder = store.root / name
    manifest = _read_manifest(folder)
    changes, problem = _read_changes(folder)
    if manifest is None:
        problem = f"{MANIFEST} is missing or invalid"
    categories = Counter(str(change.category) for change in changes)
    review = [change for change in changes if change.review]
    before = previous_name(store, name)
    return RunView(
        name=name,
        created_at=manifest.created_at if manifest else None,
        programs=manifest.programs if manifest else None,
        previous=before,
        report_href=f"{quote(name)}.html" if before else None,
        categories=sorted(categories.items(), key=lambda item: (item[0] == "other", -item[1], item[0])),
        severities=_severity_counts(rule_for(change).severity for change in review),
        review=len(review),
        sources=len(manifest.sources) if manifest else 0,
        failed=[s for s in manifest.sources if s.status == SourceStatus.FAILED] if manifest else [],
        problem=problem,
    )


def _read_manifest(folder: Path) -> Manifest | None:
    try:
        return Manifest.model_validate_json((folder / MANIFEST).read_bytes())
    except (OSError, ValidationError):
        return None


def _read_changes(folder: Path) -> tuple[list[Change], str]:
    """The run's recorded changes, and a problem to show when its change report cannot be read."""
    path = folder / CHANGES_FILE
    if not path.is_file():
        return [], ""  # the first snapshot has nothing to compare with
    try:
        data = json.loads(path.read_bytes())
        return [Change.model_validate(item) for item in data["changes"]], ""
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return [], f"{CHANGES_FILE} is unreadable"


def upcoming_deadlines(records: Iterable[Program], *, today: date) -> list[DeadlineView]:
    """Calls closing on a day in [today, today + 90 days], soonest first."""
    until = today + DEADLINE_WINDOW
    rows: list[DeadlineView] = []
    for program in records:
        for call in program.calls:
            closes = deadline_moment(call.closes)
            if closes is None or not today <= closes.astimezone(JAPAN).date() <= until:
                continue
            rows.append(
                DeadlineView(
                    closes=closes.astimezone(JAPAN),
                    has_time=isinstance(call.closes, datetime),
                    days_left=(closes.astimezone(JAPAN).date() - today).days,
                    program=program.name,
                    call=call.label or "",
                    raw=call.raw,
                    status=str(call.status),
                    website=safe_link(program.website, width=36),
                    contact=contact_link(program.contacts[0]) if program.contacts else None,
                    contact_label=(program.contacts[0].label or "") if program.contacts else "",
                    stale=any(entry.stale for entry in program.provenance),
                )
            )
    return sorted(rows, key=lambda row: (row.closes, row.program.lower()))
