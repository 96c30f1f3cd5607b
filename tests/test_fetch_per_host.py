"""`[fetch] per_host`: how many requests to one host may be in flight at once, against a real server
on 127.0.0.1 that records when each request started and ended. One (the default) keeps the polite
one-at-a-time fetching; more is opt-in, and `min_interval` still spaces the requests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import ValidationError

from ingest.fetch import Fetcher, FetchRequest, FetchResult, FetchSettings
from test_fetch import FAST, JST, Recorded, slow_server


def most_in_flight(recorded: Recorded, delay: float) -> int:
    """The most requests the server held at once, each counted for the first half of its `delay` (a
    handler records its end after the answer is sent, when the client may have sent the next one)."""
    spans = [(start, start + delay / 2) for _, start, _ in recorded.requests]
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


@contextmanager
def fetched(pages: int, delay: float, **settings: object) -> Iterator[tuple[Recorded, list[object], float]]:
    recorded = Recorded()
    with slow_server(delay, recorded) as mirror:
        options = {**FAST, "rewrite_hosts": {JST: mirror}, **settings}
        requests_ = [FetchRequest(f"https://{JST}/{n}.html", ["jst.go.jp"]) for n in range(pages)]
        started = time.monotonic()
        with Fetcher(FetchSettings(**options)) as fetcher:  # type: ignore[arg-type]
            results: list[object] = list(fetcher.fetch_all(requests_))
        yield recorded, results, time.monotonic() - started
    assert [r.final_url for r in results if isinstance(r, FetchResult)] == [r.url for r in requests_]


def test_default_is_one_request_at_a_time() -> None:
    assert FetchSettings().per_host == 1
    with fetched(6, 0.05) as (recorded, _, _):
        assert len(recorded.requests) == 6
        assert most_in_flight(recorded, 0.05) == 1


def test_per_host_lets_that_many_requests_be_in_flight() -> None:
    with fetched(12, 0.15, per_host=3, max_workers=4) as (recorded, _, elapsed):
        assert len(recorded.requests) == 12
        assert most_in_flight(recorded, 0.15) == 3
        assert elapsed < 12 * 0.15 * 0.6  # four batches of three, not twelve one after another


def test_per_host_is_bounded_by_max_workers() -> None:
    with fetched(8, 0.1, per_host=6, max_workers=2) as (recorded, _, _):
        assert most_in_flight(recorded, 0.1) == 2


def test_min_interval_still_spaces_requests_with_per_host() -> None:
    interval = 0.2
    with fetched(4, 0.05, per_host=4, min_interval=interval) as (recorded, _, _):
        spans = sorted(recorded.requests, key=lambda entry: entry[1])
        for (_, start1, end1), (_, start2, _) in itertools.pairwise(spans):
            # no start within the interval of the previous start, nor of an end before it
            assert start2 - start1 >= interval - 0.02
            assert start2 < end1 or start2 - end1 >= interval - 0.02


def test_robots_txt_is_read_once_with_per_host() -> None:
    with fetched(9, 0.05, per_host=3, respect_robots=True) as (recorded, _, _):
        assert [path for path, *_ in recorded.requests].count("/robots.txt") == 1
        first_page = min(start for path, start, _ in recorded.requests if path != "/robots.txt")
        robots_end = next(end for path, _, end in recorded.requests if path == "/robots.txt")
        assert robots_end <= first_page


@pytest.mark.parametrize("value", [0, -1])
def test_per_host_must_be_positive(value: int) -> None:
    with pytest.raises(ValidationError):
        FetchSettings(per_host=value)
