"""The raw text behind a value, per source, so a reviewer can check a change without opening the PDF.

Paths are the differ's (`Change.path`): ['calls', '2025 call for proposals', 'closes'],
['contacts', 'rp-info@jst.go.jp'], ['links', 'https://…'], ['eligibility'], or [] for a whole
program. Keys are in the differ's canonical form and are found with the same keying (ingest.keys).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ingest.keys import calls_by_key, contacts_by_key
from ingest.models import CallPeriod, Contact, Evidence, Program, Provenance
from ingest.normalize import canonical_text


def evidence_for(program: Program, path: Sequence[str | int]) -> list[Evidence]:
    """One Evidence per provenance entry that supplied the value at `path`; [] when the program has
    no such value."""
    top = str(path[0]) if path else ""
    key = str(path[1]) if len(path) > 1 else None
    if top == "documents":
        return _document(program, key)
    text = _snippet(program, top, key)
    if not text:
        return []
    return [
        Evidence(source=entry.source, url=entry.url, pages=list(entry.pages), text=text)
        for entry in _entries_for(program, top, key)
    ]


def _document(program: Program, url: str | None) -> list[Evidence]:
    """A call guideline's evidence: its address, the pages its call period was read from, and the
    revision note printed beside its link."""
    document = next((d for d in program.documents if d.url == url), None)
    if document is None:
        return []
    source = next((p.source for p in program.provenance if p.url == document.linked_from), None)
    text = "\n".join(
        part
        for part in (
            f"{document.title} {document.revision or ''}".strip(),
            *(call.raw for call in document.calls),
        )
        if part
    )
    return [
        Evidence(
            source=source or program.provenance[0].source,
            url=document.url,
            pages=document.evidence.get("calls", []),
            text=text,
        )
    ]


def _entries_for(program: Program, top: str, key: str | None) -> list[Provenance]:
    """The provenance entries that supplied this field (an entry listing no fields supplied them all)."""
    entries = [entry for entry in program.provenance if not top or not entry.fields or top in entry.fields]
    if top == "calls" and key is not None:
        call = calls_by_key(program).get(key)
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
    call = calls_by_key(program).get(key)
    return _call_text(call) if call is not None else ""


def _call_text(call: CallPeriod) -> str:
    """'label: raw', or the raw text alone when it starts with the label (a table row read whole)."""
    if not call.label or canonical_text(call.raw).startswith(canonical_text(call.label)):
        return call.raw
    return f"{call.label}: {call.raw}"


def _contacts(program: Program, key: str | None) -> str:
    return "\n".join(
        _contact_text(contact) for found, contact in contacts_by_key(program) if key is None or found == key
    )


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
