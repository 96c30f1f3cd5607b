"""The fetcher's own HTTP client (urllib3 pools driven as requests' Session.get drove them, with what
depends only on the host worked out once): URL preparation identical to requests', connections kept
alive across 304s, the session's cookies, and robots.txt files without rules, against a keep-alive
server on 127.0.0.1 that answers as JST's pages do (ETag, 304, a session cookie)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from requests.models import PreparedRequest

from ingest.errors import ErrorKind, FetchError
from ingest.fetch import (
    ROBOTS_AGENT,
    Fetcher,
    FetchRequest,
    FetchResult,
    FetchSettings,
    Validators,
    _HostRewriter,
    _is_user_agent_line,
    _prepare,
    _Route,
    _unchanged_origin,
)
from site_server import serve_handler
from test_fetch import FAST, JST

PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<title>戦略的創造研究推進事業 CREST</title></head><body><h1>2026年度 CREST 研究提案募集</h1>
<p>募集期間：2026年4月8日（水）～6月3日（水）正午</p>
</body></html>""".encode()


@dataclass
class Site:
    """What the keep-alive server saw: connections opened and closed, each request's path and Cookie."""

    mirror: str = ""
    connections: int = 0
    closed: int = 0
    requests: list[tuple[str, str | None]] = field(default_factory=list)


@contextmanager
def jst_site(robots: bytes | None = None, large: bytes = b"") -> Iterator[Site]:
    """HTTP/1.1 with keep-alive, as www.jst.go.jp answers: pages under /kisoken/ with an ETag (304
    to If-None-Match), a JSESSIONID cookie set on the first answer of a connection without one,
    `robots` at /robots.txt (404 when None), and /large.html sending `large` (its Content-Length)."""
    site = Site()
    etag = '"' + hashlib.sha256(PAGE).hexdigest()[:16] + '"'

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            site.connections += 1

        def finish(self) -> None:
            super().finish()
            site.closed += 1  # the client closed the connection (or the server is shutting down)

        def do_GET(self) -> None:
            site.requests.append((self.path, self.headers.get("Cookie")))
            if self.path == "/robots.txt":
                self._answer(200 if robots is not None else 404, robots or b"Not Found", "text/plain")
            elif self.path == "/large.html":
                self._answer(200, large, "text/html")
            elif self.path == "/gzip.html":  # as a web server compresses a page for a client that accepts it
                assert "gzip" in self.headers.get("Accept-Encoding", "")
                body = gzip.compress(PAGE * 400)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/chunked.html":  # a generated page, its length unknown in advance
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in (PAGE[:100], PAGE[100:]):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            elif self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
            else:
                self._answer(200, PAGE, "text/html; charset=utf-8", etag)

        def _answer(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            if not self.headers.get("Cookie"):
                self.send_header("Set-Cookie", "JSESSIONID=4F2A9C; Path=/")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serve_handler(Handler) as mirror:
        site.mirror = mirror
        yield site


def fetcher_for(site: Site, **overrides: object) -> Fetcher:
    return Fetcher(FetchSettings(**{**FAST, "rewrite_hosts": {JST: site.mirror}, **overrides}))


def crest(path: str, etag: str | None = None) -> FetchRequest:
    validators = Validators(etag=etag) if etag else None
    return FetchRequest(f"https://{JST}/kisoken/crest/{path}", ["jst.go.jp"], validators=validators)


# -- keep-alive -------------------------------------------------------------------------------


def test_conditional_gets_answered_304_share_one_connection() -> None:
    """A 304 has no body, so its connection serves the next request (requests closed it after every
    304, so a re-run of unchanged pages opened one connection a page)."""
    with jst_site() as site, fetcher_for(site) as fetcher:
        first = fetcher.fetch(crest("koubo.html"))
        assert first.status == 200 and first.content == PAGE and first.etag
        again = [fetcher.fetch(crest(f"r{year}/koubo.html", first.etag)) for year in (6, 7, 8)]
    assert [r.not_modified for r in again] == [True, True, True]
    assert [r.content for r in again] == [None, None, None]
    assert [r.etag for r in again] == [first.etag] * 3
    assert site.connections == 1


def test_a_body_left_unread_closes_its_connection() -> None:
    """A body refused for its size is not read, so its connection cannot carry the next answer: the
    next page comes whole over a new connection."""
    with jst_site(large=b"<html>" + b"x" * 5000 + b"</html>") as site, fetcher_for(site, max_bytes=2000) as f:
        with pytest.raises(FetchError) as refused:
            f.fetch(FetchRequest(f"https://{JST}/large.html", ["jst.go.jp"]))
        assert refused.value.kind is ErrorKind.TOO_LARGE
        after = f.fetch(crest("koubo.html"))
    assert after.content == PAGE
    assert site.connections == 2


def test_pages_of_every_framing_come_whole_over_one_connection() -> None:
    """A body with a Content-Length is read up to it, a compressed one decoded to its end (more
    than one read's worth, all of it in once its raw bytes are), a chunked one to its last chunk;
    each leaves the connection ready for the next request."""
    with jst_site() as site, fetcher_for(site) as fetcher:
        pages = [
            fetcher.fetch(FetchRequest(f"https://{JST}{path}", ["jst.go.jp"]))
            for path in (
                "/kisoken/crest/koubo.html",
                "/gzip.html",
                "/chunked.html",
                "/kisoken/crest/koubo.html",
            )
        ]
    assert [page.content for page in pages] == [PAGE, PAGE * 400, PAGE, PAGE]
    assert site.connections == 1


def test_the_session_cookie_is_sent_back() -> None:
    with jst_site() as site, fetcher_for(site) as fetcher:
        for path in ("koubo.html", "faq.html", "kadai.html"):
            assert isinstance(fetcher.fetch(crest(path)), FetchResult)
    assert [cookie for _, cookie in site.requests] == [None, "JSESSIONID=4F2A9C", "JSESSIONID=4F2A9C"]


# -- robots.txt -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "robots",
    [
        b"# www.jst.go.jp\nSitemap: https://www.jst.go.jp/sitemap.xml\n",
        b"Disallow: /kisoken/\n",  # a rule outside any group applies to no one (RobotFileParser)
        b"",
    ],
)
def test_a_robots_txt_without_groups_allows_every_page(robots: bytes) -> None:
    with jst_site(robots) as site, fetcher_for(site, respect_robots=True) as fetcher:
        assert fetcher.fetch(crest("koubo.html")).content == PAGE
        assert fetcher.fetch(crest("r8/koubo.html")).content == PAGE
    assert [path for path, _ in site.requests].count("/robots.txt") == 1


def test_a_loosely_written_group_still_applies() -> None:
    robots = b"# rules\n  USER-AGENT :  *   # everyone\nDisallow: /kisoken/crest/r8/\n"
    with jst_site(robots) as site, fetcher_for(site, respect_robots=True) as fetcher:
        assert fetcher.fetch(crest("koubo.html")).content == PAGE
        with pytest.raises(FetchError) as refused:
            fetcher.fetch(crest("r8/koubo.html"))
    assert refused.value.kind is ErrorKind.ROBOTS_DISALLOWED
    assert "/kisoken/crest/r8/koubo.html" not in [path for path, _ in site.requests]


ROBOTS_LINES = st.sampled_from(
    [
        "",
        "# comment",
        "User-agent: *",
        "user-agent:ingest",
        " User-Agent : other # x",
        "User-agent",
        "Useragent: *",
        "#User-agent: *",
        "Disallow: /",
        "Disallow: /kisoken/",
        "Allow: /kisoken/crest/",
        "Crawl-delay: 5",
        "Sitemap: https://www.jst.go.jp/sitemap.xml",
        "Disallow: /%E5%85%AC%E5%8B%9F/",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ROBOTS_LINES, max_size=8))
def test_no_user_agent_line_means_robotfileparser_allows_everything(lines: list[str]) -> None:
    """The shortcut taken for a robots.txt without a group gives RobotFileParser's own answers."""
    parser = RobotFileParser()
    parser.parse(lines)
    if not any(_is_user_agent_line(line) for line in lines):
        for path in ("/", "/kisoken/crest/koubo.html", "/公募/", "/%E5%85%AC%E5%8B%9F/x"):
            assert parser.can_fetch(ROBOTS_AGENT, f"https://{JST}{path}")


# -- URL preparation ----------------------------------------------------------------------------


def requests_prepared(url: str) -> tuple[str, str] | type[Exception]:
    prepared = PreparedRequest()
    try:
        prepared.prepare_url(url, None)
    except Exception as error:  # the exception type is part of the answer
        return type(error)
    return str(prepared.url), prepared.path_url


def ours(url: str) -> tuple[str, str] | type[Exception]:
    parts = urlsplit(url)
    route = _Route(proxy=None, verify=True, auth=None, origin=_unchanged_origin(parts.scheme, parts.netloc))
    try:
        return _prepare(url, parts, route)
    except Exception as error:
        return type(error)


URL_PIECES = st.sampled_from(
    [
        *("a", "Z", "0", "-", ".", "_", "~", "/", "?", "#", "%", "%2f", "%E5", " ", "+", "&", "=", ";"),
        *(":", "@", "!", "$", "'", "(", ")", "*", ",", "[", "]", "|", "^", "`", "{", '"', "<", "\\", "\t"),
        *("公", "募", "..", "./", "/../", "/./", "//", "é"),
    ]
)
ORIGINS = st.sampled_from(
    [
        "https://www.jst.go.jp",
        "http://127.0.0.1:8080",
        "https://WWW.AMED.GO.JP",
        "HTTPS://www.jsps.go.jp",
        "https://www.jst.go.jp.",
        "https://www.jst.go.jp:443",
        "https://reader:s3cret@www.jst.go.jp",
        "https://例え.jp",
        "https://www.jst.go.jp:99999",
        "https://.jst.go.jp",
        " https://www.jst.go.jp",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(ORIGINS, st.lists(URL_PIECES, max_size=12).map("".join))
@example("https://www.jst.go.jp", "/kisoken/crest/koubo.html")
@example("https://www.jst.go.jp", "")
@example("https://www.jst.go.jp", "?lang=en")
@example("https://www.jst.go.jp", "/a/./b/../c")
@example("https://www.jst.go.jp", "/search?q=crest&page=2")
@example("https://www.jst.go.jp", "/kisoken/%e5%85%ac%e5%8b%9f.html")
def test_urls_are_prepared_as_requests_prepares_them(origin: str, rest: str) -> None:
    url = origin + (rest if rest[:1] in ("/", "?", "#", "") else "/" + rest)
    assert ours(url) == requests_prepared(url)


# -- connection pools ---------------------------------------------------------------------------


def test_each_host_keeps_its_connection_and_close_closes_them_all() -> None:
    """urllib3's pool manager holds the pools of its ten latest hosts only; a host fetched again after
    ten others (a run's guideline PDFs on other hosts, say) still has its pool and connection, and
    closing the fetcher closes every host's connection, those the manager no longer holds too."""
    with contextlib.ExitStack() as stack:
        sites = [stack.enter_context(jst_site()) for _ in range(12)]
        hosts = {f"www{n}.jst.go.jp": site.mirror for n, site in enumerate(sites)}
        with Fetcher(FetchSettings(**{**FAST, "rewrite_hosts": hosts})) as fetcher:
            order = [*hosts, "www0.jst.go.jp", "www1.jst.go.jp"]
            results = [fetcher.fetch(FetchRequest(f"https://{h}/kisoken/", ["jst.go.jp"])) for h in order]
            assert [site.closed for site in sites] == [0] * 12
        deadline = time.monotonic() + 5
        while sum(site.closed for site in sites) < 12 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [r.content for r in results] == [PAGE] * 14
    assert [site.connections for site in sites] == [1] * 12
    assert [site.closed for site in sites] == [1] * 12


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([JST, "WWW.JST.GO.JP.", "www.amed.go.jp", f"{JST}:443"]),
    st.lists(URL_PIECES, max_size=10).map("".join),
)
def test_the_wire_url_comes_with_its_own_parts(host: str, rest: str) -> None:
    """`to_wire` hands the session the parts of the URL it sends, as urlsplit gives them."""
    rewriter = _HostRewriter({JST: "127.0.0.1:8080"})
    wire, parts = rewriter.to_wire(f"https://{host}/{rest}")
    assert parts == urlsplit(wire)
    assert wire.startswith("http://127.0.0.1:8080/") == (host != "www.amed.go.jp")
