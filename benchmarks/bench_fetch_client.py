"""Client CPU of one fetch: `Fetcher.fetch` against bare urllib3 and http.client, in one process.

The N generated program pages (../shared/bench/make_site.py) are served by bench_fetch.py's server
on 127.0.0.1 in a thread of this process, and each client fetches all of them one after another:

  1. all 304: conditional GETs with each page's ETag, answered 304 Not Modified;
  2. 200: plain GETs of the same pages (about 1.5 KB each), answered 200 with the body.

Clients: `Fetcher.fetch` (ingest, as a run uses it: robots.txt respected, a rewritten host, no
pacing, no retries), urllib3's `PoolManager.request` and `HTTPConnectionPool.urlopen`, and one
`http.client.HTTPConnection`. The server speaks HTTP/1.0 and closes every connection, so each client
opens one a request alike; with `--keep-alive` it speaks HTTP/1.1 and keeps them open, so a client
that reuses its connection saves that cost (ingest's did not after a 304, before issue 12's fourth
round). The clients alternate round by round (the order rotates), and each scenario prints the
medians of the wall time and of the fetching thread's CPU per request (`time.thread_time`, so the
server threads are not counted), the least CPU of a round (the least disturbed one), and the ratios
of the median CPU to http.client's and urllib3's, measured in the same run. Not part of the test
suite: run it by hand.

    .venv/bin/python benchmarks/bench_fetch_client.py [--n 1000] [--rounds 5] [--keep-alive] [--profile]

`--profile` prints a cProfile of the Fetcher's serial loop (all 304) instead. Another checkout's
fetcher is measured by putting its `src` first on the path: `PYTHONPATH=OTHER/src .venv/bin/python
benchmarks/bench_fetch_client.py` (the first line printed names the `ingest` measured).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import http.client
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import urllib3

import ingest
from ingest.fetch import Fetcher, FetchRequest, FetchSettings, Validators

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fetch import HOST, PEER, Handler, serve  # the benchmark server, shared

SCENARIOS = ("all 304", "200")
Client = Callable[[list[str], dict[str, str], int], None]  # pages, their ETags (empty: 200), port


def fetcher_client(pages: list[str], etags: dict[str, str], port: int) -> None:
    settings = FetchSettings(min_interval=0, retries=0, rewrite_hosts={HOST: f"127.0.0.1:{port}"})
    with Fetcher(settings) as fetcher:
        for page in pages:
            validators = Validators(etag=etags[page]) if etags else None
            result = fetcher.fetch(FetchRequest(f"https://{HOST}/{page}", [HOST], validators=validators))
            assert result.not_modified == bool(etags), result


def pool_manager_client(pages: list[str], etags: dict[str, str], port: int) -> None:
    with urllib3.PoolManager() as manager:
        for page in pages:
            headers = {"If-None-Match": etags[page]} if etags else {}
            response = manager.request("GET", f"http://127.0.0.1:{port}/{page}", headers=headers)
            assert response.status == (304 if etags else 200), response.status


def connection_pool_client(pages: list[str], etags: dict[str, str], port: int) -> None:
    with urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1) as pool:
        for page in pages:
            headers = {"If-None-Match": etags[page]} if etags else {}
            response = pool.urlopen("GET", f"/{page}", headers=headers)
            assert response.status == (304 if etags else 200), response.status


def http_client_client(pages: list[str], etags: dict[str, str], port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        for page in pages:
            headers = {"If-None-Match": etags[page]} if etags else {}
            connection.request("GET", f"/{page}", headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == (304 if etags else 200), response.status
    finally:
        connection.close()


CLIENTS: dict[str, Client] = {
    "Fetcher.fetch": fetcher_client,
    "urllib3 PoolManager": pool_manager_client,
    "urllib3 pool.urlopen": connection_pool_client,
    "http.client": http_client_client,
}


class KeepAliveHandler(Handler):
    """bench_fetch's pages over HTTP/1.1, keeping connections open as most web servers do."""

    protocol_version = "HTTP/1.1"
    # Headers and body in one write: written apart, each answer waited for the client's delayed ACK
    # (40 ms) on a kept-alive connection.
    wbufsize = -1


def etags_of(site: Path, pages: list[str]) -> dict[str, str]:
    """Each page's ETag as bench_fetch.Handler computes it."""
    return {page: '"' + hashlib.sha256((site / page).read_bytes()).hexdigest()[:16] + '"' for page in pages}


def timed(client: Client, pages: list[str], etags: dict[str, str], port: int) -> tuple[float, float]:
    """(wall seconds, this thread's CPU seconds) of one client fetching every page."""
    wall, cpu = time.perf_counter(), time.thread_time()
    client(pages, etags, port)
    return time.perf_counter() - wall, time.thread_time() - cpu


def profile(pages: list[str], etags: dict[str, str], port: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(fetcher_client, pages, etags, port)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="pages (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every client (default 5)")
    parser.add_argument("--profile", action="store_true", help="cProfile the Fetcher's all-304 loop")
    parser.add_argument(
        "--keep-alive", action="store_true", help="serve HTTP/1.1 with keep-alive (default: HTTP/1.0)"
    )
    args = parser.parse_args()
    print(f"ingest measured: {Path(ingest.__file__).parent}")
    with tempfile.TemporaryDirectory(prefix="ingest-bench-client-") as tmp:
        site = Path(tmp) / "site"
        make = [sys.executable, str(PEER / "make_site.py"), str(site), "--n", str(args.n), "--seed", "1"]
        subprocess.run(make, check=True, capture_output=True)
        pages = (site / "urls.txt").read_text().split()
        etags = etags_of(site, pages)
        with serve(site, KeepAliveHandler if args.keep_alive else Handler) as server:
            port = server.server_address[1]
            if args.profile:
                profile(pages, etags, port)
                return
            times: dict[tuple[str, str], list[tuple[float, float]]] = {}
            names = list(CLIENTS)
            for scenario in SCENARIOS:
                server.validators = scenario == "all 304"  # type: ignore[attr-defined]
                asked = etags if scenario == "all 304" else {}
                for round_ in range(args.rounds):
                    shift = round_ % len(names)
                    for name in names[shift:] + names[:shift]:
                        timing = timed(CLIENTS[name], pages, asked, port)
                        times.setdefault((name, scenario), []).append(timing)
    report(times, len(pages), args.rounds, args.keep_alive)


def report(
    times: dict[tuple[str, str], list[tuple[float, float]]], n: int, rounds: int, keep_alive: bool
) -> None:
    server = "HTTP/1.1, keep-alive" if keep_alive else "HTTP/1.0, a connection a request"
    print(f"N = {n} requests one after another ({server}), medians of {rounds} rounds")
    print("CPU = the fetching thread's")
    for scenario in SCENARIOS:
        cpu = {name: statistics.median(c for _, c in times[(name, scenario)]) for name in CLIENTS}
        print(f"\n{scenario}:")
        header = f"{'wall s':>7} {'CPU ms/req':>11} {'(min)':>6} {'/ http.client':>14} {'/ urllib3 pool':>15}"
        print(f"  {'client':<22} {header}")
        for name in CLIENTS:
            wall = statistics.median(w for w, _ in times[(name, scenario)])
            least = min(c for _, c in times[(name, scenario)])
            print(
                f"  {name:<22} {wall:7.3f} {cpu[name] / n * 1000:11.3f} {least / n * 1000:6.3f} "
                f"{cpu[name] / cpu['http.client']:13.2f}× {cpu[name] / cpu['urllib3 pool.urlopen']:14.2f}×"
            )


if __name__ == "__main__":
    main()
