"""The maintainers' HTML pages: one diff report per pair of snapshots, and an index over all runs.

Pages are static and self-contained (inline CSS, no scripts, no external assets) so they can be
opened from disk, attached to a mail or published as they are. Every scraped string reaches the
page through Jinja's autoescaping; this module builds plain data (text segments, links) and never
marks anything safe. Links are only made from http(s) and mailto addresses, so a scraped
`javascript:` URL stays text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ingest import __version__
from ingest.errors import SnapshotError
from ingest.evidence import evidence_for
from ingest.models import (
    JAPAN,
    Change,
    ChangeCategory,
    Evidence,
    Manifest,
    Program,
    Severity,
    SourceResult,
    SourceStatus,
    UndetectedUpdate,
)
from ingest.report.links import Link, contact_link, safe_href, safe_link, short_url
from ingest.report.values import display_value
from ingest.report.word_diff import Segment, word_diff
from ingest.report.wording import shift_words
from ingest.review import ReviewState, ReviewStatus
from ingest.severity import SEVERITY_ORDER, deadline_moment, deadline_shift, reason, severity_rank
from ingest.snapshot import CHANGES, MANIFEST, Snapshot, SnapshotStore

DEADLINE_WINDOW = timedelta(days=90)
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
    ChangeCategory.DOCUMENT: "Call guideline",
}


# -- view data -------------------------------------------------------------------------------------


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
    state: ReviewStatus
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
        pending = [view.severity for view in self.changes if view.state == ReviewStatus.PENDING]
        return min(pending, key=severity_rank, default=Severity.LOW)

    @property
    def pending(self) -> int:
        return sum(view.state == ReviewStatus.PENDING for view in self.changes)


@dataclass(frozen=True)
class RunView:
    name: str
    created_at: datetime | None
    programs: int | None
    previous: str | None
    report_href: str | None
    categories: list[tuple[str, int]]
    severities: list[tuple[str, int]]  # of the changes still waiting for review
    review: int  # changes still waiting for review
    reviewed: int  # acked or dismissed
    expected: int  # covered by an expectation
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
    warnings: list[str]  # what the date parser did not understand (an unknown zone, a weekday mismatch)


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
    review: ReviewState,
) -> str:
    """One page: failed sources, then changes grouped by program, most severe first; `review` says
    which changes still wait. Evidence missing from a change is looked up in the snapshots' records."""
    old_records = old.records if old else []
    new_records = new.records if new else []
    sources = _sources_by_id(old, new)
    groups = group_changes(
        with_evidence(changes, old_records, new_records),
        _websites(old_records, new_records),
        sources,
        review,
        new.manifest.created_at if new else None,
    )
    views = [view for group in groups for view in group.changes]
    pending = [view for view in views if view.state == ReviewStatus.PENDING]
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
            reviewed=sum(view.state == ReviewStatus.REVIEWED for view in views),
            expected=sum(view.state == ReviewStatus.EXPECTED for view in views),
            informational=sum(view.state == ReviewStatus.INFO for view in views),
            failed=failed_sources(new),
            undetected=_undetected(old, new),
            version=__version__,
        )
    )


def _undetected(old: Snapshot | None, new: Snapshot | None) -> list[tuple[UndetectedUpdate, Link | None]]:
    """The updates the sites declared and the run of `new` did not detect, when `new` was compared with
    `old` (they belong to that comparison only)."""
    if new is None or old is None or new.manifest.previous != old.name:
        return []
    try:
        found = SnapshotStore(new.path.parent).undetected(new.name)
    except SnapshotError:
        return []
    return [(update, safe_link(update.url)) for update in found]


def render_index(store: SnapshotStore, *, today: date, review: ReviewState) -> str:
    """Every run newest first with what it changed and which sources failed, and the deadlines of the
    next 90 days in the latest snapshot."""
    names = store.names()
    latest = store.latest()
    deadlines = upcoming_deadlines(latest.records, today=today) if latest else []
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            runs=[run_view(store, name, review) for name in reversed(names)],
            latest=latest,
            deadlines=deadlines,
            today=today,
            until=today + DEADLINE_WINDOW,
            version=__version__,
        )
    )


def write_index(store: SnapshotStore, output: Path, *, today: date, review: ReviewState) -> list[Path]:
    """output/index.html plus output/<snapshot>.html for every snapshot that recorded its changes
    against a previous one. Pages show the changes and severities stored with each snapshot."""
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in store.names():
        before = store.previous_of(name)
        changes = _stored_changes(store, name)
        if before is None or changes is None:
            continue
        new = store.load(name)
        page = output / f"{name}.html"
        title = f"Changes {before} → {name}"
        old = store.load(before)
        page.write_text(
            render_diff_report(changes, old=old, new=new, title=title, review=review), encoding="utf-8"
        )
        written.append(page)
    index = output / "index.html"
    index.write_text(render_index(store, today=today, review=review), encoding="utf-8")
    return [index, *written]


def _stored_changes(store: SnapshotStore, name: str) -> list[Change] | None:
    try:
        return store.changes(name)
    except SnapshotError:
        return None  # the index row says the file is unreadable


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
    review: ReviewState,
    seen_at: datetime | None = None,
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
        group.changes.append(change_view(change, sources, review, seen_at))
    for group in groups.values():
        group.changes.sort(key=_view_order)
    return sorted(groups.values(), key=lambda g: (g.pending == 0, severity_rank(g.worst), g.name.lower()))


def change_view(
    change: Change, sources: dict[str, SourceResult], review: ReviewState, seen_at: datetime | None = None
) -> ChangeView:
    severity = Severity(change.severity)  # as stored with the change: never re-scored here
    old_text, new_text = display_value(change.old), display_value(change.new)
    old_segments, new_segments = word_diff(old_text, new_text)
    old_placeholder, new_placeholder = _placeholders(ChangeCategory(change.category))
    return ChangeView(
        change=change,
        title=_CATEGORY_TITLES.get(ChangeCategory(change.category), str(change.category)),
        severity=severity,
        why=reason(change),
        state=review.status(change, seen_at),
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


def _view_order(view: ChangeView) -> tuple[int, int, str]:
    states = (ReviewStatus.PENDING, ReviewStatus.EXPECTED, ReviewStatus.REVIEWED, ReviewStatus.INFO)
    return states.index(view.state), severity_rank(view.severity), view.change.field


def _note(change: Change) -> str:
    """What the reviewer should notice first, in words."""
    shift = deadline_shift(change)
    notes = [f"closes {shift_words(shift)}"] if shift else []
    if change.detail:
        notes.append(change.detail)
    return "; ".join(notes)


def _severity_counts(severities: Iterable[Severity]) -> list[tuple[str, int]]:
    counted = Counter(Severity(severity) for severity in severities)
    return [(str(severity), counted[severity]) for severity in SEVERITY_ORDER if counted[severity]]


# -- values and word diffs -------------------------------------------------------------------------


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
        links.append(Link(short_url(address), address))
    return EvidenceView(source=evidence.source, text=evidence.text, links=links)


def _source_address(source: SourceResult | None) -> str | None:
    if source is None:
        return None
    return safe_href(source.final_url) or safe_href(source.location)


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


def run_view(store: SnapshotStore, name: str, review: ReviewState) -> RunView:
    """One row of the index: the run's stored changes, counted the way every other view counts them."""
    problem = ""
    try:
        manifest: Manifest | None = store.manifest(name)
    except SnapshotError:
        manifest, problem = None, f"{MANIFEST} is missing or invalid"
    try:
        changes = store.changes(name) or []
    except SnapshotError:
        changes, problem = [], problem or f"{CHANGES} is unreadable"
    categories = Counter(str(change.category) for change in changes)
    seen_at = manifest.created_at if manifest else None
    statuses = Counter(review.status(change, seen_at) for change in changes)
    pending = review.pending(changes, seen_at)
    before = store.previous_of(name)
    return RunView(
        name=name,
        created_at=manifest.created_at if manifest else None,
        programs=manifest.programs if manifest else None,
        previous=before,
        report_href=f"{quote(name)}.html" if before and not problem else None,
        categories=sorted(categories.items(), key=lambda item: (item[0] == "other", -item[1], item[0])),
        severities=_severity_counts(Severity(change.severity) for change in pending),
        review=len(pending),
        reviewed=statuses[ReviewStatus.REVIEWED],
        expected=statuses[ReviewStatus.EXPECTED],
        sources=len(manifest.sources) if manifest else 0,
        failed=[s for s in manifest.sources if s.status == SourceStatus.FAILED] if manifest else [],
        problem=problem,
    )


def upcoming_deadlines(
    records: Iterable[Program], *, today: date, window: timedelta = DEADLINE_WINDOW
) -> list[DeadlineView]:
    """Calls closing on a day in [today, today + window] (90 days unless told), soonest first."""
    until = today + window
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
                    warnings=list(call.warnings),
                )
            )
    return sorted(rows, key=lambda row: (row.closes, row.program.lower()))
