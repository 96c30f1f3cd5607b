"""How much a change matters to an overseas applicant: one ordered rule table, first match wins.

The rules look only at a change's category, path and old/new values, so the same change
always gets the same severity, whether it was just computed or read back from a changes.json.

Why the levels are what they are:

- critical: the applicant loses time they thought they had (a deadline moved earlier).
- high: the applicant may lose the chance to apply or act on wrong information: a call gone, a
  dated call that is now undated, eligibility narrowed, a program added or removed, the extractor
  lost a field, two sources disagree.
  A new call replacing the old one (the yearly rollover) is high too: a whole new deadline, with
  no earlier value of the same call to compare it with, that applicants will act on.
- medium: still worth a reviewer's look but not harmful if noticed late: a deadline extended, a call
  added, a call's printed text reworded with its dates unchanged (a date change carries its text
  change with it, see ingest.diff), eligibility reworded, a contact or website changed.
- low: wording only (category `other`).

Call guidelines (category `document`): a guideline removed is high, since the authoritative call
text is gone (the call may have been withdrawn, or replaced by a file under another address that
must be read); a guideline revised (new bytes) or newly linked is medium: its text, perhaps its
deadline, changed and needs reading, and a moved deadline is reported on its own as a conflict
with the call page or a deadline change.

Eligibility narrowing is a heuristic on the text, see `eligibility_narrowed`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ingest.models import JAPAN, CallStatus, Change, ChangeCategory, Severity

# Words that, when the new eligibility text uses them more often than the old one, mean a new
# condition or exclusion was added. Multi-word phrases are matched as phrases.
RESTRICTIVE_TERMS: tuple[str, ...] = (
    "must",
    "only",
    "solely",
    "exclusively",
    "not",
    "cannot",
    "never",
    "no longer",
    "required",
    "require",
    "requires",
    "requirement",
    "mandatory",
    "limited",
    "restricted",
    "ineligible",
    "excluded",
    "except",
    "prohibited",
    "at least",
    "at most",
    "no more than",
    "no later than",
    "within",
    "under the age",
)
_RESTRICTIVE = re.compile(
    r"\b(?:" + "|".join(re.escape(term).replace(r"\ ", r"\s+") for term in RESTRICTIVE_TERMS) + r")\b",
    re.IGNORECASE,
)
# A rewrite that keeps at most this share of the old words (and the old text was long enough for the
# share to mean something) most likely dropped eligible groups or countries from a list.
SHORTER_SHARE = 0.5
SHORTER_MIN_OLD_WORDS = 12
# Call statuses under which an applicant has no date to work towards.
_UNDATED = frozenset({CallStatus.TBD, CallStatus.UNPARSED, CallStatus.CLOSED})


@dataclass(frozen=True)
class Rule:
    """One line of the table: when `applies` is true of a change, it has `severity` (`why` says why)."""

    severity: Severity
    why: str
    applies: Callable[[Change], bool]


# -- predicates ----------------------------------------------------------------------------------


def _category_is(*categories: ChangeCategory) -> Callable[[Change], bool]:
    wanted = frozenset(categories)
    return lambda change: ChangeCategory(change.category) in wanted


def _call_attribute(change: Change) -> str | None:
    """['calls', '2025 call', 'closes'] → 'closes'; a whole call (['calls', '2025 call']) → '';
    not a call → None."""
    path = change.path
    if len(path) < 2 or path[0] != "calls" or ChangeCategory(change.category) is not ChangeCategory.DEADLINE:
        return None
    return str(path[2]) if len(path) > 2 else ""


def deadline_moment(value: Any) -> datetime | None:
    """A closes/opens value as an aware datetime; a bare date counts to the end of that day in Japan."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value.strip()) == 10 else datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=JAPAN)
    if isinstance(value, date):
        # The source gave only the day, so the call is open all of it.
        return datetime.combine(value, time(23, 59, 59), tzinfo=JAPAN)
    return None


def deadline_shift(change: Change) -> timedelta | None:
    """How far a call's closing moment moved (negative: earlier), when both ends are known."""
    if _call_attribute(change) != "closes":
        return None
    before, after = deadline_moment(change.old), deadline_moment(change.new)
    return after - before if before and after else None


def closes_earlier(change: Change) -> bool:
    shift = deadline_shift(change)
    return shift is not None and shift < timedelta(0)


def call_replaced(change: Change) -> bool:
    """A new call in place of a gone one (ingest.diff's rollover): a whole call on both sides, with
    different labels."""
    old, new = change.old, change.new
    return (
        _call_attribute(change) == ""
        and isinstance(old, dict)
        and isinstance(new, dict)
        and old.get("label") != new.get("label")
    )


def closes_later(change: Change) -> bool:
    shift = deadline_shift(change)
    return shift is not None and shift > timedelta(0)


def call_added(change: Change) -> bool:
    return _call_attribute(change) == "" and change.old is None and change.new is not None


def text_reworded(change: Change) -> bool:
    """The printed text of a call changed. Since the differ folds it into a date change of the same
    call, alone it means the dates stayed; changes stored before the fold may have both apart."""
    return _call_attribute(change) == "raw"


def call_removed(change: Change) -> bool:
    return _call_attribute(change) == "" and change.old is not None and change.new is None


def closes_removed(change: Change) -> bool:
    return _call_attribute(change) == "closes" and change.old is not None and change.new is None


def call_undated(change: Change) -> bool:
    return (
        _call_attribute(change) == "status"
        and change.old == CallStatus.DATED
        and isinstance(change.new, str)
        and change.new in _UNDATED
    )


def restrictive_terms(text: str) -> Counter[str]:
    """How often each restrictive term occurs ('Must', 'must' and 'must\\n' count as one term)."""
    return Counter(" ".join(found.lower().split()) for found in _RESTRICTIVE.findall(text))


def eligibility_narrowed(change: Change) -> bool:
    """Heuristic: the new text uses some restrictive term more often than the old one did (a new
    'must', 'only', 'not'…), or keeps at most half of the words of a text of 12 words or more."""
    if ChangeCategory(change.category) is not ChangeCategory.ELIGIBILITY:
        return False
    old, new = _text(change.old), _text(change.new)
    before, after = restrictive_terms(old), restrictive_terms(new)
    if any(after[term] > before[term] for term in after):
        return True
    old_words, new_words = len(old.split()), len(new.split())
    return old_words >= SHORTER_MIN_OLD_WORDS and new_words <= old_words * SHORTER_SHARE


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _always(change: Change) -> bool:
    return True


# -- the table ------------------------------------------------------------------------------------

_lost_by_extractor = _category_is(ChangeCategory.EXTRACTION)
_program_added_or_removed = _category_is(ChangeCategory.ADDED, ChangeCategory.REMOVED)
_sources_disagree = _category_is(ChangeCategory.CONFLICT)


def document_removed(change: Change) -> bool:
    return ChangeCategory(change.category) is ChangeCategory.DOCUMENT and change.new is None


RULES: tuple[Rule, ...] = (
    Rule(Severity.HIGH, "the extractor lost a field it found before", _lost_by_extractor),
    Rule(Severity.CRITICAL, "a deadline moved earlier", closes_earlier),
    Rule(Severity.HIGH, "a new call replaces the old one: a new deadline to check", call_replaced),
    Rule(Severity.HIGH, "a call is gone", call_removed),
    Rule(Severity.HIGH, "a call lost its closing date", closes_removed),
    Rule(Severity.HIGH, "a dated call is now undated or closed", call_undated),
    Rule(Severity.HIGH, "eligibility narrowed (new conditions, or much shorter)", eligibility_narrowed),
    Rule(Severity.HIGH, "a program was added or removed", _program_added_or_removed),
    Rule(Severity.HIGH, "sources disagree on a review-worthy field", _sources_disagree),
    Rule(Severity.HIGH, "a call guideline is no longer linked", document_removed),
    Rule(Severity.MEDIUM, "a call guideline was revised or added", _category_is(ChangeCategory.DOCUMENT)),
    Rule(Severity.MEDIUM, "a deadline moved later", closes_later),
    Rule(Severity.MEDIUM, "a call was added", call_added),
    Rule(Severity.MEDIUM, "a call's printed text changed", text_reworded),
    Rule(Severity.MEDIUM, "a call's dates or status changed", _category_is(ChangeCategory.DEADLINE)),
    Rule(Severity.MEDIUM, "eligibility reworded", _category_is(ChangeCategory.ELIGIBILITY)),
    Rule(Severity.MEDIUM, "a contact changed", _category_is(ChangeCategory.CONTACT)),
    Rule(Severity.MEDIUM, "the website or a link changed", _category_is(ChangeCategory.WEBSITE)),
    Rule(Severity.LOW, "wording only", _always),
)

SEVERITY_ORDER: tuple[Severity, ...] = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def rule_for(change: Change) -> Rule:
    """The first rule of the table that applies (the last one always does)."""
    return next(rule for rule in RULES if rule.applies(change))


def severity_of(change: Change) -> Severity:
    return rule_for(change).severity


def reason(change: Change) -> str:
    """Why a change has the severity stored with it, in words ('' when today's rules would score it
    otherwise: the stored severity stands, and is what every view shows)."""
    rule = rule_for(change)
    return rule.why if rule.severity == change.severity else ""


def severity_rank(severity: Severity | str) -> int:
    """0 for critical … 3 for low: sorts most severe first."""
    return SEVERITY_ORDER.index(Severity(severity))
