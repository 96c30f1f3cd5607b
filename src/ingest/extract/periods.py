"""Dates and call periods as the funding programs print them, in English and Japanese.

The grammar is one compiled regular expression per format family: dates ("April 10, 2025",
"18 March 2025", "05/25/21 Tue", "2020.Jan.20", "2025/04/10", "令和7年6月13日(金)", "Mid-June, 2021",
"令和7年度末") and times of day ("12:59", "1:00PM", "2 p.m.", "noon", "17時00分", "午後3時", "正午").
Dates and times are found separately; each time then goes to the date it is printed next to, two dates
with a range separator between them ("~", "–", "-", "to", "から") form a period, and a year missing from
one end of a period is taken from the other end, else from the caller's context.

Every result is Japan time: a datetime is aware, in `JAPAN`. A time printed with another zone is converted
to the same instant: abbreviations and names ("CEST", "EDT", "Central European Summer Time", "Bangkok
time") stand for IANA zones read at the date, numeric offsets ("-0400", "UTC+9", ISO "Z") for themselves,
and two renderings side by side ("12:00 CET / 18:00 Bangkok time") must agree. A zone that cannot be
resolved ("XST", an ambiguous "CST") keeps the date at day precision, with a warning naming it: a time is
never taken as Japan time unless it was printed as such or with no zone at all. A value printed without a
time of day is a `datetime.date`, never a midnight datetime. A date printed without a year, and with no
year to borrow, is not a date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, available_timezones

from ingest.models import JAPAN, CallPeriod, CallStatus, Precision
from ingest.normalize import clean_text

__all__ = [
    "ParsedMoment",
    "ParsedPeriod",
    "call_period",
    "find_moments",
    "fiscal_year_bounds",
    "parse_fiscal_year",
    "parse_moment",
    "parse_period",
]


@dataclass(frozen=True)
class ParsedMoment:
    """One date, with its time of day when one was printed."""

    value: date | datetime  # a datetime is aware, +09:00
    precision: Precision
    span: tuple[int, int]  # where in the input text it was found (date and attached time together)


@dataclass(frozen=True)
class ParsedPeriod:
    """A call period read from text: its ends (either may be unknown), status and doubts."""

    opens: ParsedMoment | None
    closes: ParsedMoment | None
    status: CallStatus
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------------------------------
# Vocabulary

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
_WEEKDAY_WORDS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues|thurs|thur|mon|tue|wed|thu|fri|sat|sun"
)
_WEEKDAY_INDEX = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6,
}  # fmt: skip
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ERA_START = {"令和": 2019, "平成": 1989, "昭和": 1926}  # the Gregorian year of each era's year 1 (元年)
_ERA = "令和|平成|昭和"
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}  # "R5.6.30", "H30.4.2", "R5年6月30日"
_ANY_ERA = rf"(?:{_ERA}|(?<![A-Za-z])[RHS](?=\s*(?:元|\d)))"
_YEAR4 = r"(?P<year>(?:19|20)\d{2})(?!\d)"

# Where in its month a vague date sits: representative day "first", "mid" (15th) or "last".
_PARTS = {
    "early": "first", "beginning of": "first", "the beginning of": "first", "start of": "first",
    "mid": "mid", "middle of": "mid", "late": "last", "end of": "last", "the end of": "last",
    "上旬": "first", "初旬": "first", "初め": "first", "中旬": "mid", "下旬": "last", "末": "last",
}  # fmt: skip
_PART_DAY_RANK = {"first": 1, "mid": 15, "last": 31}


def _weekday_word(name: str) -> str:
    return rf"(?P<{name}>(?<![a-z])(?:{_WEEKDAY_WORDS})(?![a-z])\.?)"


def _weekday_bracket(name: str) -> str:
    """'(Thu)', '(Tue.)', '(金)', '(金曜日)', '(月・祝)' after a date; the weekday itself is captured."""
    return (
        rf"\s*[(\[]\s*(?P<{name}>(?:{_WEEKDAY_WORDS})(?![a-z])\.?|[月火水木金土日](?:曜日?)?)"
        r"(?:\s*[・,、]\s*[祝休]日?)?\s*[)\]]"
    )


# --------------------------------------------------------------------------------------------------
# Date families: each regex comes with the function that turns its match into a _DateToken.

_EN_MONTH_FIRST = re.compile(  # "April 30, 2020(Thu)", "Tuesday April 5 (Mon.)", "June 8 (Tue.), 2021"
    rf"(?:{_weekday_word('wd_lead')},?\s+)?(?<![a-z]){_MONTH}\s*(?P<day>\d{{1,2}})(?![\d:])(?:\s?(?:st|nd|rd|th))?(?![a-z])"
    rf"(?:{_weekday_bracket('wd_a')})?(?:\s*,?\s*{_YEAR4})?(?:{_weekday_bracket('wd_b')})?",
    re.I,
)
_EN_DAY_FIRST = re.compile(  # "18 March 2025", "25th May, 2021", "3th July, 2024", "16 Apr 2024"
    rf"(?:{_weekday_word('wd_lead')},?\s+)?(?<![\d:./])(?P<day>\d{{1,2}})(?!\d)(?:\s?(?:st|nd|rd|th)(?![a-z]))?(?:\s+of)?[\s-]*"
    rf"{_MONTH}(?:[\s,-]*{_YEAR4})?(?:{_weekday_bracket('wd_a')})?",
    re.I,
)
_EN_MONTH_YEAR = re.compile(  # "End of March 2025", "Mid-June, 2021", "Early May", "March 2024"
    r"(?<![a-z])(?:(?P<part>early|mid|middle of|late|(?:the\s+)?end\s+of|(?:the\s+)?beginning\s+of"
    r"|start\s+of)"
    rf"[\s-]*)?(?<![a-z]){_MONTH}(?:\s*,?\s*{_YEAR4})?",
    re.I,
)
_EN_DOTTED = re.compile(  # "2020.Jan.20 Fri", "2020.April.10 Fri"
    rf"(?<![\d.]){_YEAR4}[.\s/-]\s*{_MONTH}[.\s/-]*(?P<day>\d{{1,2}})(?![\d:])"
    rf"(?:{_weekday_bracket('wd_a')}|\s+{_weekday_word('wd_b')})?",
    re.I,
)
_NUMERIC_YMD = re.compile(  # "2025/04/10", "2025.4.10", "2025-04-10"
    rf"(?<![\d/.]){_YEAR4}(?P<sep>[/.-])(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}})(?!\d)(?![/.]\d)"
    rf"(?:{_weekday_bracket('wd_a')}|\s+{_weekday_word('wd_b')})?",
    re.I,
)
_US_MDY = re.compile(  # "05/25/21 Tue", "12/14/18 Fri", "07/30/2020"
    r"(?<![\d/.])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})(?!\d)(?!/\d)"
    rf"(?:{_weekday_bracket('wd_a')}|\s+{_weekday_word('wd_b')})?",
    re.I,
)
# "2025年", "令和7年", "令和元年", "平成31年(令和元年)", "令和5(2023)年"
_JA_YEAR = (
    rf"(?:(?P<era>{_ANY_ERA})\s*(?P<era_year>元|\d{{1,2}})\s*(?:\(\s*(?P<alt_gregorian>\d{{4}})\s*\)\s*)?年"
    rf"(?:\s*\(\s*(?P<alt_era>{_ERA})\s*(?P<alt_era_year>元|\d{{1,2}})\s*年?\s*\))?"
    rf"|(?<!\d){_YEAR4}\s*年)"
)
_JA_DATE = re.compile(  # "2025年4月10日(木)", "6月3日(火)", "令和5年4月", "6月下旬", "3月末"
    rf"(?:{_JA_YEAR}\s*)?(?<!\d)(?P<month>\d{{1,2}})\s*月"
    rf"(?:\s*(?P<day>\d{{1,2}})\s*日|\s*(?P<part>上旬|初旬|初め|中旬|下旬|末))?(?:{_weekday_bracket('wd_a')})?"
)
_ERA_NUMERIC = re.compile(  # "令和5/6/30", "R5.6.30", "H30.4.2", "令和5.6.30(金)"
    rf"(?P<era>{_ANY_ERA})\s*(?P<era_year>元|\d{{1,2}})\s*(?P<sep>[/.])\s*(?P<month>\d{{1,2}})\s*(?P=sep)\s*"
    rf"(?P<day>\d{{1,2}})(?![\d/.])(?:{_weekday_bracket('wd_a')})?"
)
_MONTH_DAY = re.compile(  # "6/30", "3/1〜3/14", "6/30(火)": a year only from the context
    rf"(?<![\d/.])(?P<month>1[0-2]|0?[1-9])/(?P<day>3[01]|[12]\d|0?[1-9])(?![\d/.:])"
    rf"(?:{_weekday_bracket('wd_a')})?"
)
_JA_FISCAL_YEAR_END = re.compile(rf"{_JA_YEAR}\s*度\s*末")  # "令和7年度末": March 31 of the next year
_FISCAL_YEAR = re.compile(rf"(?<![a-z])FY\s*(?P<fy>(?:19|20)\d{{2}})(?!\d)|{_JA_YEAR}\s*度", re.I)


@dataclass(frozen=True)
class _TimeToken:
    start: int
    end: int
    hour: int  # 0..24; 24:00 is the end of the day, i.e. 00:00 of the next
    minute: int
    second: int = 0
    zone: tzinfo = JAPAN  # a time printed without a zone is Japan time
    zone_name: str | None = None  # the zone as printed, when one was
    unknown_zone: str | None = None  # a zone-like word that could not be resolved: the time is not usable
    alternative: _TimeToken | None = None  # the same deadline printed in a second zone


@dataclass(frozen=True)
class _DateToken:
    start: int
    end: int
    year: int | None
    month: int
    day: int | None  # None for a vague date: see part
    part: str | None  # "first", "mid", "last" for "Early May", "Mid-June", "End of March"
    weekdays: tuple[str, ...]  # as printed, checked once the year is known
    notes: tuple[str, ...] = ()  # doubts found while reading the date itself
    time: _TimeToken | None = None
    invalid: str | None = None  # why the printed date names no day at all ("令和0年")
    bare: bool = False  # a bare "6/30": a date only when the text around it says so (not "1/2 page")

    @property
    def full_start(self) -> int:
        return min(self.start, self.time.start) if self.time else self.start

    @property
    def full_end(self) -> int:
        return max(self.end, self.time.end) if self.time else self.end

    @property
    def order(self) -> tuple[int, int]:
        """Month and day, for telling whether the end of a range falls before its start."""
        return self.month, self.day or _PART_DAY_RANK[self.part or "first"]


def _weekdays(match: re.Match[str]) -> tuple[str, ...]:
    return tuple(value for name, value in match.groupdict().items() if name.startswith("wd") and value)


def _full_year(digits: str) -> int:
    """'21' → 2021 (the programs' US-style dates are all 21st century); '2021' → 2021."""
    year = int(digits)
    if len(digits) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _named_month_date(match: re.Match[str]) -> _DateToken | None:
    groups = match.groupdict()
    month_text, day, part_text, year = groups["month"], groups.get("day"), groups.get("part"), groups["year"]
    if month_text == "may" and part_text is None:
        return None  # the lower-case word "may" is the verb far more often than the month
    if day is None and part_text is None and year is None:
        return None  # a bare month name is not a date
    part = _PARTS[re.sub(r"\s+", " ", part_text.lower())] if part_text else None
    return _DateToken(
        start=match.start(),
        end=match.end(),
        year=int(year) if year else None,
        month=_MONTHS[month_text.lower().rstrip(".")],
        day=int(day) if day else None,
        part=part if day is None else None,
        weekdays=_weekdays(match),
    )


def _numeric_date(match: re.Match[str]) -> _DateToken | None:
    return _DateToken(
        start=match.start(),
        end=match.end(),
        year=_full_year(match["year"]),
        month=int(match["month"]),
        day=int(match["day"]),
        part=None,
        weekdays=_weekdays(match),
    )


def _era_year(era: str, year_text: str) -> int:
    """The Gregorian year of an era year; ValueError for year 0, which no era has ('令和0年')."""
    number = 1 if year_text == "元" else int(year_text)
    if number < 1:
        raise ValueError(f"{era}{year_text}年 is not an era year")
    return _ERA_START[_ERA_LETTERS.get(era, era)] + number - 1


def _japanese_year(match: re.Match[str]) -> tuple[int | None, tuple[str, ...]]:
    """The Gregorian year of '2025年' / '令和7年' / '平成31年(令和元年)' / '令和5(2023)年', with doubts."""
    groups = match.groupdict()
    if groups.get("year"):
        return int(groups["year"]), ()
    if not groups.get("era"):
        return None, ()
    year = _era_year(groups["era"], groups["era_year"])  # ValueError for "令和0年"
    alternatives = []
    if groups.get("alt_gregorian"):
        alternatives.append(int(groups["alt_gregorian"]))
    if groups.get("alt_era"):
        alternatives.append(_era_year(groups["alt_era"], groups["alt_era_year"]))
    printed = match.group(0)
    notes = tuple(
        f"'{printed}' names two different years ({year} and {other})"
        for other in alternatives
        if other != year
    )
    return year, notes


def _invalid_date(match: re.Match[str], reason: str) -> _DateToken:
    """A token that holds the place of a printed date naming no day, so no other family reads it."""
    return _DateToken(match.start(), match.end(), None, 1, 1, None, (), invalid=reason)


def _japanese_date(match: re.Match[str]) -> _DateToken | None:
    try:
        year, notes = _japanese_year(match)
    except ValueError as error:
        return _invalid_date(match, str(error))
    day, part = match["day"], match["part"]
    if day is None and part is None and year is None:
        return None  # "4月" alone is a month of some year, too vague to be a date
    return _DateToken(
        start=match.start(),
        end=match.end(),
        year=year,
        month=int(match["month"]),
        day=int(day) if day else None,
        part=_PARTS[part] if part else None,
        weekdays=_weekdays(match),
        notes=notes,
    )


def _era_numeric_date(match: re.Match[str]) -> _DateToken | None:
    try:
        year = _era_year(match["era"], match["era_year"])
    except ValueError as error:
        return _invalid_date(match, str(error))
    return _DateToken(
        match.start(), match.end(), year, int(match["month"]), int(match["day"]), None, _weekdays(match)
    )


def _month_day(match: re.Match[str]) -> _DateToken | None:
    weekdays = _weekdays(match)
    month, day = int(match["month"]), int(match["day"])
    return _DateToken(match.start(), match.end(), None, month, day, None, weekdays, bare=not weekdays)


def _fiscal_year_end(match: re.Match[str]) -> _DateToken | None:
    try:
        fiscal_year, notes = _japanese_year(match)
    except ValueError as error:
        return _invalid_date(match, str(error))
    if fiscal_year is None:
        return None
    return _DateToken(match.start(), match.end(), fiscal_year + 1, 3, None, "last", (), notes)


# What a family's match cannot do without, tested before the family's own (much slower) regex: most
# lines a page is scanned for hold no date at all. The hints use the families' flags, so a skipped family
# could not have matched.
_ANY_MONTH_NAME = re.compile(_MONTH, re.I)
_ANY_DIGIT = re.compile(r"\d")
_SLASH = re.compile("/")

_DATE_FAMILIES: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str]], _DateToken | None], re.Pattern[str]], ...
] = (
    (_EN_MONTH_FIRST, _named_month_date, _ANY_MONTH_NAME),
    (_EN_DAY_FIRST, _named_month_date, _ANY_MONTH_NAME),
    (_EN_MONTH_YEAR, _named_month_date, _ANY_MONTH_NAME),
    (_EN_DOTTED, _named_month_date, _ANY_MONTH_NAME),
    (_NUMERIC_YMD, _numeric_date, _ANY_DIGIT),
    (_US_MDY, _numeric_date, _SLASH),
    (_JA_DATE, _japanese_date, re.compile("月")),
    (_JA_FISCAL_YEAR_END, _fiscal_year_end, re.compile("度")),  # "令和元年度末" has no digit
    (_ERA_NUMERIC, _era_numeric_date, _ANY_DIGIT),
    (_MONTH_DAY, _month_day, _SLASH),
)
_DATE_HINTS = frozenset(hint for _, _, hint in _DATE_FAMILIES)  # each searched once per text

# --------------------------------------------------------------------------------------------------
# Time families

_MERIDIEM = r"(?P<meridiem>[ap](?:\.\s?m\.?|m)(?![a-z]))"
_CLOCK = re.compile(  # "12:59", "1:00PM", "15:00PM", "23:59 pm", "午後3:30", "23:59:59"
    rf"(?:(?P<ja_meridiem>午前|午後)\s*)?(?<![\d:.])(?P<hour>\d{{1,2}}):(?P<minute>\d{{2}})(?::(?P<second>\d{{2}}))?"
    rf"(?![\d:])(?:\s*{_MERIDIEM})?",
    re.I,
)
_HOUR_MERIDIEM = re.compile(rf"(?<![\d:.])(?P<hour>\d{{1,2}})\s*{_MERIDIEM}", re.I)  # "2 p.m.", "5pm"
_NOON = re.compile(r"(?<![a-z])noon(?![a-z])|正午", re.I)
_MIDNIGHT = re.compile(
    r"(?:(?<![\d:.])12(?::00)?\s*(?:a\.?m\.?\s*)?\(?\s*)?(?<![a-z])midnight(?![a-z])\)?", re.I
)
_JA_CLOCK = re.compile(  # "17時00分", "12時", "午後3時", "【午前10時】", "3時半", "12時00分00秒"
    r"(?:(?P<ja_meridiem>午前|午後)\s*)?(?<!\d)(?P<hour>\d{1,2})\s*時(?!間)"
    r"(?:\s*(?P<minute>\d{1,2})\s*分(?:\s*(?P<second>\d{1,2})\s*秒)?|(?P<half>半))?"
)

# Zones. An abbreviation or name stands for an IANA zone, read at the date (so "CET" in July is Paris
# local time, i.e. CEST, with a warning that the abbreviation names the other season's offset).
_ZONE_ABBREVIATIONS = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "jst": "Asia/Tokyo", "kst": "Asia/Seoul",
    "cet": "Europe/Paris", "cest": "Europe/Paris", "met": "Europe/Paris", "mest": "Europe/Paris",
    "wet": "Europe/Lisbon", "west": "Europe/Lisbon", "eet": "Europe/Athens", "eest": "Europe/Athens",
    "bst": "Europe/London", "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "cdt": "America/Chicago", "mst": "America/Denver", "mdt": "America/Denver",
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "akst": "America/Anchorage", "akdt": "America/Anchorage", "hst": "Pacific/Honolulu",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "acst": "Australia/Adelaide",
    "acdt": "Australia/Adelaide", "awst": "Australia/Perth", "nzst": "Pacific/Auckland",
    "nzdt": "Pacific/Auckland", "sgt": "Asia/Singapore", "hkt": "Asia/Hong_Kong", "ict": "Asia/Bangkok",
}  # fmt: skip
# Abbreviations that name one season's offset: read at a date of the other season, they get a warning.
_SEASONAL = {"cet", "cest", "met", "mest", "wet", "west", "eet", "eest", "bst", "est", "edt", "cdt", "mst"}
_SEASONAL |= {"mdt", "pst", "pdt", "akst", "akdt", "aest", "aedt", "acst", "acdt", "nzst", "nzdt"}
_AMBIGUOUS = {"cst": "US Central or China", "ist": "India, Ireland or Israel", "ast": "Atlantic or Arabia"}
_ZONE_NAMES = {  # spelled-out zone names, lower case, spaces folded
    "japan time": "Asia/Tokyo", "japan standard time": "Asia/Tokyo", "japanese time": "Asia/Tokyo",
    "tokyo time": "Asia/Tokyo", "日本時間": "Asia/Tokyo", "日本標準時": "Asia/Tokyo",
    "coordinated universal time": "UTC", "universal time": "UTC", "greenwich mean time": "UTC",
    "central european time": "Europe/Paris", "central european summer time": "Europe/Paris",
    "central european standard time": "Europe/Paris", "british summer time": "Europe/London",
    "eastern time": "America/New_York", "eastern standard time": "America/New_York",
    "eastern daylight time": "America/New_York", "central time": "America/Chicago",
    "central standard time": "America/Chicago", "central daylight time": "America/Chicago",
    "mountain time": "America/Denver", "pacific time": "America/Los_Angeles",
    "pacific standard time": "America/Los_Angeles", "pacific daylight time": "America/Los_Angeles",
    "australian eastern daylight time": "Australia/Sydney",
    "australian eastern standard time": "Australia/Sydney",
    "new zealand daylight time": "Pacific/Auckland", "new zealand standard time": "Pacific/Auckland",
}  # fmt: skip
_ZONE_SEASON_NAMES = {"summer": "summer", "daylight": "summer", "standard": "winter"}
_ABBREVIATION = "|".join(sorted((a for a in _ZONE_ABBREVIATIONS if a != "z"), key=len, reverse=True))
_OFFSET = r"(?P<sign>[+\-−])\s*(?P<offset_hours>\d{1,2})(?::?(?P<offset_minutes>\d{2}))?"
# A zone as printed: a known abbreviation (upper case), "UTC+9", a spelled-out name ("Central European
# Summer Time", "Bangkok time", "日本時間"), or an upper-case word that looks like a zone but is not one.
_ZONE = (
    rf"(?P<zone>(?P<abbr>(?-i:{_ABBREVIATION.upper()})|(?i:utc|gmt))(?![A-Za-z])(?:\s*{_OFFSET})?"
    r"|(?P<name>(?i:japan(?:ese)?\s+(?:standard\s+)?time)|(?-i:(?:[A-Z][a-z]+\s+){1,4}"
    r"(?:[Ss]ummer\s+|[Dd]aylight\s+|[Ss]tandard\s+|[Mm]ean\s+)?[Tt]ime)"
    r"|日本時間|日本標準時|(?i:local\s+time))(?![A-Za-z])"
    r"|(?P<aoe>(?i:aoe|anywhere\s+on\s+earth))(?![A-Za-z])"
    r"|(?P<unknown>(?-i:[A-Z]{2,4}T|[A-Z]{3,5}))(?![A-Za-z]))"
)
_ZONE_BEFORE = re.compile(rf"{_ZONE}\s*[:(]?\s*$")  # "UTC 15時00分", "日本時間 17時"
_ZONE_AFTER = re.compile(rf"[\s,(\[)]*{_ZONE}[)\]]?")  # "15:00 UTC", "(1:00PM JST)", "12:00 (noon) CET"
# A bare numeric offset or ISO 8601 "Z" right after a time: "17:00 -0400", "09:00 +05:30", "04:00:00Z".
_BARE_OFFSET = re.compile(  # a minus sign only with four digits: "10:00 -12:00" is a range, not an offset
    r"(?P<z>Z(?![A-Za-z]))|\s*(?:(?P<sign>[+−-])(?P<offset_hours>[01]\d)(?P<offset_minutes>[0-5]\d)"
    r"|(?P<plus>\+)(?P<plus_hours>[01]\d):(?P<plus_minutes>[0-5]\d))(?![\d:])"
)
# ISO 8601 after a time with seconds: "2026-05-21T04:00:00-04:00" (no space, so not a range "9:00-12:00")
_ISO_OFFSET = re.compile(
    r"(?<=\d:\d\d:\d\d)(?P<sign>[+−-])(?P<offset_hours>[01]\d):(?P<offset_minutes>[0-5]\d)(?![\d:])"
)
# Two renderings of one deadline: "12:00 (noon) CET / 18:00 Bangkok time"
_TIME_ALTERNATIVE = re.compile(r"\s*(?:\([^()]{0,40}\)\s*)?(?:/|or|and|\||;|,|\()\s*")


def _meridiem_hour(hour: int, meridiem: str | None, ja_meridiem: str | None) -> int:
    """Apply 'pm'/'午後'. '15:00PM' and '23:59 pm' already say the hour, so the marker is redundant.

    午前12時 is noon and 午後12時 midnight, following the convention the programs print ("午前12時(正午)").
    """
    if ja_meridiem == "午後" and hour <= 12:
        hour += 12
    if meridiem:
        is_pm = meridiem.lower().startswith("p")
        if is_pm and hour < 12:
            hour += 12
        elif not is_pm and hour == 12:
            hour = 0
    return hour


def _time_token(start: int, end: int, hour: int, minute: int, second: int = 0) -> _TimeToken | None:
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and (minute or second)):
        return None
    return _TimeToken(start, end, hour, minute, second)


def _clock_time(match: re.Match[str]) -> _TimeToken | None:
    groups = match.groupdict()
    hour = _meridiem_hour(int(match["hour"]), groups.get("meridiem"), groups.get("ja_meridiem"))
    minute = 30 if groups.get("half") else int(groups.get("minute") or 0)
    return _time_token(match.start(), match.end(), hour, minute, int(groups.get("second") or 0))


def _noon_time(match: re.Match[str]) -> _TimeToken | None:
    return _TimeToken(match.start(), match.end(), 12, 0)


def _midnight_time(match: re.Match[str]) -> _TimeToken | None:
    """'midnight' (and '12:00 midnight'): the start or the end of the day? The day is kept, not the time."""
    return _TimeToken(
        match.start(), match.end(), 0, 0, unknown_zone='"midnight" names the start or the end of the day'
    )


@cache
def _city_zones() -> dict[str, str]:
    """IANA zones by their city, lower case: 'bangkok' → 'Asia/Bangkok', 'new york' → 'America/New_York'."""
    cities: dict[str, str] = {}
    for key in sorted(available_timezones()):
        if "/" in key and not key.startswith(("Etc/", "SystemV/", "US/")):
            cities.setdefault(key.rsplit("/", 1)[1].replace("_", " ").lower(), key)
    return cities


def _named_zone(name: str) -> tuple[str | None, str | None]:
    """A spelled-out zone: (IANA key, season it names) or (None, None) when unknown."""
    folded = re.sub(r"\s+", " ", name.strip().lower())
    season = next((s for word, s in _ZONE_SEASON_NAMES.items() if f" {word} " in f" {folded} "), None)
    if folded in _ZONE_NAMES:
        return _ZONE_NAMES[folded], season
    city = re.sub(r"\s+(?:standard\s+|local\s+)?time$", "", folded)
    return _city_zones().get(city), None


def _fixed_offset(match: re.Match[str]) -> timezone:
    sign = -1 if match["sign"] in "-−" else 1
    minutes = int(match["offset_minutes"] or 0)
    return timezone(sign * timedelta(hours=int(match["offset_hours"]), minutes=minutes))


def _zoned(token: _TimeToken, match: re.Match[str], span: tuple[int, int]) -> _TimeToken:
    """The time with the zone a _ZONE match names, its span widened to cover the zone."""
    start, end = min(token.start, span[0]), max(token.end, span[1])
    printed = re.sub(r"\s+", " ", match["zone"].strip())
    if match["unknown"]:
        lower = printed.lower()
        if lower in _AMBIGUOUS:
            return replace(
                token, start=start, end=end, unknown_zone=f'ambiguous zone "{printed}" ({_AMBIGUOUS[lower]})'
            )
        return replace(token, start=start, end=end, unknown_zone=f'unknown zone "{printed}"')
    if match["aoe"]:  # Anywhere on Earth: the last time zone to reach the hour, UTC-12
        return replace(token, start=start, end=end, zone=timezone(timedelta(hours=-12)), zone_name=printed)
    if match["abbr"]:
        abbreviation = match["abbr"].lower()
        if match["sign"] and abbreviation in ("utc", "gmt"):
            return replace(token, start=start, end=end, zone=_fixed_offset(match), zone_name=printed)
        return replace(
            token, start=start, end=end, zone=ZoneInfo(_ZONE_ABBREVIATIONS[abbreviation]), zone_name=printed
        )
    key, _ = _named_zone(printed)
    if key is None:
        return replace(token, start=start, end=end, unknown_zone=f'unknown zone "{printed}"')
    return replace(token, start=start, end=end, zone=ZoneInfo(key), zone_name=printed)


def _with_zone(token: _TimeToken, text: str) -> _TimeToken:
    """The zone printed next to a time ('UTC 15時00分', '15:00 UTC', '(1:00PM JST)', '17:00 -0400',
    '04:00:00Z', '18:00 Bangkok time'); Japan time when none is printed."""
    if iso := _ISO_OFFSET.match(text, token.end):
        return replace(token, end=iso.end(), zone=_fixed_offset(iso), zone_name=iso.group(0))
    if bare := _BARE_OFFSET.match(text, token.end):
        if bare["z"]:
            zone: tzinfo = UTC
        elif bare["plus"]:
            zone = timezone(timedelta(hours=int(bare["plus_hours"]), minutes=int(bare["plus_minutes"])))
        else:
            zone = _fixed_offset(bare)
        return replace(token, end=bare.end(), zone=zone, zone_name=bare.group(0).strip())
    after = _ZONE_AFTER.match(text, token.end)
    if after:
        return _zoned(token, after, (after.start(), after.end()))
    before = _ZONE_BEFORE.search(text, max(0, token.start - 40), token.start)
    if before and not before["unknown"] and not (before["name"] and _named_zone(before["name"])[0] is None):
        return _zoned(
            token, before, (before.start(), before.end())
        )  # "UTC 15時00分", not "Closing Time: 17:00"
    return token


_TIME_FAMILIES: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str]], _TimeToken | None], re.Pattern[str]], ...
] = (  # each with what its match cannot do without, as for the date families
    (_CLOCK, _clock_time, re.compile(":")),
    (_HOUR_MERIDIEM, _clock_time, _ANY_DIGIT),
    (_NOON, _noon_time, re.compile("noon|正午", re.I)),
    (_MIDNIGHT, _midnight_time, re.compile("midnight", re.I)),
    (_JA_CLOCK, _clock_time, re.compile("時")),
)

# What may stand between a date and its time: "at noon", "(by 5 p.m. (JST))", "Noon (12:00, Japan time)
# on June 8", "noon of Wednesday, May 25", "【午前10時】". A range separator may not:
# "April 10 – Noon, June 3".
_DATE_TIME_FILLER = re.compile(
    rf"(?:[\s,()\[\]【】<>:|@]|T|at|by|on|of|before|until|till|no\s+later\s+than|{_ZONE}|締め?切り?|まで"
    rf"|{_WEEKDAY_WORDS}\.?|[月火水木金土](?:曜日?)?|日曜日?)*",
    re.I,
)
_TIME_JOINER = re.compile(
    r"[\s(),]*"
)  # "12:00 pm (noon)", "12:00noon", "午前12時(正午)": one time, said twice
_SEPARATOR = r"(?:[~〜\-–—―‐‑‒−ー]|to|から|より|until|till|through|thru)"
# A short note may sit between a date and the separator: "令和5年4月(予定) ~令和7年度末".
_RANGE_GAP = re.compile(rf"[\s,)\]】]*(?:\([^()\d~〜]{{1,15}}\)\s*)?{_SEPARATOR}[\s,(\[【]*", re.I)
_BARE_GAP = re.compile(r"\s*(?:[月火水木金土日](?:曜日?)?\s+)?")
_PERIOD_LABEL = re.compile(r"(?:期間|period)\s*[:：]?\s*$", re.I)
_OPEN_ENDED_AFTER = re.compile(r"[\s,)\]】]*(?:[~〜]|から|より|[\-–—]\s*(?:$|\n|TB[DA]\b|未定))", re.I)
_OPENS_BEFORE = re.compile(
    r"(?:\bfrom|\bstart(?:s|ing)?(?:\s+(?:on|in))?|\bopen(?:s|ing)?(?:\s+(?:on|in))?|開始日?)\s*[:|]?\s*$",
    re.I,
)

# A date in a clause about another event is not the call's deadline: "公募説明会を4月10日に開催",
# "consultation by May 1", "Interview schedule is uploaded" (unless the clause also names the call).
_EVENT_PHRASES = re.compile(
    r"(?:公募|応募|募集)?説明会|(?:個別|事前)?相談(?:会)?(?:の申し?込み?(?:期限)?)?|面接|面談|ヒアリング|選考結果"
    r"|採択(?:結果|通知|予定)|結果(?:の)?通知|交付決定|研究開始|開催"
    r"|\bbriefing|\bconsultation|\bwebinar|\binformation\s+session|\binfo\s+session|\binterviews?\b"
    r"|\bnotif(?:y|ied|ication)\b|\bresults?\b|\bannounce(?:d|ment)\b|\bstart\s+of\s+(?:the\s+)?research\b"
    r"|\bselection\b|\bworkshop\b|\bsymposium\b|\bcolloquium\b|\bceremony\b",
    re.I,
)
_CALL_WORDS = re.compile(
    r"公募|応募|提案|募集|申請|締め?切|受付期間|\bapplications?\b|\bproposals?\b|\bsubmi(?:t|ssions?)\b"
    r"|\bdeadlines?\b|\bcall\b|\bdue\b",
    re.I,
)
_CLOSING_WORDS = re.compile(
    r"締め?切|期限|まで|\bdeadlines?\b|\bdue\b|\bclos(?:e|es|ing)\b|\buntil\b|\bno\s+later\s+than\b", re.I
)
# A page's change log: "Updated on April 22, 2020;", "10 Sep 2021: Added …", "…を公開しました。", and the
# revision note beside a document's link ("［令和8年4月15日修正］")
_LOG_BEFORE = re.compile(r"\b(?:(?:last\s+)?updated|posted|published|revised)\s+(?:on\s+)?$", re.I)
_LOG_AFTER = re.compile(
    r"\s*[:：;]?\s*(?:we\s+)?(?:added|updated|revised|uploaded|posted|published|changed|corrected)\b"
    r"|[^。\n]{0,80}?(?:掲載|追加|更新|公開|修正|変更|延長)(?:しました|いたしました)",
    re.I,
)
_REVISION_NOTE = re.compile(r"\s*(?:修正|更新|改訂|改定|差替え?|差し替え)\s*[］\]】)）]")
# A lone date in a clause that announces the start of the call, and no end: "申請受付を開始しました"
_START_WORDS = re.compile(
    r"(?:受付|公募|募集|申請)[^。\n]{0,10}開始|\bopens?\b|\bbegins?\b|\blaunch(?:es|ed|ing)?\b", re.I
)
_CLAUSE_END = re.compile(r"。|\n|;|\.\s")


def _clause(token: _DateToken, text: str) -> str:
    """The clause a date stands in, the date itself left out; a date alone on its line (a table cell,
    a change-log entry) takes the line after it."""
    before = [m.end() for m in _CLAUSE_END.finditer(text, 0, token.full_start)]
    start = before[-1] if before else 0
    after = _CLAUSE_END.search(text, token.full_end)
    end = after.start() if after else len(text)
    rest = text[start : token.full_start] + " " + text[token.full_end : end]
    if after and not re.sub(r"[\s:：;,*\-–・()（）]", "", rest):
        following = _CLAUSE_END.search(text, after.end())
        rest += " " + text[after.end() : following.start() if following else len(text)]
    return rest


def _role(token: _DateToken, text: str) -> str | None:
    """'log' or 'event' for a date that is not the call's, 'start' for a call's announced opening."""
    clause = _clause(token, text)
    starts = [m.end() for m in _CLAUSE_END.finditer(text, 0, token.full_start)]
    leads_its_clause = not re.sub(
        r"[\s*・•\-–()（）]", "", text[starts[-1] if starts else 0 : token.full_start]
    )
    logged = (leads_its_clause and _LOG_AFTER.match(text, token.full_end)) or _REVISION_NOTE.match(
        text, token.full_end
    )  # "10 Sep 2021: Added …", "[令和8年4月15日修正]"
    if logged or _LOG_BEFORE.search(text, max(0, token.full_start - 25), token.full_start):
        if not _START_WORDS.search(clause):
            return "log"
    if _EVENT_PHRASES.search(clause) and not _CALL_WORDS.search(_EVENT_PHRASES.sub(" ", clause)):
        return "event"
    if _START_WORDS.search(clause) and not _CLOSING_WORDS.search(clause):
        return "start"
    return None


_CLOSED = re.compile(
    r"\b(?:has|have)\s+(?:now\s+)?(?:been\s+)?closed\b|\b(?:is|are)\s+(?:now\s+|already\s+)?closed\b"
    r"|^\s*closed\s*\.?\s*$|(?:募集|公募|受付|応募)(?:は|を)?終了|締め?切りました"
    r"|\b(?:deadline|call)\b[^.]{0,80}\bhas\s+(?:now\s+)?passed\b",
    re.I,
)
_TBD = re.compile(
    r"\bTB[DA]\b|\bto\s+be\s+(?:determined|decided|announced|confirmed)\b|未定|調整中"
    r"|\bexpected\s+to\s+(?:open|close|start|be\s+(?:announced|published|launched))\b|\bwill\s+open\b"
    r"|\bplanned\s+(?:for|to\s+open)\b|\btentative(?:ly)?\b|(?:公募|募集|公開|開始|受付)予定",
    re.I,
)
# A call that accepts applications at any time: "常時公募", "随時受付", "applications accepted at any time".
_ROLLING = re.compile(
    r"常時(?:公募|募集|受付|受け付け|応募)|随時(?:公募|募集|受付|受け付け|応募|申請)|^\s*随時\s*$"
    r"|\b(?:accepted|accepting|open|submitted|apply)\s+(?:for\s+applications\s+)?"
    r"(?:at\s+any\s+time|year[- ]round|all\s+year(?:\s+round)?|throughout\s+the\s+year"
    r"|on\s+a\s+rolling\s+basis)\b"
    r"|\brolling\s+(?:basis|call|deadline|submissions?|applications?|intake)\b|\bno\s+(?:fixed\s+)?deadline\b",
    re.I,
)
_VARIES = re.compile(r"\bdepend(?:s|ing)?\s+on\b|\bvar(?:y|ies)\b|\bdiffers?\b|異なる", re.I)
_LABEL_YEAR = re.compile(
    rf"(?<!\d)(?P<gregorian>(?:19|20)\d{{2}})(?!\d)|(?P<era>{_ERA})\s*(?P<era_year>元|\d{{1,2}})"
)


# --------------------------------------------------------------------------------------------------
# Scanning


@dataclass(frozen=True)
class _Normalized:
    """The text NFKC-folded by clean_text one character at a time, so every match maps back to the input."""

    text: str
    origins: tuple[int, ...]  # the input index of each character of text

    def input_span(self, start: int, end: int) -> tuple[int, int]:
        return self.origins[start], self.origins[end - 1] + 1


def _normalize(raw: str) -> _Normalized:
    if raw.isascii():  # ASCII is its own NFKC form and holds no kanji numeral: nothing moves
        return _Normalized(raw, tuple(range(len(raw))))
    pieces: list[str] = []
    origins: list[int] = []
    last = 0
    for run in _NOT_ASCII.finditer(raw):  # ASCII between the runs is kept as it is
        pieces.append(raw[last : run.start()])
        origins.extend(range(last, run.start()))
        for index in range(run.start(), run.end()):
            folded = _fold(raw[index])
            pieces.append(folded)
            origins.extend([index] * len(folded))
        last = run.end()
    pieces.append(raw[last:])
    origins.extend(range(last, len(raw)))
    return _kanji_numerals("".join(pieces), origins)


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


@cache  # Japanese text repeats its few hundred characters: each is folded once
def _fold(char: str) -> str:
    if char.isspace():
        return " "  # clean_text would strip a lone space to nothing and glue the words around it
    return clean_text(char)  # full-width forms, ㋿/㍻ era ligatures, invisible characters


_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# Kanji numerals that count a date or time unit: "令和八年五月二十日", "十七時三十分", "二〇二六年"
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十]+(?=\s*[年月日時分秒])")
_PLAIN_KANJI_NUMBER = re.compile(
    r"[一二三四五六七八九]?十[一二三四五六七八九]?|[〇零一二三四五六七八九]{1,4}"
)


def _kanji_value(numeral: str) -> int:
    """'二十' → 20, '十七' → 17, '三十一' → 31, '八' → 8, '二〇二六' → 2026 (digit by digit)."""
    if "十" not in numeral:
        return int("".join(str(_KANJI_DIGITS[char]) for char in numeral))
    tens, _, units = numeral.partition("十")
    return (_KANJI_DIGITS[tens] if tens else 1) * 10 + (_KANJI_DIGITS[units] if units else 0)


def _kanji_numerals(text: str, origins: list[int]) -> _Normalized:
    """Kanji numerals before a date or time unit written as digits, each digit mapped to the numeral."""
    pieces: list[str] = []
    mapped: list[int] = []
    last = 0
    for match in _KANJI_NUMBER.finditer(text):
        numeral = match.group(0)
        if not _PLAIN_KANJI_NUMBER.fullmatch(numeral):
            continue  # not a number a date or time is written with
        digits = str(_kanji_value(numeral))
        pieces.append(text[last : match.start()])
        mapped.extend(origins[last : match.start()])
        pieces.append(digits)
        mapped.extend([origins[match.start()]] * len(digits))
        last = match.end()
    pieces.append(text[last:])
    mapped.extend(origins[last:])
    return _Normalized("".join(pieces), tuple(mapped))


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


_Token = TypeVar("_Token", "_DateToken", "_TimeToken")


def _leftmost_longest(tokens: Iterable[_Token], taken: Sequence[_Span] = ()) -> list[_Token]:
    """Non-overlapping tokens, preferring the one that starts first, then the longer one."""
    chosen: list[_Token] = []
    last_end = -1
    for token in sorted(tokens, key=lambda token: (token.start, -token.end)):
        if token.start >= last_end and not any(
            token.start < span.end and span.start < token.end for span in taken
        ):
            chosen.append(token)
            last_end = token.end
    return chosen


def _find_dates(text: str) -> list[_DateToken]:
    hints = {hint: hint.search(text) is not None for hint in _DATE_HINTS}
    found = (
        build(match) for regex, build, hint in _DATE_FAMILIES if hints[hint] for match in regex.finditer(text)
    )
    return _leftmost_longest(token for token in found if token is not None)


def _find_times(text: str, dates: Sequence[_DateToken]) -> list[_TimeToken]:
    found = (
        build(match)
        for regex, build, hint in _TIME_FAMILIES
        if hint.search(text)
        for match in regex.finditer(text)
    )
    times = _leftmost_longest(
        (token for token in found if token is not None), [_Span(d.start, d.end) for d in dates]
    )
    merged: list[_TimeToken] = []
    for token in times:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and (previous.hour, previous.minute, previous.second) == (token.hour, token.minute, token.second)
            and _TIME_JOINER.fullmatch(text, previous.end, token.start)
        ):
            merged[-1] = replace(previous, end=token.end)
        else:
            merged.append(token)
    zoned: list[_TimeToken] = []
    for token in (_with_zone(token, text) for token in merged):
        previous = zoned[-1] if zoned else None
        if (
            previous is not None
            and previous.alternative is None
            and previous.zone_name is not None
            and token.zone_name is not None
            and _TIME_ALTERNATIVE.fullmatch(text, previous.end, token.start)
        ):
            zoned[-1] = replace(
                previous, end=token.end, alternative=token
            )  # "12:00 CET / 18:00 Bangkok time"
        else:
            zoned.append(token)
    return zoned


def _attach_times(dates: list[_DateToken], times: list[_TimeToken], text: str) -> list[_DateToken]:
    """Give each date the time printed next to it.

    A time right after a date is that date's own ("June 3, 2025 (12:59)"); only a time left over may
    belong to the date after it ("Noon, June 3", "by 2 p.m. May 25").
    """
    free = list(times)
    dates = list(dates)
    for index, token in enumerate(dates):
        following = next((t for t in free if t.start >= token.end), None)
        if (
            token.day is not None
            and following
            and _DATE_TIME_FILLER.fullmatch(text, token.end, following.start)
        ):
            dates[index] = replace(token, time=following)
            free.remove(following)
    for index, token in enumerate(dates):
        preceding = next((t for t in reversed(times) if t.end <= token.start), None)
        if (
            token.day is not None
            and token.time is None
            and preceding in free
            and _DATE_TIME_FILLER.fullmatch(text, preceding.end, token.start)
        ):
            time = preceding
            zone = _ZONE_AFTER.match(text, token.end)  # "5:00PM 12 December 2022 (AEDT)"
            if zone and time.zone_name is None and time.unknown_zone is None:
                time = replace(_zoned(time, zone, (time.start, time.end)), end=time.end)
                token = replace(token, end=zone.end())
            dates[index] = replace(token, time=time)
            free.remove(preceding)
    return dates


def _range_links(dates: Sequence[_DateToken], text: str) -> set[int]:
    """Indexes i where dates[i] and dates[i + 1] are the two ends of one range: a separator between
    them, or nothing but a bare weekday after a period label ("募集期間 2018年6月12日 火 2018年7月31日",
    a PDF text layer that lost the brackets and the tilde)."""
    return {
        index
        for index in range(len(dates) - 1)
        if _RANGE_GAP.fullmatch(text, dates[index].full_end, dates[index + 1].full_start)
        or (
            _BARE_GAP.fullmatch(text, dates[index].full_end, dates[index + 1].full_start)
            and _PERIOD_LABEL.search(text, max(0, dates[index].full_start - 12), dates[index].full_start)
        )
    }


def _fill_from_partner(years: list[int | None], dates: Sequence[_DateToken], index: int) -> None:
    """Complete a range whose one end has no year: the end of a range is never before its start."""
    start, end = dates[index], dates[index + 1]
    first, last = years[index], years[index + 1]
    if last is None and first is not None:
        years[index + 1] = first + (1 if end.order < start.order else 0)
    elif first is None and last is not None:
        years[index] = last - (1 if start.order > end.order else 0)


def _infer_years(dates: Sequence[_DateToken], links: set[int], context: int | None) -> list[int | None]:
    years = [token.year for token in dates]
    for index in sorted(links):
        _fill_from_partner(years, dates, index)
    if context is not None:
        for index in range(len(years)):
            if years[index] is None:
                years[index] = context
                if index in links:
                    _fill_from_partner(years, dates, index)
    return years


@dataclass(frozen=True)
class _Reading:
    """One date found in the text, once its year has been settled (moment None when it could not be)."""

    printed: str
    moment: ParsedMoment | None
    warnings: tuple[str, ...]
    joins_next: bool  # a range separator links it to the next date
    open_ended: bool  # a lone start: "from April 1", "2025年4月1日～"
    event: bool = False  # the date of another event (a briefing, an interview), not of the call


def _calendar_day(token: _DateToken, year: int) -> date:
    """The date a token names; vague ones stand for the 1st, the 15th or the last day of their month."""
    if token.day is not None:
        return date(year, token.month, token.day)
    if token.part == "mid":
        return date(year, token.month, 15)
    if token.part == "last":
        next_month = date(year + token.month // 12, token.month % 12 + 1, 1)
        return next_month - timedelta(days=1)
    return date(year, token.month, 1)


def _weekday_warnings(token: _DateToken, day: date) -> list[str]:
    warnings = []
    for printed in token.weekdays:
        written = printed.strip().rstrip(".")
        if _WEEKDAY_INDEX[written[:3].lower() if written.isascii() else written[0]] != day.weekday():
            warnings.append(
                f"weekday ({written}) does not match {day.isoformat()} ({_WEEKDAY_NAMES[day.weekday()]})"
            )
    return warnings


def _instant(day: date, time: _TimeToken) -> datetime:
    """The moment a time of day names on a day, in its zone (wall-clock time there), as Japan time."""
    local = datetime(day.year, day.month, day.day, tzinfo=time.zone) + timedelta(
        hours=time.hour, minutes=time.minute, seconds=time.second
    )
    # Adding to an aware datetime is wall-clock arithmetic; re-anchor it so the zone's offset at that
    # wall-clock time (summer or winter) is the one used.
    return local.replace(tzinfo=time.zone).astimezone(JAPAN)


def _literal_offset(abbreviation: str, zone: ZoneInfo, year: int) -> timedelta | None:
    """The UTC offset an abbreviation names in its zone ('CET' → +1:00, 'CEST' → +2:00)."""
    for month in range(1, 13):
        sample = datetime(year, month, 15, 12, tzinfo=zone)
        if (sample.tzname() or "").lower() == abbreviation:
            return sample.utcoffset()
    return None


def _candidate_instants(day: date, time: _TimeToken) -> list[datetime]:
    """The instant a time names, then (for an abbreviation of the other season) its literal reading."""
    candidates = [_instant(day, time)]
    printed = (time.zone_name or "").lower()
    if printed in _SEASONAL and isinstance(time.zone, ZoneInfo):
        offset = _literal_offset(printed, time.zone, day.year)
        if offset is not None:
            literal = replace(time, zone=timezone(offset))
            candidates.append(_instant(day, literal))
    return candidates


def _season_warning(day: date, time: _TimeToken) -> str | None:
    """'CET' printed for a summer date (or 'Summer Time' for a winter one): the zone's local time is
    used, and the mismatch is said."""
    if time.zone_name is None or not isinstance(time.zone, ZoneInfo):
        return None
    local = datetime(day.year, day.month, day.day, min(time.hour, 23), time.minute, tzinfo=time.zone)
    actual = local.tzname() or ""
    printed = time.zone_name.lower()
    in_summer = bool(local.dst())
    reading = f"read as {time.zone.key} local time ({actual})"
    if printed in _SEASONAL and printed != actual.lower():
        season = "summer" if in_summer else "winter"
        return f'zone "{time.zone_name}" printed for a {season} date: {reading}'
    _, named_season = _named_zone(time.zone_name)
    if named_season is not None and (named_season == "summer") != in_summer:
        return f'zone "{time.zone_name}" does not match {day.isoformat()}: {reading}'
    return None


def _moment(token: _DateToken, year: int, span: tuple[int, int]) -> tuple[ParsedMoment, list[str]]:
    day = _calendar_day(token, year)
    time = token.time
    if time is None:
        return ParsedMoment(day, Precision.DAY if token.day is not None else Precision.MONTH, span), []
    renderings = [time] if time.alternative is None else [time, time.alternative]
    unknown = [t.unknown_zone for t in renderings if t.unknown_zone]
    known = [t for t in renderings if not t.unknown_zone]
    warnings = [f"{problem}: the time of day is not used" for problem in unknown]
    if not known or (unknown and len(renderings) == 1):
        return ParsedMoment(day, Precision.DAY, span), warnings
    if len(known) == 1:
        warnings.extend(w for w in [_season_warning(day, known[0])] if w)
        return ParsedMoment(_instant(day, known[0]), Precision.MINUTE, span), warnings
    # Two renderings: an abbreviation of the other season may mean its literal offset ("12:00 CET /
    # 18:00 Bangkok time" in June); the reading both renderings agree on is the deadline.
    first, second = (_candidate_instants(day, t) for t in known)
    common = [value for value in first if value in second]
    if not common:
        printed = " and ".join(sorted({first[0].isoformat(), second[0].isoformat()}))
        warnings.append(f"the times printed in two zones disagree ({printed}): the time of day is not used")
        return ParsedMoment(day, Precision.DAY, span), warnings
    instants = {common[0]}
    return ParsedMoment(instants.pop(), Precision.MINUTE, span), warnings


def _read(token: _DateToken, year: int | None, source: _Normalized, links: set[int], index: int) -> _Reading:
    reading = _read_date(token, year, source, links, index)
    role = None if reading.joins_next or index - 1 in links else _role(token, source.text)
    if role == "start":
        return replace(reading, open_ended=True)
    return replace(reading, event=True) if role in ("log", "event") else reading


def _read_date(
    token: _DateToken, year: int | None, source: _Normalized, links: set[int], index: int
) -> _Reading:
    text = source.text
    printed = text[token.start : token.end]
    joins_next = index in links
    open_ended = not joins_next and bool(
        _OPEN_ENDED_AFTER.match(text, token.full_end)
        or _OPENS_BEFORE.search(text[max(0, token.full_start - 40) : token.full_start])
    )
    warnings = list(token.notes)
    if token.invalid:
        warnings.append(f"'{printed}' is not a date: {token.invalid}")
        return _Reading(printed, None, tuple(warnings), joins_next, open_ended)
    if year is None:
        warnings.append(f"'{printed}' has no year and the context gives none")
        return _Reading(printed, None, tuple(warnings), joins_next, open_ended)
    try:
        moment, time_warnings = _moment(token, year, source.input_span(token.full_start, token.full_end))
    except ValueError:
        warnings.append(f"'{printed}' is not a calendar date")
        return _Reading(printed, None, tuple(warnings), joins_next, open_ended)
    warnings.extend(time_warnings)
    if token.weekdays:
        warnings.extend(_weekday_warnings(token, _calendar_day(token, year)))
    return _Reading(printed, moment, tuple(warnings), joins_next, open_ended)


_MONTH_DAY_CUE = re.compile(r"締め?切|期限|まで|開始|受付|\bdeadline|\bdue\b|\bby\b|\buntil\b|\bfrom\b", re.I)


def _dated_month_days(dates: list[_DateToken], text: str) -> list[_DateToken]:
    """Keep a bare month/day ("6/30") only with a time, a weekday, a range partner, brackets of its own
    ("(7/1)", a news list), a deadline word in front, or alone in its text (a table cell): otherwise
    "1/2" is a fraction, not a date."""
    kept = []
    for index, token in enumerate(dates):
        if token.bare and token.time is None:
            neighbours = [dates[i] for i in (index - 1, index + 1) if 0 <= i < len(dates)]
            partnered = any(
                _RANGE_GAP.fullmatch(text, *sorted((token.full_end, other.full_start)))
                or _RANGE_GAP.fullmatch(text, other.full_end, token.full_start)
                for other in neighbours
            )
            bracketed = re.match(r"\s*[)）]", text[token.end :]) and re.search(
                r"[(（]\s*$", text[: token.start]
            )
            cue = _MONTH_DAY_CUE.search(text, max(0, token.start - 15), token.start)
            alone = not re.sub(r"[\s()（）:：]", "", text[: token.start] + text[token.end :])  # a cell "6/30"
            if not (partnered or bracketed or cue or alone):
                continue
        kept.append(token)
    return kept


@lru_cache(maxsize=2048)  # a page's lines are read for calls, change logs and unused dates: once each
def _scan(text: str, year: int | None) -> tuple[_Reading, ...]:
    source = _normalize(text)
    dates = _find_dates(source.text)
    if not dates:
        return ()  # times are only read next to a date
    dates = _attach_times(dates, _find_times(source.text, dates), source.text)
    dates = _dated_month_days(dates, source.text)
    links = _range_links(dates, source.text)
    years = _infer_years(dates, links, year)
    return tuple(_read(token, years[index], source, links, index) for index, token in enumerate(dates))


# --------------------------------------------------------------------------------------------------
# Public API


def find_moments(text: str, *, year: int | None = None) -> list[ParsedMoment]:
    """Every date in text, in order, each with its time when one is printed next to it.

    `year` is the year for dates printed without one (and not completed by the other end of a range);
    without it such dates are skipped, as are impossible dates such as February 30.
    """
    return [reading.moment for reading in _scan(text, year) if reading.moment is not None]


def parse_moment(text: str, *, year: int | None = None) -> ParsedMoment | None:
    """The first date (with its time, if any) in text, or None."""
    moments = find_moments(text, year=year)
    return moments[0] if moments else None


def _status_without_dates(text: str) -> CallStatus:
    if _CLOSED.search(text):
        return CallStatus.CLOSED
    if _ROLLING.search(text):
        return CallStatus.ROLLING
    if _TBD.search(text):
        return CallStatus.TBD
    if _VARIES.search(text):
        return CallStatus.VARIES
    return CallStatus.UNPARSED


def _pick_period(readings: Sequence[_Reading]) -> tuple[_Reading | None, _Reading | None]:
    """The first period in the text: a range, a lone start, or (most often) a lone deadline."""
    for index, reading in enumerate(readings):
        if reading.moment is None or reading.event:
            continue
        following = readings[index + 1] if index + 1 < len(readings) else None
        if reading.joins_next and following is not None and following.moment is not None:
            return reading, following
        if reading.open_ended:
            # "Call start | August 23, 2023  Deadline | October 25, 2023": the next lone date closes it
            closing = following if following and following.moment and not following.joins_next else None
            return reading, closing
        return None, reading
    return None, None


def parse_period(text: str, *, year: int | None = None) -> ParsedPeriod:
    """A call period: a range 'A – B', a single deadline, or TBD / 'Depends on programs' / closed.

    A lone date is the deadline unless it is marked as a start ("from April 1", "2025年4月1日～").
    `year` completes dates printed without a year. Warnings name weekday contradictions, dates that
    could not be read, dates beyond the first period, and a closing date before the opening one.
    """
    readings = _scan(text, year)
    opens, closes = _pick_period(readings)
    used = [reading for reading in (opens, closes) if reading is not None]
    last_used = readings.index(used[-1]) if used else len(readings) - 1
    warnings = [warning for reading in readings[: last_used + 1] for warning in reading.warnings]
    other = [reading.printed for reading in readings if reading.event and reading.moment is not None]
    if other:  # a briefing, an interview, the page's change log
        warnings.append(f"not read as the call's dates (another event or a change log): {', '.join(other)}")
    extra = [
        reading.printed
        for reading in readings[last_used + 1 :]
        if reading.moment is not None and not reading.event
    ]
    if extra:
        warnings.append(f"{len(extra)} more date(s) after the period were not read: {', '.join(extra)}")
    open_moment = opens.moment if opens else None
    close_moment = closes.moment if closes else None
    if open_moment and close_moment and _as_datetime(close_moment.value) < _as_datetime(open_moment.value):
        warnings.append(
            f"closes ({close_moment.value.isoformat()}) before it opens ({open_moment.value.isoformat()})"
        )
    folded = clean_text(text)
    if used and _CLOSED.search(folded) and not _CLOSING_WORDS.search(folded):
        # "16 Apr 2024: This call for proposals has been closed.": the date of the notice, not a deadline
        printed = ", ".join(reading.printed for reading in used)
        warnings.append(f"the call is closed; {printed} is not read as its deadline")
        return ParsedPeriod(None, None, CallStatus.CLOSED, tuple(warnings))
    if used:
        if _CLOSED.search(folded):
            warnings.append("the text also says the call is closed")
        status = CallStatus.DATED
        coarse = all(
            m.precision in (Precision.MONTH, Precision.YEAR) for m in (open_moment, close_moment) if m
        )
        if coarse and _TBD.search(folded):
            status = CallStatus.TBD  # "expected to open in June 2026": a month, not a date yet
    else:
        status = _status_without_dates(folded)
    return ParsedPeriod(open_moment, close_moment, status, tuple(warnings))


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=JAPAN)


def _label_year(label: str | None) -> int | None:
    """The first 4-digit or era year in a label ('2025 call for proposals', '令和7年度 公募')."""
    if not label:
        return None
    match = _LABEL_YEAR.search(clean_text(label))
    if match is None:
        return None
    if match["gregorian"]:
        return int(match["gregorian"])
    try:
        return _era_year(match["era"], match["era_year"])
    except ValueError:
        return None  # "令和0年度" names no year


def call_period(raw: str, *, label: str | None = None, year: int | None = None) -> CallPeriod:
    """The CallPeriod record for one call's text: raw text, label, opens/closes, precisions, status, warnings.

    `year` is context for dates printed without one; when None, the first 4-digit (or era) year in
    `label` is used ('2025 call for proposals' → 2025).
    """
    period = parse_period(raw, year=year if year is not None else _label_year(label))
    return CallPeriod(
        label=label,
        raw=raw,
        opens=period.opens.value if period.opens else None,
        closes=period.closes.value if period.closes else None,
        opens_precision=period.opens.precision if period.opens else None,
        closes_precision=period.closes.precision if period.closes else None,
        status=period.status,
        warnings=list(period.warnings),
    )


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """The first and last day of Japanese fiscal year `fy`: April 1 of fy to March 31 of fy + 1."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def parse_fiscal_year(text: str) -> int | None:
    """The first fiscal year named in text ('FY2025', '令和7年度', '2025年度', '平成31年(令和元年)度')."""
    match = _FISCAL_YEAR.search(clean_text(text))
    if match is None:
        return None
    if match["fy"]:
        return int(match["fy"])
    try:
        year, _ = _japanese_year(match)
    except ValueError:
        return None  # "令和0年度" names no year
    return year
