"""The review ledger: who acknowledged, dismissed or expected which change, kept as plain text in the repo.

`reviews/ledger.tsv` holds one decision a line, tab-separated:

    UTC time <TAB> who <TAB> ack|dismiss|expect <TAB> change id, or for expect "program field" <TAB> note

Lines are only ever appended (O_APPEND, one write() per command, fsync), never rewritten, so the file
is an audit trail that merges cleanly and survives a crash mid-write. A change is pending while it is
review-worthy, no line acks or dismisses its id, and no `expect` line covers its program and field
(`expect crest calls` covers every `calls[...]` change of crest, now and later).

Which changes `ingest review` lists: every review-worthy change in any snapshot's changes.json that is
still pending, not only the latest snapshot's. Change ids are stable, so a change seen in several
snapshots is listed once, under the snapshot that first showed it; a change that a later run
superseded still waits for a decision (dismiss it with a note) rather than vanishing unread.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from ingest.errors import IngestError
from ingest.models import JAPAN, Change, Program
from ingest.normalize import canonical_text
from ingest.snapshot import SeenChange, SnapshotStore

DEFAULT_LEDGER = Path("reviews/ledger.tsv")
LEDGER_HEADER = (
    "# ingest review ledger: one decision a line, appended by `ingest review ack|dismiss|expect`.\n"
    "# Columns (tab-separated): UTC time, who, decision (ack|dismiss|expect), "
    "change id (for expect: program and field), note.\n"
)
_CHANGE_ID = re.compile(r"^[0-9a-f]{12}$")
_PROGRAM_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_COLUMNS = 5


class ReviewError(IngestError):
    """A review decision cannot be recorded, or the ledger cannot be read."""


class UnknownChangeError(ReviewError):
    """A change id that no snapshot's changes.json contains (a typo, or a change from another repo)."""


class UnknownProgramError(ReviewError):
    """An expectation names a program or field that no snapshot knows."""


class DecisionKind(StrEnum):
    ACK = "ack"  # the change is real and has been handled
    DISMISS = "dismiss"  # the change is noise (an extraction quirk, a superseded value)
    EXPECT = "expect"  # changes to this program's field are announced: do not ask for each one
    UNEXPECT = "unexpect"  # withdraws the expectations of this program and field


@dataclass(frozen=True)
class Scope:
    """What an expectation covers besides its program and field: one call (by label), one old value,
    and until when (inclusive, Japan time)."""

    call: str | None = None
    old: str | None = None
    until: date | None = None

    def encode(self) -> str:
        data = {"call": self.call, "old": self.old, "until": self.until.isoformat() if self.until else None}
        return json.dumps(
            {k: v for k, v in data.items() if v is not None}, ensure_ascii=False, sort_keys=True
        )

    @classmethod
    def decode(cls, text: str) -> Scope:
        data = json.loads(text)
        until = data.get("until")
        return cls(
            call=data.get("call"), old=data.get("old"), until=date.fromisoformat(until) if until else None
        )


@dataclass(frozen=True)
class Decision:
    """One ledger line."""

    at: datetime
    by: str
    kind: DecisionKind
    subject: str  # a change id; for (un)expect "program field", then the scope as JSON
    note: str

    @property
    def program(self) -> str:
        return self.subject.partition(" ")[0]

    @property
    def field(self) -> str:
        return self._field_and_scope()[0]

    @property
    def scope(self) -> Scope:
        """The expectation's scope; one recorded without an expiry lasts to the end of the Japanese
        fiscal year (March 31) in which it was recorded."""
        scope = self._field_and_scope()[1]
        return scope if scope.until else replace(scope, until=fiscal_year_end(self.at))

    def _field_and_scope(self) -> tuple[str, Scope]:
        rest = self.subject.partition(" ")[2]
        field, brace, encoded = rest.partition(" {")
        return (field, Scope.decode("{" + encoded)) if brace else (rest, Scope())

    def covers(self, change: Change, seen_at: datetime) -> bool:
        """Whether this decision settles `change`, seen at `seen_at`."""
        if self.kind is not DecisionKind.EXPECT:
            return change.id == self.subject
        scope = self.scope
        if change.program != self.program or not field_matches(self.field, change.field):
            return False
        if scope.until is not None and seen_at.astimezone(JAPAN).date() > scope.until:
            return False
        if scope.call is not None and canonical_text(scope.call) not in _calls_of(change):
            return False
        return scope.old is None or canonical_text(_as_text(change.old)) == canonical_text(scope.old)

    def line(self) -> str:
        moment = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        cells = [moment, self.by, str(self.kind), self.subject, self.note]
        return "\t".join(_one_line(cell) for cell in cells) + "\n"


def _calls_of(change: Change) -> set[str]:
    """The keys of the calls a change is about: its path's; a yearly rollover (the new call in place of
    the old, `Change.replaces`) is about the call it replaces too, so an expectation scoped to either
    label covers it."""
    if len(change.path) < 2 or change.path[0] != "calls":
        return set()
    keys = {str(change.path[1])}
    if change.replaces and isinstance(change.old, dict) and change.old.get("label"):
        keys.add(canonical_text(str(change.old["label"])))
    return keys


def fiscal_year_end(moment: datetime) -> date:
    """March 31 that ends the Japanese fiscal year (April to March) of `moment`."""
    day = moment.astimezone(JAPAN).date()
    return date(day.year + 1 if day.month >= 4 else day.year, 3, 31)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def field_matches(prefix: str, field: str) -> bool:
    """`calls` matches `calls`, `calls[x]` and `calls[x].closes`, but not `callsign`."""
    if field == prefix:
        return True
    return field.startswith(prefix) and field[len(prefix)] in "[."


class Ledger:
    """The append-only decision file. A missing file is an empty ledger."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def decisions(self) -> list[Decision]:
        """Every decision, in the order recorded; ReviewError at the first malformed line."""
        decisions, problems = self.read()
        if problems:
            raise ReviewError(problems[0])
        return decisions

    def read(self) -> tuple[list[Decision], list[str]]:
        """Every well-formed decision, and one problem (file and line) for each line that is not
        one: a hand-edit gone wrong must not block every later run."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [], []
        except OSError as error:  # a folder, a parent that is a file, no permission
            raise ReviewError(f"{self.path}: the review ledger cannot be read ({error.strerror})") from None
        except UnicodeDecodeError:
            raise ReviewError(f"{self.path}: the review ledger is not UTF-8 text") from None
        decisions: list[Decision] = []
        problems: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                decisions.append(_parse_line(line, self.path, number))
            except ReviewError as error:
                problems.append(str(error))
        return decisions, problems

    def record(
        self,
        decision: DecisionKind | str,
        change_ids: Sequence[str],
        note: str,
        by: str,
        *,
        at: datetime | None = None,
        create: bool = True,
    ) -> list[Decision]:
        """Append an ack or dismiss line for each change id (ids are checked for shape only here);
        a change already acked or dismissed is refused, so the ledger holds one decision per change."""
        kind = DecisionKind(decision)
        if kind not in (DecisionKind.ACK, DecisionKind.DISMISS):
            raise ReviewError("an expectation names a program and a field: use `ingest review expect`")
        bad = [change_id for change_id in change_ids if not _CHANGE_ID.match(change_id)]
        if bad:
            raise UnknownChangeError(f"not a change id: {bad[0]!r} (see `ingest review`)")
        # The well-formed lines: a malformed one elsewhere (reported by every read) blocks no decision.
        decided = (DecisionKind.ACK, DecisionKind.DISMISS)
        earlier = {d.subject: d for d in self.read()[0] if d.kind in decided}
        repeated = [earlier[change_id] for change_id in change_ids if change_id in earlier]
        if repeated:
            first = repeated[0]
            raise ReviewError(
                f"{first.subject} was already {'acked' if first.kind is DecisionKind.ACK else 'dismissed'} "
                f"by {first.by} on {first.at.date().isoformat()}; nothing was recorded"
            )
        moment = at or datetime.now(UTC)
        made = [Decision(moment, by, kind, change_id, note) for change_id in dict.fromkeys(change_ids)]
        self._append(made, create=create)
        return made

    def expect(
        self,
        program: str,
        field: str,
        note: str,
        by: str,
        *,
        scope: Scope | None = None,
        at: datetime | None = None,
        create: bool = True,
        withdraw: bool = False,
    ) -> Decision:
        """Append an expectation (changes of `program` whose field starts with `field`, within `scope`,
        need no review), or with `withdraw` a line that withdraws the expectations of that field."""
        if not _PROGRAM_ID.match(program):
            raise UnknownProgramError(f"not a program id: {program!r} (e.g. 'crest')")
        if not field.strip():
            raise UnknownProgramError("an expectation needs a field, e.g. 'calls' or 'eligibility'")
        moment = at or datetime.now(UTC)
        subject = f"{program} {field.strip()}"
        if withdraw:
            kind = DecisionKind.UNEXPECT
        else:
            kind = DecisionKind.EXPECT
            scope = scope or Scope()
            subject += (
                f" {(scope if scope.until else replace(scope, until=fiscal_year_end(moment))).encode()}"
            )
        made = Decision(moment, by, kind, subject, note)
        self._append([made], create=create)
        return made

    def _append(self, decisions: Sequence[Decision], *, create: bool) -> None:
        if not decisions:
            return
        for decision in decisions:
            if not decision.by.strip() or not decision.note.strip():
                raise ReviewError("a decision needs who made it (--by) and why (--note)")
        if not create and not self.path.is_file():
            raise ReviewError(
                f"{self.path}: there is no ledger here; check --ledger, or pass --create to start one"
            )
        self._create_with_header()
        data = "".join(decision.line() for decision in decisions).encode("utf-8")
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND)  # read: to check the last byte
        try:
            if _lacks_final_newline(descriptor):
                data = b"\n" + data  # a hand edit without one would otherwise glue two lines together
            # One write() of whole lines: with O_APPEND concurrent writers never interleave within it.
            if os.write(descriptor, data) != len(data):
                raise ReviewError(f"{self.path}: the disk is full; the decision was not fully written")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _create_with_header(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return
        try:
            os.write(descriptor, LEDGER_HEADER.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _lacks_final_newline(descriptor: int) -> bool:
    size = os.fstat(descriptor).st_size
    return size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"


def _one_line(text: str) -> str:
    """Tabs and line breaks would break the file's structure: a cell keeps them as spaces."""
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def _parse_line(line: str, path: Path, number: int) -> Decision:
    cells = line.rstrip("\n").split("\t")
    if len(cells) != _COLUMNS:
        raise ReviewError(f"{path}:{number}: expected {_COLUMNS} tab-separated columns, found {len(cells)}")
    moment, by, kind, subject, note = cells
    try:
        return Decision(datetime.fromisoformat(moment), by, DecisionKind(kind), subject, note)
    except ValueError as error:
        raise ReviewError(f"{path}:{number}: not a ledger line ({error})") from None


# -- review state: the one place the ledger is applied ---------------------------------------------


class ReviewStatus(StrEnum):
    PENDING = "pending"  # review-worthy and no decision settles it: it waits for review
    REVIEWED = "reviewed"  # acked or dismissed by a reviewer
    EXPECTED = "expected"  # covered by an expectation: announced, but nobody looked at this change
    INFO = "info"  # not review-worthy (wording only)


class ReviewState:
    """What the ledger says about changes. Every view that counts or marks changes waiting for review
    (run summary, `diff`, `review`, `report`, the HTML index and pages, report.md, exit statuses)
    asks this one object."""

    def __init__(self, decisions: Sequence[Decision] = (), problems: Sequence[str] = ()) -> None:
        self.problems = list(problems)  # ledger lines that could not be read (their decisions do not count)
        self._decided = {d.subject for d in decisions if d.kind in (DecisionKind.ACK, DecisionKind.DISMISS)}
        self._expected = _standing_expectations(decisions)

    @classmethod
    def of(cls, ledger: Ledger | Path | None) -> ReviewState:
        """The state a ledger (or the ledger file at a path) records; None: nothing is reviewed yet."""
        if ledger is None:
            return cls()
        decisions, problems = (ledger if isinstance(ledger, Ledger) else Ledger(ledger)).read()
        return cls(decisions, problems)

    def status(self, change: Change, seen_at: datetime | None = None) -> ReviewStatus:
        """`seen_at`: when the change was found (its snapshot's time; default now), which decides
        whether an expectation with an expiry still covered it."""
        if not change.review:
            return ReviewStatus.INFO
        if self.decided(change):
            return ReviewStatus.REVIEWED
        moment = seen_at or datetime.now(UTC)
        if any(e.covers(change, moment) for e in self._expected):
            return ReviewStatus.EXPECTED
        return ReviewStatus.PENDING

    def decided(self, change: Change) -> bool:
        """Acked or dismissed: by its own id, or, for a change that stands for several (a yearly rollover
        in place of a gone call and an added one, `Change.replaces`), by decisions on every one of them,
        so a rollover reviewed as two changes before the differ joined them stays reviewed. (A call's
        changes folded into one keep the main change's id, so its decision holds as it is.)"""
        if change.id in self._decided:
            return True
        return bool(change.replaces) and all(replaced in self._decided for replaced in change.replaces)

    def is_pending(self, change: Change, seen_at: datetime | None = None) -> bool:
        return self.status(change, seen_at) is ReviewStatus.PENDING

    def pending(self, changes: Iterable[Change], seen_at: datetime | None = None) -> list[Change]:
        """The changes still waiting for review, in the order given."""
        return [change for change in changes if self.is_pending(change, seen_at)]

    def pending_in(self, store: SnapshotStore) -> list[SeenChange]:
        """Every snapshot's changes still waiting, each once (under the snapshot that first showed
        it), oldest first."""
        return [
            item
            for item in first_sightings(store.seen_changes())
            if self.is_pending(item.change, item.created_at)
        ]


def _standing_expectations(decisions: Sequence[Decision]) -> list[Decision]:
    """Expectations not withdrawn by a later `unexpect` of the same program and field."""
    standing: list[Decision] = []
    for decision in decisions:
        if decision.kind is DecisionKind.EXPECT:
            standing.append(decision)
        elif decision.kind is DecisionKind.UNEXPECT:
            key = (decision.program, decision.field)
            standing = [e for e in standing if (e.program, e.field) != key]
    return standing


def first_sightings(seen: Iterable[SeenChange]) -> list[SeenChange]:
    """One entry per change id: the snapshot that first showed it."""
    first: dict[str, SeenChange] = {}
    for item in seen:
        first.setdefault(item.change.id, item)
    return list(first.values())


# -- decisions checked against the snapshots -------------------------------------------------------


def decide(
    ledger: Ledger,
    store: SnapshotStore,
    decision: DecisionKind | str,
    change_ids: Sequence[str],
    note: str,
    by: str,
    *,
    create: bool = True,
) -> list[Decision]:
    """Record an ack or dismiss, refusing ids that no snapshot's changes.json contains."""
    known = {item.change.id for item in store.seen_changes()}
    unknown = [change_id for change_id in change_ids if change_id not in known]
    if unknown:
        listed = ", ".join(unknown)
        raise UnknownChangeError(
            f"no change {listed} in the snapshots under {store.root}; see `ingest review`"
        )
    return ledger.record(decision, change_ids, note, by, create=create)


def expect(
    ledger: Ledger,
    store: SnapshotStore,
    program: str,
    field: str,
    note: str,
    by: str,
    *,
    scope: Scope | None = None,
    create: bool = True,
    withdraw: bool = False,
) -> Decision:
    """Record an expectation (or withdraw one), refusing a program no snapshot knows or a field
    records do not have."""
    latest = store.latest()
    programs = {record.id for record in latest.records} if latest else set()
    programs |= {item.change.program for item in store.seen_changes()}
    if program not in programs:
        raise UnknownProgramError(f"no snapshot under {store.root} has a program {program!r}")
    top = re.split(r"[\[.]", field, maxsplit=1)[0]
    if top not in Program.model_fields:
        known = ", ".join(sorted(Program.model_fields))
        raise UnknownProgramError(f"{field!r} is not a record field (fields: {known})")
    return ledger.expect(program, field, note, by, scope=scope, create=create, withdraw=withdraw)


def reviewer_name(override: str | None = None) -> str:
    """Who is deciding: --by, else `git config user.name`, else $USER."""
    if override and override.strip():
        return override.strip()
    try:
        found = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=10)
        name = found.stdout.strip() if found.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        name = ""
    name = name or os.environ.get("USER", "").strip()
    if not name:
        raise ReviewError("cannot tell who you are: pass --by NAME (or set git's user.name)")
    return name
