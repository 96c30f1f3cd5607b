"""How the items of a record's lists are told apart across snapshots: the one keying of calls and
contacts that the differ, the evidence lookup and the merge-free views all share.

Keys are made from canonical text (ingest.normalize.canonical_text), so a re-wrapped label is the
same call. A call is keyed by its label ('#n' when unlabelled, 'label #n' when a label repeats); a
contact by its e-mail address, else its label, else '#n'.
"""

from __future__ import annotations

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
