"""The fetcher against real HTTP servers on the loopback interface (never the internet).

Every test asks for the real agency URLs (https://www.jst.go.jp/...) and reaches a local server
through `rewrite_hosts`, so each one also checks that nothing reported leaks the mirror's address.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from urllib3.exceptions import MaxRetryError, NameResolutionError
from werkzeug import Request, Response

from ingest import __version__
from ingest.errors import FetchError
from ingest.fetch import (
    DEFINITIVE_RESOLVER_ERRORS,
    ERROR_KINDS,
    Fetcher,
    FetchRequest,
    FetchResult,
    FetchSettings,
    Validators,
    classify_exception,
)
from site_server import serve_handler

JST = "www.jst.go.jp"
AMED = "www.amed.go.jp"
PAGE = "<html><body><p>公募情報</p></body></html>".encode()
LAST_MODIFIED = "Wed, 09 Apr 2025 01:02:03 GMT"

# Tiny waits so the whole file runs in a few seconds; politeness tests set their own interval.
FAST: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 2,
    "retries": 2,
    "backoff_factor": 0.01,
    "min_interval": 0,
    "respect_robots": False,
    "max_retry_after": 5,
}


def mirror_of(server: HTTPServer) -> str:
    return f"{server.host}:{server.port}"


def make_fetcher(server: HTTPServer, **overrides: Any) -> Fetcher:
    options = {**FAST, "rewrite_hosts": {JST: mirror_of(server)}, **overrides}
    return Fetcher(FetchSettings(**options))


def jst(path: str, validators: Validators | None = None) -> FetchRequest:
    return FetchRequest(f"https://{JST}{path}", allowed_domains=["jst.go.jp"], validators=validators)


def html(body: bytes = PAGE, status: int = 200, **headers: str) -> Response:
    return Response(body, status=status, headers={"Content-Type": "text/html; charset=utf-8", **headers})


def raises_kind(kind: str, call: Callable[[], object]) -> FetchError:
    assert kind in ERROR_KINDS
    with pytest.raises(FetchError) as caught:
        call()
    assert caught.value.kind == kind, str(caught.value)
    return caught.value


@pytest.fixture
def fetcher(httpserver: HTTPServer) -> Iterator[Fetcher]:
    with make_fetcher(httpserver) as instance:
        yield instance


class Counter:
    """A handler that answers from a list of responses in turn (the last one repeats) and counts."""

    def __init__(self, *responses: Response) -> None:
        self.responses = responses
        self.hits = 0
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        response = self.responses[min(self.hits, len(self.responses) - 1)]
        self.hits += 1
        return response


# -- success, validators, conditional GET ----------------------------------------------------


def test_200_records_headers_and_identifies_itself(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = Counter(html(ETag='"v1"', **{"Last-Modified": LAST_MODIFIED}))
    httpserver.expect_request("/page.html").respond_with_handler(handler)

    result = fetcher.fetch(jst("/page.html"))

    assert result.status == 200
    assert result.content == PAGE
    assert result.content_type == "text/html; charset=utf-8"
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)
    assert result.url == result.final_url == f"https://{JST}/page.html"
    assert result.redirects == []
    assert not result.not_modified
    assert result.fetched_at.tzinfo is not None
    assert abs(datetime.now(UTC) - result.fetched_at) < timedelta(seconds=10)
    sent = handler.requests[0].headers
    assert sent["User-Agent"] == f"ingest/{__version__} (+https://github.com/ingest-funding/ingest)"
    assert "text/html" in sent["Accept"]
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


def not_modified_unless(
    matches: Callable[[Request], bool], etag: str = '"v1"'
) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        if matches(request):
            return Response(status=304, headers={"ETag": etag})
        return html(ETag=etag, **{"Last-Modified": LAST_MODIFIED})

    return handler


def test_304_via_etag(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = not_modified_unless(lambda request: request.headers.get("If-None-Match") == '"v1"')
    httpserver.expect_request("/page.html").respond_with_handler(handler)

    result = fetcher.fetch(jst("/page.html", validators=Validators(etag='"v1"', last_modified=None)))

    assert (result.status, result.content, result.not_modified) == (304, None, True)
    assert result.etag == '"v1"'
    assert httpserver.log[0][0].headers.get("If-Modified-Since") is None


def test_304_via_last_modified(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = not_modified_unless(lambda request: request.headers.get("If-Modified-Since") == LAST_MODIFIED)
    httpserver.expect_request("/page.html").respond_with_handler(handler)

    result = fetcher.fetch(jst("/page.html", validators=Validators(etag=None, last_modified=LAST_MODIFIED)))

    assert result.not_modified and result.status == 304 and result.content is None
    assert result.last_modified == LAST_MODIFIED  # the 304 omitted it: the one we sent is still valid
    assert httpserver.log[0][0].headers.get("If-None-Match") is None


def test_change_within_the_same_second_is_seen(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    """The server edits the page (new ETag) within the second of our last fetch: Last-Modified is
    unchanged, so a client sending a date (worse: its own clock) would wrongly get a 304."""
    page: dict[str, Any] = {"body": b"<p>deadline 10 April</p>", "etag": '"v1"'}
    seen: list[Request] = []

    def rfc9110_conditional_get(request: Request) -> Response:
        seen.append(request)
        match = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        # RFC 9110 §13.2.2: If-None-Match is evaluated first and If-Modified-Since then ignored.
        unchanged = match == page["etag"] if match is not None else since == LAST_MODIFIED
        if unchanged:
            return Response(status=304, headers={"ETag": page["etag"]})
        return html(page["body"], ETag=page["etag"], **{"Last-Modified": LAST_MODIFIED})

    httpserver.expect_request("/call.html").respond_with_handler(rfc9110_conditional_get)
    first = fetcher.fetch(jst("/call.html"))
    page.update(body=b"<p>deadline 30 May</p>", etag='"v2"')  # same second: same Last-Modified

    second = fetcher.fetch(jst("/call.html", validators=Validators(first.etag, first.last_modified)))

    assert second.status == 200 and not second.not_modified
    assert second.content == b"<p>deadline 30 May</p>"
    assert second.etag == '"v2"'
    # The validators sent are exactly the server's own strings, never a date from our clock.
    assert seen[1].headers["If-None-Match"] == '"v1"'
    assert seen[1].headers["If-Modified-Since"] == LAST_MODIFIED


# -- retries ---------------------------------------------------------------------------------


def test_500_then_200_is_retried(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = Counter(html(b"oops", status=500), html())
    httpserver.expect_request("/page.html").respond_with_handler(handler)

    assert fetcher.fetch(jst("/page.html")).content == PAGE
    assert handler.hits == 2


def test_500_forever_is_http_5xx_after_the_retries(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = Counter(html(b"oops", status=500))
    httpserver.expect_request("/page.html").respond_with_handler(handler)

    error = raises_kind("http-5xx", lambda: fetcher.fetch(jst("/page.html")))

    assert handler.hits == 1 + 2
    assert str(error).startswith(f"https://{JST}/page.html: HTTP 500 ")
    assert str(error).endswith("after 2 retries")


def test_429_waits_for_retry_after(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = Counter(html(b"slow down", status=429, **{"Retry-After": "1"}), html())
    httpserver.expect_request("/page.html").respond_with_handler(handler)

    started = time.monotonic()
    result = fetcher.fetch(jst("/page.html"))
    elapsed = time.monotonic() - started

    assert result.content == PAGE and handler.hits == 2
    assert 0.9 <= elapsed < 3


def test_retry_after_wait_is_capped(httpserver: HTTPServer) -> None:
    handler = Counter(html(b"come back in an hour", status=503, **{"Retry-After": "3600"}), html())
    httpserver.expect_request("/page.html").respond_with_handler(handler)

    started = time.monotonic()
    with make_fetcher(httpserver, max_retry_after=0.2) as fetcher:
        assert fetcher.fetch(jst("/page.html")).content == PAGE
    assert 0.15 <= time.monotonic() - started < 2


def test_404_is_http_4xx_and_not_retried(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = Counter(html(b"gone", status=404))
    httpserver.expect_request("/gone.html").respond_with_handler(handler)

    error = raises_kind("http-4xx", lambda: fetcher.fetch(jst("/gone.html")))

    assert handler.hits == 1
    assert str(error) == f"https://{JST}/gone.html: HTTP 404 NOT FOUND"


# -- a stdlib server for slow answers and timing -----------------------------------------------


class Recorded:
    """What a stdlib test server saw: (path, start, end) per request, in monotonic seconds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, float, float]] = []


@contextmanager
def slow_server(delay: float, recorded: Recorded | None = None) -> Iterator[str]:
    """A threaded server answering every GET with a small page after `delay` seconds; yields host:port."""
    recorded = recorded or Recorded()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            start = time.monotonic()
            time.sleep(delay)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)
            except OSError:
                pass  # the client gave up (read timeout): nothing to answer
            with recorded.lock:
                recorded.requests.append((self.path, start, time.monotonic()))

        def log_message(self, format: str, *args: object) -> None:  # keep the test output clean
            pass

    with serve_handler(Handler) as mirror:  # a handler still sleeping does not hold up the shutdown
        yield mirror


def test_read_timeout(httpserver: HTTPServer) -> None:
    recorded = Recorded()
    with slow_server(delay=1.0, recorded=recorded) as mirror:
        fetcher = Fetcher(
            FetchSettings(**{**FAST, "read_timeout": 0.2, "retries": 1, "rewrite_hosts": {JST: mirror}})
        )
        started = time.monotonic()
        error = raises_kind("timeout", lambda: fetcher.fetch(jst("/slow.html")))
        elapsed = time.monotonic() - started
        fetcher.close()

    assert elapsed < 1.5  # two attempts of 0.2 s, not the server's 1 s
    assert str(error) == f"https://{JST}/slow.html: {JST} sent nothing for 0.2 s (read timeout)"
    assert mirror not in str(error)


# -- redirects -------------------------------------------------------------------------------


def redirect(location: str, status: int = 302) -> Response:
    return Response(status=status, headers={"Location": location})


def test_redirect_chain_is_recorded_with_original_host_names(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    mirror_url = httpserver.url_for("/c.html")  # the mirror answers with its own address
    httpserver.expect_request("/a.html").respond_with_response(redirect("/b.html", 301))
    httpserver.expect_request("/b.html").respond_with_response(redirect(mirror_url, 302))
    httpserver.expect_request("/c.html").respond_with_response(redirect(f"https://{JST}/d.html", 307))
    httpserver.expect_request("/d.html").respond_with_response(html())

    result = fetcher.fetch(jst("/a.html"))

    expected = [f"https://{JST}/b.html", f"https://{JST}/c.html", f"https://{JST}/d.html"]
    assert result.redirects == expected
    assert result.final_url == f"https://{JST}/d.html"
    assert result.url == f"https://{JST}/a.html"
    assert result.content == PAGE
    assert [entry[0].path for entry in httpserver.log] == ["/a.html", "/b.html", "/c.html", "/d.html"]


def test_redirect_loop(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    handler = Counter(redirect("/loop.html"))
    httpserver.expect_request("/loop.html").respond_with_handler(handler)

    error = raises_kind("redirect-loop", lambda: fetcher.fetch(jst("/loop.html")))

    assert handler.hits == 11  # the request and 10 redirects, then stop
    assert str(error).startswith(f"https://{JST}/loop.html: more than 10 redirects")


def test_redirect_to_another_host_is_refused(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/moved.html").respond_with_response(redirect("https://parked.example.com/ad"))

    error = raises_kind("redirected-away", lambda: fetcher.fetch(jst("/moved.html")))

    assert JST in str(error) and "parked.example.com" in str(error)
    assert len(httpserver.log) == 1  # never followed


# -- size, type, emptiness -------------------------------------------------------------------


def test_oversized_streamed_body_is_cut_off(httpserver: HTTPServer) -> None:
    sent: list[int] = []

    def endless_chunks() -> Iterator[bytes]:
        for _ in range(2000):  # up to 2 MB, but reading must stop after ~10 KB
            sent.append(1)
            yield b"x" * 1000

    def handler(request: Request) -> Response:
        return Response(endless_chunks(), headers={"Content-Type": "text/html"})  # no Content-Length

    httpserver.expect_request("/big.html").respond_with_handler(handler)
    with make_fetcher(httpserver, max_bytes=10_000) as fetcher:
        error = raises_kind("too-large", lambda: fetcher.fetch(jst("/big.html")))
    assert "stopped reading" in str(error)
    assert httpserver.log[0][1].headers.get("Content-Length") is None


def test_oversized_content_length_is_refused_before_reading(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big.pdf").respond_with_data(
        b"%PDF" + b"x" * 20_000, content_type="application/pdf"
    )
    with make_fetcher(httpserver, max_bytes=10_000) as fetcher:
        error = raises_kind("too-large", lambda: fetcher.fetch(jst("/big.pdf")))
    assert str(error) == f"https://{JST}/big.pdf: Content-Length 20004 exceeds the limit of 10000 bytes"


def test_pdf_is_accepted(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/guide.pdf").respond_with_data(b"%PDF-1.7 ...", content_type="application/pdf")
    assert fetcher.fetch(jst("/guide.pdf")).content == b"%PDF-1.7 ..."


def test_wrong_content_type(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/form.zip").respond_with_data(b"PK...", content_type="application/zip")
    error = raises_kind("content-type", lambda: fetcher.fetch(jst("/form.zip")))
    assert "application/zip" in str(error)


def test_empty_body(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/blank.html").respond_with_data(b"", content_type="text/html")
    error = raises_kind("empty", lambda: fetcher.fetch(jst("/blank.html")))
    assert str(error).startswith(f"https://{JST}/blank.html: ")


# -- robots.txt ------------------------------------------------------------------------------


def test_robots_disallow_and_read_once(httpserver: HTTPServer) -> None:
    robots = Counter(Response("User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    httpserver.expect_request("/robots.txt").respond_with_handler(robots)
    httpserver.expect_request("/public.html").respond_with_response(html())

    with make_fetcher(httpserver, respect_robots=True) as fetcher:
        assert fetcher.fetch(jst("/public.html")).content == PAGE
        error = raises_kind("robots-disallowed", lambda: fetcher.fetch(jst("/private/plan.html")))
        assert fetcher.fetch(jst("/public.html")).status == 200

    assert robots.hits == 1
    assert str(error) == f"https://{JST}/private/plan.html: robots.txt of {JST} disallows fetching it"
    assert "/private/plan.html" not in [entry[0].path for entry in httpserver.log]


def test_robots_group_for_our_agent_applies(httpserver: HTTPServer) -> None:
    rules = "User-agent: ingest\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    httpserver.expect_request("/robots.txt").respond_with_data(rules, content_type="text/plain")
    with make_fetcher(httpserver, respect_robots=True) as fetcher:
        raises_kind("robots-disallowed", lambda: fetcher.fetch(jst("/page.html")))


@pytest.mark.parametrize("status", [404, 500])
def test_missing_or_broken_robots_allows(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("no", status=status)
    httpserver.expect_request("/page.html").respond_with_response(html())
    with make_fetcher(httpserver, respect_robots=True) as fetcher:
        assert fetcher.fetch(jst("/page.html")).content == PAGE


# -- hosts: rewriting, politeness, concurrency ------------------------------------------------


def test_rewritten_host_is_mapped_back_in_everything_reported(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver.expect_request("/old.html").respond_with_response(
        redirect(httpserver.url_for("/new.html?x=1"))
    )
    httpserver.expect_request("/new.html").respond_with_response(html())

    result = fetcher.fetch(jst("/old.html"))

    assert result.final_url == f"https://{JST}/new.html?x=1"
    assert result.redirects == [f"https://{JST}/new.html?x=1"]
    reported = " ".join([result.url, result.final_url, *result.redirects])
    assert mirror_of(httpserver) not in reported and str(httpserver.port) not in reported


@pytest.fixture
def second_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_redirect_to_an_allowed_subdomain_is_followed(
    httpserver: HTTPServer, second_server: HTTPServer
) -> None:
    httpserver.expect_request("/moved.html").respond_with_response(
        redirect("https://sub.jst.go.jp/here.html")
    )
    second_server.expect_request("/here.html").respond_with_response(html())
    rewrite = {JST: mirror_of(httpserver), "sub.jst.go.jp": mirror_of(second_server)}

    with make_fetcher(httpserver, rewrite_hosts=rewrite) as fetcher:
        result = fetcher.fetch(jst("/moved.html"))

    assert result.final_url == "https://sub.jst.go.jp/here.html"
    assert result.content == PAGE


def test_same_host_spaced_other_hosts_concurrent() -> None:
    """Two hosts, two pages each: per host one request at a time, min_interval apart; hosts overlap."""
    min_interval, delay = 0.4, 0.3
    recorded = {JST: Recorded(), AMED: Recorded()}
    with slow_server(delay, recorded[JST]) as jst_mirror, slow_server(delay, recorded[AMED]) as amed_mirror:
        settings = FetchSettings(
            **{**FAST, "min_interval": min_interval, "rewrite_hosts": {JST: jst_mirror, AMED: amed_mirror}}
        )
        requests_ = [
            jst("/1.html"),
            FetchRequest(f"https://{AMED}/1.html", ["amed.go.jp"]),
            jst("/2.html"),
            FetchRequest(f"https://{AMED}/2.html", ["amed.go.jp"]),
        ]
        started = time.monotonic()
        with Fetcher(settings) as fetcher:
            results = fetcher.fetch_all(requests_)
        elapsed = time.monotonic() - started

    assert [r.final_url for r in results if isinstance(r, FetchResult)] == [r.url for r in requests_]
    for host, seen in recorded.items():
        (_, _, end1), (_, start2, _) = sorted(seen.requests, key=lambda entry: entry[1])
        assert start2 - end1 >= min_interval - 0.02, f"{host}: requests not spaced"
    (_, jst_start, jst_end), (_, amed_start, amed_end) = (
        min(recorded[JST].requests, key=lambda e: e[1]),
        min(recorded[AMED].requests, key=lambda e: e[1]),
    )
    assert jst_start < amed_end and amed_start < jst_end, "the two hosts were not fetched concurrently"
    sequential = 4 * delay + 3 * min_interval
    assert elapsed < sequential - 0.3


def test_fetch_all_keeps_order_and_returns_errors(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/a.html").respond_with_response(html(b"<p>a</p>"))
    httpserver.expect_request("/missing.html").respond_with_data("no", status=404)
    httpserver.expect_request("/c.html").respond_with_response(html(b"<p>c</p>"))

    results = fetcher.fetch_all([jst("/a.html"), jst("/missing.html"), jst("/c.html")])

    assert isinstance(results[0], FetchResult) and results[0].content == b"<p>a</p>"
    assert isinstance(results[1], FetchError) and results[1].kind == "http-4xx"
    assert isinstance(results[2], FetchResult) and results[2].content == b"<p>c</p>"


# -- network failures ------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused() -> None:
    mirror = f"127.0.0.1:{closed_port()}"
    with Fetcher(FetchSettings(**{**FAST, "retries": 1, "rewrite_hosts": {JST: mirror}})) as fetcher:
        error = raises_kind("connection", lambda: fetcher.fetch(jst("/page.html")))
    assert str(error).startswith(f"https://{JST}/page.html: could not connect to {JST}")
    assert "refused" in str(error).lower()
    assert mirror not in str(error)


def test_unreachable_host_is_not_retried_page_after_page() -> None:
    """Offline, the first failure to reach a host answers for the rest of that host's pages."""
    mirror = f"127.0.0.1:{closed_port()}"
    with Fetcher(FetchSettings(**{**FAST, "retries": 2, "rewrite_hosts": {JST: mirror}})) as fetcher:
        first = raises_kind("connection", lambda: fetcher.fetch(jst("/a.html")))
        started = time.monotonic()
        second = raises_kind("connection", lambda: fetcher.fetch(jst("/b.html")))
        assert time.monotonic() - started < 0.05  # no connection attempt, no backoff
    assert "refused" in str(first).lower()
    assert str(second).startswith(f"https://{JST}/b.html: not tried, {JST} was unreachable earlier")


def test_an_unreachable_robots_txt_marks_the_host_so_the_backoff_is_paid_once() -> None:
    """Offline with robots.txt respected: the robots.txt fetch that could not connect answers for the
    page too (issue 12: each host paid the whole retry backoff twice, robots.txt then page)."""
    mirror = f"127.0.0.1:{closed_port()}"
    settings = {**FAST, "retries": 2, "backoff_factor": 0.4, "respect_robots": True}
    series = 0.4 * 2  # urllib3: no wait before the first retry, 2 × factor before the second
    with Fetcher(FetchSettings(**{**settings, "rewrite_hosts": {JST: mirror}})) as fetcher:
        exchanged: list[str] = []
        exchange = fetcher._exchange

        def counted(url: str, *args: Any) -> Any:  # our own method, passed through: requests is real
            exchanged.append(url)
            return exchange(url, *args)

        fetcher._exchange = counted  # type: ignore[method-assign]
        started = time.monotonic()
        first = raises_kind("connection", lambda: fetcher.fetch(jst("/a.html")))
        elapsed = time.monotonic() - started
        second = raises_kind("connection", lambda: fetcher.fetch(jst("/b.html")))
    assert exchanged == [f"https://{JST}/robots.txt"]  # the page itself was never tried
    assert series * 0.9 <= elapsed < series * 1.9  # one retry series, not two (2 × series)
    # The message is the page's, exactly as a failed page fetch words it.
    assert str(first).startswith(f"https://{JST}/a.html: could not connect to {JST} (")
    assert "refused" in str(first).lower() and mirror not in str(first)
    assert str(second).startswith(f"https://{JST}/b.html: not tried, {JST} was unreachable earlier")


def test_an_unreachable_robots_txt_fails_like_the_page_would() -> None:
    mirror = f"127.0.0.1:{closed_port()}"
    messages = []
    for respect_robots in (False, True):
        options = {**FAST, "retries": 0, "respect_robots": respect_robots, "rewrite_hosts": {JST: mirror}}
        with Fetcher(FetchSettings(**options)) as fetcher:
            messages.append(str(raises_kind("connection", lambda f=fetcher: f.fetch(jst("/a.html")))))
    assert messages[0] == messages[1]


def test_tls_failure(httpserver: HTTPServer) -> None:
    """https:// to a plain-HTTP server fails in the TLS handshake."""
    url = f"https://127.0.0.1:{httpserver.port}/page.html"
    with Fetcher(FetchSettings(**{**FAST, "retries": 0})) as fetcher:
        error = raises_kind("tls", lambda: fetcher.fetch(FetchRequest(url, ["127.0.0.1"])))
    assert str(error).startswith(f"{url}: the TLS connection to 127.0.0.1 failed")


def test_name_resolution_failure_is_dns() -> None:
    # Built the way requests wraps it, without asking a real resolver (tests stay off the network).
    resolution = NameResolutionError(
        "nowhere.invalid", None, socket.gaierror(-2, "Name or service not known")
    )
    wrapped = requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason=resolution))
    assert classify_exception(wrapped) == "dns"
    assert classify_exception(requests.exceptions.ReadTimeout()) == "timeout"
    assert classify_exception(requests.exceptions.SSLError()) == "tls"


def _unresolved(code: int, text: str) -> NameResolutionError:
    """A resolver failure built the way urllib3's connection raises it (no resolver is asked)."""
    reason = socket.gaierror(code, text)
    try:
        raise NameResolutionError(JST, None, reason) from reason  # type: ignore[arg-type]
    except NameResolutionError as error:
        return error


def test_a_name_that_does_not_exist_is_not_retried_a_temporary_resolver_failure_is() -> None:
    """The resolver's "no such name" does not change a second later: offline, retrying it cost each
    host the whole backoff (issue 12). A temporary failure (EAI_AGAIN) keeps its retries."""
    with Fetcher(FetchSettings(**{**FAST, "retries": 3})) as fetcher:
        retry = fetcher._session.get_adapter(f"https://{JST}/").max_retries
    assert socket.EAI_NONAME in DEFINITIVE_RESOLVER_ERRORS
    assert socket.EAI_AGAIN not in DEFINITIVE_RESOLVER_ERRORS
    for code in DEFINITIVE_RESOLVER_ERRORS:
        missing = _unresolved(code, "Name or service not known")
        with pytest.raises(MaxRetryError) as caught:
            retry.increment("GET", "/a.html", error=missing)
        assert caught.value.reason is missing
        assert classify_exception(requests.exceptions.ConnectionError(caught.value)) == "dns"
    temporary = _unresolved(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert retry.increment("GET", "/a.html", error=temporary).total == 2


def test_non_http_url_is_refused(fetcher: Fetcher) -> None:
    raises_kind("connection", lambda: fetcher.fetch(FetchRequest("ftp://www.jst.go.jp/x", ["jst.go.jp"])))


# -- settings --------------------------------------------------------------------------------


def test_settings_reject_unknown_fields_and_shared_mirrors() -> None:
    with pytest.raises(ValidationError):
        FetchSettings(retry=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="share a mirror"):
        FetchSettings(rewrite_hosts={JST: "127.0.0.1:8123", AMED: "127.0.0.1:8123"})
    with pytest.raises(ValidationError, match="not URLs"):
        FetchSettings(rewrite_hosts={JST: "http://127.0.0.1:8123"})
