"""The date and call-period parser: every format the reference document and the program sites print."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract.periods import (
    ParsedMoment,
    call_period,
    find_moments,
    fiscal_year_bounds,
    parse_fiscal_year,
    parse_moment,
    parse_period,
)
from ingest.models import CallPeriod, CallStatus, Precision

JAPAN = timezone(timedelta(hours=9))
DAY, MINUTE, MONTH = Precision.DAY, Precision.MINUTE, Precision.MONTH


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JAPAN)


def assert_moment(moment: ParsedMoment | None, expected: tuple[date | datetime, Precision] | None) -> None:
    """Exact value, exact type (a date is never a midnight datetime) and a +09:00 offset on datetimes."""
    if expected is None:
        assert moment is None
        return
    assert moment is not None
    value, precision = expected
    assert moment.value == value
    assert type(moment.value) is type(value)
    assert moment.precision == precision
    if isinstance(moment.value, datetime):
        assert moment.value.utcoffset() == timedelta(hours=9)
        assert moment.value.isoformat().endswith("+09:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("(Last updated June 11, 2024)", date(2024, 6, 11)), ("(Last updated 16 Apr 2024)", date(2024, 4, 16))],
)
def test_a_last_updated_date_is_read_but_is_not_a_deadline(text: str, expected: date) -> None:
    assert [moment.value for moment in find_moments(text)] == [expected]
    period = parse_period(text)
    assert period.closes is None and period.opens is None
    assert period.status == CallStatus.UNPARSED


# --------------------------------------------------------------------------------------------------
# The reference document (acceptance): call_period with the label the extractor passes.

REFERENCE = [
    pytest.param(
        "2025 call for proposals",
        "April 10 – Noon, June 3",
        (date(2025, 4, 10), DAY),
        (at(2025, 6, 3, 12), MINUTE),
        CallStatus.DATED,
        id="crest-april10-noon-june3",
    ),
    pytest.param(
        "2025 call for Japan based researchers",
        "March 3 – Noon, May 12",
        (date(2025, 3, 3), DAY),
        (at(2025, 5, 12, 12), MINUTE),
        CallStatus.DATED,
        id="aspire-march3-noon-may12",
    ),
    pytest.param(
        "2025 Call for Applications",
        "April 15, 2025 - May 22, 2025 (1:00PM JST)",
        (date(2025, 4, 15), DAY),
        (at(2025, 5, 22, 13), MINUTE),
        CallStatus.DATED,
        id="interstellar-range-time-in-parentheses",
    ),
    pytest.param(
        "2025 Call for Applications — Deadline",
        "June 3, 2025 (12:59) Japan Standard Time (JST)",
        None,
        (at(2025, 6, 3, 12, 59), MINUTE),
        CallStatus.DATED,
        id="deadline-1259-jst",
    ),
    pytest.param(
        "Deadline", "End of March 2025", None, (date(2025, 3, 31), MONTH), CallStatus.DATED, id="end-of-march"
    ),
    pytest.param(
        "2025 Call for Applications", "TBD (the US and Japan)", None, None, CallStatus.TBD, id="tbd-us-japan"
    ),
    pytest.param("Call for Applications", "Depends on programs", None, None, CallStatus.VARIES, id="depends"),
    pytest.param(
        None, "This call for proposals has been closed.", None, None, CallStatus.CLOSED, id="closed-english"
    ),
    pytest.param(None, "募集は終了しました", None, None, CallStatus.CLOSED, id="closed-boshu"),
    pytest.param(None, "公募は終了しました", None, None, CallStatus.CLOSED, id="closed-koubo"),
]


@pytest.mark.parametrize(("label", "raw", "opens", "closes", "status"), REFERENCE)
def test_reference_document_calls(
    label: str | None,
    raw: str,
    opens: tuple[date | datetime, Precision] | None,
    closes: tuple[date | datetime, Precision] | None,
    status: CallStatus,
) -> None:
    record = call_period(raw, label=label)
    assert isinstance(record, CallPeriod)
    assert (record.label, record.raw, record.status) == (label, raw, status)
    assert (record.opens, record.opens_precision) == (opens if opens else (None, None))
    assert (record.closes, record.closes_precision) == (closes if closes else (None, None))
    for value in (record.opens, record.closes):
        assert value is None or not isinstance(value, datetime) or value.utcoffset() == timedelta(hours=9)
    assert record.warnings == []


def test_call_period_serializes_dates_as_dates_and_datetimes_with_offset() -> None:
    record = call_period("April 10 – Noon, June 3", label="2025 call for proposals")
    dumped = record.model_dump(mode="json")
    assert dumped["opens"] == "2025-04-10"
    assert dumped["closes"] == "2025-06-03T12:00:00+09:00"
    assert CallPeriod.model_validate(dumped).opens == date(2025, 4, 10)


# --------------------------------------------------------------------------------------------------
# Vague dates: "End of" is the last day; mid → 15th, late → last day, early → 1st; always MONTH.

VAGUE = [
    pytest.param("Mid-June, 2021", None, date(2021, 6, 15), id="mid-june"),
    pytest.param("Late December 2024", None, date(2024, 12, 31), id="late-december"),
    pytest.param("Late February 2024", None, date(2024, 2, 29), id="late-february-leap"),
    pytest.param("Early May", 2025, date(2025, 5, 1), id="early-may-context"),
    pytest.param("the end of February 2025", None, date(2025, 2, 28), id="end-of-february"),
    pytest.param("March 2024", None, date(2024, 3, 1), id="month-and-year"),
    pytest.param("6月下旬", 2025, date(2025, 6, 30), id="gejun"),
    pytest.param("令和7年7月上旬", None, date(2025, 7, 1), id="jojun"),
    pytest.param("2025年3月末", None, date(2025, 3, 31), id="getsumatsu"),
    pytest.param("令和5年4月(予定)", None, date(2023, 4, 1), id="month-planned"),
    pytest.param("令和7年度末", None, date(2026, 3, 31), id="fiscal-year-end"),
]


@pytest.mark.parametrize(("text", "year", "expected"), VAGUE)
def test_vague_dates_have_month_precision(text: str, year: int | None, expected: date) -> None:
    assert_moment(parse_moment(text, year=year), (expected, MONTH))


# --------------------------------------------------------------------------------------------------
# The program websites (program-sites.md, sections 1–5).

SITES = [
    # JST
    pytest.param(
        "April 30, 2020(Thu)- June 30, 2020(Tue) 12:00noon, Japan time",
        None,
        (date(2020, 4, 30), DAY),
        (at(2020, 6, 30, 12), MINUTE),
        id="jst-mirai",
    ),
    pytest.param(
        "Wednesday, October 25, 2023 12:00 pm (noon) <Strictly enforced>",
        None,
        None,
        (at(2023, 10, 25, 12), MINUTE),
        id="forest-deadline",
    ),
    pytest.param("Wednesday, August 23, 2023", None, None, (date(2023, 8, 23), DAY), id="forest-start-row"),
    pytest.param(
        "(Thursday, September 18 at noon)",
        2025,
        None,
        (at(2025, 9, 18, 12), MINUTE),
        id="forest-notice-no-year",
    ),
    pytest.param(
        "Tuesday April 5 (Mon.) ~ Noon (12:00, Japan time) on June 8 (Tue.), 2021",
        None,
        (date(2021, 4, 5), DAY),
        (at(2021, 6, 8, 12), MINUTE),
        id="ristex-contradictory-weekday",
    ),
    pytest.param(
        "2025年4月10日（木）～6月3日（火）正午",
        None,
        (date(2025, 4, 10), DAY),
        (at(2025, 6, 3, 12), MINUTE),
        id="crest-ja-fullwidth",
    ),
    pytest.param(
        "2019年4月9日(火)~ 6月4日(火)午前12時(正午): CREST",
        None,
        (date(2019, 4, 9), DAY),
        (at(2019, 6, 4, 12), MINUTE),
        id="crest-ja-gozen12-shogo",
    ),
    # AMED Japanese
    pytest.param(
        "令和7年6月13日(金) 正午【厳守】", None, None, (at(2025, 6, 13, 12), MINUTE), id="amed-shogo"
    ),
    pytest.param(
        "令和5年4月17日(月) 正午【厳守】 (期間を過ぎた場合には一切受理できませんので注意してください。)",
        None,
        None,
        (at(2023, 4, 17, 12), MINUTE),
        id="amed-shogo-with-note",
    ),
    pytest.param(
        "令和2年7月30日(木) 17時00分【厳守】", None, None, (at(2020, 7, 30, 17), MINUTE), id="amed-17ji"
    ),
    pytest.param(
        "令和2年6月11日(木) 【午前10時】締め切り時間厳守",
        None,
        None,
        (at(2020, 6, 11, 10), MINUTE),
        id="amed-gozen10",
    ),
    pytest.param("令和3年3月31日(水)", None, None, (date(2021, 3, 31), DAY), id="amed-date-only"),
    pytest.param(
        "令和5年8月3日(木)~令和5年9月1日(金)正午【厳守】",
        None,
        (date(2023, 8, 3), DAY),
        (at(2023, 9, 1, 12), MINUTE),
        id="amed-era-range",
    ),
    pytest.param(
        "公募課題2:令和2年1月20日(月)~令和2年7月30日(木)17時00分【厳守】",
        None,
        (date(2020, 1, 20), DAY),
        (at(2020, 7, 30, 17), MINUTE),
        id="amed-subcall",
    ),
    pytest.param("令和2年7月30日 午後3時", None, None, (at(2020, 7, 30, 15), MINUTE), id="gogo-3ji"),
    pytest.param(
        "令和７年６月１３日（金）１２時", None, None, (at(2025, 6, 13, 12), MINUTE), id="fullwidth-digits"
    ),
    pytest.param("令和元年5月1日", None, None, (date(2019, 5, 1), DAY), id="gannen"),
    pytest.param("平成31年(令和元年)5月1日", None, None, (date(2019, 5, 1), DAY), id="heisei-reiwa-overlap"),
    pytest.param("平成31年4月30日", None, None, (date(2019, 4, 30), DAY), id="heisei"),
    pytest.param("平成元年1月8日", None, None, (date(1989, 1, 8), DAY), id="heisei-gannen"),
    pytest.param("㋿7年6月13日", None, None, (date(2025, 6, 13), DAY), id="reiwa-ligature"),
    pytest.param("2022年5月27日(金)付けで", None, None, (date(2022, 5, 27), DAY), id="jsps-seireki"),
    pytest.param(
        "GACD への提案締め切り:UTC 15時00分(日本時間7月31日 0時00分)",
        2020,
        None,
        (at(2020, 7, 31, 0), MINUTE),
        id="amed-utc-with-japan-time",
    ),
    # AMED English
    pytest.param("05/25/21 Tue 12:59 JST", None, None, (at(2021, 5, 25, 12, 59), MINUTE), id="us-1259-jst"),
    pytest.param("12/14/18 Fri (23:59 pm)", None, None, (at(2018, 12, 14, 23, 59), MINUTE), id="us-2359-pm"),
    pytest.param(
        "05/28/24 Tue 12:00 noon (Japan Standard Time)",
        None,
        None,
        (at(2024, 5, 28, 12), MINUTE),
        id="us-noon",
    ),
    pytest.param("07/30/20 Thu", None, None, (date(2020, 7, 30), DAY), id="us-date-only"),
    pytest.param(
        "April 5, 2023 - May 22, 2023 (15:00PM JST)",
        None,
        (date(2023, 4, 5), DAY),
        (at(2023, 5, 22, 15), MINUTE),
        id="impossible-15pm",
    ),
    pytest.param(
        "February 7, 2023 – April 5, 2023 (13:00pm Japan Standard Time)",
        None,
        (date(2023, 2, 7), DAY),
        (at(2023, 4, 5, 13), MINUTE),
        id="impossible-13pm",
    ),
    pytest.param(
        "May 10, 2024 – July 5, 2024 (1:00 pm Japan Standard Time)",
        None,
        (date(2024, 5, 10), DAY),
        (at(2024, 7, 5, 13), MINUTE),
        id="range-1pm",
    ),
    pytest.param(
        "Solicitation Theme #1: 2020.Jan.20 Fri- 2020.April.10 Fri",
        None,
        (date(2020, 1, 20), DAY),
        (date(2020, 4, 10), DAY),
        id="dotted",
    ),
    pytest.param(
        "New submission deadline is 12:59, 25th May, 2021 (JST)",
        None,
        None,
        (at(2021, 5, 25, 12, 59), MINUTE),
        id="time-before-ordinal-date",
    ),
    pytest.param("by noon of Wednesday, May 25", 2022, None, (at(2022, 5, 25, 12), MINUTE), id="noon-of"),
    pytest.param("by 2 p.m. May 25", 2022, None, (at(2022, 5, 25, 14), MINUTE), id="2pm-before-date"),
    pytest.param("17th May, 2021", None, None, (date(2021, 5, 17), DAY), id="ordinal-17th"),
    pytest.param("3th July, 2024", None, None, (date(2024, 7, 3), DAY), id="ordinal-3th-sic"),
    pytest.param("April 17, 2023:", None, None, (date(2023, 4, 17), DAY), id="change-log"),
    # JSPS
    pytest.param(
        "August 30, 2024 (by 5 p.m. (JST))", None, None, (at(2024, 8, 30, 17), MINUTE), id="jsps-5pm-nested"
    ),
    pytest.param(
        "April 1, 2025 -September 30, 2025",
        None,
        (date(2025, 4, 1), DAY),
        (date(2025, 9, 30), DAY),
        id="jsps-arrival-period",
    ),
    pytest.param(
        "Late October 2023 - Late February 2024",
        None,
        (date(2023, 10, 31), MONTH),
        (date(2024, 2, 29), MONTH),
        id="vague-range",
    ),
    # HFSP
    pytest.param(
        "i. Compulsory initiation of a letter of Intent by obtaining an LOI ID number (1XXXXXX) "
        "by 18 March 2025 (updated for each cycle)",
        None,
        None,
        (date(2025, 3, 18), DAY),
        id="hfsp-by-d-month-yyyy",
    ),
    pytest.param(
        "ii. Submission of Letters of Intent: 27 March 2025 (updated for each cycle)",
        None,
        None,
        (date(2025, 3, 27), DAY),
        id="hfsp-submission",
    ),
    pytest.param("open until 15 May 2024", None, None, (date(2024, 5, 15), DAY), id="hfsp-open-until"),
    # Other separators and forms
    pytest.param(
        "April 10 to June 3, 2025",
        None,
        (date(2025, 4, 10), DAY),
        (date(2025, 6, 3), DAY),
        id="to-start-takes-year",
    ),
    pytest.param(
        "2025/04/10 - 2025/06/03 17:00",
        None,
        (date(2025, 4, 10), DAY),
        (at(2025, 6, 3, 17), MINUTE),
        id="slashed-ymd",
    ),
    pytest.param(
        "2025年4月10日〜2025年6月3日", None, (date(2025, 4, 10), DAY), (date(2025, 6, 3), DAY), id="wave-dash"
    ),
    pytest.param("2025年6月3日 24時", None, None, (at(2025, 6, 4, 0), MINUTE), id="24ji-is-next-midnight"),
]


@pytest.mark.parametrize(("text", "year", "opens", "closes"), SITES)
def test_program_site_formats(
    text: str,
    year: int | None,
    opens: tuple[date | datetime, Precision] | None,
    closes: tuple[date | datetime, Precision] | None,
) -> None:
    period = parse_period(text, year=year)
    assert_moment(period.opens, opens)
    assert_moment(period.closes, closes)
    assert period.status == CallStatus.DATED


# --------------------------------------------------------------------------------------------------
# Time zones: a time marked UTC (or another zone) is converted to Japan time.

ZONES = [
    pytest.param("July 30, 2020 15:00 UTC", at(2020, 7, 31, 0), id="utc-next-japanese-day"),
    pytest.param("2020年7月30日 UTC 15時00分", at(2020, 7, 31, 0), id="utc-before-ja-time"),
    pytest.param("March 3, 2025 17:00 CET", at(2025, 3, 4, 1), id="cet"),
    pytest.param("15:00 (UTC+1) March 3, 2025", at(2025, 3, 3, 23), id="utc-plus-offset-before-date"),
    pytest.param("June 3, 2025 12:00 GMT", at(2025, 6, 3, 21), id="gmt"),
    pytest.param("June 3, 2025 12:00 (JST)", at(2025, 6, 3, 12), id="jst-is-japan"),
]


@pytest.mark.parametrize(("text", "expected"), ZONES)
def test_times_with_zones_are_converted_to_japan_time(text: str, expected: datetime) -> None:
    assert_moment(parse_moment(text), (expected, MINUTE))


# --------------------------------------------------------------------------------------------------
# Year inference

YEARS = [
    pytest.param(
        "2025年4月10日～6月3日", None, date(2025, 4, 10), date(2025, 6, 3), id="end-takes-start-year"
    ),
    pytest.param(
        "December 10, 2024 – January 15",
        None,
        date(2024, 12, 10),
        date(2025, 1, 15),
        id="end-rolls-to-next-year",
    ),
    pytest.param(
        "April 10 – June 3, 2025", None, date(2025, 4, 10), date(2025, 6, 3), id="start-takes-end-year"
    ),
    pytest.param(
        "December 10 – January 15, 2025", None, date(2024, 12, 10), date(2025, 1, 15), id="start-rolls-back"
    ),
    pytest.param("April 10 – June 3", 2025, date(2025, 4, 10), date(2025, 6, 3), id="context"),
    pytest.param(
        "December 10 – January 15", 2024, date(2024, 12, 10), date(2025, 1, 15), id="context-rollover"
    ),
    pytest.param(
        "April 10, 2024 – June 3", 2030, date(2024, 4, 10), date(2024, 6, 3), id="printed-beats-context"
    ),
]


@pytest.mark.parametrize(("text", "year", "opens", "closes"), YEARS)
def test_year_inference(text: str, year: int | None, opens: date, closes: date) -> None:
    period = parse_period(text, year=year)
    assert_moment(period.opens, (opens, DAY))
    assert_moment(period.closes, (closes, DAY))


def test_a_date_without_a_year_or_context_is_not_a_date() -> None:
    assert parse_moment("June 3") is None
    assert parse_moment("(Thursday, September 18 at noon)") is None
    text = "6月3日(火)正午 and June 3, 2025"
    moments = find_moments(text)
    assert [(moment.value, text[moment.span[0] : moment.span[1]]) for moment in moments] == [
        (date(2025, 6, 3), "June 3, 2025")
    ]


# --------------------------------------------------------------------------------------------------
# Statuses and warnings

STATUSES = [
    pytest.param("TBD (the US and Japan)", CallStatus.TBD, id="tbd"),
    pytest.param("To be announced", CallStatus.TBD, id="to-be-announced"),
    pytest.param("未定", CallStatus.TBD, id="mitei"),
    pytest.param("Depends on programs", CallStatus.VARIES, id="depends"),
    pytest.param("Application periods vary depending on the program.", CallStatus.VARIES, id="vary"),
    pytest.param("This call for proposals has been closed.", CallStatus.CLOSED, id="has-been-closed"),
    pytest.param("Applications for the FY2026 are already closed.", CallStatus.CLOSED, id="already-closed"),
    pytest.param(
        "The registration site for the 2018 Fellowships is closed.", CallStatus.CLOSED, id="is-closed"
    ),
    pytest.param("募集は終了しました", CallStatus.CLOSED, id="boshu-shuryo"),
    pytest.param("公募は終了しました", CallStatus.CLOSED, id="koubo-shuryo"),
    pytest.param("Please see the guidelines.", CallStatus.UNPARSED, id="no-date"),
    pytest.param("June 3", CallStatus.UNPARSED, id="no-year"),
    pytest.param("", CallStatus.UNPARSED, id="empty"),
]


@pytest.mark.parametrize(("text", "status"), STATUSES)
def test_statuses_without_dates(text: str, status: CallStatus) -> None:
    period = parse_period(text)
    assert (period.opens, period.closes, period.status) == (None, None, status)


WARNINGS = [
    pytest.param(
        "Tuesday April 5 (Mon.) ~ Noon (12:00, Japan time) on June 8 (Tue.), 2021",
        None,
        ["weekday (Tuesday) does not match 2021-04-05 (Monday)"],
        id="english-weekday",
    ),
    pytest.param(
        "令和7年6月13日（木）正午",
        None,
        ["weekday (木) does not match 2025-06-13 (Friday)"],
        id="japanese-weekday",
    ),
    pytest.param(
        "2020.Jan.20 Fri- 2020.April.10 Fri",
        None,
        ["weekday (Fri) does not match 2020-01-20 (Monday)"],
        id="dotted",
    ),
    pytest.param(
        "05/25/21 Wed 12:59 JST",
        None,
        ["weekday (Wed) does not match 2021-05-25 (Tuesday)"],
        id="us-bare-weekday",
    ),
    pytest.param("February 30, 2025", None, ["'February 30, 2025' is not a calendar date"], id="no-such-day"),
    pytest.param("June 3 at noon", None, ["'June 3' has no year and the context gives none"], id="no-year"),
    pytest.param(
        "June 3, 2025 - May 1, 2025",
        None,
        ["closes (2025-05-01) before it opens (2025-06-03)"],
        id="backwards",
    ),
    pytest.param(
        "平成30年(令和元年)5月1日",
        None,
        ["'平成30年(令和元年)5月1日' names two different years (2018 and 2019)"],
        id="eras",
    ),
    pytest.param(
        "1st | August 30, 2024 (by 5 p.m. (JST)) | Late December 2024 | 120",
        None,
        ["1 more date(s) after the period were not read: Late December 2024"],
        id="more-dates",
    ),
    pytest.param(
        "June 3, 2025: this call has been closed.",
        None,
        [
            "the call is closed; June 3, 2025 is not read as its deadline"
        ],  # the notice's date, or the deadline?
        id="closed-dated",
    ),
    pytest.param(
        "Deadline: June 3, 2025. This call has been closed.",
        None,
        ["the text also says the call is closed"],
        id="closed-with-deadline",
    ),
]


@pytest.mark.parametrize(("text", "year", "warnings"), WARNINGS)
def test_warnings(text: str, year: int | None, warnings: list[str]) -> None:
    assert list(parse_period(text, year=year).warnings) == warnings


def test_weekdays_that_match_give_no_warning() -> None:
    text = "April 30, 2020(Thu)- June 30, 2020(Tue) 12:00noon, Japan time 令和7年6月13日(金・祝)"
    assert all("weekday" not in warning for warning in parse_period(text).warnings)


# --------------------------------------------------------------------------------------------------
# Lone starts, open-ended ranges

OPENINGS = [
    pytest.param("令和7年4月1日～", date(2025, 4, 1), None, id="open-ended-ja"),
    pytest.param("from April 1, 2025", date(2025, 4, 1), None, id="from"),
    pytest.param("April 1, 2025 - TBD", date(2025, 4, 1), None, id="until-tbd"),
    pytest.param(
        "Call for research application start | Wednesday, August 23, 2023 "
        "Application deadline | Wednesday, October 25, 2023 12:00 pm (noon)",
        date(2023, 8, 23),
        at(2023, 10, 25, 12),
        id="start-row-then-deadline-row",
    ),
]


@pytest.mark.parametrize(("text", "opens", "closes"), OPENINGS)
def test_marked_starts_open_the_period(text: str, opens: date, closes: datetime | None) -> None:
    period = parse_period(text)
    assert_moment(period.opens, (opens, DAY))
    assert_moment(period.closes, (closes, MINUTE) if closes else None)


# --------------------------------------------------------------------------------------------------
# find_moments and spans

AMED_CELL = (
    "公募課題2:令和2年1月20日(月)~令和2年7月30日(木)17時00分【厳守】\n"
    "e-Radへの提案締め切り:日本時間 17時00分\n"
    "GACD への提案締め切り:UTC 15時00分(日本時間7月31日 0時00分)"
)


def test_find_moments_reads_every_date_in_order() -> None:
    values = [moment.value for moment in find_moments(AMED_CELL, year=2020)]
    assert values == [date(2020, 1, 20), at(2020, 7, 30, 17), at(2020, 7, 31, 0)]
    # Without context the year-less GACD date is skipped, not guessed.
    assert [moment.value for moment in find_moments(AMED_CELL)] == values[:2]


def test_spans_point_into_the_input_even_when_it_is_full_width() -> None:
    text = "締切：　令和７年６月１３日（金）　１２時００分【厳守】"
    moment = parse_moment(text)
    assert moment is not None
    assert text[moment.span[0] : moment.span[1]] == "令和７年６月１３日（金）　１２時００分"


def test_spans_cover_a_time_printed_before_its_date() -> None:
    text = "2025 call for proposals: April 10 – Noon, June 3"
    spans = [text[m.span[0] : m.span[1]] for m in find_moments(text, year=2025)]
    assert spans == ["April 10", "Noon, June 3"]


NOT_DATES = [
    pytest.param("Researchers may apply for up to 3 years.", id="may-the-verb"),
    pytest.param("TEL: 03-6870-2229, +81-3-3263-2480, 9094", id="phone-numbers"),
    pytest.param("1-7-1, Otemachi, Chiyoda-ku, Tokyo, 100-0004 Japan", id="address"),
    pytest.param(
        "令和7年度 「医学系研究支援プログラム」 1課題当たり年間 19,000千円(上限)", id="fiscal-year-and-budget"
    ),
    pytest.param("0~5 課題程度, 4月から", id="counts-and-bare-month"),
    pytest.param("Application Guideline (chapter1-5) PDF (PDF: 1.1MB) 2025", id="bare-year"),
    pytest.param("Early-stage researchers; the 2018 HFSP Awardees Meeting", id="early-stage"),
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_text_without_dates_gives_no_moments(text: str) -> None:
    assert find_moments(text, year=2025) == []


# --------------------------------------------------------------------------------------------------
# Fiscal years and label context

FISCAL_YEARS = [
    pytest.param("令和7年度", 2025, id="reiwa"),
    pytest.param("平成31年(令和元年)度", 2019, id="overlap"),
    pytest.param("外国人招へい研究者 令和5(2023)年度分募集要項", 2023, id="era-with-gregorian"),
    pytest.param("2025年度", 2025, id="seireki"),
    pytest.param("Selection Schedule for FY 2023", 2023, id="fy-spaced"),
    pytest.param("FY2026 Application Guideline", 2026, id="fy"),
    pytest.param("2025 call for proposals", None, id="not-a-fiscal-year"),
]


@pytest.mark.parametrize(("text", "expected"), FISCAL_YEARS)
def test_parse_fiscal_year(text: str, expected: int | None) -> None:
    assert parse_fiscal_year(text) == expected


def test_fiscal_year_bounds() -> None:
    assert fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 3, 31))
    first, last = fiscal_year_bounds(parse_fiscal_year("令和7年度") or 0)
    assert (first, last) == (date(2025, 4, 1), date(2026, 3, 31))


LABEL_CONTEXT = [
    pytest.param("2025 call for proposals", None, date(2025, 6, 3), id="gregorian-label"),
    pytest.param("令和7年度 公募", None, date(2025, 6, 3), id="era-label"),
    pytest.param("FY 2024 call", None, date(2024, 6, 3), id="fy-label"),
    pytest.param("2025 call for proposals", 2030, date(2030, 6, 3), id="explicit-year-wins"),
]


@pytest.mark.parametrize(("label", "year", "closes"), LABEL_CONTEXT)
def test_call_period_takes_year_context_from_label(label: str, year: int | None, closes: date) -> None:
    record = call_period("June 3", label=label, year=year)
    assert (record.closes, record.closes_precision, record.status) == (closes, DAY, CallStatus.DATED)


def test_call_period_without_any_year_is_unparsed_with_a_warning() -> None:
    record = call_period("April 10 – Noon, June 3", label="Call for proposals")
    assert (record.opens, record.closes, record.status) == (None, None, CallStatus.UNPARSED)
    assert record.warnings == [
        "'April 10' has no year and the context gives none",
        "'June 3' has no year and the context gives none",
    ]


# --------------------------------------------------------------------------------------------------
# Property-based: a random date (and time) written in each supported style parses back exactly.

MONTH_NAMES = "January February March April May June July August September October November December".split()
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_JA = "月火水木金土日"
FULL_WIDTH = str.maketrans("0123456789():~", "０１２３４５６７８９（）：～")

Style = Callable[[date, time | None, bool, int], str]
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
clocks = st.none() | st.builds(time, hour=st.integers(0, 23), minute=st.integers(0, 59))


def clock_24(clock: time) -> str:
    return f"{clock.hour}:{clock.minute:02d}"


def clock_12(clock: time, variant: int) -> str:
    """'2:05 p.m.', '2:05PM', '2 pm', 'noon'."""
    if (clock.hour, clock.minute) == (12, 0) and variant == 0:
        return "noon"
    hour = clock.hour % 12 or 12
    meridiem = ("a.m.", "AM", "am")[variant] if clock.hour < 12 else ("p.m.", "PM", "pm")[variant]
    if clock.minute == 0 and variant == 2:
        return f"{hour} {meridiem}"
    return f"{hour}:{clock.minute:02d}{' ' if variant != 1 else ''}{meridiem}"


def clock_ja(clock: time, variant: int) -> str:
    """'14時05分', '午後2時05分', '正午', '14:05'."""
    if (clock.hour, clock.minute) == (12, 0) and variant == 0:
        return "正午"
    if variant == 1 and clock.hour >= 13:
        return f"午後{clock.hour - 12}時{clock.minute:02d}分"
    if variant == 2:
        return clock_24(clock)
    return f"{clock.hour}時{clock.minute:02d}分"


def english_long(day: date, clock: time | None, weekday: bool, variant: int) -> str:
    text = f"{MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"
    if weekday:
        text = (
            f"{WEEKDAYS_EN[day.weekday()]}, {text}"
            if variant % 2
            else f"{text} ({WEEKDAYS_EN[day.weekday()][:3]})"
        )
    if clock is None:
        return text
    if variant == 2:
        return (
            f"{clock_12(clock, 0).capitalize()}, {text}"  # "Noon, June 3, 2025" / "2:05 p.m., June 3, 2025"
        )
    return f"{text} ({clock_12(clock, variant)} JST)" if variant else f"{text} {clock_24(clock)}"


def day_month_year(day: date, clock: time | None, weekday: bool, variant: int) -> str:
    ordinal = (
        ("th", "st", "nd", "rd")[day.day % 10] if day.day % 10 < 4 and day.day not in (11, 12, 13) else "th"
    )
    text = (
        f"{day.day}{ordinal} {MONTH_NAMES[day.month - 1]}, {day.year}"
        if variant
        else f"{day.day} {MONTH_NAMES[day.month - 1][:3]} {day.year}"
    )
    if weekday:
        text += f" ({WEEKDAYS_EN[day.weekday()][:3]}.)"
    return text if clock is None else f"{clock_24(clock)}, {text}"


def us_style(day: date, clock: time | None, weekday: bool, variant: int) -> str:
    text = f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}"
    if weekday:
        text += f" {WEEKDAYS_EN[day.weekday()][:3]}"
    if clock is None:
        return text
    return f"{text} ({clock_12(clock, variant)})" if variant else f"{text} {clock_24(clock)} JST"


def japanese_seireki(day: date, clock: time | None, weekday: bool, variant: int) -> str:
    text = f"{day.year}年{day.month}月{day.day}日"
    if weekday:
        text += f"({WEEKDAYS_JA[day.weekday()]})"
    return text if clock is None else text + clock_ja(clock, variant)


def japanese_era(day: date, clock: time | None, weekday: bool, variant: int) -> str:
    era, first_year = ("令和", 2019) if day >= date(2019, 5, 1) else ("平成", 1989)
    number = day.year - first_year + 1
    text = f"{era}{'元' if number == 1 else number}年{day.month}月{day.day}日"
    if weekday:
        text += f"({WEEKDAYS_JA[day.weekday()]})"
    return text if clock is None else f"{text} {clock_ja(clock, variant)}"


def japanese_full_width(day: date, clock: time | None, weekday: bool, variant: int) -> str:
    return japanese_era(day, clock, weekday, variant).translate(FULL_WIDTH).replace(" ", "\u3000")


STYLES = [
    pytest.param(english_long, id="english-long"),
    pytest.param(day_month_year, id="d-month-yyyy"),
    pytest.param(us_style, id="us-mm-dd-yy"),
    pytest.param(japanese_seireki, id="japanese-seireki"),
    pytest.param(japanese_era, id="japanese-era"),
    pytest.param(japanese_full_width, id="full-width"),
]


@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=60, deadline=None)
@given(day=days, clock=clocks, weekday=st.booleans(), variant=st.integers(0, 2))
def test_written_dates_parse_back(
    style: Style, day: date, clock: time | None, weekday: bool, variant: int
) -> None:
    text = style(day, clock, weekday, variant)
    moment = parse_moment(text)
    if clock is None:
        assert_moment(moment, (day, DAY))
    else:
        assert_moment(moment, (datetime.combine(day, clock, tzinfo=JAPAN), MINUTE))
    assert parse_period(text).warnings == (), text


@settings(max_examples=60, deadline=None)
@given(start=days, length=st.integers(0, 330), clock=clocks, japanese=st.booleans())
def test_ranges_with_the_year_omitted_on_the_end_parse_back(
    start: date, length: int, clock: time | None, japanese: bool
) -> None:
    end = start + timedelta(days=length)
    if japanese:
        end_text = f"{end.month}月{end.day}日({WEEKDAYS_JA[end.weekday()]})" + (
            clock_ja(clock, 0) if clock else ""
        )
        text = f"{japanese_seireki(start, None, True, 0)}～{end_text}"
    else:
        end_text = f"{MONTH_NAMES[end.month - 1]} {end.day}"
        end_text = f"{clock_12(clock, 0).capitalize()}, {end_text}" if clock else end_text
        text = f"{MONTH_NAMES[start.month - 1]} {start.day} – {end_text}"
    period = parse_period(text, year=None if japanese else start.year)
    assert_moment(period.opens, (start, DAY))
    assert_moment(
        period.closes, (datetime.combine(end, clock, tzinfo=JAPAN), MINUTE) if clock else (end, DAY)
    )
    assert period.warnings == ()


@settings(max_examples=60, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)))
def test_utc_times_parse_back_as_the_same_instant(moment: datetime) -> None:
    moment = moment.replace(second=0, microsecond=0, tzinfo=UTC)
    text = f"{MONTH_NAMES[moment.month - 1]} {moment.day}, {moment.year} {moment:%H:%M} UTC"
    parsed = parse_moment(text)
    assert_moment(parsed, (moment.astimezone(JAPAN), MINUTE))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(days, st.sampled_from([english_long, japanese_era, us_style])), min_size=1, max_size=5)
)
def test_find_moments_returns_every_written_date_in_order(items: list[tuple[date, Style]]) -> None:
    text = " ; ".join(style(day, None, False, 0) for day, style in items)
    assert [moment.value for moment in find_moments(text)] == [day for day, _ in items]
