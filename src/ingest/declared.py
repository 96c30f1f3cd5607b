"""The sites' own change logs reconciled with the changes ingest found, run by run.

A page's change log (`Program.declared_updates`: 更新履歴, "Update details", "[Updated …]", "(Last
updated …)") is the site's account of its edits. It is never diffed; each run compares it with the
changes found against the previous snapshot, reading only the two record sets and those changes:

- an entry new since the previous snapshot (dated on or after its day in Japan time, or appearing on a
  page whose log the previous snapshot already read) on a page where no change was found (for any
  program the page describes) is an
  `UndetectedUpdate`: the site declares an update that ingest did not detect (an extraction blind
  spot, or a change inside an attachment). They are stored with the snapshot and listed in the report
  and by `ingest review`, to be checked by hand.
- a review-worthy change of a page's content (deadline, eligibility, contact, website) read from a web
  page with no new entry on that page (or, for a change no page is evidence of, on none of the
  program's pages) is marked in its `detail`: not announced by the site.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from ingest.models import JAPAN, Change, ChangeCategory, DeclaredUpdate, Program, UndetectedUpdate
from ingest.normalize import canonical_text

NOT_ANNOUNCED = "not announced by the site: no new entry in the page's change log"
# The categories of a change to what a page says (not a whole program, an extraction problem or a
# disagreement between sources).
_ANNOUNCEABLE = frozenset(
    {ChangeCategory.DEADLINE, ChangeCategory.ELIGIBILITY, ChangeCategory.CONTACT, ChangeCategory.WEBSITE}
)


def reconcile(
    previous: Iterable[Program],
    previous_at: datetime,
    records: Iterable[Program],
    changes: Sequence[Change],
) -> tuple[list[Change], list[UndetectedUpdate]]:
    """The changes (those not announced marked so) and the declared updates no change accounts for."""
    before = {program.id: program for program in previous}
    since = previous_at.astimezone(JAPAN).date()
    fresh: dict[str, list[DeclaredUpdate]] = {}
    for program in records:
        old = before.get(program.id)
        if old is not None:
            fresh[program.id] = _new_entries(old, program, since)
    # The pages on which something changed, for any program: a page shared by several programs (JST's
    # call page for CREST and PRESTO) announces one program's change to all of them.
    changed_pages = {url for change in changes for url in _evidence_urls(change)}
    unlocated = {change.program for change in changes if not _evidence_urls(change)}
    marked = [_marked(change, fresh.get(change.program, [])) for change in changes]
    undetected = [
        UndetectedUpdate(
            program=program.id, program_name=program.name, date=entry.date, text=entry.text, url=entry.url
        )
        for program in sorted(records, key=lambda p: p.id)
        for entry in fresh.get(program.id, [])
        if entry.url not in changed_pages and program.id not in unlocated
    ]
    return marked, undetected


def _key(entry: DeclaredUpdate) -> tuple[str, str, str | None]:
    return entry.date.isoformat(), canonical_text(entry.text), entry.url


def _new_entries(old: Program, new: Program, since: date) -> list[DeclaredUpdate]:
    """The entries of `new` the previous record did not have: dated on or after the previous snapshot's
    day, or on a page whose change log was already read then (an entry posted with an earlier date).
    Entries of a page read for the first time and dated before are old news, not updates."""
    known = {_key(entry) for entry in old.declared_updates}
    read_before = {entry.url for entry in old.declared_updates}
    return [
        entry
        for entry in new.declared_updates
        if _key(entry) not in known and (entry.date >= since or entry.url in read_before)
    ]


def _evidence_urls(change: Change) -> set[str]:
    return {e.url for e in [*change.old_evidence, *change.new_evidence] if e.url}


def _marked(change: Change, fresh: list[DeclaredUpdate]) -> Change:
    if not change.review or ChangeCategory(change.category) not in _ANNOUNCEABLE:
        return change
    urls = _evidence_urls(change)
    if not urls:
        return change  # read from the reference document only: no site change log could announce it
    if any(entry.url in urls for entry in fresh):
        return change
    detail = f"{change.detail}; {NOT_ANNOUNCED}" if change.detail else NOT_ANNOUNCED
    return change.model_copy(update={"detail": detail})
