"""Records for the same program from several sources → one record with per-source provenance."""

from __future__ import annotations

from collections.abc import Iterable

from ingest.models import Program

_UNION_FIELDS = ("agencies", "categories", "links", "notes")


def merge_records(records: Iterable[Program]) -> list[Program]:
    """One record per id, in id order. Earlier sources win a field; list fields are united."""
    merged: dict[str, Program] = {}
    for record in records:
        if record.id not in merged:
            merged[record.id] = record.model_copy(deep=True)
            continue
        target = merged[record.id]
        updates: dict[str, object] = {}
        for name in Program.model_fields:
            if name in ("id", "provenance"):
                continue
            mine, theirs = getattr(target, name), getattr(record, name)
            if name in _UNION_FIELDS:
                updates[name] = list(dict.fromkeys([*mine, *theirs]))
            elif mine in (None, "", []) and theirs not in (None, "", []):
                updates[name] = theirs
        updates["provenance"] = [*target.provenance, *record.provenance]
        merged[record.id] = target.model_copy(update=updates)
    return [merged[key] for key in sorted(merged)]
