"""Times printed in other zones: the same instant in Japan time, whatever the style; an unknown zone never
gives a time of day. Plus the classes of issue 8 the real-strings corpus has no fragment for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ingest.extract.periods import _ZONE_ABBREVIATIONS, call_period, parse_period
from ingest.models import JAPAN, CallStatus, Precision

# (IANA zone, how it is printed: None = its abbreviation at that date, as tzdata names it)
ZONES = [
    ("Europe/Paris", None),
    ("Europe/London", None),
    ("America/New_York", None),
    ("America/Chicago", "Central Time"),
    ("America/Los_Angeles", None),
    ("Australia/Sydney", None),
    ("Pacific/Auckland", None),
    ("Asia/Tokyo", "JST"),
    ("Asia/Tokyo", "Japan time"),
    ("Asia/Bangkok", "Bangkok time"),
    ("Europe/Paris", "Central European Time"),
    ("UTC", "UTC"),
    ("UTC", "GMT"),
]
ENGLISH_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
]  # fmt: skip


def _local(instant: datetime, key: str) -> datetime:
    local = instant.astimezone(ZoneInfo(key))
    # skip wall-clock times that a summer-time change makes ambiguous: the text could not say which
    assume(local.replace(fold=1).utcoffset() == local.replace(fold=0).utcoffset())
    return local


def _render(local: datetime, zone: str, style: int) -> str:
    month = ENGLISH_MONTHS[local.month - 1]
    hour12 = local.hour % 12 or 12
    meridiem = "a.m." if local.hour < 12 else "p.m."
    if style == 0:
        return f"{month} {local.day}, {local.year} {local:%H:%M} {zone}"
    if style == 1:
        return f"{local.day} {month} {local.year} at {hour12}:{local:%M} {meridiem} {zone}"
    if style == 2:
        return f"{local:%H:%M:%S} ({zone}) on {local:%A}, {month} {local.day}, {local.year}"
    return f"Deadline: {local.day} {month[:3]} {local.year} | {hour12}:{local:%M} {meridiem[0]}m ({zone})"


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda value: value.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES), style=st.integers(0, 3))
def test_a_deadline_in_any_zone_and_style_is_the_same_instant(
    instant: datetime, zone: tuple[str, str | None], style: int
) -> None:
    key, printed = zone
    local = _local(instant, key)
    text = _render(local, printed or local.tzname() or key, style)
    period = parse_period(text)
    assert period.closes is not None, text
    assert period.closes.precision == Precision.MINUTE, (text, period.warnings)
    assert period.closes.value == instant.astimezone(JAPAN), text
    assert period.closes.value.utcoffset() == timedelta(hours=9)


@settings(max_examples=100, deadline=None)
@given(instant=instants, offset_minutes=st.sampled_from([-600, -420, -240, 0, 60, 330, 345, 540, 780]))
def test_numeric_offsets_and_iso_8601(instant: datetime, offset_minutes: int) -> None:
    from datetime import timezone

    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    compact = f"{sign}{hours:02d}{minutes:02d}"
    for text in (
        f"{local:%Y-%m-%dT%H:%M:%S}" + ("Z" if offset_minutes == 0 else f"{sign}{hours:02d}:{minutes:02d}"),
        f"{ENGLISH_MONTHS[local.month - 1]} {local.day}, {local.year} {local:%H:%M} {compact}",
    ):
        if text.endswith("+00:00"):
            continue
        period = parse_period(text)
        assert period.closes is not None and period.closes.value == instant.astimezone(JAPAN), text


unknown_zones = st.text(alphabet="ABCDEFGHIJKLMNOPQRSUVWXYZ", min_size=2, max_size=3).map(lambda s: s + "T")


@settings(max_examples=200, deadline=None)
@given(instant=instants, zone=unknown_zones, style=st.integers(0, 3))
def test_an_unknown_zone_never_gives_minute_precision(instant: datetime, zone: str, style: int) -> None:
    assume(zone.lower() not in _ZONE_ABBREVIATIONS and zone not in ("JST", "UTC", "GMT"))
    text = _render(instant, zone, style)
    period = parse_period(text)
    assert period.closes is not None, text
    assert period.closes.precision == Precision.DAY
    assert period.closes.value == instant.date()
    assert any(f'"{zone}"' in warning for warning in period.warnings), period.warnings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12:00 (noon) CET / 18:00 Bangkok time, 1 March 2026", datetime(2026, 3, 1, 20, tzinfo=JAPAN)),
        # in June, CET names its winter offset: Bangkok time agrees with that literal reading
        ("June 3, 2026 12:00 (noon) CET / 18:00 Bangkok time", datetime(2026, 6, 3, 20, tzinfo=JAPAN)),
        ("2026-05-21T04:00:00Z", datetime(2026, 5, 21, 13, tzinfo=JAPAN)),
        ("June 3, 2026 at 12:00:00 UTC", datetime(2026, 6, 3, 21, tzinfo=JAPAN)),
        ("May 21, 2026 5:00 pm EDT", datetime(2026, 5, 22, 6, tzinfo=JAPAN)),
        ("May 21, 2026 5:00 pm CDT", datetime(2026, 5, 22, 7, tzinfo=JAPAN)),
        ("May 21, 2026 5:00 pm PDT", datetime(2026, 5, 22, 9, tzinfo=JAPAN)),
        ("May 21, 2026 17:00 BST", datetime(2026, 5, 22, 1, tzinfo=JAPAN)),
        ("December 1, 2026 17:00 AEDT", datetime(2026, 12, 1, 15, tzinfo=JAPAN)),
        ("December 1, 2026 17:00 NZDT", datetime(2026, 12, 1, 13, tzinfo=JAPAN)),
        ("June 3 2026 09:00 +05:30", datetime(2026, 6, 3, 12, 30, tzinfo=JAPAN)),
        ("June 3, 2026 17:00 -0400", datetime(2026, 6, 4, 6, tzinfo=JAPAN)),
        ("2026年6月3日 12時00分00秒", datetime(2026, 6, 3, 12, tzinfo=JAPAN)),
        ("June 30, 2026 23:59:59", datetime(2026, 6, 30, 23, 59, 59, tzinfo=JAPAN)),
    ],
)
def test_zones_and_seconds(text: str, expected: datetime) -> None:
    period = parse_period(text)
    assert period.closes is not None and period.closes.precision == Precision.MINUTE, period.warnings
    assert period.closes.value == expected


def test_an_abbreviation_of_the_other_season_is_read_as_local_time_and_said() -> None:
    period = parse_period("July 1, 2026 12:00 CET")
    assert period.closes is not None and period.closes.value == datetime(2026, 7, 1, 19, tzinfo=JAPAN)
    assert period.warnings == (
        'zone "CET" printed for a summer date: read as Europe/Paris local time (CEST)',
    )


@pytest.mark.parametrize("zone", ["XST", "CST", "IST", "local time", "Strasbourg time"])
def test_unresolvable_zones_keep_the_day_and_warn(zone: str) -> None:
    period = parse_period(f"June 3, 2026 17:00 {zone}")
    assert period.closes is not None
    assert (period.closes.value, period.closes.precision) == (date(2026, 6, 3), Precision.DAY)
    assert len(period.warnings) == 1 and f'"{zone}"' in period.warnings[0]


def test_two_zones_that_disagree_keep_the_day() -> None:
    period = parse_period("10/07/21 Thu 13:00 CEST (NordForsk Application Portal) / 17:00 JST (e-Rad)")
    assert period.closes is not None and period.closes.precision == Precision.DAY
    assert "disagree" in period.warnings[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和5/6/30", date(2023, 6, 30)),
        ("R5.6.30", date(2023, 6, 30)),
        ("Ｒ５年６月３０日", date(2023, 6, 30)),
        ("H30.4.2", date(2018, 4, 2)),
        ("締切：令和元年7月1日", date(2019, 7, 1)),
        ("令和八年五月二十日", date(2026, 5, 20)),
        ("二〇二六年五月三十一日", date(2026, 5, 31)),
    ],
)
def test_era_years_with_numeric_dates_and_kanji_numerals(text: str, expected: date) -> None:
    period = parse_period(text)
    assert period.closes is not None and (period.closes.value, period.closes.precision) == (
        expected,
        Precision.DAY,
    )


def test_kanji_times() -> None:
    period = parse_period("令和八年五月二十日（水）十七時三十分")
    assert period.closes is not None and period.closes.value == datetime(2026, 5, 20, 17, 30, tzinfo=JAPAN)


def test_era_year_zero_is_not_a_year() -> None:
    period = parse_period("令和0年6月30日")
    assert period.closes is None and period.status == CallStatus.UNPARSED
    assert "令和0年" in period.warnings[0]


@pytest.mark.parametrize(
    ("text", "opens", "closes"),
    [
        ("令和7年4月1日より令和7年5月30日まで", date(2025, 4, 1), date(2025, 5, 30)),
        ("令和7年4月1日(火)より受付を開始します。", date(2025, 4, 1), None),
        ("令和7年4月1日から公募を開始します。", date(2025, 4, 1), None),
        ("公募説明会を令和7年4月10日に開催します。締切は令和7年5月30日です。", None, date(2025, 5, 30)),
    ],
)
def test_japanese_prose_ranges(text: str, opens: date | None, closes: date | None) -> None:
    period = parse_period(text)
    assert (period.opens.value if period.opens else None) == opens
    assert (period.closes.value if period.closes else None) == closes


@pytest.mark.parametrize(
    ("text", "year", "closes"),
    [
        ("15 th May 2026", None, date(2026, 5, 15)),
        ("May 1 st, 2026", None, date(2026, 5, 1)),
        ("締切：6/30(火)", 2026, date(2026, 6, 30)),
        ("締切：6/30(火)", None, None),
        ("Jun 02 2026 | 5:00 pm", None, datetime(2026, 6, 2, 17, tzinfo=JAPAN)),
        ("June 2, 2026 @ 11:59 pm", None, datetime(2026, 6, 2, 23, 59, tzinfo=JAPAN)),
        ("June 2, 2026, Tuesday, 5:00 pm", None, datetime(2026, 6, 2, 17, tzinfo=JAPAN)),
    ],
)
def test_ordinals_separators_and_month_day(
    text: str, year: int | None, closes: date | datetime | None
) -> None:
    period = parse_period(text, year=year)
    assert (period.closes.value if period.closes else None) == closes


def test_a_month_day_range_takes_the_context_year_and_only_then() -> None:
    period = parse_period("3/1〜3/14", year=2026)
    assert period.opens is not None and period.opens.value == date(2026, 3, 1)
    assert period.closes is not None and period.closes.value == date(2026, 3, 14)
    assert parse_period("3/1〜3/14").closes is None


@pytest.mark.parametrize(
    "text",
    ["常時公募", "随時受付", "随時", "Applications are accepted at any time.", "Open on a rolling basis"],
)
def test_always_open_calls_are_rolling(text: str) -> None:
    assert call_period(text).status == CallStatus.ROLLING


def test_prose_tbd_keeps_the_month_it_gives() -> None:
    period = parse_period("The next call is expected to open in June 2026.")
    assert period.status == CallStatus.TBD
    assert period.opens is not None and (period.opens.value, period.opens.precision) == (
        date(2026, 6, 1),
        Precision.MONTH,
    )
    assert parse_period("The call is expected to open in late 2026.").status == CallStatus.TBD
    assert parse_period("未定").status == CallStatus.TBD


@pytest.mark.parametrize(
    "text", ["1課題当たり総額の1/2以下", "up to 1/3 of the budget", "see page 3/4 of the guideline"]
)
def test_a_fraction_is_not_a_month_day_date(text: str) -> None:
    period = parse_period(text, year=2026)
    assert period.closes is None and period.opens is None


@pytest.mark.parametrize(
    ("text", "closes"),
    [
        (
            "提案書類の受付締切を令和7年5月30日(金)正午まで延長しました。",
            datetime(2025, 5, 30, 12, tzinfo=JAPAN),
        ),
        ("Closing Time: 17:00, June 3, 2026", datetime(2026, 6, 3, 17, tzinfo=JAPAN)),
    ],
)
def test_an_extended_deadline_and_a_time_label_are_still_read(text: str, closes: datetime) -> None:
    period = parse_period(text)
    assert period.closes is not None and period.closes.value == closes, period.warnings


def test_anywhere_on_earth_is_utc_minus_12() -> None:
    for text in ("June 3, 2026 23:59 AoE", "June 3, 2026 23:59 (Anywhere on Earth)"):
        period = parse_period(text)
        assert period.closes is not None and period.closes.value == datetime(2026, 6, 4, 20, 59, tzinfo=JAPAN)


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("June 3, 2026 12:00 midnight", '"midnight" names the start or the end of the day'),
        ("June 3, 2026 17:00 MSK", 'unknown zone "MSK"'),
        ("June 3, 2026 17:00 JST (11:00 CEST)", "disagree"),
    ],
)
def test_a_time_that_cannot_be_placed_keeps_the_day(text: str, warning: str) -> None:
    period = parse_period(text)
    assert period.closes is not None and period.closes.precision == Precision.DAY
    assert warning in period.warnings[0]


def test_a_second_zone_in_brackets_that_agrees() -> None:
    period = parse_period("June 3, 2026 17:00 JST (10:00 CEST)")
    assert period.closes is not None and period.closes.value == datetime(2026, 6, 3, 17, tzinfo=JAPAN)
    assert period.warnings == ()


def test_a_date_of_another_event_is_named_in_a_warning() -> None:
    period = parse_period("公募説明会を令和7年4月10日に開催します。締切は令和7年5月30日正午です。")
    assert period.closes is not None and period.closes.value == datetime(2025, 5, 30, 12, tzinfo=JAPAN)
    assert period.warnings == (
        "not read as the call's dates (another event or a change log): 令和7年4月10日",
    )
