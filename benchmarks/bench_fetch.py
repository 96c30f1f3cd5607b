"""Fetch benchmark: a full `ingest run` over N generated program pages served on 127.0.0.1.

For each N it times, in one process and one run of this script:
  1. the first run (fetch, extract, snapshot, diff) over N pages;
  2. a run after K pages moved their deadline (checks exactly those K are reported);
  3. a run where every page answers 304 (conditional GET from the stored validators);
and prints pages per second and the ratio third/first. With the peer script present it also runs
urlwatch 2.29 on the same generated pages (../shared/bench/run_urlwatch_bench.sh) and prints our
time over its time for each run. Not part of the test suite: run it by hand.

    .venv/bin/python benchmarks/bench_fetch.py [--n 200 1000] [--k 20] [--no-peer]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ingest.pipeline import run

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / "shared" / "bench"
HOST = "bench.example"


class ETagHandler(SimpleHTTPRequestHandler):
    """Static files with a content ETag, so the run's conditional GETs can get 304s."""

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.name == "robots.txt" or not path.is_file():
            return super().send_head()
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        return _Body(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, _size: int = -1) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        return None


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(ETagHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_sources(folder: Path, pages: list[str]) -> None:
    folder.mkdir(parents=True)
    lines = ["[fetch]", "min_interval = 0", "retries = 0", ""]
    for index, page in enumerate(pages):
        lines += [
            "[[source]]",
            f'id = "bench-{index:04d}"',
            'kind = "html"',
            f'url = "https://{HOST}/{page}"',
            f'allowed_domains = ["{HOST}"]',
            "",
        ]
    (folder / "sources.toml").write_text("\n".join(lines))


def timed_run(sources: Path, snapshots: Path, mirror: str) -> tuple[float, object]:
    started = time.perf_counter()
    outcome = run(sources, snapshots, rewrite_hosts={HOST: mirror})
    return time.perf_counter() - started, outcome


def bench(n: int, k: int, peer: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = Path(tmp)
        site = work / "site"
        subprocess.run(
            [sys.executable, str(PEER / "make_site.py"), str(site), "--n", str(n), "--seed", "1"],
            check=True,
            capture_output=True,
        )
        pages = [line for line in (site / "urls.txt").read_text().split() if line.startswith("program-")]
        write_sources(work / "sources", pages)
        with serve(site) as mirror:
            first, outcome = timed_run(work / "sources", work / "snapshots", mirror)
            failed = len(outcome.failed_sources)  # type: ignore[attr-defined]
            subprocess.run(
                [sys.executable, str(PEER / "make_site.py"), str(site), "--mutate", str(k), "--seed", "2"],
                check=True,
                capture_output=True,
            )
            second, outcome = timed_run(work / "sources", work / "snapshots", mirror)
            moved = {c.program for c in outcome.changes if c.category == "deadline"}  # type: ignore[attr-defined]
            expected = len((site / "mutated.txt").read_text().split())
            third, _ = timed_run(work / "sources", work / "snapshots", mirror)
        print(
            f"ingest   N={n} K={k} first_run_s={first:.2f} ({n / first:.0f} pages/s) "
            f"second_run_s={second:.2f} third_run_s={third:.2f} ({n / third:.0f} pages/s, all 304) "
            f"ratio_third_over_first={third / first:.2f} "
            f"changed_programs={len(moved)}/{expected} failed={failed}"
        )
    if peer:
        line = (
            subprocess.run(
                ["bash", str(PEER / "run_urlwatch_bench.sh"), str(n), str(k)],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        theirs = {key: float(value) for key, value in re.findall(r"(\w+_run_s)=([\d.]+)", line)}
        print(f"urlwatch {line}")
        print(
            f"ratio ingest/urlwatch N={n}: first {first / theirs['first_run_s']:.2f}, "
            f"after-change {second / theirs['second_run_s']:.2f}, "
            f"unchanged {third / theirs['third_run_s']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--no-peer", action="store_true", help="Skip the urlwatch comparison.")
    args = parser.parse_args()
    if not (PEER / "make_site.py").is_file():
        sys.exit(f"the page generator {PEER / 'make_site.py'} is missing (it ships in ../shared/bench)")
    for n in args.n:
        bench(n, args.k, peer=not args.no_peer)


if __name__ == "__main__":
    main()
