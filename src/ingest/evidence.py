"""The raw text behind a value, per source, so a reviewer can check a change without opening the PDF.

Field paths are the differ's: 'calls[2025 call for proposals].closes', 'contacts[rp-info@jst.go.jp]',
'links[https://…]', 'eligibility', or '' for a whole program. Keys inside brackets are in the
differ's canonical form, so they are matched against canonicalised values here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.models import CallPeriod, Contact, Evidence, Program, Provenance
from ingest.normalize import canonical_text

_PATH = re.compile(r"^(?P<field>[a-z_]+)(?:\[(?P<key>.*)\])?(?:\.(?P<rest>.*))?$")


def evidence_for(program: Program, field: str) -> list[Evidence]:
    """One Evidence per provenance entry that supplied `field`; [] when the program has no such value."""
    top, key = _split(field)
    text = _snippet(program, top, key)
    if not text:
        return []
    return [
        Evidence(source=entry.source, url=entry.url, pages=list(entry.pages), text=text)
        for entry in _entries_for(program, top, key)
    ]


def _split(field: str) -> tuple[str, str | None]:
    """'calls[2025 call].closes' → ('calls', '2025 call'); '' → ('', None)."""
    match = _PATH.match(field)
    if match is None:
        return field, None
    top, key, rest = match.group("field", "key", "rest")
    if top == "conflicts" and key is None and rest:  # the differ writes 'conflicts.eligibility'
        key = rest.split(".")[0]
    return top, key


def _entries_for(program: Program, top: str, key: str | None) -> list[Provenance]:
    """The provenance entries that supplied this field (an entry listing no fields supplied them all)."""
    entries = [entry for entry in program.provenance if not top or not entry.fields or top in entry.fields]
    if top == "calls" and key is not None:
        call = _find_call(program, key)
        if call is not None and call.source is not None:  # merged records say which source stated a call
            entries = [entry for entry in entries if entry.source == call.source] or entries
    return entries or list(program.provenance)


def _snippet(program: Program, top: str, key: str | None) -> str:
    render = _RENDERERS.get(top)
    if render is not None:
        return render(program, key)
    value = getattr(program, top, None)
    if isinstance(value, list):
        return "\n".join(str(item) for item in value if _matches(str(item), key))
    return str(value) if isinstance(value, str | int) else ""


def _whole_program(program: Program, key: str | None) -> str:
    return "\n".join(part for part in (program.name, program.summary) if part)


def _calls(program: Program, key: str | None) -> str:
    if key is None:
        return "\n".join(_call_text(call) for call in program.calls)
    call = _find_call(program, key)
    return _call_text(call) if call is not None else ""


def _call_text(call: CallPeriod) -> str:
    return f"{call.label}: {call.raw}" if call.label else call.raw


def _find_call(program: Program, key: str) -> CallPeriod | None:
    """Keyed as the differ keys calls: canonical label, '#n' when unlabelled, '… #n' when repeated."""
    keyed: dict[str, CallPeriod] = {}
    for index, call in enumerate(program.calls):
        name = canonical_text(call.label) if call.label else f"#{index + 1}"
        while name in keyed:
            name = f"{name} #{index + 1}"
        keyed[name] = call
    return keyed.get(key)


def _contacts(program: Program, key: str | None) -> str:
    return "\n".join(
        _contact_text(contact)
        for index, contact in enumerate(program.contacts)
        if key is None or _contact_key(contact, index) == key
    )


def _contact_key(contact: Contact, index: int) -> str:
    if contact.email:
        return canonical_text(contact.email)
    return canonical_text(contact.label) if contact.label else f"#{index}"


def _contact_text(contact: Contact) -> str:
    reach = ", ".join(part for part in (contact.email, contact.phone, contact.address) if part)
    return f"{contact.label}: {reach}" if contact.label else reach


def _website(program: Program, key: str | None) -> str:
    return program.website or ""


def _conflicts(program: Program, key: str | None) -> str:
    """Each source's value on its own line."""
    return "\n".join(
        f"{conflict.field} per {source}: {value}"
        for conflict in program.conflicts
        if key is None or conflict.field == key
        for source, value in conflict.values.items()
    )


def _matches(item: str, key: str | None) -> bool:
    return key is None or canonical_text(item) == key


_RENDERERS: dict[str, Callable[[Program, str | None], str]] = {
    "": _whole_program,
    "calls": _calls,
    "contacts": _contacts,
    "website": _website,
    "conflicts": _conflicts,
}
