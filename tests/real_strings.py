"""The corpus of real call-period and contact fragments (tests/fixtures/real-strings/), and how a
parse of one is judged. Shared by tests/test_real_strings.py and benchmarks/score_dates.py."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ingest.extract.contacts import find_contacts
from ingest.extract.periods import ParsedMoment, parse_period

CORPUS = Path(__file__).parent / "fixtures" / "real-strings"
IMAGE = "\ue001img\ue001"  # the placeholder an HTML extractor leaves where an image was


def _unescape(text: str) -> str:
    out, chars = [], iter(text)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(nxt, "\\" + nxt))
        else:
            out.append(char)
    return "".join(out)


def _rows(name: str) -> list[dict[str, str]]:
    lines = [
        line for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [{key: _unescape(value or "") for key, value in row.items()} for row in reader]


@dataclass(frozen=True)
class PeriodCase:
    url: str
    text: str
    year: int | None
    opens: str
    opens_precision: str
    closes: str
    closes_precision: str
    status: str

    @property
    def id(self) -> str:
        return f"{self.text[:50]}|{self.year or ''}"


@dataclass(frozen=True)
class ContactCase:
    url: str
    text: str
    image_alt: str
    emails: tuple[str, ...]
    rebuilt: str

    @property
    def id(self) -> str:
        return self.text[:60]


def period_cases() -> list[PeriodCase]:
    return [
        PeriodCase(
            row["source_url"],
            row["text"],
            int(row["year"]) if row["year"] else None,
            row["opens"],
            row["opens_precision"],
            row["closes"],
            row["closes_precision"],
            row["status"],
        )
        for row in _rows("periods.tsv")
    ]


def contact_cases() -> list[ContactCase]:
    return [
        ContactCase(
            row["source_url"], row["text"], row["image_alt"], tuple(row["emails"].split()), row["rebuilt"]
        )
        for row in _rows("contacts.tsv")
    ]


def _iso(moment: ParsedMoment | None) -> tuple[str, str]:
    if moment is None:
        return "", ""
    return moment.value.isoformat(), moment.precision.value


def _as_instant(text: str) -> date | datetime:
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def _end_verdict(got: str, got_precision: str, want: str, want_precision: str) -> str:
    """'right', 'wrong-exact' (a minute or day value that is wrong), 'unparsed' (a value missed), 'wrong'."""
    if (got, got_precision) == (want, want_precision):
        return "right"
    if got and got_precision in ("minute", "day"):
        if want and got_precision == "day" and want_precision == "minute" and got == want[:10]:
            return "unparsed"  # the right day, the time of day missed: less than known, not wrong
        return "wrong-exact"
    if want and not got:
        return "unparsed"
    return "wrong"


def judge_period(case: PeriodCase) -> tuple[str, str]:
    """The verdict on one case and what the parser gave."""
    period = parse_period(case.text, year=case.year)
    opens, opens_precision = _iso(period.opens)
    closes, closes_precision = _iso(period.closes)
    verdicts = [
        _end_verdict(opens, opens_precision, case.opens, case.opens_precision),
        _end_verdict(closes, closes_precision, case.closes, case.closes_precision),
    ]
    got = (
        f"opens={opens or '-'} ({opens_precision or '-'}) closes={closes or '-'} ({closes_precision or '-'}) "
        f"status={period.status.value} warnings={list(period.warnings)}"
    )
    for verdict in ("wrong-exact", "wrong", "unparsed"):
        if verdict in verdicts:
            return verdict, got
    if period.status.value != case.status:
        return "wrong", got
    return "right", got


def judge_contact(case: ContactCase) -> tuple[str, str]:
    text = case.text.replace("{img}", IMAGE)
    contacts = find_contacts(text, image_alts={IMAGE: case.image_alt} if case.image_alt else None)
    emails = tuple(contact.email for contact in contacts if contact.email)
    got = f"emails={list(emails)} rebuilt={[c.rebuilt for c in contacts]}"
    if emails == case.emails and (
        not case.rebuilt or all(c.rebuilt == (case.rebuilt == "yes") for c in contacts if c.email)
    ):
        return "right", got
    if emails and set(emails) - set(case.emails):
        return "wrong-exact", got
    return "unparsed", got
