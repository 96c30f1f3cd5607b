"""Real HTTP servers on 127.0.0.1 that play the agencies' websites from tests/fixtures/sites/.

One server per host (so `--rewrite-host` can map each host to its own mirror), serving
`<version>/<host>/<path>` with ETag/Last-Modified validators, 304s, the redirects listed in
`<version>/_redirects.tsv`, and faults a test switches on per path (status codes, slowness,
oversized bodies, a lying charset).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
HOSTS = ("www.jst.go.jp", "www.amed.go.jp", "www.jsps.go.jp", "www.hfsp.org")
LAST_MODIFIED = "Tue, 01 Apr 2025 00:00:00 GMT"


@dataclass
class Fault:
    status: int = 200
    delay: float = 0.0
    body: bytes | None = None
    content_type: str | None = None


@dataclass
class SiteState:
    version: str = "v1"
    faults: dict[tuple[str, str], Fault] = field(default_factory=dict)
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)
    not_modified: Counter[tuple[str, str]] = field(default_factory=Counter)
    robots: dict[str, str] = field(default_factory=dict)

    def redirects(self) -> dict[tuple[str, str], tuple[int, str]]:
        table = SITES / self.version / "_redirects.tsv"
        result: dict[tuple[str, str], tuple[int, str]] = {}
        if table.is_file():
            for line in table.read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    source, status, target = line.split("\t")
                    host, _, path = source.partition("/")
                    result[(host, "/" + path)] = (int(status), "https://" + target)
        return result


def _handler(host: str, state: SiteState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            state.hits[(host, path)] += 1
            fault = state.faults.get((host, path))
            if fault and fault.delay:
                time.sleep(fault.delay)
            if path == "/robots.txt":
                return self._robots()
            if fault and fault.status != 200:
                return self._send(fault.status, b"<html><body>error</body></html>", "text/html")
            if (host, path) in state.redirects():
                status, target = state.redirects()[(host, path)]
                self.send_response(status)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            body = fault.body if fault and fault.body is not None else self._file(path)
            if body is None:
                return self._send(404, b"<html><body>Not Found</body></html>", "text/html")
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag and fault is None:  # a faulty answer is never a 304
                state.not_modified[(host, path)] += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            content_type = (fault.content_type if fault else None) or _content_type(path)
            return self._send(200, body, content_type, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

        def _file(self, path: str) -> bytes | None:
            key = f"{host}/{path.lstrip('/')}" + ("index.html" if path.endswith("/") else "")
            for tree in dict.fromkeys((state.version, "v1")):  # v2 holds only the pages that changed
                if (SITES / tree / key).is_file():
                    return (SITES / tree / key).read_bytes()
            return None

        def _robots(self) -> None:
            if host not in state.robots:
                return self._send(404, b"", "text/plain")
            return self._send(200, state.robots[host].encode(), "text/plain")

        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            return None

    return Handler


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """One handler class served on 127.0.0.1 until the block ends; yields its address, host:port (what
    `--rewrite-host` and `rewrite_hosts` take). A handler still busy never holds up the shutdown."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _content_type(path: str) -> str:
    return "application/pdf" if path.endswith(".pdf") else "text/html"


@contextmanager
def serve_sites(state: SiteState | None = None) -> Iterator[tuple[SiteState, dict[str, str]]]:
    """Start one server per host; yield the shared state and host → "127.0.0.1:port" mirrors."""
    state = state or SiteState()
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _handler(host, state)) for host in HOSTS]
    threads = [threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield (
            state,
            {host: f"127.0.0.1:{s.server_address[1]}" for host, s in zip(HOSTS, servers, strict=True)},
        )
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
