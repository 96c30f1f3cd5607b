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

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from ingest.errors import IngestError
from ingest.models import Change, Program
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


@dataclass(frozen=True)
class Decision:
    """One ledger line."""

    at: datetime
    by: str
    kind: DecisionKind
    subject: str  # a change id, or for an expectation "program field"
    note: str

    @property
    def program(self) -> str:
        return self.subject.partition(" ")[0]

    @property
    def field(self) -> str:
        return self.subject.partition(" ")[2]

    def covers(self, change: Change) -> bool:
        """Whether this decision settles `change`."""
        if self.kind is DecisionKind.EXPECT:
            return change.program == self.program and field_matches(self.field, change.field)
        return change.id == self.subject

    def line(self) -> str:
        moment = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        cells = [moment, self.by, str(self.kind), self.subject, self.note]
        return "\t".join(_one_line(cell) for cell in cells) + "\n"


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
    ) -> list[Decision]:
        """Append an ack or dismiss line for each change id (ids are checked for shape only here)."""
        kind = DecisionKind(decision)
        if kind is DecisionKind.EXPECT:
            raise ReviewError("an expectation names a program and a field: use `ingest review expect`")
        bad = [change_id for change_id in change_ids if not _CHANGE_ID.match(change_id)]
        if bad:
            raise UnknownChangeError(f"not a change id: {bad[0]!r} (see `ingest review`)")
        moment = at or datetime.now(UTC)
        made = [Decision(moment, by, kind, change_id, note) for change_id in dict.fromkeys(change_ids)]
        self._append(made)
        return made

    def expect(self, program: str, field: str, note: str, by: str, *, at: datetime | None = None) -> Decision:
        """Append an expectation: changes of `program` whose field starts with `field` need no review."""
        if not _PROGRAM_ID.match(program):
            raise UnknownProgramError(f"not a program id: {program!r} (e.g. 'crest')")
        if not field.strip():
            raise UnknownProgramError("an expectation needs a field, e.g. 'calls' or 'eligibility'")
        made = Decision(at or datetime.now(UTC), by, DecisionKind.EXPECT, f"{program} {field.strip()}", note)
        self._append([made])
        return made

    def _append(self, decisions: Sequence[Decision]) -> None:
        if not decisions:
            return
        for decision in decisions:
            if not decision.by.strip() or not decision.note.strip():
                raise ReviewError("a decision needs who made it (--by) and why (--note)")
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
    REVIEWED = "reviewed"  # acked, dismissed, or covered by an expectation
    INFO = "info"  # not review-worthy (wording only)


class ReviewState:
    """What the ledger says about changes. Every view that counts or marks changes waiting for review
    (run summary, `diff`, `review`, `report`, the HTML index and pages, report.md, exit statuses)
    asks this one object."""

    def __init__(self, decisions: Sequence[Decision] = (), problems: Sequence[str] = ()) -> None:
        self.problems = list(problems)  # ledger lines that could not be read (their decisions do not count)
        self._decided = {d.subject for d in decisions if d.kind is not DecisionKind.EXPECT}
        self._expected = [d for d in decisions if d.kind is DecisionKind.EXPECT]

    @classmethod
    def of(cls, ledger: Ledger | Path | None) -> ReviewState:
        """The state a ledger (or the ledger file at a path) records; None: nothing is reviewed yet."""
        if ledger is None:
            return cls()
        decisions, problems = (ledger if isinstance(ledger, Ledger) else Ledger(ledger)).read()
        return cls(decisions, problems)

    def status(self, change: Change) -> ReviewStatus:
        if not change.review:
            return ReviewStatus.INFO
        if change.id in self._decided or any(e.covers(change) for e in self._expected):
            return ReviewStatus.REVIEWED
        return ReviewStatus.PENDING

    def is_pending(self, change: Change) -> bool:
        return self.status(change) is ReviewStatus.PENDING

    def pending(self, changes: Iterable[Change]) -> list[Change]:
        """The changes still waiting for review, in the order given."""
        return [change for change in changes if self.is_pending(change)]

    def pending_in(self, store: SnapshotStore) -> list[SeenChange]:
        """Every snapshot's changes still waiting, each once (under the snapshot that first showed
        it), oldest first."""
        return [item for item in first_sightings(store.seen_changes()) if self.is_pending(item.change)]


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
) -> list[Decision]:
    """Record an ack or dismiss, refusing ids that no snapshot's changes.json contains."""
    known = {item.change.id for item in store.seen_changes()}
    unknown = [change_id for change_id in change_ids if change_id not in known]
    if unknown:
        listed = ", ".join(unknown)
        raise UnknownChangeError(
            f"no change {listed} in the snapshots under {store.root}; see `ingest review`"
        )
    return ledger.record(decision, change_ids, note, by)


def expect(ledger: Ledger, store: SnapshotStore, program: str, field: str, note: str, by: str) -> Decision:
    """Record an expectation, refusing a program no snapshot knows or a field records do not have."""
    latest = store.latest()
    programs = {record.id for record in latest.records} if latest else set()
    programs |= {item.change.program for item in store.seen_changes()}
    if program not in programs:
        raise UnknownProgramError(f"no snapshot under {store.root} has a program {program!r}")
    top = re.split(r"[\[.]", field, maxsplit=1)[0]
    if top not in Program.model_fields:
        known = ", ".join(sorted(Program.model_fields))
        raise UnknownProgramError(f"{field!r} is not a record field (fields: {known})")
    return ledger.expect(program, field, note, by)


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
