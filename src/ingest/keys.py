"""How the items of a record's lists are told apart across snapshots: the one keying of calls and
contacts that the differ, the evidence lookup and the merge-free views all share.

Keys are made from canonical text (ingest.normalize.canonical_text), so a re-wrapped label is the
same call. A call is keyed by its label ('#n' when unlabelled, 'label #n' when a label repeats); a
contact by its e-mail address, else its label, else '#n'.

Next year's call has another label ("2026 call for proposals" after "2025 call for proposals"), so it
is another key; `rollover_pairs` tells which gone call a new one replaces (the README's Diffs section
states the rule).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.models import CallPeriod, Contact, Program
from ingest.normalize import canonical_text


def call_keys(labels: Sequence[str | None]) -> list[str]:
    """The key of each call, given the calls' canonical labels in record order."""
    keys: list[str] = []
    taken: set[str] = set()
    for index, label in enumerate(labels):
        key = label or f"#{index + 1}"
        while key in taken:
            key = f"{key} #{index + 1}"
        taken.add(key)
        keys.append(key)
    return keys


def contact_key(email: str | None, label: str | None, index: int) -> str:
    """The key of a contact, given its canonical address and label and its place in the record."""
    return email or label or f"#{index}"


def calls_by_key(program: Program) -> dict[str, CallPeriod]:
    labels = [canonical_text(call.label) if call.label else None for call in program.calls]
    return dict(zip(call_keys(labels), program.calls, strict=True))


def contacts_by_key(program: Program) -> list[tuple[str, Contact]]:
    """(key, contact) pairs in record order (two contacts without address or label never share a key)."""
    return [
        (
            contact_key(
                canonical_text(contact.email) if contact.email else None,
                canonical_text(contact.label) if contact.label else None,
                index,
            ),
            contact,
        )
        for index, contact in enumerate(program.contacts)
    ]


# A year in a label: 2025, FY2025, FY25, 令和7年度 / 令和元年度, R7, H30 (labels are canonical: ASCII digits).
_YEAR = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])"  # 2025, FY2025
    r"|\bFY ?[0-9]{2}\b"  # FY25
    r"|(?:令和|平成) ?(?:[0-9]{1,2}|元)"  # 令和7年度, 令和元年
    r"|\b[RH][0-9]{1,2}\b"  # R7, H30
)
# Any number left, with its ordinal ending: a round or a cycle ("2nd round", "第2回", "Round 3").
_NUMBER = re.compile(r"[0-9]+(?:st|nd|rd|th)?", re.IGNORECASE)


def call_stem(key: str, *, rounds: bool = False) -> str:
    """A call's key with its years masked (and with `rounds`, every other number): two calls whose
    stems are equal differ only by year (or round)."""
    stem = _YEAR.sub("#", key)
    if rounds:
        stem = _NUMBER.sub("#", stem)
    return " ".join(stem.lower().split())


def rollover_pairs(gone: Sequence[str], came: Sequence[str]) -> list[tuple[str, str]]:
    """(gone key, new key) for each call of a program that disappeared while a call labelled the same
    but for its year appeared in the same diff: next year's call replacing this year's. Years first,
    then years and rounds; a pair is made only when exactly one gone and one new call share a stem
    (two of each are ambiguous and stay separate changes). Unlabelled calls ('#n') are never paired."""
    pairs: list[tuple[str, str]] = []
    left = [key for key in gone if not key.startswith("#")]
    right = [key for key in came if not key.startswith("#")]
    for rounds in (False, True):
        stems_gone: dict[str, list[str]] = {}
        stems_came: dict[str, list[str]] = {}
        for key in left:
            stems_gone.setdefault(call_stem(key, rounds=rounds), []).append(key)
        for key in right:
            stems_came.setdefault(call_stem(key, rounds=rounds), []).append(key)
        for stem, keys in stems_gone.items():
            if len(keys) == 1 and len(stems_came.get(stem, [])) == 1:
                pairs.append((keys[0], stems_came[stem][0]))
        paired = {key for pair in pairs for key in pair}
        left = [key for key in left if key not in paired]
        right = [key for key in right if key not in paired]
    return pairs
