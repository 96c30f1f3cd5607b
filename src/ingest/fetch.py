"""Polite HTTP fetching of program pages.

One `Fetcher` per run holds one HTTP session: urllib3's connection pools, driven as requests'
`Session.get` drove them (the same headers, URL preparation, proxies, cookies, retries and
exceptions) without its per-request machinery. It identifies itself honestly, obeys robots.txt,
sends at most one request at a time to a host (`per_host`, opt-in, allows more) and spaces them by
`min_interval`, retries transient
failures with backoff (honouring Retry-After), revalidates with the server's own validators, follows
redirects itself so that every hop is recorded and checked against the source's allowed domains,
and caps the bytes it reads. Every failure is a `FetchError` whose `kind` is an `ErrorKind` of `ERROR_KINDS`.

`rewrite_hosts` sends requests for a host to a mirror (http://host:port) while everything reported
keeps the original host names: tests run the whole stack against local servers this way.
"""

from __future__ import annotations

import base64
import math
import os
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, partial
from http import HTTPStatus
from queue import SimpleQueue
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import requests
from pydantic import BaseModel, ConfigDict, Field, field_validator
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar, get_cookie_header
from requests.models import PreparedRequest
from requests.utils import (
    DEFAULT_CA_BUNDLE_PATH,
    check_header_validity,
    get_auth_from_url,
    prepend_scheme_if_needed,
    select_proxy,
    urldefragauth,
)
from urllib3 import Timeout
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool
from urllib3.exceptions import (
    ClosedPoolError,
    DecodeError,
    InvalidHeader,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.exceptions import ConnectTimeoutError as Urllib3ConnectTimeout
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.poolmanager import PoolManager
from urllib3.response import BaseHTTPResponse
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from ingest import __version__
from ingest.errors import ErrorKind, FetchError

# Every kind a fetch can fail with (the others are extraction failures).
ERROR_KINDS = frozenset(ErrorKind) - {ErrorKind.LAYOUT_CHANGED, ErrorKind.EXTRACT}

DEFAULT_USER_AGENT = f"ingest/{__version__} (+https://github.com/ingest-funding/ingest)"
ROBOTS_AGENT = "ingest"  # the product token robots.txt groups are matched against
MAX_REDIRECTS = 10
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2: follow at least five
ROBOTS_MAX_BYTES = 512_000  # RFC 9309 §2.5: parse at least 500 KiB
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 429 and the transient 5xx; 501 Not Implemented and 505 HTTP Version Not Supported never heal.
RETRY_STATUSES = frozenset({429, *range(500, 600)} - {501, 505})
CHUNK_BYTES = 64 * 1024
# The host itself is out of reach: its other pages are not tried in this run.
UNREACHABLE_KINDS = frozenset({ErrorKind.DNS, ErrorKind.CONNECTION, ErrorKind.TLS})
# A host that timed out this often in a run is treated as unreachable too: one slow page fails alone,
# but a host that never answers would otherwise cost pages × tries × read timeout.
TIMEOUTS_BEFORE_UNREACHABLE = 2
# The resolver's definitive answers: the name has no address. Asking again a second later gets the same
# answer, so these are not retried (a temporary failure, EAI_AGAIN, is).
DEFINITIVE_RESOLVER_ERRORS = frozenset(
    code for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None)) if code
)


class FetchSettings(BaseModel):
    """How the fetcher behaves; the defaults are the polite production values."""

    model_config = ConfigDict(extra="forbid")

    connect_timeout: float = Field(10, gt=0)
    read_timeout: float = Field(20, gt=0, description="Longest wait for the next bytes, not the whole body.")
    retries: int = Field(3, ge=0, description="Retries after connection errors, timeouts, 429 and 5xx.")
    backoff_factor: float = Field(0.5, ge=0)
    max_retry_after: float = Field(60, ge=0, description="Cap on a server's Retry-After wait, in seconds.")
    min_interval: float = Field(1.0, ge=0, description="Seconds between two requests to the same host.")
    max_bytes: int = Field(5_000_000, gt=0)
    page_timeout: float = Field(
        45, gt=0, description="Longest time for one answer, connection and whole body (a dripping server)."
    )
    run_timeout: float = Field(
        1200, gt=0, description="Time budget of a run's fetching; pages not reached by then fail (timeout)."
    )
    user_agent: str = DEFAULT_USER_AGENT
    respect_robots: bool = True
    rewrite_hosts: dict[str, str] = Field(
        default_factory=dict,
        description='Host (or host:port) -> mirror "host:port", fetched over http; reports keep the host.',
    )
    max_workers: int = Field(4, ge=1)
    per_host: int = Field(
        1,
        ge=1,
        description="Requests in flight to one host at once (within max_workers); 1 is the polite default.",
    )

    @field_validator("rewrite_hosts")
    @classmethod
    def _mirrors_are_plain_and_distinct(cls, value: dict[str, str]) -> dict[str, str]:
        for host, mirror in value.items():
            if "/" in host or "/" in mirror:
                raise ValueError(f"rewrite_hosts wants host names, not URLs: {host!r} -> {mirror!r}")
        mirrors = [mirror.lower() for mirror in value.values()]
        if len(set(mirrors)) != len(mirrors):
            raise ValueError("two hosts in rewrite_hosts share a mirror, so answers could not be mapped back")
        return {host.lower(): mirror.lower() for host, mirror in value.items()}


@dataclass
class Validators:
    """The server's own cache validators from the previous successful fetch."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchRequest:
    """One page to fetch. Redirects may only lead to hosts within `allowed_domains` (or subdomains);
    an empty list means the requested URL's own host."""

    url: str
    allowed_domains: list[str]
    validators: Validators | None = None
    accept: tuple[str, ...] = ("text/html", "application/xhtml+xml", "application/pdf")


@dataclass
class FetchResult:
    """What one fetch gave. URLs always use the original host names, never a mirror's."""

    url: str
    final_url: str
    status: int
    content: bytes | None  # None on 304: the caller reuses its stored bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    redirects: list[str]  # the URL each redirect led to, in order; the last one is final_url
    fetched_at: datetime
    not_modified: bool


class Fetcher:
    """Fetches pages politely; one instance per run (robots.txt is read once per host per instance)."""

    def __init__(self, settings: FetchSettings) -> None:
        self._settings = settings
        self._rewriter = _HostRewriter(settings.rewrite_hosts)
        self._session = _Session(settings)
        self._hosts: dict[str, _HostState] = {}
        self._hosts_lock = threading.Lock()
        # One Timeout for every request (urllib3 copies it for each): built once, not per request.
        self._timeout = Timeout(connect=settings.connect_timeout, read=settings.read_timeout)
        # A host that could not be resolved or reached once in this run is not retried page after
        # page: offline, a run would otherwise spend the whole retry budget on every URL.
        self._unreachable: dict[str, FetchError] = {}
        self._run_deadline = time.monotonic() + settings.run_timeout
        self._timeouts: dict[str, int] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one page, following redirects; raise FetchError (with a `kind`) when it cannot."""
        if time.monotonic() > self._run_deadline:
            raise FetchError(
                f"{request.url}: not tried, the run's time budget of {self._settings.run_timeout:g} s "
                "for fetching was used up",
                ErrorKind.TIMEOUT,
            )
        host = _host_key(request.url)
        if host in self._unreachable:
            earlier = self._unreachable[host]
            raise FetchError(
                f"{request.url}: not tried, {host} was unreachable earlier in this run ({earlier.kind})",
                earlier.kind,
            )
        try:
            return self._fetch(request)
        except FetchError as error:
            if _host_key(request.url) == host and self._out_of_reach(host, error):
                self._unreachable.setdefault(host, error)
            raise

    def _out_of_reach(self, host: str, error: FetchError) -> bool:
        if error.kind is ErrorKind.TIMEOUT:
            with self._hosts_lock:
                self._timeouts[host] = self._timeouts.get(host, 0) + 1
                return self._timeouts[host] >= TIMEOUTS_BEFORE_UNREACHABLE
        return error.kind in UNREACHABLE_KINDS

    def _fetch(self, request: FetchRequest) -> FetchResult:
        allowed = request.allowed_domains or [_host_name(request.url)]
        headers = _request_headers(request)
        redirects: list[str] = []
        current = request.url
        for _ in range(MAX_REDIRECTS + 1):
            reply = self._fetch_hop(current, headers, request.accept)
            if reply.location is None:
                return _result(request, current, redirects, reply)
            current = self._redirect_target(request.url, current, reply.location, allowed)
            redirects.append(current)
        raise FetchError(
            f"{request.url}: more than {MAX_REDIRECTS} redirects (a redirect loop?), the last to {current}",
            ErrorKind.REDIRECT_LOOP,
        )

    def fetch_all(self, requests_: list[FetchRequest]) -> list[FetchResult | FetchError]:
        """Fetch many pages, different hosts in parallel, each host's pages one after another (or
        `per_host` at a time).

        Results come back in the order of the requests; a failure is returned, not raised.
        """
        results: list[FetchResult | FetchError | None] = [None] * len(requests_)
        for index, outcome in self.fetch_each(requests_):
            results[index] = outcome
        return cast(list[FetchResult | FetchError], results)  # every slot was filled above

    def fetch_each(self, requests_: list[FetchRequest]) -> Iterator[tuple[int, FetchResult | FetchError]]:
        """As `fetch_all`, but each page as soon as it arrives: (index of its request, result or
        failure), in the order they finish, so that the caller can extract a page while the next
        ones are fetched."""
        by_host: dict[str, deque[int]] = {}
        for index, request in enumerate(requests_):
            by_host.setdefault(_host_key(request.url), deque()).append(index)
        arrived: SimpleQueue[tuple[int, FetchResult | FetchError | BaseException]] = SimpleQueue()

        def fetch_host(indexes: deque[int]) -> None:
            while True:
                try:  # the host's tasks share its queue of pages (deque.popleft is atomic)
                    index = indexes.popleft()
                except IndexError:
                    return
                try:
                    arrived.put((index, self.fetch(requests_[index])))
                except FetchError as error:
                    arrived.put((index, error))
                except BaseException as error:  # a bug: raised in the caller, not lost in a thread
                    arrived.put((index, error))
                    raise

        # `per_host` tasks per host (one by default), so no worker sits waiting on another worker's
        # host slot.
        tasks = [
            indexes for indexes in by_host.values() for _ in range(min(self._settings.per_host, len(indexes)))
        ]
        workers = max(1, min(self._settings.max_workers, len(tasks)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest-fetch") as pool:
            for _ in [pool.submit(fetch_host, indexes) for indexes in tasks]:
                pass
            for _ in range(len(requests_)):
                index, outcome = arrived.get()
                if not isinstance(outcome, FetchResult | FetchError):
                    raise outcome
                yield index, outcome

    # -- one hop --------------------------------------------------------------------------------

    def _fetch_hop(self, url: str, headers: dict[str, str], accept: tuple[str, ...]) -> _Reply:
        _require_http(url)
        state = self._host_state(url)
        with state.slots:  # at most `per_host` requests in flight per host (one by default)
            if self._settings.respect_robots:
                self._check_robots(url, state)
            return state.paced(self._settings.min_interval, partial(self._exchange, url, headers, accept))

    def _exchange(
        self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None, max_bytes: int | None = None
    ) -> _Reply:
        """One GET without following redirects; the body is read only for a 2xx answer."""
        max_bytes = max_bytes or self._settings.max_bytes
        try:
            wire, parts = self._rewriter.to_wire(url)
            response, elapsed = self._session.get(wire, parts, headers, self._timeout)
            try:
                return _read_reply(url, response, elapsed, accept, max_bytes, self._settings.page_timeout)
            finally:
                _close(response)
        except requests.RequestException as error:
            raise _connection_error(url, error, self._settings) from error

    def _redirect_target(self, requested: str, current: str, location: str, allowed: list[str]) -> str:
        target = self._rewriter.resolve(current, location)
        host = _host_name(target)
        if urlsplit(target).scheme not in ("http", "https") or not _within(host, allowed):
            raise FetchError(
                f"{requested}: redirected from {_host_name(current)} to {host or target}, "
                f"which is outside the allowed domains ({', '.join(allowed)})",
                ErrorKind.REDIRECTED_AWAY,
            )
        return target

    def _host_state(self, url: str) -> _HostState:
        key = _host_key(url)
        with self._hosts_lock:
            if key not in self._hosts:
                per_host = self._settings.per_host
                # One slot is a lock (in C; a semaphore is Python code around a condition, twice a request).
                slots = threading.Lock() if per_host == 1 else threading.BoundedSemaphore(per_host)
                self._hosts[key] = _HostState(slots)
            return self._hosts[key]

    # -- robots.txt -----------------------------------------------------------------------------

    def _check_robots(self, url: str, state: _HostState) -> None:
        if not state.robots_read:
            with state.robots_lock:  # robots.txt read once, before any page of the host
                if not state.robots_read:
                    state.robots = self._load_robots(url, state)
                    state.robots_read = True
        if state.robots is not None and not state.robots.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(
                f"{url}: robots.txt of {_host_name(url)} disallows fetching it", ErrorKind.ROBOTS_DISALLOWED
            )

    def _load_robots(self, url: str, state: _HostState) -> RobotFileParser | None:
        """Read the host's robots.txt (called in a host slot, so paced like any request); None when it
        has no rules for any agent (none, or one without groups), so every URL is allowed."""
        parts = urlsplit(url)
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        parser = RobotFileParser(robots_url)
        try:
            body = self._robots_body(robots_url, state)
        except FetchError as error:
            if error.kind in UNREACHABLE_KINDS and isinstance(error.__cause__, requests.RequestException):
                # The host itself is out of reach (after the whole retry budget): the page would fail the
                # same way after the same retries. Fail it now, in the words the page's own fetch would
                # use, so that fetch() marks the host unreachable and the backoff is paid once a host.
                raise _connection_error(url, error.__cause__, self._settings) from error.__cause__
            # 4xx: the site has no robots policy, so everything is allowed (RFC 9309 §2.3.1.3).
            # 5xx or a timeout: RFC 9309 would assume "disallow all", but we read a handful of public
            # pages once per run at a slow pace, and a broken robots.txt should not be reported as a
            # policy: if the host is really down, fetching the page itself fails with the true cause.
            body = b""
        lines = body.decode("utf-8", errors="replace").splitlines()
        if not any(_is_user_agent_line(line) for line in lines):
            return None  # no group, so no rule: can_fetch would parse and quote every URL to answer yes
        parser.parse(lines)
        return parser

    def _robots_body(self, robots_url: str, state: _HostState) -> bytes:
        current = robots_url
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            reply = state.paced(
                self._settings.min_interval, partial(self._exchange, current, {}, None, ROBOTS_MAX_BYTES)
            )
            if reply.location is None:
                return reply.content or b""
            target = self._rewriter.resolve(current, reply.location)
            if _host_key(target) != _host_key(robots_url):
                return b""  # another host's robots.txt is not this host's policy (and we hold only our slot)
            current = target
        return b""


# -- pieces without state ---------------------------------------------------------------------


@dataclass
class _Reply:
    """One HTTP answer: a redirect (location set), a 304, or a 2xx with its body."""

    status: int
    headers: Mapping[str, str]
    location: str | None = None
    content: bytes | None = None


@dataclass
class _HostState:
    """Per-host politeness: the slots a request holds (`per_host` of them, one by default), and when
    the last request started and ended."""

    slots: threading.BoundedSemaphore | threading.Lock
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    pacing: threading.Lock = field(default_factory=threading.Lock)
    last_request_start: float | None = None  # time.monotonic()
    last_request_end: float | None = None
    robots_read: bool = False
    robots: RobotFileParser | None = None  # None: no robots.txt rules, everything allowed

    def paced(self, min_interval: float, send: Callable[[], _Reply]) -> _Reply:
        """Run one request no sooner than `min_interval` after the latest request to the host started,
        and after the latest one ended (caller holds a slot: with one slot, the previous one has ended)."""
        if min_interval > 0:
            with self.pacing:  # starts one after another, each waiting its turn
                while (wait := self._latest() + min_interval - time.monotonic()) > 0:
                    time.sleep(wait)  # and again if a request in flight ended meanwhile
                self.last_request_start = time.monotonic()
        try:
            return send()
        finally:
            self.last_request_end = time.monotonic()

    def _latest(self) -> float:
        return max(self.last_request_start or -math.inf, self.last_request_end or -math.inf)


class _PoliteRetry(Retry):
    """urllib3 Retry whose Retry-After waits are capped, and ignored when malformed."""

    def __init__(self, *args: Any, retry_after_cap: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after_cap = retry_after_cap

    def new(self, **kw: Any) -> Self:
        kw.setdefault("retry_after_cap", self.retry_after_cap)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        """Give up at once on a host name the resolver says does not exist, as exhausted retries do."""
        if isinstance(error, NameResolutionError) and _definitive(error):
            raise MaxRetryError(cast(ConnectionPool, _pool), url or "", error) from error  # as urllib3 does
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            return None  # fall back to exponential backoff
        return None if seconds is None else min(seconds, self.retry_after_cap)


class _HostRewriter:
    """Maps original hosts to mirrors for the wire, and mirror addresses back for reporting."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self._to_mirror = mapping
        self._to_original = {mirror: host for host, mirror in mapping.items()}

    def to_wire(self, url: str) -> tuple[str, SplitResult]:
        """The URL to send (a mirror's, over http, for a rewritten host) and its parts."""
        parts = urlsplit(url)
        if not self._to_mirror:
            return url, parts
        netloc = _normal_netloc(parts.netloc)
        mirror = self._to_mirror.get(netloc) or self._to_mirror.get((parts.hostname or "").rstrip("."))
        if mirror is None:
            return url, parts
        wire = SplitResult("http", mirror, parts.path or "/", parts.query, "")
        return wire.geturl(), wire  # its parts as urlsplit would give them back, without splitting again

    def resolve(self, current: str, location: str) -> str:
        """The URL a Location header sent from `current` (an original-host URL) points at.

        A mirror's own address is mapped back to the original host, keeping `current`'s scheme,
        which the mirror's plain-http URLs have lost.
        """
        parts = urlsplit(urljoin(current, location))
        original = self._to_original.get(parts.netloc.lower())
        if original is None:
            return parts.geturl()
        return urlunsplit((urlsplit(current).scheme, original, parts.path, parts.query, parts.fragment))


@dataclass
class _Route:
    """What one scheme://netloc needs, worked out once per host and run: what the environment says
    (proxy variables, a CA bundle variable, ~/.netrc), how requests would prepare its URLs, and the
    connection pool (its manager and certificate settings)."""

    proxy: str | None  # the proxy URL requests would select, None for a direct connection
    verify: str | bool  # a CA bundle path from the environment, or True for requests' default bundle
    auth: str | None  # the Authorization header for ~/.netrc credentials
    # "scheme://netloc" when requests' URL preparation leaves this scheme and netloc as they are, so
    # that a plain path and query need no preparation either (`_prepare`); None otherwise.
    origin: str | None = None
    connection: _Connection | None = None  # set by the route's first request that gets a pool


@dataclass
class _Connection:
    """How a route's requests are sent, after its URL and proxy were checked once."""

    manager: PoolManager
    host: dict[str, Any]  # scheme, host and port, as the manager's connection_from_host takes them
    pool_kwargs: dict[str, Any]
    bundle: str | None  # the CA bundle an https pool verifies with (checked to exist)
    authorization: str | None  # netrc's, else the credentials in the URL's netloc
    absolute: bool  # through a plain-http proxy the request target is the whole URL
    bundle_is_dir: bool = False
    pool: HTTPConnectionPool | None = None  # the manager's pool for the route, while it is open


class _Session:
    """urllib3 connection pools doing for each request what requests' `Session.get(url, stream=True,
    allow_redirects=False)` did, without its per-request machinery (merging settings, hooks, the
    redirect look-ahead, the Response model: a third of the fetching thread's CPU). The same pools
    and proxy managers (requests' HTTPAdapter holds them), the same retry policy, headers, URL
    preparation, cookies and exceptions. What depends only on the scheme and host (the environment,
    the proxy, the pool's settings, credentials) is worked out once per host and run (`_Route`), not
    on every request."""

    def __init__(self, settings: FetchSettings) -> None:
        self._adapter = HTTPAdapter(
            max_retries=_make_retry(settings), pool_maxsize=max(10, settings.max_workers, settings.per_host)
        )
        headers = requests.utils.default_headers()
        headers["User-Agent"] = settings.user_agent
        for header in headers.items():
            check_header_validity(header)  # once: only the request's own headers vary
        self._headers: dict[str, str] = dict(headers)  # requests' order: User-Agent, Accept-Encoding, ...
        self._cookies = RequestsCookieJar()  # a session's cookies, sent back as requests did
        self._cookies_set = False  # until a cookie is set, the jar is not walked (counting it) per request
        self._routes: dict[tuple[str, str], _Route] = {}
        self._routes_lock = threading.Lock()

    def get_adapter(self, url: str) -> HTTPAdapter:
        """The adapter holding the pools and the retry policy (`.max_retries`), as requests names it."""
        return self._adapter

    def close(self) -> None:
        self._adapter.close()
        for route in list(self._routes.values()):
            if route.connection is not None and route.connection.pool is not None:
                route.connection.pool.close()  # those the manager no longer holds, too

    def get(
        self, url: str, parts: SplitResult, headers: dict[str, str], timeout: Timeout
    ) -> tuple[BaseHTTPResponse, float]:
        """One GET of `url` (split into `parts`; not followed if it redirects), its body unread; and the
        seconds until its headers arrived. Raises requests' exceptions, as requests did."""
        route = self._route(url, parts)
        prepared_url, target = _prepare(url, parts, route)
        for header in headers.items():
            check_header_validity(header)
        merged = {**self._headers, **headers}
        sent: PreparedRequest | None = None
        if self._cookies_set and self._cookies:
            sent = cast(PreparedRequest, _Sent(prepared_url, merged))  # what requests' cookie helpers read
            if cookie := get_cookie_header(self._cookies, sent):
                merged["Cookie"] = cookie
        connection = route.connection or self._connect(prepared_url, route)
        if connection.authorization is not None:
            merged["Authorization"] = connection.authorization
        if connection.absolute:
            target = urldefragauth(prepared_url)

        start = time.perf_counter()
        try:
            response = self._pool(connection).urlopen(
                "GET",
                target,
                body=None,
                headers=merged,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self._adapter.max_retries,
                timeout=timeout,
                chunked=False,
            )
        except (ProtocolError, OSError) as error:
            raise requests.exceptions.ConnectionError(error) from error
        except MaxRetryError as error:
            raise _retry_error(error) from error
        except ClosedPoolError as error:
            raise requests.exceptions.ConnectionError(error) from error
        except ProxyError as error:
            raise requests.exceptions.ProxyError(error) from error
        except Urllib3SSLError as error:
            raise requests.exceptions.SSLError(error) from error
        except ReadTimeoutError as error:
            raise requests.exceptions.ReadTimeout(error) from error
        except InvalidHeader as error:
            raise requests.exceptions.InvalidHeader(error) from error
        elapsed = time.perf_counter() - start
        if "Set-Cookie" in response.headers or "Set-Cookie2" in response.headers:
            sent = sent or cast(PreparedRequest, _Sent(prepared_url, merged))
            extract_cookies_to_jar(self._cookies, sent, response)
            self._cookies_set = True
        if response.status == 304:
            # No body (http.client reads none): marking it read hands the connection back to the pool
            # for the next request, where requests closed it.
            response.drain_conn()
        elif _bodiless(response):
            _drain(response)  # requests read a redirect's body (for its look-ahead), freeing the connection
        return response, elapsed

    def _route(self, url: str, parts: SplitResult) -> _Route:
        key = (parts.scheme, parts.netloc)
        if (known := self._routes.get(key)) is None:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            netrc = requests.utils.get_netrc_auth(url)
            known = _Route(
                proxy=select_proxy(url, requests.utils.get_environ_proxies(url, no_proxy=None)),
                verify=bundle or True,
                auth=basic_authorization(*netrc) if netrc else None,
                origin=_unchanged_origin(parts.scheme, parts.netloc),
            )
            with self._routes_lock:
                known = self._routes.setdefault(key, known)
        return known

    def _connect(self, url: str, route: _Route) -> _Connection:
        """The route's pool manager and pool settings, as requests' adapter would choose them for
        `url` (prepared): raises as requests did for a malformed host, proxy or CA bundle."""
        parsed = urlsplit(url)
        pool_kwargs: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED"}
        if isinstance(route.verify, str):
            pool_kwargs["ca_cert_dir" if os.path.isdir(route.verify) else "ca_certs"] = route.verify
        try:
            host = {"scheme": parsed.scheme.lower(), "host": parsed.hostname, "port": parsed.port}
        except ValueError as error:
            raise requests.exceptions.InvalidURL(error) from error
        try:
            if route.proxy:
                proxy = prepend_scheme_if_needed(route.proxy, "http")
                if not parse_url(proxy).host:
                    raise requests.exceptions.InvalidProxyURL(
                        "Please check proxy URL. It is malformed and could be missing the host."
                    )
                manager: PoolManager = self._adapter.proxy_manager_for(proxy)
            else:
                manager = self._adapter.poolmanager
        except LocationValueError as error:
            raise requests.exceptions.InvalidURL(error) from error
        bundle = None
        if url.lower().startswith("https"):
            bundle = route.verify if isinstance(route.verify, str) else DEFAULT_CA_BUNDLE_PATH
            if not bundle or not os.path.exists(bundle):
                raise OSError(f"Could not find a suitable TLS CA certificate bundle, invalid path: {bundle}")
        if route.auth is not None:
            authorization: str | None = route.auth
        else:
            credentials = get_auth_from_url(url)
            authorization = basic_authorization(*credentials) if any(credentials) else None
        connection = _Connection(
            manager=manager,
            host=host,
            pool_kwargs=pool_kwargs,
            bundle=bundle,
            authorization=authorization,
            absolute=bool(route.proxy)
            and parsed.scheme.lower() != "https"
            and not cast(str, route.proxy).lower().startswith("socks"),
            bundle_is_dir=bundle is not None and os.path.isdir(bundle),
        )
        self._pool(connection)  # raises for a host urllib3 cannot use, before the route keeps it
        route.connection = connection
        return connection

    @staticmethod
    def _pool(connection: _Connection) -> HTTPConnectionPool:
        """The connection pool requests' adapter would use, with its certificate settings, asked of the
        manager once per route (as requests did for every request) and kept while it is open. The
        manager forgets the pools of hosts beyond its ten latest without closing them (urllib3 2), so
        a route keeps its pool and connections for the run, and `close` closes them."""
        if (pool := connection.pool) is not None and pool.pool is not None:
            return pool
        try:
            manager, host = connection.manager, connection.host
            pool = manager.connection_from_host(**host, pool_kwargs=connection.pool_kwargs)
        except LocationValueError as error:
            raise requests.exceptions.InvalidURL(error) from error
        if connection.bundle is not None:
            pool.cert_reqs = "CERT_REQUIRED"  # type: ignore[attr-defined]
            if connection.bundle_is_dir:
                pool.ca_cert_dir = connection.bundle  # type: ignore[attr-defined]
            else:
                pool.ca_certs = connection.bundle  # type: ignore[attr-defined]
        connection.pool = pool
        return pool


# Path and query characters that requests' URL preparation (urllib3's parse_url, then requote_uri)
# leaves as they are: RFC 3986 unreserved characters, sub-delimiters, ":", "@" and "/" (and "?" in a
# query). A "%" is not among them: parse_url upper-cases percent-escapes.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*")


def _unchanged_origin(scheme: str, netloc: str) -> str | None:
    """ "scheme://netloc" when requests' URL preparation gives it back as it is, else None."""
    origin = f"{scheme}://{netloc}"
    prepared = PreparedRequest()
    try:
        prepared.prepare_url(origin + "/", None)
    except requests.RequestException:
        return None  # raised again, as requests raised it, by the request itself (`_prepare`)
    return origin if prepared.url == origin + "/" else None


def _prepare(url: str, parts: SplitResult, route: _Route) -> tuple[str, str]:
    """The URL as requests' `PreparedRequest.prepare_url` gives it, and its request target
    (`path_url`). A plain URL (an unchanged origin, a path and query of plain characters without dot
    segments, no fragment) is its own prepared form, so requests' preparation, a seventh of a 304's
    CPU, runs only for the others; `tests/test_fetch_prepare.py` holds the two to the same answers."""
    path, query = parts.path, parts.query
    plain = (
        route.origin is not None
        and not parts.fragment
        and _PLAIN_PATH.fullmatch(path) is not None
        and "/." not in path
        and _PLAIN_QUERY.fullmatch(query) is not None
        and url == route.origin + path + (f"?{query}" if query else "")
    )
    if plain:
        target = (path or "/") + (f"?{query}" if query else "")
        return f"{route.origin}{target}", target
    prepared = PreparedRequest()
    prepared.prepare_url(url, None)  # requests' own normalization and quoting, and its InvalidURL
    return cast(str, prepared.url), prepared.path_url


def _is_user_agent_line(line: str) -> bool:
    """Whether RobotFileParser reads `line` as a group's User-agent line (without one, it has no
    rules: it reads every other line only after a User-agent line)."""
    field, colon, _ = line.split("#", 1)[0].strip().partition(":")
    return bool(colon) and field.strip().lower() == "user-agent"


def _location(header: str) -> str:
    """A Location header as the server meant it. http.client hands header bytes over as Latin-1:
    UTF-8 bytes become their text; other bytes (a Shift_JIS path on a Japanese site) are
    percent-encoded as they are, as browsers do, so the next request asks for exactly those bytes."""
    try:
        raw = header.encode("latin-1")
    except UnicodeEncodeError:  # not from the wire as bytes: already text
        return header
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in raw)


@dataclass
class _Sent:
    """The request as requests' cookie helpers read it (its URL and headers)."""

    url: str
    headers: dict[str, str]


def _retry_error(error: MaxRetryError) -> requests.RequestException:
    """requests' exception for urllib3's exhausted retries, by their last reason."""
    reason = error.reason
    if isinstance(reason, Urllib3ConnectTimeout) and not isinstance(reason, NewConnectionError):
        return requests.exceptions.ConnectTimeout(error)
    if isinstance(reason, ResponseError):
        return requests.exceptions.RetryError(error)
    if isinstance(reason, ProxyError):
        return requests.exceptions.ProxyError(error)
    if isinstance(reason, Urllib3SSLError):
        return requests.exceptions.SSLError(error)
    return requests.exceptions.ConnectionError(error)


def _drain(response: BaseHTTPResponse) -> None:
    """Read a redirect's body to its end, failing as requests' `Response.content` did."""
    try:
        for _ in response.stream(10 * 1024, decode_content=True):
            pass
    except (ProtocolError, DecodeError):
        response.read(decode_content=False)
    except ReadTimeoutError as error:
        raise requests.exceptions.ConnectionError(error) from error
    except Urllib3SSLError as error:
        raise requests.exceptions.SSLError(error) from error


def _bodiless(response: BaseHTTPResponse) -> bool:
    """A redirect or a 304: an answer whose body, if any, is read to its end and not kept."""
    if response.status == 304:
        return True
    return response.status in REDIRECT_STATUSES and bool(response.headers.get("Location"))


def _close(response: BaseHTTPResponse) -> None:
    """As requests' `Response.close` after a streamed answer: the connection is closed unless its
    body was read to the end (a redirect's or a 304's, by `_drain`; a 2xx body read to its end has
    handed it back already), then handed back to its pool."""
    if not _bodiless(response):
        response.close()
    response.release_conn()


def _make_retry(settings: FetchSettings) -> _PoliteRetry:
    return _PoliteRetry(
        total=settings.retries,
        connect=settings.retries,
        read=min(settings.retries, 1),  # a server silent for read_timeout is retried once, not every time
        status=settings.retries,
        redirect=False,  # redirects are followed (and checked) by Fetcher.fetch
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,  # give back the last answer so the error can say what it was
        retry_after_cap=settings.max_retry_after,
    )


def _request_headers(request: FetchRequest) -> dict[str, str]:
    headers = {"Accept": ", ".join(request.accept)} if request.accept else {}
    # Only the server's own validators: a date from our clock would miss changes made within the
    # second after the previous fetch (a known urlwatch flaw).
    if request.validators and request.validators.etag:
        headers["If-None-Match"] = request.validators.etag
    if request.validators and request.validators.last_modified:
        headers["If-Modified-Since"] = request.validators.last_modified
    return headers


def _read_reply(
    url: str,
    response: BaseHTTPResponse,
    elapsed: float,
    accept: tuple[str, ...] | None,
    max_bytes: int,
    page_timeout: float,
) -> _Reply:
    status = response.status
    if status in REDIRECT_STATUSES and response.headers.get("Location"):
        return _Reply(status, response.headers, location=_location(response.headers["Location"]))
    if status == 304:
        return _Reply(status, response.headers)
    if not 200 <= status < 300:
        raise _status_error(url, response)
    _check_content_type(url, response.headers.get("Content-Type"), accept)
    return _Reply(
        status, response.headers, content=_read_capped(url, response, elapsed, max_bytes, page_timeout)
    )


def _next_piece(response: BaseHTTPResponse) -> bytes:
    """Whatever the connection has next (one read, at most CHUNK_BYTES), decoded; b"" at the end.
    One read at a time, so the page deadline is checked however slowly the bytes come."""
    try:
        return response.read1(CHUNK_BYTES, decode_content=True)
    except (Urllib3HTTPError, OSError) as error:
        raise requests.exceptions.ConnectionError(error) from error


def _status_error(url: str, response: BaseHTTPResponse) -> FetchError:
    status = response.status
    reason = response.reason or _status_phrase(status)
    retries = _retries_used(response)
    after = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    kind = (
        ErrorKind.HTTP_4XX if 400 <= status < 500 else ErrorKind.HTTP_5XX
    )  # odd 1xx/3xx answers are server faults too
    return FetchError(f"{url}: HTTP {status} {reason}{after}", kind)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "(unknown status)"


def _retries_used(response: BaseHTTPResponse) -> int:
    retries = response.retries
    return len(retries.history) if retries is not None else 0


def _check_content_type(url: str, content_type: str | None, accept: tuple[str, ...] | None) -> None:
    if not accept:
        return
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in accept:
        raise FetchError(
            f"{url}: content type {media_type or '(none given)'} is not one of {', '.join(accept)}",
            ErrorKind.CONTENT_TYPE,
        )


def _read_capped(
    url: str, response: BaseHTTPResponse, elapsed: float, max_bytes: int, page_timeout: float
) -> bytes:
    """Stream the body, refusing it (before or while reading) once it exceeds `max_bytes` or takes
    longer than `page_timeout` (counted from the request: a server dripping a byte a second never
    trips the read timeout, which bounds only the wait for the next bytes)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(
            f"{url}: Content-Length {declared} exceeds the limit of {max_bytes} bytes", ErrorKind.TOO_LARGE
        )
    chunks: list[bytes] = []
    total = 0
    deadline = time.monotonic() + max(0.0, page_timeout - elapsed)
    # Uncompressed, the body is whole once its declared length has come: asking for more would only be
    # told so (a read of its own). A decoder may still hold decoded bytes when the raw ones are all in.
    plain = "Content-Encoding" not in response.headers
    while chunk := _next_piece(response):
        if time.monotonic() > deadline:
            raise FetchError(
                f"{url}: the answer took longer than {page_timeout:g} s to arrive "
                f"({total + len(chunk)} bytes so far); stopped reading",
                ErrorKind.TIMEOUT,
            )
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(
                f"{url}: body exceeds the limit of {max_bytes} bytes; stopped reading", ErrorKind.TOO_LARGE
            )
        chunks.append(chunk)
        if plain and response.length_remaining == 0:
            break
    return b"".join(chunks)


def _result(request: FetchRequest, final_url: str, redirects: list[str], reply: _Reply) -> FetchResult:
    validators = request.validators or Validators()
    if reply.status == 304 and not (validators.etag or validators.last_modified):
        # Nothing was asked conditionally, so the caller has no stored bytes to fall back on.
        raise FetchError(
            f"{request.url}: HTTP 304 Not Modified to a request without validators", ErrorKind.EMPTY_RESPONSE
        )
    if reply.status != 304 and not (reply.content or b"").strip():
        raise FetchError(
            f"{request.url}: the server sent an empty body (HTTP {reply.status})", ErrorKind.EMPTY_RESPONSE
        )
    not_modified = reply.status == 304
    # A 304 may omit the validators; the ones we sent are still the current ones then.
    kept = validators if not_modified else Validators()
    return FetchResult(
        url=request.url,
        final_url=final_url,
        status=reply.status,
        content=None if not_modified else reply.content,
        content_type=reply.headers.get("Content-Type"),
        etag=reply.headers.get("ETag") or kept.etag,
        last_modified=reply.headers.get("Last-Modified") or kept.last_modified,
        redirects=redirects,
        fetched_at=datetime.now(UTC),
        not_modified=not_modified,
    )


def _connection_error(url: str, error: requests.RequestException, settings: FetchSettings) -> FetchError:
    """Turn a requests/urllib3 exception into a FetchError whose message names the original URL."""
    kind = classify_exception(error)
    host = _host_name(url)
    cause = _cause_text(error)
    if kind == "dns":
        return FetchError(f"{url}: the host name {host} could not be resolved ({cause})", kind)
    if kind == "tls":
        return FetchError(f"{url}: the TLS connection to {host} failed ({cause})", kind)
    if kind == "timeout":
        if _is_connect_timeout(error):
            return FetchError(f"{url}: no connection to {host} within {settings.connect_timeout:g} s", kind)
        return FetchError(f"{url}: {host} sent nothing for {settings.read_timeout:g} s (read timeout)", kind)
    if kind == "http-5xx":
        return FetchError(f"{url}: the server kept failing after {settings.retries} retries ({cause})", kind)
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return FetchError(f"{url}: not a URL that can be fetched ({cause})", kind)
    return FetchError(f"{url}: could not connect to {host} ({cause})", kind)


def classify_exception(error: BaseException) -> ErrorKind:
    """The FetchError kind for an exception raised by requests/urllib3 while fetching."""
    if isinstance(error, requests.exceptions.RetryError):
        return ErrorKind.HTTP_5XX  # retries ran out on error statuses
    causes = list(_causes(error))
    # NameResolutionError < NewConnectionError < ConnectTimeoutError in urllib3: most specific first.
    if any(isinstance(cause, NameResolutionError) for cause in causes):
        return ErrorKind.DNS
    if any(isinstance(cause, Urllib3SSLError | requests.exceptions.SSLError) for cause in causes):
        return ErrorKind.TLS
    if any(isinstance(cause, NewConnectionError) for cause in causes):
        return ErrorKind.CONNECTION
    timeouts = (requests.exceptions.Timeout, ReadTimeoutError, Urllib3ConnectTimeout, TimeoutError)
    if any(isinstance(cause, timeouts) for cause in causes):
        return ErrorKind.TIMEOUT
    return ErrorKind.CONNECTION


def _definitive(error: NameResolutionError) -> bool:
    resolver = error.__cause__
    return isinstance(resolver, socket.gaierror) and resolver.errno in DEFINITIVE_RESOLVER_ERRORS


def _is_connect_timeout(error: BaseException) -> bool:
    return any(
        isinstance(cause, requests.exceptions.ConnectTimeout)
        or (isinstance(cause, Urllib3ConnectTimeout) and not isinstance(cause, NewConnectionError))
        for cause in _causes(error)
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (urllib3 `.reason`, exception args, cause and context)."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def _cause_text(error: BaseException) -> str:
    """A short cause without addresses: the innermost OS error's text (mirrors stay out of messages)."""
    for cause in reversed(list(_causes(error))):
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException | Urllib3HTTPError):
            if cause.strerror:
                return cause.strerror
            if cause.args and isinstance(cause.args[0], str):
                return cause.args[0]
    return type(error).__name__


def _require_http(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http and https URLs with a host can be fetched", ErrorKind.CONNECTION)


def _host_name(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".")


def basic_authorization(username: str, password: str) -> str:
    """The Authorization header requests' HTTPBasicAuth sends for these credentials (latin-1 encoded,
    as it encodes them)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode("latin1")).decode("ascii")


def _host_key(url: str) -> str:
    """What politeness is counted per: the host and port as the URL names them (normalized, so
    `www.jst.go.jp.` and `WWW.JST.GO.JP` are the same host)."""
    return _normal_netloc(urlsplit(url).netloc)


@lru_cache(maxsize=1024)  # a run has few hosts, and each page's netloc is normalized three times
def _normal_netloc(netloc: str) -> str:
    """host[:port] lower-cased, without the trailing dot of a fully qualified name, in IDNA form."""
    host, colon, port = netloc.lower().rpartition("@")[2].partition(":")
    host = host.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    except UnicodeError:
        pass  # not a valid international name: left as given, and it will not resolve
    return f"{host}{colon}{port}"


def _within(host: str, domains: list[str]) -> bool:
    """Whether `host` is one of `domains` or a subdomain of one."""
    host = host.lower()
    domains = [domain.lower().strip(".") for domain in domains]
    return any(host == domain or host.endswith("." + domain) for domain in domains)
