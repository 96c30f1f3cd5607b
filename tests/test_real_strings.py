"""Every labelled fragment of the real-strings corpus parses to its label (tests/fixtures/real-strings/)."""

from __future__ import annotations

import pytest

from real_strings import contact_cases, judge_contact, judge_period, period_cases

PERIODS = period_cases()
CONTACTS = contact_cases()


def test_the_corpus_is_large_and_sourced() -> None:
    assert len(PERIODS) + len(CONTACTS) >= 150
    assert all(case.url.startswith("http") for case in [*PERIODS, *CONTACTS])


@pytest.mark.parametrize("case", PERIODS, ids=lambda case: case.id)
def test_call_period(case) -> None:  # type: ignore[no-untyped-def]
    verdict, got = judge_period(case)
    assert verdict == "right", got


@pytest.mark.parametrize("case", CONTACTS, ids=lambda case: case.id)
def test_contact(case) -> None:  # type: ignore[no-untyped-def]
    verdict, got = judge_contact(case)
    assert verdict == "right", got
