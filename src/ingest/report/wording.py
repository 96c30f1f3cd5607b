"""A change in plain language, one line: what the pull request body, `ingest review` and the Atom feed
say about it ("deadline moved 7 days later: 3 June 2025 12:00 JST → 10 June 2025 12:00 JST").
Dates are shown in Japan time in words; the JSON outputs keep ISO 8601."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ingest.models import JAPAN, Change, ChangeCategory, UndetectedUpdate
from ingest.report.values import value_text
from ingest.severity import deadline_shift

_WIDTH = 400  # long texts (eligibility) are shown whole up to here, so both sides can be compared
_MOMENTS = ("opens", "closes")
_MEMBERS = {"links": "link", "agencies": "agency", "categories": "category", "notes": "note"}


def describe(change: Change) -> str:
    """What changed, for a person: the kind of change, then old → new in readable form."""
    category = ChangeCategory(change.category)
    path = [str(part) for part in change.path]
    if category is ChangeCategory.ADDED:
        return f"program added: {value_text(change.new)}"
    if category is ChangeCategory.REMOVED:
        return f"program no longer listed (was {value_text(change.old)})"
    if category is ChangeCategory.EXTRACTION:
        return (
            f"the extractor no longer finds its {change.field}; the previous value is kept (check the source)"
        )
    if category is ChangeCategory.DOCUMENT:
        return _document(change, path)
    if category is ChangeCategory.CONFLICT:
        return f"sources disagree on {path[1] if len(path) > 1 else 'a field'}: {_conflict(change)}"
    if path[:1] == ["calls"] and len(path) >= 2:
        return _call(change, path)
    if path[:1] == ["contacts"] and len(path) >= 2:
        return _contact(change, path)
    if len(path) == 2 and path[0] in _MEMBERS:  # a member of a set: a link, an agency, a note
        return f"{_MEMBERS[path[0]]} {_verb(change)}: {value_text(change.new or change.old, _WIDTH)}"
    return f"{change.field or 'program'} {_verb(change)}: {_values(change)}"


def _document(change: Change, path: list[str]) -> str:
    """'call guideline revised [令和8年4月15日修正]: 公募要領 (URL)'; a moved deadline is in the detail."""
    old, new = (value if isinstance(value, dict) else {} for value in (change.old, change.new))
    title = new.get("title") or old.get("title") or ""
    url = path[1] if len(path) > 1 else ""
    if not new:
        return f"call guideline no longer linked: {title} ({url})"
    if not old:
        return f"call guideline added: {title} ({url})"
    note = f" {new['revision']}" if new.get("revision") else ""
    return f"call guideline revised{note}: {title} ({url})"


def moment_text(value: Any) -> str:
    """'3 June 2025 12:00 JST' for a moment, '3 June 2025' for a day; other values as they are."""
    moment = _moment(value)
    if isinstance(moment, datetime):
        local = moment.astimezone(JAPAN)
        return f"{local.day} {local:%B %Y %H:%M} JST"
    if isinstance(moment, date):
        return f"{moment.day} {moment:%B %Y}"
    return value_text(value, _WIDTH)


def _call(change: Change, path: list[str]) -> str:
    label = path[1]
    if len(path) == 2:  # a whole call
        if change.new is None:
            return f"call gone: {label} ({_call_text(change.old)})"
        if change.old is None:
            return f"call added: {label} ({_call_text(change.new)})"
        if isinstance(change.old, dict) and isinstance(change.new, dict):
            return _rollover(change.old, change.new, label)
        return f"call {label} changed: {_call_text(change.old)} → {_call_text(change.new)}"
    return _call_attribute(change, label, path[2]) + "".join(
        f"; {text}" for folded in change.also if (text := _folded(folded.attribute, folded.old, folded.new))
    )


def _rollover(old: dict[str, Any], new: dict[str, Any], label: str) -> str:
    """'new call "FY2026 call" replaces "FY2025 call": closes 20 May 2026 12:00 JST (was closes 3 June
    2025 12:00 JST)'; the printed texts are the change's evidence."""
    before = value_text(old.get("label") or "an earlier call", _WIDTH)
    after = value_text(new.get("label") or label, _WIDTH)
    return f'new call "{after}" replaces "{before}": {_call_dates(new)} (was {_call_dates(old)})'


def _call_dates(value: dict[str, Any]) -> str:
    parts = [f"{key} {moment_text(value[key])}" for key in _MOMENTS if value.get(key)]
    if value.get("status") and value.get("status") != "dated":
        parts.append(str(value["status"]))
    return ", ".join(parts) or "no dates"


def _folded(attribute: str, old: Any, new: Any) -> str:
    """An attribute changed with the call's main change, as a clause ('' for what the main change's
    words already show: the precision of a moment is in how it is written)."""
    if attribute.endswith("_precision"):
        return ""
    if attribute == "raw":
        return f"as printed: {_quoted(old)} → {_quoted(new)}"
    if attribute in _MOMENTS:
        what = "deadline" if attribute == "closes" else "opening date"
        return f"{what}: {moment_text(old) if old else 'none'} → {moment_text(new) if new else 'none'}"
    return f"{attribute}: {value_text(old, _WIDTH)} → {value_text(new, _WIDTH)}"


def _call_attribute(change: Change, label: str, attribute: str) -> str:
    if attribute in _MOMENTS:
        what = "deadline" if attribute == "closes" else "opening date"
        if change.old is None:
            return f"{what} added to {label}: {moment_text(change.new)}"
        if change.new is None:
            return f"{what} of {label} no longer given (was {moment_text(change.old)})"
        shift = deadline_shift(change) if attribute == "closes" else None
        moved = f"moved {shift_words(shift)}" if shift else "changed"
        return f"{what} {moved} ({label}): {moment_text(change.old)} → {moment_text(change.new)}"
    if attribute == "raw":  # alone since the fold: the dates stayed (changes stored before may say less)
        return f"call text of {label} reworded: {_values(change)}"
    return f"{label}: {attribute} {_verb(change)}: {_values(change)}"


def _contact(change: Change, path: list[str]) -> str:
    who = path[1]
    if len(path) == 2:
        if change.new is None:
            return f"contact removed: {_contact_text(change.old) or who}"
        if change.old is None:
            return f"contact added: {_contact_text(change.new) or who}"
    attribute = f" {path[2]}" if len(path) > 2 else ""
    return f"contact {who}{attribute} {_verb(change)}: {_values(change)}"


def _conflict(change: Change) -> str:
    values = change.new if isinstance(change.new, dict) else {}
    if not values:
        return _values(change)
    return "; ".join(f"{source} says {_list_text(value)}" for source, value in sorted(values.items()))


def _verb(change: Change) -> str:
    if change.old is None:
        return "added"
    return "removed" if change.new is None else "changed"


def _values(change: Change) -> str:
    if change.old is None:
        return _quoted(change.new)
    if change.new is None:
        return f"was {_quoted(change.old)}"
    return f"{_quoted(change.old)} → {_quoted(change.new)}"


def _quoted(value: Any) -> str:
    if isinstance(value, dict) and value and all(isinstance(item, dict) for item in value.values()):
        return "; ".join(_quoted(item) for item in value.values())  # a keyed collection: each item
    if isinstance(value, dict):
        return _contact_text(value) or _call_text(value)
    if _moment(value) is not None:
        return moment_text(value)
    return f'"{value_text(value, _WIDTH)}"' if isinstance(value, str) else value_text(value, _WIDTH)


def _call_text(value: Any) -> str:
    if not isinstance(value, dict):
        return value_text(value, _WIDTH)
    parts = [f"{key} {moment_text(value[key])}" for key in _MOMENTS if value.get(key)]
    if value.get("status") and value.get("status") != "dated":
        parts.append(str(value["status"]))
    printed = f'as printed: "{value_text(value["raw"], _WIDTH)}"' if value.get("raw") else ""
    return ", ".join([*parts, printed] if printed else parts) or "no dates"


def _contact_text(value: Any) -> str:
    if not isinstance(value, dict) or not any(value.get(key) for key in ("email", "phone", "address")):
        return ""
    reach = ", ".join(str(value[key]) for key in ("email", "phone", "address") if value.get(key))
    return f"{reach} ({value['label']})" if value.get("label") else reach


def _list_text(value: Any) -> str:
    if isinstance(value, list):
        return " or ".join(moment_text(item) for item in value)
    return moment_text(value)


def _moment(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return None


def shift_words(shift: timedelta) -> str:
    """'7 days later', '3 hours earlier', '1 day 2 hours later'."""
    days, rest = divmod(abs(shift), timedelta(days=1))
    hours = rest // timedelta(hours=1)
    parts = [
        f"{count} {unit}{'s' if count != 1 else ''}"
        for count, unit in ((days, "day"), (hours, "hour"))
        if count
    ]
    return f"{' '.join(parts) or 'minutes'} {'later' if shift > timedelta(0) else 'earlier'}"


def undetected_words(update: UndetectedUpdate) -> str:
    """A change-log entry no detected change accounts for, in plain language."""
    day = f"{update.date.day} {update.date:%B %Y}"
    return (
        f'the site declares an update that ingest did not detect: {day}, "{value_text(update.text, _WIDTH)}"'
    )
