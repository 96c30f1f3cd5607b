"""Change values as text: one shortener for every view, and the readable form of calls and contacts."""

from __future__ import annotations

import json
from typing import Any

from ingest.normalize import strip_controls

# Calls and contacts print their keys in this order; other keys follow alphabetically.
_KEY_ORDER = ("label", "raw", "opens", "closes", "status", "email", "phone", "address")


def value_text(value: Any, width: int | None = None) -> str:
    """A value on one line: '∅' for none, JSON for structures, whitespace collapsed, and at most
    `width` characters (the last one '…' when shortened)."""
    if value is None:
        return "∅"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = " ".join(strip_controls(text).split())
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def display_value(value: Any) -> str:
    """A change's old/new value as readable text: a call or contact one 'key: value' per line."""
    if value is None:
        return ""
    if isinstance(value, dict) and value and all(isinstance(item, dict) for item in value.values()):
        # A keyed collection (all contacts, all calls): one item a line.
        return "\n".join(_pairs(item, "; ") for item in value.values())
    if isinstance(value, dict):
        return _pairs(value, "\n")
    if isinstance(value, list | tuple):
        return "; ".join(display_value(item) for item in value)
    return str(value)


def _pairs(value: dict[str, Any], separator: str) -> str:
    keys = sorted(
        value, key=lambda key: (_KEY_ORDER.index(key) if key in _KEY_ORDER else len(_KEY_ORDER), key)
    )
    shown = (key for key in keys if value[key] not in (None, "", [], {}, False))
    return separator.join(f"{key}: {display_value(value[key])}" for key in shown)
