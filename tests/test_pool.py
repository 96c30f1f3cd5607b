"""The extraction pool (isolation.ExtractPool) and the pipelined website reading built on it: the same
records as extraction in process, the `[extract]` limits applied to every document in every worker
(a runaway fails alone, its worker is replaced), and each source reported as soon as it is done."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from ingest.errors import EmptyExtractError, ErrorKind, ExtractError
from ingest.extract.html import extract_html
from ingest.isolation import POOL_MIN_PAGES, ExtractLimits, ExtractPool
from ingest.pipeline import run
from ingest.snapshot import SnapshotStore
from site_server import serve_handler

SITES = Path(__file__).resolve().parent / "fixtures" / "sites" / "v1"
AT = datetime(2025, 5, 1, tzinfo=UTC)


# -- what the workers run (module level: the workers import this module to find them) -------------


def spin(seconds: float) -> float:
    """Burn `seconds` of CPU."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def hoard(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def fail(kind: str) -> None:
    if kind == "empty":
        raise EmptyExtractError("page.html: no programs")
    raise ExtractError("page.html: not HTML", ErrorKind.GARBAGE)


# -- the pool ---------------------------------------------------------------------------------------


def test_the_pool_gives_the_records_extraction_in_process_gives() -> None:
    pages = sorted(p for p in SITES.rglob("*.html"))
    assert len(pages) >= 8
    urls = [f"https://{p.relative_to(SITES).as_posix()}" for p in pages]
    here = [
        extract_html(p.read_bytes(), url=u, source_id="s", fetched_at=AT)
        for p, u in zip(pages, urls, strict=True)
    ]
    with ExtractPool(ExtractLimits(), workers=2) as pool:
        futures = [
            pool.submit(
                extract_html, (p.read_bytes(),), {"url": u, "source_id": "s", "fetched_at": AT}, what=u
            )
            for p, u in zip(pages, urls, strict=True)
        ]
        there = [future.result() for future in futures]
    assert there == here


def test_each_document_gets_its_own_cpu_budget_and_a_runaway_fails_alone() -> None:
    limits = ExtractLimits(cpu_seconds=1, wall_seconds=30)
    with ExtractPool(limits, workers=1) as pool:  # one worker: every document in the same process
        futures = [pool.submit(spin, (s,), {}, what=f"doc{i}") for i, s in enumerate([0.4, 0.4, 0.4, 5, 0.4])]
        outcomes = [future.exception() or future.result() for future in futures]
    assert outcomes[:3] == [0.4, 0.4, 0.4]  # 1.2 s of CPU in one worker, but under 1 s each
    error = outcomes[3]
    assert isinstance(error, ExtractError) and error.kind is ErrorKind.TOO_LARGE
    assert (
        str(error) == "doc3: extraction exceeded its limits (1024 MB of memory, 1 s of CPU) and was stopped"
    )
    assert outcomes[4] == 0.4  # a new worker took over


def test_a_document_outliving_the_wall_clock_limit_is_stopped_and_the_next_one_is_read() -> None:
    with ExtractPool(ExtractLimits(wall_seconds=0.5), workers=1) as pool:
        slow, quick = pool.submit(nap, (30,), {}, what="slow.html"), pool.submit(nap, (0,), {}, what="quick")
        started = time.monotonic()
        with pytest.raises(
            ExtractError, match=r"^slow.html: extraction took longer than 0.5 s and was stopped$"
        ):
            slow.result()
        assert time.monotonic() - started < 10
        assert quick.result() == 0


def test_a_document_queued_behind_a_stuck_one_is_read_by_the_next_worker() -> None:
    """A worker is handed its next document while it reads one; when that one is stopped, the
    document queued behind it is read by the worker that replaces it, once."""
    with ExtractPool(ExtractLimits(wall_seconds=0.5), workers=1) as pool:
        first = pool.submit(os.getpid, (), {}, what="first")
        stuck = pool.submit(nap, (30,), {}, what="stuck.html")
        queued = pool.submit(os.getpid, (), {}, what="queued")
        with pytest.raises(ExtractError, match=r"^stuck.html: extraction took longer than 0.5 s"):
            stuck.result(timeout=10)
        assert queued.result(timeout=10) not in (first.result(), os.getpid())


def test_a_document_too_large_to_queue_waits_so_a_stuck_worker_is_still_stopped_on_time() -> None:
    """A document larger than the worker's connection buffer is only sent to a worker that is free:
    queued behind a stuck one, sending it would hold up the pool until that worker read it."""
    with ExtractPool(ExtractLimits(wall_seconds=1), workers=1) as pool:
        stuck = pool.submit(nap, (30,), {}, what="stuck.html")
        large = pool.submit(len, (b"x" * 8_000_000,), {}, what="large.html")
        started = time.monotonic()
        with pytest.raises(ExtractError, match=r"^stuck.html: extraction took longer than 1 s"):
            stuck.result(timeout=20)
        assert time.monotonic() - started < 10
        assert large.result(timeout=20) == 8_000_000


def test_the_memory_limit_holds_in_every_worker() -> None:
    with ExtractPool(ExtractLimits(memory_mb=256), workers=2) as pool:
        big = pool.submit(hoard, (600,), {}, what="big.html")
        small = pool.submit(hoard, (8,), {}, what="small.html")
        with pytest.raises(ExtractError, match=r"big\.html: extraction needed more than 256 MB of memory"):
            big.result()
        assert small.result() == 8 * 1024 * 1024


def test_an_extraction_error_comes_back_with_its_kind() -> None:
    with ExtractPool(ExtractLimits(), workers=1) as pool:
        garbage, empty = (pool.submit(fail, (kind,), {}, what="page.html") for kind in ("garbage", "empty"))
        with pytest.raises(ExtractError) as caught:
            garbage.result()
        assert caught.value.kind is ErrorKind.GARBAGE and str(caught.value) == "page.html: not HTML"
        with pytest.raises(EmptyExtractError):
            empty.result()


def _deep_temporary_folder(tmp_path: Path) -> Path:
    """A TMPDIR too deep for a Unix socket's address (108 bytes): the forkserver cannot listen there."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    return deep


def _run_without_extraction_processes(sources: Path, tmp_path: Path, *options: str) -> str:
    """`ingest run` into tmp_path/s where no extraction process can start; its stderr. It must still
    succeed, with no traceback."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest",
            "run",
            "--sources",
            str(sources),
            "--snapshots",
            str(tmp_path / "s"),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(_deep_temporary_folder(tmp_path))},
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


NO_PROCESS = """
from ingest.errors import ExtractError
from ingest.isolation import ExtractLimits, ExtractPool, run_limited
try:
    run_limited(len, (b"x",), {}, limits=ExtractLimits(), what="doc.pdf")
except ExtractError as error:
    print(error.kind, error)
with ExtractPool(ExtractLimits(), workers=2) as pool:
    futures = [pool.submit(len, (b"x",), {}, what=f"page{n}.html") for n in range(3)]
    futures[0].exception(timeout=60)  # the pool has given up by now: what comes later fails alike
    futures += [pool.submit(len, (b"x",), {}, what=f"page{n}.html") for n in range(3, 5)]
for future in futures:
    print(future.exception().kind, future.exception())
"""


def test_when_no_extraction_process_can_start_each_document_fails_saying_why(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_PROCESS],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(_deep_temporary_folder(tmp_path))},
    )
    assert done.returncode == 0, done.stderr
    why = (
        ": the limited extraction process could not be started (AF_UNIX path too long); "
        "[extract] isolate = false in sources.toml reads documents in the run's own process"
    )
    assert done.stdout.splitlines() == [f"extract {what}{why}" for what in ("doc.pdf", *PAGE_NAMES)]


PAGE_NAMES = tuple(f"page{n}.html" for n in range(5))


def test_a_run_whose_extraction_processes_cannot_start_fails_its_pdf_source_and_goes_on(
    tmp_path: Path,
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    bundled = Path(__file__).resolve().parents[1] / "sources" / "funding-programs-overseas-2025-04.pdf"
    (sources / "reference.pdf").write_bytes(bundled.read_bytes())
    (sources / "sources.toml").write_text(
        '[[source]]\nid = "reference-pdf"\nkind = "pdf"\npath = "reference.pdf"\n'
    )
    stderr = _run_without_extraction_processes(sources, tmp_path)
    failed = f"reference-pdf: FAILED (extract) {sources / 'reference.pdf'}: the limited extraction process"
    assert f"{failed} could not be started (AF_UNIX path too long)" in stderr
    assert len(list((tmp_path / "s").glob("*/manifest.json"))) == 1  # the run's snapshot says so


# -- website sources read through the pool ------------------------------------------------------------

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>FY2025 Research Grant No. {n:04d} | Foundation</title></head>
<body><header><nav><a href="/">Home</a></nav></header><main>
<h1>FY2025 Research Grant No. {n:04d}</h1>
<p>The program supports projects for up to three fiscal years.</p>
<table><tr><th>Call period</th><td>April 10, 2025 – Noon (12:00 JST), June {day}, 2025</td></tr></table>
<h2>Contact</h2><p>E-mail: <a href="mailto:grant-{n:04d}@example.org">grant-{n:04d}@example.org</a></p>
</main><footer><p>&copy; Foundation</p></footer></body></html>"""
HOST = "www.example-foundation.org"
SLOW = 2.0  # seconds the last page takes to arrive
PAGES = 2 * POOL_MIN_PAGES  # enough for the run to start its pool


@contextmanager
def _serve(pages: dict[str, bytes], slow: str | None = None) -> Iterator[str]:
    """`pages` on 127.0.0.1, answered 200 without validators; `slow` after SLOW seconds."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            if self.path == slow:
                time.sleep(SLOW)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            return None

    with serve_handler(Handler) as mirror:
        yield mirror


def _pages(count: int) -> dict[str, bytes]:
    return {f"/grants/{n:04d}.html": PAGE.format(n=n, day=1 + n % 28).encode() for n in range(count)}


@pytest.fixture
def site() -> Iterator[str]:
    """PAGES program pages; the last one answers after SLOW seconds."""
    with _serve(_pages(PAGES), slow=f"/grants/{PAGES - 1:04d}.html") as mirror:
        yield mirror


def _sources(folder: Path, *, isolate: bool, count: int = PAGES) -> Path:
    folder.mkdir()
    lines = [
        "[fetch]",
        "min_interval = 0",
        "retries = 0",
        "",
        "[extract]",
        f"isolate = {str(isolate).lower()}",
        "",
    ]
    for n in range(count):
        lines += [
            "[[source]]",
            f'id = "grant-{n:04d}"',
            'kind = "html"',
            f'url = "https://{HOST}/grants/{n:04d}.html"',
            f'allowed_domains = ["{HOST}"]',
            "",
        ]
    (folder / "sources.toml").write_text("\n".join(lines))
    return folder


def _without_times(path: Path) -> object:
    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("extracted_at", "fetched_at")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(path.read_text()))


def test_a_run_through_the_pool_reports_each_source_when_done_and_records_what_a_serial_run_records(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled: list[str] = []  # the pages handed to a pool
    submit = ExtractPool.submit
    monkeypatch.setattr(
        ExtractPool,
        "submit",
        lambda self, *args, what, **kw: pooled.append(what) or submit(self, *args, what=what, **kw),
    )
    written: dict[bool, Path] = {}
    for isolate in (True, False):  # True: enough pages for the pool; False: in this process
        pooled.clear()
        reported: list[tuple[str, float]] = []
        outcome = run(
            _sources(tmp_path / f"sources-{isolate}", isolate=isolate),
            tmp_path / f"snapshots-{isolate}",
            rewrite_hosts={HOST: site},
            progress=lambda result, seen=reported: seen.append((result.id, time.monotonic())),
        )
        finished = time.monotonic()
        assert len(pooled) == (PAGES if isolate else 0)  # a first run: every page in the pool
        assert outcome.snapshot is not None and not outcome.failed_sources
        assert sorted(i for i, _ in reported) == [f"grant-{n:04d}" for n in range(PAGES)]
        # The first sources were reported while the slow last page was still on its way.
        assert reported[0][1] < finished - SLOW / 2
        assert [s.id for s in outcome.sources] == sorted(i for i, _ in reported)  # the declared order
        written[isolate] = outcome.snapshot.path
    for name in ("records.json", "extracted.json", "manifest.json"):
        if name == "manifest.json":
            pool, serial = (json.loads((written[i] / name).read_text())["sources"] for i in (True, False))
            for sources in (pool, serial):
                for source in sources:
                    source.pop("fetched_at")
                    for page in source["pages"]:
                        page.pop("fetched_at", None)
            assert pool == serial
        else:
            assert _without_times(written[True] / name) == _without_times(written[False] / name)
    store = SnapshotStore(tmp_path / "snapshots-True")
    assert len(store.load(store.names()[-1]).records) == PAGES


def test_a_rerun_reads_its_first_changed_pages_in_process_and_starts_the_pool_only_when_many_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-run expects to reuse its stored records: it starts the pool only once POOL_MIN_PAGES pages
    turned out to need reading (a first run, which reads them all, starts it at once)."""
    pooled: list[str] = []
    submit = ExtractPool.submit
    monkeypatch.setattr(
        ExtractPool,
        "submit",
        lambda self, *args, what, **kw: pooled.append(what) or submit(self, *args, what=what, **kw),
    )
    pages = _pages(PAGES)
    sources, snapshots = _sources(tmp_path / "sources", isolate=True), tmp_path / "snapshots"
    with _serve(pages) as mirror:
        run(sources, snapshots, rewrite_hosts={HOST: mirror})
        assert len(pooled) == PAGES
        for changed, path in enumerate(sorted(pages)):  # every deadline moves a week
            pages[path] = pages[path].replace(f"June {1 + changed % 28},".encode(), b"July 9,")
        pooled.clear()
        outcome = run(sources, snapshots, rewrite_hosts={HOST: mirror})
    assert len(pooled) == PAGES - POOL_MIN_PAGES  # the first ones read in this process
    assert len({c.program for c in outcome.changes if c.category == "deadline"}) == PAGES


def test_a_page_served_again_with_the_same_bytes_keeps_its_records_without_being_read_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A server without validators answers 200 every time: the same bytes (and content type) read by
    the same extractor code give the stored records, as a 304 does; changed bytes are read again."""
    pages = _pages(3)
    sources, snapshots = _sources(tmp_path / "sources", isolate=False, count=3), tmp_path / "snapshots"
    with _serve(pages) as mirror:
        first = run(sources, snapshots, rewrite_hosts={HOST: mirror})
        pages["/grants/0001.html"] = pages["/grants/0001.html"].replace(b"June 2,", b"June 9,")
        with caplog.at_level(logging.INFO, logger="ingest.websites"):
            second = run(sources, snapshots, rewrite_hosts={HOST: mirror})
    reused = [r.getMessage() for r in caplog.records if "stored records reused" in r.getMessage()]
    assert sorted(m.split(":", 2)[1].rsplit("/", 1)[-1] for m in reused) == ["0000.html", "0002.html"]
    assert all("unchanged (same bytes)" in m for m in reused)
    assert first.snapshot is not None and second.snapshot is not None
    assert {(c.program, c.category) for c in second.changes} == {("research-grant-no-0001", "deadline")}


def test_a_304_keeps_the_content_type_of_the_stored_bytes_so_a_later_200_of_them_is_known(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """304s carry no Content-Type (as most servers send them): the page keeps the one its stored bytes
    came with, so a later 200 with the same bytes, from a server that dropped its validators, is
    recognised as unchanged."""
    body = PAGE.format(n=7, day=7).encode()
    validators = {"on": True}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if validators["on"] and self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if validators["on"]:
                self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    sources, snapshots = _sources(tmp_path / "sources", isolate=False, count=1), tmp_path / "snapshots"
    with serve_handler(Handler) as address:
        mirror = {HOST: address}
        run(sources, snapshots, rewrite_hosts=mirror)
        second = run(sources, snapshots, rewrite_hosts=mirror)
        [page] = second.sources[0].pages
        assert page.status == 304 and page.content_type == "text/html; charset=utf-8"
        validators["on"] = False
        with caplog.at_level(logging.INFO, logger="ingest.websites"):
            third = run(sources, snapshots, rewrite_hosts=mirror)
    assert third.snapshot is None and not third.changes
    assert any("unchanged (same bytes), stored records reused" in r.getMessage() for r in caplog.records)


def test_an_interrupted_run_stops_its_workers_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), ExtractPool(ExtractLimits(wall_seconds=60), workers=2) as pool:
        futures = [pool.submit(nap, (30,), {}, what=f"page{n}.html") for n in range(6)]
        raise KeyboardInterrupt  # Ctrl-C while pages are being read
    assert time.monotonic() - started < 10
    for future in futures:
        with pytest.raises(ExtractError, match="not extracted, the pool stopped"):
            future.result(timeout=0)


def test_a_run_whose_pool_cannot_start_fails_each_page_saying_why_and_writes_its_snapshot(
    tmp_path: Path,
) -> None:
    """Enough pages for the pool, and no worker can start: every source fails as `extract` with the
    reason, the run goes on to its snapshot, and no traceback stops it."""
    sources = _sources(tmp_path / "sources", isolate=True)
    with _serve(_pages(PAGES)) as mirror:
        stderr = _run_without_extraction_processes(sources, tmp_path, "--rewrite-host", f"{HOST}={mirror}")
    failed = [line for line in stderr.splitlines() if "FAILED (extract)" in line]
    assert len(failed) == PAGES
    assert all("could not be started (AF_UNIX path too long)" in line for line in failed)
    (manifest,) = (tmp_path / "s").glob("*/manifest.json")
    assert {s["status"] for s in json.loads(manifest.read_text())["sources"]} == {"failed"}
