"""Bounded fetching against misbehaving servers on 127.0.0.1: a server that drips its body, one that
never answers, a run that outlives its time budget, a host name with a trailing dot."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest

from ingest.errors import ErrorKind, FetchError
from ingest.fetch import Fetcher, FetchRequest, FetchResult, FetchSettings
from site_server import serve_handler

JST = "www.jst.go.jp"
FAST: dict[str, Any] = {"connect_timeout": 1, "read_timeout": 0.5, "retries": 2, "backoff_factor": 0.01}
FAST |= {"min_interval": 0, "respect_robots": False}
BODY = b"<html><body>" + b"x" * 400 + b"</body></html>"


@contextmanager
def misbehaving(mode: str, body: bytes = BODY) -> Iterator[tuple[str, list[str]]]:
    """`drip`: headers at once, then one byte every 0.1 s; `silent`: reads the request, never answers;
    `ok`: a page at once; `redirect-ENCODING`: /start redirects to /公募/要領.html written in that
    encoding, any other path is a page. Yields host:port and the paths asked for."""
    asked: list[str] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            if mode.startswith("redirect-") and self.path == "/start":
                # Raw header bytes, as a Japanese site may send them: http.server would encode Latin-1.
                location = "/公募/要領.html".encode(mode.removeprefix("redirect-"))
                self.wfile.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\n")
                self.wfile.write(b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                self.close_connection = True
                return
            if mode == "silent":
                stop.wait(10)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for index in range(len(body)):
                    if mode == "drip":
                        if stop.wait(0.1):
                            return
                    self.wfile.write(body[index : index + 1])
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serve_handler(Handler) as mirror:
        try:
            yield mirror, asked
        finally:
            stop.set()  # wakes the handlers still dripping, before the server stops


def _fetcher(mirror: str, **overrides: Any) -> Fetcher:
    return Fetcher(FetchSettings(**{**FAST, "rewrite_hosts": {JST: mirror}, **overrides}))


def _page(path: str, host: str = JST) -> FetchRequest:
    return FetchRequest(f"https://{host}{path}", allowed_domains=["jst.go.jp"])


def test_a_dripping_server_is_cut_off_at_the_page_timeout() -> None:
    with misbehaving("drip") as (mirror, _), _fetcher(mirror, page_timeout=1.5) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(_page("/drip.html"))
        elapsed = time.monotonic() - started
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert "took longer than 1.5 s to arrive" in str(caught.value)
    assert 1.4 < elapsed < 4  # the read timeout (0.5 s) never fires: a byte comes every 0.1 s


def test_a_silent_host_costs_two_timed_out_pages_then_its_pages_are_not_tried() -> None:
    with misbehaving("silent") as (mirror, asked), _fetcher(mirror) as fetcher:
        started = time.monotonic()
        results = fetcher.fetch_all([_page(f"/p{n}.html") for n in range(5)])
        elapsed = time.monotonic() - started
    assert all(isinstance(r, FetchError) and r.kind is ErrorKind.TIMEOUT for r in results)
    assert ["not tried" in str(r) for r in results] == [False, False, True, True, True]
    assert len(asked) == 4  # two pages, each tried twice (one retry of a read timeout), then none
    assert elapsed < 4  # not pages × tries × read timeout (5 × 3 × 0.5 s)


def test_pages_beyond_the_run_time_budget_fail_without_being_fetched() -> None:
    slow = b"<html>" + b"x" * 9 + b"</html>"  # 22 bytes, one every 0.1 s: longer than the budget
    with (
        misbehaving("drip", slow) as (mirror, asked),
        _fetcher(mirror, run_timeout=1, page_timeout=5) as fetcher,
    ):
        started = time.monotonic()
        results = fetcher.fetch_all([_page("/slow.html"), _page("/next.html")])
        elapsed = time.monotonic() - started
    assert isinstance(results[0], FetchResult) and results[0].content == slow  # begun in time: finished
    assert isinstance(results[1], FetchError) and "time budget of 1 s" in str(results[1])
    assert asked == ["/slow.html"] and elapsed < 8


@pytest.mark.parametrize("host", ["www.jst.go.jp.", "WWW.JST.GO.JP"])
def test_a_host_written_differently_still_goes_to_its_mirror(host: str) -> None:
    with misbehaving("ok") as (mirror, asked), _fetcher(mirror) as fetcher:
        result = fetcher.fetch(_page("/page.html", host=host))
    assert result.content == BODY and asked == ["/page.html"]  # never sent to the real host


@pytest.mark.parametrize("encoding", ["shift_jis", "utf-8"])
def test_a_redirect_to_a_japanese_path_is_followed_in_its_own_bytes(encoding: str) -> None:
    """requests reads a Location header as UTF-8 and raised on Shift_JIS bytes, which stopped the
    whole run; now the bytes are asked for as they were sent (percent-encoded, as browsers do)."""
    with misbehaving(f"redirect-{encoding}") as (mirror, asked), _fetcher(mirror) as fetcher:
        [result] = fetcher.fetch_all([_page("/start")])
    assert isinstance(result, FetchResult) and result.status == 200 and result.redirects
    assert asked[0] == "/start" and len(asked) == 2
    assert unquote_to_bytes(asked[1]) == "/公募/要領.html".encode(encoding)
    assert result.final_url is not None and result.final_url.startswith(f"https://{JST}/")
