"""Compare two sets of program records field by field and say which changes need review.

Programs are matched by id. Each record is first put in comparable form: volatile fields dropped,
every string canonicalised (so wrapping, whitespace, quote/dash styles and full-width forms are
not changes), and lists keyed by identity (contacts by address, calls by label, string lists as
sets) so that a reordering is not a change either. deepdiff then walks the two forms.

Identity first: most programs do not change between two runs, and deepdiff is by far the dearest
step, so a pair is handed to it only when it can differ. Two records with the same content hash
(`content_hash`: their stored values, volatile fields left out) have the same comparable form and so
no changes; a pair whose comparable forms are equal (only cosmetic differences) has none either. The
output is exactly what comparing every pair would give (tests/test_diff.py checks both ways).

One change per edited call: deepdiff finds each attribute of a call apart (closes, opens, raw text,
precision), but the printed text is the evidence of a date change, not a change of its own. So the
changes of one call are folded into its most severe one (a date before the raw text), which keeps its
own id and carries the others in `also`; a raw text change with no other change of its call stays a
change of its own. A yearly rollover (a call gone and a call labelled the same but for its year new,
in the same program: ingest.keys.rollover_pairs) is one "new call replaces old" change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ingest.bulk import no_cycle_collection
from ingest.evidence import evidence_for
from ingest.keys import call_keys, contact_key, rollover_pairs
from ingest.models import VOLATILE_FIELDS, Change, ChangeCategory, FoldedValue, Program
from ingest.normalize import canonical
from ingest.severity import severity_of, severity_rank

if TYPE_CHECKING:
    from deepdiff import DeepDiff
    from deepdiff.model import DiffLevel

# Which top-level field a change falls under decides its category (and so whether it needs review).
FIELD_CATEGORIES: dict[str, ChangeCategory] = {
    "calls": ChangeCategory.DEADLINE,
    "eligibility": ChangeCategory.ELIGIBILITY,
    "contacts": ChangeCategory.CONTACT,
    "website": ChangeCategory.WEBSITE,
    "links": ChangeCategory.WEBSITE,
    "conflicts": ChangeCategory.CONFLICT,
    "documents": ChangeCategory.DOCUMENT,
}
_SET_FIELDS = ("agencies", "categories", "links", "notes")
# A value here going from something to nothing means the extractor lost it (conflicts may resolve).
_EXTRACTED_FIELDS = ("calls", "eligibility", "contacts", "website", "links")


def diff_programs(old: Iterable[Program], new: Iterable[Program]) -> list[Change]:
    """Every change from `old` to `new`, programs in id order, fields in record order."""
    before = {program.id: program for program in old}
    after = {program.id: program for program in new}
    changes: list[Change] = []
    with no_cycle_collection():
        for program_id in sorted(before.keys() | after.keys()):
            if program_id not in after:
                changes.append(_whole(before[program_id], None, ChangeCategory.REMOVED))
            elif program_id not in before:
                changes.append(_whole(None, after[program_id], ChangeCategory.ADDED))
            else:
                changes.extend(_changed_pair(before[program_id], after[program_id]))
    return changes


def _changed_pair(old: Program, new: Program) -> list[Change]:
    """The changes of one program, identity first: deepdiff only for a pair that can differ."""
    if content_hash(old) == content_hash(new):
        return []
    left, right = comparable(old), comparable(new)
    if canonical_hash(left) == canonical_hash(right):
        return []
    return _compare(old, new, left, right)


def content_hash(program: Program) -> str:
    """A hash of what the differ compares, before canonicalization: the record's JSON without its id
    and volatile fields. Equal hashes mean equal comparable forms (they are made from that JSON); a
    pair with unequal hashes may still be equal once canonical (a re-wrapped line)."""
    return hashlib.sha256(program.model_dump_json(exclude=_NOT_COMPARED).encode()).hexdigest()


def canonical_hash(form: dict[str, Any]) -> str:
    """A hash of a comparable form. JSON tells apart what == would not and deepdiff does (1, 1.0, True),
    so equal hashes mean deepdiff finds nothing."""
    blob = json.dumps(form, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


_NOT_COMPARED = set(VOLATILE_FIELDS) | {"id"}


def diff_program(old: Program, new: Program) -> list[Change]:
    """The changes of one program, always walked by deepdiff (the reference `diff_programs` must equal)."""
    return _compare(old, new, comparable(old), comparable(new))


def deep_diff(left: dict[str, Any], right: dict[str, Any]) -> DeepDiff:
    """The one call into deepdiff (a seam: tests count the pairs that reach it). Imported here: a run or
    diff in which no program changed never needs it (~50 ms of start-up)."""
    from deepdiff import DeepDiff

    return DeepDiff(left, right, view="tree", verbose_level=2)


def _compare(old: Program, new: Program, left: dict[str, Any], right: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    left.pop("documents", None), right.pop("documents", None)  # compared whole, by their bytes
    for field in left:
        if field not in _EXTRACTED_FIELDS or left[field] in (None, {}, ""):
            continue
        if right[field] in (None, {}, ""):
            # Present before, absent now: the extractor lost it. Never report that as a removal.
            changes.append(
                make_change(
                    old,
                    new,
                    ChangeCategory.EXTRACTION,
                    [field],
                    left[field],
                    None,
                    detail=f"'{field}' was no longer found by the extractor; check the source's layout",
                )
            )
            right[field] = left[field]  # so the same loss is not reported again leaf by leaf
    changes += _leaf_changes(old, new, _leaves(deep_diff(left, right)))
    changes = _one_change_per_call(_rollovers(old, new, _calls_one_by_one(old, new, left, right, changes)))
    changes.extend(_document_changes(old, new))
    return changes


def _leaf_changes(old: Program, new: Program, levels: list[DiffLevel]) -> list[Change]:
    changes: list[Change] = []
    documents = _document_link_urls(old, new)
    for level in levels:
        path = level.path(output_format="list")
        field = path[0]
        if field == "links" and len(path) == 2 and path[1] in documents:
            continue  # the guideline added or removed is its own `document` change: one change, not two
        category = FIELD_CATEGORIES.get(field, ChangeCategory.OTHER)
        old_value = None if _absent(level.t1) else level.t1
        new_value = None if _absent(level.t2) else level.t2
        if field in _SET_FIELDS and len(path) == 2:  # set members: report the member, not its marker
            old_value, new_value = (
                path[1] if value is not None else None for value in (old_value, new_value)
            )
        changes.append(make_change(old, new, category, path, old_value, new_value))
    return changes


def _calls_one_by_one(
    old: Program, new: Program, left: dict[str, Any], right: dict[str, Any], changes: list[Change]
) -> list[Change]:
    """deepdiff reports a mapping that shares few keys as one replaced whole (['calls']: a page's only
    call replaced by next year's). When that whole holds a rollover, its calls are compared one by one
    instead; each part `replaces` the whole (a decision on it still settles them). Otherwise the whole
    stays as it is, and so does its id."""
    whole = next((c for c in changes if c.path == ["calls"] and c.old and c.new), None)
    if whole is None:
        return changes
    from deepdiff import DeepDiff  # not deep_diff: that seam counts the pairs compared, once each

    deeper = DeepDiff(
        {"calls": left["calls"]},
        {"calls": right["calls"]},
        view="tree",
        verbose_level=2,
        threshold_to_diff_deeper=0,
    )
    parts = _leaf_changes(old, new, _leaves(deeper))
    gone = [str(c.path[1]) for c in parts if len(c.path) == 2 and c.new is None]
    came = [str(c.path[1]) for c in parts if len(c.path) == 2 and c.old is None]
    if not rollover_pairs(gone, came):
        return changes
    at = changes.index(whole)
    parts = [part.model_copy(update={"replaces": [whole.id]}) for part in parts]
    return [*changes[:at], *parts, *changes[at + 1 :]]


# Which attribute of a call speaks for it when several changed (after severity): a date before its
# printed text, the printed text before what was derived from it (precision, warnings, source).
_CALL_ATTRIBUTES = ("closes", "opens", "status", "raw")


def _one_change_per_call(changes: list[Change]) -> list[Change]:
    """The attribute changes of each call folded into one, in the place of its main change."""
    by_call: dict[str, list[Change]] = {}
    for change in changes:
        if change.category == ChangeCategory.DEADLINE and len(change.path) > 2 and change.path[0] == "calls":
            by_call.setdefault(str(change.path[1]), []).append(change)
    replacement: dict[int, Change | None] = {}  # id(change) → what stands in its place (None: folded)
    for group in by_call.values():
        if len(group) == 1:
            continue
        main = min(group, key=_main_order)
        folded = [
            FoldedValue(attribute=".".join(map(str, c.path[2:])), old=c.old, new=c.new, id=c.id)
            for c in group
            if c is not main
        ]
        replacement.update({id(c): None for c in group})
        replacement[id(main)] = main.model_copy(update={"also": folded})
    return _replaced(changes, replacement)


def _replaced(changes: list[Change], replacement: dict[int, Change | None]) -> list[Change]:
    """`changes` in order, each replaced as `replacement` says (by object identity)."""
    return [found for c in changes if (found := replacement.get(id(c), c)) is not None]


def _main_order(change: Change) -> tuple[int, int]:
    attribute = str(change.path[2])
    rank = _CALL_ATTRIBUTES.index(attribute) if attribute in _CALL_ATTRIBUTES else len(_CALL_ATTRIBUTES)
    return severity_rank(change.severity), rank


def _rollovers(old: Program, new: Program, changes: list[Change]) -> list[Change]:
    """Each call gone and the call that replaces it (ingest.keys.rollover_pairs) as one change, in the
    new call's place: before = the old call, after = the new one, both with their labels."""
    whole = [c for c in changes if c.category == ChangeCategory.DEADLINE and len(c.path) == 2]
    gone = {str(c.path[1]): c for c in whole if c.old is not None and c.new is None}
    came = {str(c.path[1]): c for c in whole if c.old is None and c.new is not None}
    pairs = rollover_pairs(list(gone), list(came))
    if not pairs:
        return changes
    replacement: dict[int, Change | None] = {}
    for old_key, new_key in pairs:
        was, now = gone[old_key], came[new_key]
        rollover = make_change(
            old,
            new,
            ChangeCategory.DEADLINE,
            ["calls", new_key],
            {"label": old_key, **was.old},
            {"label": new_key, **now.new},
        )
        # What it stands for: the two changes, or the whole they were split from (_calls_one_by_one).
        replaces = list(dict.fromkeys(was.replaces + now.replaces)) or [was.id, now.id]
        replacement[id(was)] = None
        replacement[id(now)] = rollover.model_copy(
            update={"old_evidence": evidence_for(old, ["calls", old_key]), "replaces": replaces}
        )
    return _replaced(changes, replacement)


def _document_link_urls(old: Program, new: Program) -> set[str]:
    """The links (canonical, as the differ compares them) of the guidelines added or removed."""
    before, after = {d.url for d in old.documents}, {d.url for d in new.documents}
    return {canonical(url) for url in before ^ after}


def _document_changes(old: Program, new: Program) -> list[Change]:
    """A call guideline added, revised (new bytes) or removed: one change each, in URL order. The
    values are the document's title, revision note and hash; the detail names a moved deadline."""
    before = {d.url: d for d in old.documents}
    after = {d.url: d for d in new.documents}
    changes: list[Change] = []
    for url in sorted(before.keys() | after.keys()):
        was, now = before.get(url), after.get(url)
        if was is not None and now is not None and was.sha256 == now.sha256:
            continue
        if was is None and now is not None:
            detail = f"call guideline added: {now.title}"
        elif now is None and was is not None:
            detail = f"call guideline no longer linked: {was.title}"
        else:
            assert was is not None and now is not None
            detail = f"call guideline revised: {now.title}" + (f" {now.revision}" if now.revision else "")
            moved = [
                f"deadline {a.closes.isoformat() if a.closes else 'none'} → "
                f"{b.closes.isoformat() if b.closes else 'none'}"
                for a, b in zip(was.calls, now.calls, strict=False)
                if a.closes != b.closes
            ]
            detail += "; " + ", ".join(moved) if moved else ""
        changes.append(
            make_change(
                old,
                new,
                ChangeCategory.DOCUMENT,
                ["documents", url],
                _document_value(was),
                _document_value(now),
                detail=detail,
            )
        )
    return changes


def _document_value(document: Any) -> dict[str, Any] | None:
    if document is None:
        return None
    return {"title": document.title, "revision": document.revision, "sha256": document.sha256}


def comparable(program: Program) -> dict[str, Any]:
    """The record as the differ sees it."""
    data = canonical(program.model_dump(mode="json", exclude=_NOT_COMPARED))
    for field in _SET_FIELDS:
        data[field] = {item: True for item in data[field]}
    data["contacts"] = {
        contact_key(c["email"], c["label"], index): c for index, c in enumerate(data["contacts"])
    }
    calls = data["calls"]
    data["calls"] = {
        key: {k: v for k, v in call.items() if k != "label"}
        for key, call in zip(call_keys([call["label"] for call in calls]), calls, strict=True)
    }
    data["conflicts"] = {c["field"]: c["values"] for c in data["conflicts"]}
    if "documents" in data:  # only the bytes of a document tell a revision (see _document_changes)
        data["documents"] = {d["url"]: d["sha256"] for d in data["documents"]}
    return data


def make_change(
    before: Program | None,
    after: Program | None,
    category: ChangeCategory,
    path: list[str | int],
    old: Any,
    new: Any,
    *,
    detail: str = "",
) -> Change:
    """A change with its stable id, severity (severity.py's rule table) and the evidence on each side.
    `path`: the keys from the record to the value (deepdiff's list form); [] for a whole program."""
    program = after or before
    assert program is not None
    field = field_name(path)
    change = Change(
        id=change_id(program.id, field, old, new),
        program=program.id,
        program_name=program.name,
        category=category,
        field=field,
        path=path,
        old=old,
        new=new,
        review=category is not ChangeCategory.OTHER,
        detail=detail,
        old_evidence=evidence_for(before, path) if before else [],
        new_evidence=evidence_for(after, path) if after else [],
    )
    change.severity = severity_of(change)
    return change


def change_id(program: str, field: str, old: Any, new: Any) -> str:
    """The same change seen again (in another run or report) has the same id."""
    blob = json.dumps([program, field, old, new], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _whole(before: Program | None, after: Program | None, category: ChangeCategory) -> Change:
    return make_change(
        before, after, category, [], before.name if before else None, after.name if after else None
    )


def _leaves(result: DeepDiff) -> list[DiffLevel]:
    levels: list[DiffLevel] = [level for kind in result.tree for level in result.tree[kind]]
    return sorted(levels, key=lambda level: level.path())


def _absent(value: Any) -> bool:
    return type(value).__name__ == "NotPresent"


def field_name(path: list[str | int]) -> str:
    """The display form of a path, which change ids hash (never change it):
    ['calls', '2025 call for proposals', 'closes'] → 'calls[2025 call for proposals].closes'."""
    if not path:
        return ""
    name = str(path[0])
    for part in path[1:]:
        name += (
            f"[{part}]"
            if path[0] in ("calls", "contacts", "documents", *_SET_FIELDS) and part == path[1]
            else f".{part}"
        )
    return name
