"""The fetcher takes proxies and ~/.netrc credentials from the environment as requests does, reading
them once per host and run: a real proxy and a real server on 127.0.0.1 see what was sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.fetch import Fetcher, FetchRequest, FetchResult, FetchSettings, basic_authorization
from site_server import serve_handler
from test_fetch import FAST, JST, PAGE


@contextmanager
def recording_server(seen: list[tuple[str, str | None]]) -> Iterator[str]:
    """Answers every GET with a page and records (request target, Authorization); yields host:port.
    As an HTTP proxy it receives the absolute URL as its request target."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Authorization")))
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serve_handler(Handler) as mirror:
        yield mirror


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    return monkeypatch


def fetch_pages(mirror: str, count: int) -> list[FetchResult]:
    with Fetcher(FetchSettings(**{**FAST, "rewrite_hosts": {JST: mirror}})) as fetcher:
        results = fetcher.fetch_all(
            [FetchRequest(f"https://{JST}/{n}.html", ["jst.go.jp"]) for n in range(count)]
        )
    assert all(isinstance(r, FetchResult) and r.content == PAGE for r in results)
    return [r for r in results if isinstance(r, FetchResult)]


def test_http_proxy_from_the_environment_is_used(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    to_proxy: list[tuple[str, str | None]] = []
    to_site: list[tuple[str, str | None]] = []
    with recording_server(to_proxy) as proxy, recording_server(to_site) as site:
        clean_environment.setenv("HTTP_PROXY", f"http://{proxy}")
        results = fetch_pages(site, 3)
    assert sorted(path for path, _ in to_proxy) == [f"http://{site}/{n}.html" for n in range(3)]
    assert to_site == []
    assert [r.final_url for r in results] == [f"https://{JST}/{n}.html" for n in range(3)]


def test_no_proxy_from_the_environment_bypasses_the_proxy(clean_environment: pytest.MonkeyPatch) -> None:
    to_proxy: list[tuple[str, str | None]] = []
    to_site: list[tuple[str, str | None]] = []
    with recording_server(to_proxy) as proxy, recording_server(to_site) as site:
        clean_environment.setenv("HTTP_PROXY", f"http://{proxy}")
        clean_environment.setenv("NO_PROXY", "127.0.0.1")
        fetch_pages(site, 2)
    assert to_proxy == []
    assert sorted(path for path, _ in to_site) == ["/0.html", "/1.html"]


def test_netrc_credentials_are_sent_with_every_page(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login reader password s3cret\n")
    netrc.chmod(0o600)
    clean_environment.setenv("NETRC", str(netrc))
    seen: list[tuple[str, str | None]] = []
    with recording_server(seen) as site:
        fetch_pages(site, 2)
    assert [auth for _, auth in seen] == ["Basic cmVhZGVyOnMzY3JldA=="] * 2  # base64 of reader:s3cret


LATIN1 = st.text(st.characters(max_codepoint=0xFF), max_size=20)


@settings(max_examples=300, deadline=None)
@given(LATIN1, LATIN1)
def test_basic_credentials_make_the_header_requests_makes(username: str, password: str) -> None:
    prepared = requests.Request("GET", "https://www.jst.go.jp/").prepare()
    requests.auth.HTTPBasicAuth(username, password)(prepared)
    assert basic_authorization(username, password) == prepared.headers["Authorization"]
