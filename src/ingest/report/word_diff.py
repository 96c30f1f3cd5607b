"""A word-level diff of two values for the HTML report: which words only the old or the new side has."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Letters, digit runs, runs of space, single punctuation marks: '03T12' is three tokens, so a moved
# date highlights only the day.
_TOKEN = re.compile(r"[^\W\d_]+|\d+|\s+|[^\w\s]|_")


@dataclass(frozen=True)
class Segment:
    """A run of text on one side of a diff: 'same', 'del' (only in the old value) or 'ins' (only new)."""

    kind: str
    text: str


def word_diff(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """Both sides as segments; words only in `old` are 'del', words only in `new` are 'ins'."""
    before, after = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    old_side: list[Segment] = []
    new_side: list[Segment] = []
    for tag, a_start, a_end, b_start, b_end in _merged_opcodes(matcher.get_opcodes(), before):
        removed, added = "".join(before[a_start:a_end]), "".join(after[b_start:b_end])
        if tag == "equal":
            _append(old_side, "same", removed)
            _append(new_side, "same", added)
        else:
            _append_changed(old_side, "del", removed)
            _append_changed(new_side, "ins", added)
    return old_side, new_side


def _merged_opcodes(
    opcodes: Sequence[tuple[str, int, int, int, int]], before: list[str]
) -> list[tuple[str, int, int, int, int]]:
    """Fold a lone space between two changed words into the change, so 'a b'→'c d' reads as one edit."""
    merged: list[tuple[str, int, int, int, int]] = []
    for index, opcode in enumerate(opcodes):
        tag, a_start, a_end, b_start, b_end = opcode
        between_changes = 0 < index < len(opcodes) - 1 and opcodes[index + 1][0] != "equal"
        if tag == "equal" and between_changes and "".join(before[a_start:a_end]).isspace():
            tag = "replace"
        if merged and tag != "equal" and merged[-1][0] != "equal":
            previous = merged.pop()
            opcode = ("replace", previous[1], a_end, previous[3], b_end)
        else:
            opcode = (tag, a_start, a_end, b_start, b_end)
        merged.append(opcode)
    return merged


def _append_changed(side: list[Segment], kind: str, text: str) -> None:
    """Spaces around a changed run stay outside the mark, so only words are struck or inserted."""
    core = text.strip()
    start = text.index(core) if core else len(text)
    _append(side, "same", text[:start])
    _append(side, kind, core)
    _append(side, "same", text[start + len(core) :])


def _append(side: list[Segment], kind: str, text: str) -> None:
    if not text:
        return
    if side and side[-1].kind == kind:
        side[-1] = Segment(kind, side[-1].text + text)
    else:
        side.append(Segment(kind, text))
