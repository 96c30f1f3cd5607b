"""Fetch benchmark: whole `ingest run` processes against urlwatch 2.29, alternating run by run.

Both tools watch the same N generated program pages (../shared/bench/make_site.py) served by one
server on 127.0.0.1, and each scenario is run by one tool and then the other (the order swaps every
round), as whole processes, for several rounds:

  1. first run: nothing stored yet, every page downloaded and read;
  2. all 304: nothing changed, the server answers every conditional GET with 304 Not Modified;
  3. after change: K pages moved their deadline (make_site.py --mutate); both tools must report
     exactly those K pages, or the benchmark stops;
  4. unchanged 200: the same bytes served with 200 and no ETag / Last-Modified (a server without
     validators), so every page is downloaded and read again; both must report nothing.

It prints each scenario's median wall time, min–max, and ingest / urlwatch (the medians' ratio), and
the goals: first run ≤ 1.0×, all 304 ≤ 0.6×, after change and unchanged 200 ≤ 0.8×. Not part of
the test suite: run it by hand, on a machine as quiet as can be.

    .venv/bin/python benchmarks/bench_fetch.py [--n 1000] [--k 20] [--rounds 3] [--ingest CMD]
        [--per-host 1 4] [--before CMD]

`--ingest` runs another checkout's command (e.g. /path/to/old/.venv/bin/ingest) instead of this one's.
`--per-host` times ingest once for each `[fetch] per_host` value given (default 1, the polite
default: one request at a time per host; urlwatch itself sends its requests in parallel), and
`--before` adds another checkout's command with per_host unset, all in the same alternation, so that
every column of the table is measured in the same run. urlwatch runs from $PEER_VENV (default
${TMPDIR:-/tmp}/peer-venv), created with urlwatch==2.29 when missing, as
../shared/bench/run_urlwatch_bench.sh does.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / "shared" / "bench"
HOST = "bench.example"
SCENARIOS = ("first run", "all 304", "after change", "unchanged 200")
GOALS = {"first run": 1.0, "all 304": 0.6, "after change": 0.8, "unchanged 200": 0.8}
URLWATCH_CONFIG = """\
display: {new: true, error: true, unchanged: false, empty-diff: true}
report:
  text: {details: true, footer: false, line_length: 75, minimal: false, separate: false}
  stdout: {enabled: true, color: false}
  email: {enabled: false}
"""


class Handler(SimpleHTTPRequestHandler):
    """Static pages with an ETag and Last-Modified answering conditional GETs with 304, or, when the
    server's `validators` flag is off, plain 200s without either (a server with no validators)."""

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.name == "robots.txt" or not path.is_file():
            return super().send_head()
        body = path.read_bytes()
        if self.server.validators:  # type: ignore[attr-defined]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            modified = email.utils.formatdate(int(path.stat().st_mtime), usegmt=True)
            if self._not_modified(etag, path.stat().st_mtime):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if self.server.validators:  # type: ignore[attr-defined]
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
        self.end_headers()
        return _Body(body)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if (match := self.headers.get("If-None-Match")) is not None:
            return match == etag
        if since := self.headers.get("If-Modified-Since"):
            parsed = email.utils.parsedate_to_datetime(since)
            return parsed is not None and int(mtime) <= parsed.timestamp()
        return False

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
def serve(folder: Path, handler: type[Handler] = Handler) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    server.daemon_threads = True  # a kept-alive connection's thread never holds up the shutdown
    server.validators = True  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def write_sources(folder: Path, pages: list[str], per_host: int | None = None) -> None:
    folder.mkdir(parents=True)
    lines = ["[fetch]", "min_interval = 0", "retries = 0"]
    lines += [f"per_host = {per_host}", ""] if per_host is not None else [""]
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


@dataclass
class Timing:
    wall: float  # seconds, the whole process (ingest's worker processes are its grandchildren)


def timed(command: list[str], out: Path, env: dict[str, str] | None = None) -> Timing:
    started = time.perf_counter()
    with out.open("w") as stdout:
        done = subprocess.run(command, stdout=stdout, stderr=subprocess.STDOUT, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{command[0]} exited {done.returncode}; its output is in {out}:\n{out.read_text()[-2000:]}")
    return Timing(wall)


class Ingest:
    """One ingest installation with its own sources and snapshots folders."""

    def __init__(
        self, name: str, command: str, work: Path, pages: list[str], port: int, per_host: int | None
    ) -> None:
        self.name, self.command, self.work, self.port = name, command, work, port
        write_sources(work / "sources", pages, per_host)

    def run(self, tag: str) -> Timing:
        self.before = self.snapshot_count()
        return timed(
            [
                self.command,
                "run",
                "--sources",
                str(self.work / "sources"),
                "--snapshots",
                str(self.work / "snapshots"),
                "--rewrite-host",
                f"{HOST}=127.0.0.1:{self.port}",
            ],
            self.work / f"{tag}.out",
        )

    def changed_pages(self) -> set[str]:
        """The pages whose programs the newest snapshot reports a deadline change for (none when the
        run wrote no snapshot: nothing changed)."""
        snapshots = sorted(p for p in (self.work / "snapshots").iterdir() if p.name[:1].isdigit())
        if len(snapshots) == self.before:
            return set()  # a quiet run: only a line in check.log
        newest = snapshots[-1]
        changes = json.loads((newest / "changes.json").read_text())["changes"]
        programs = {c["program"] for c in changes if c.get("category") == "deadline"}
        records = json.loads((newest / "records.json").read_text())
        return {p["url"].rsplit("/", 1)[-1] for r in records if r["id"] in programs for p in r["provenance"]}

    def snapshot_count(self) -> int:
        folder = self.work / "snapshots"
        return sum(1 for p in folder.iterdir() if p.name[:1].isdigit()) if folder.is_dir() else 0


class Urlwatch:
    """urlwatch 2.29 with one url job per page (html2text filter) and the stdout reporter only."""

    name = "urlwatch"

    def __init__(self, venv: Path, work: Path, pages: list[str], port: int) -> None:
        self.work = work
        work.mkdir(parents=True)
        jobs = [f'name: "{p}"\nurl: "http://127.0.0.1:{port}/{p}"\nfilter:\n  - html2text\n' for p in pages]
        (work / "urls.yaml").write_text("---\n".join(jobs))
        (work / "urlwatch.yaml").write_text(URLWATCH_CONFIG)
        self.command = [
            str(venv / "bin" / "urlwatch"),
            *("--urls", str(work / "urls.yaml"), "--config", str(work / "urlwatch.yaml")),
            *("--hooks", str(work / "hooks.py"), "--cache", str(work / "cache.db")),
        ]
        # keep urlwatch away from the user's ~/.config and ~/.cache
        self.env = os.environ | {"XDG_CONFIG_HOME": str(work / "xdg"), "XDG_CACHE_HOME": str(work / "xdg")}
        self.last = ""

    def run(self, tag: str) -> Timing:
        self.last = tag
        return timed(self.command, self.work / f"{tag}.out", self.env)

    def reported(self, kind: str) -> set[str]:
        text = (self.work / f"{self.last}.out").read_text()
        return set(re.findall(rf"^\d+\. {kind}: (\S+)", text, re.MULTILINE))


def compile_bytecode(command: str) -> None:
    """Write the bytecode of the ingest package `command` runs, as `pip install` does for an installed
    package: an editable checkout has none, and where PYTHONDONTWRITEBYTECODE is set (as on the
    development machine) every run would compile its modules again, which urlwatch, installed with
    its bytecode, never pays."""
    python = str(Path(command).parent / "python")
    where = "import ingest, os; print(os.path.dirname(ingest.__file__))"
    package = subprocess.run([python, "-c", where], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", package], check=True)


def peer_venv() -> Path:
    venv = Path(os.environ.get("PEER_VENV") or Path(tempfile.gettempdir()) / "peer-venv")
    if not (venv / "bin" / "urlwatch").exists():
        print(f"# creating {venv} with urlwatch==2.29", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "urlwatch==2.29"], check=True)
    return venv


@dataclass
class Variant:
    """One ingest column: its name in the table, its command, its `[fetch] per_host` (None: unset)."""

    name: str
    command: str
    per_host: int | None


def one_round(
    round_: int,
    n: int,
    k: int,
    variants: list[Variant],
    venv: Path,
    times: dict[tuple[str, str], list[Timing]],
) -> None:
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = Path(tmp)
        site = work / "site"
        make = [sys.executable, str(PEER / "make_site.py"), str(site)]
        subprocess.run([*make, "--n", str(n), "--seed", "1"], check=True, capture_output=True)
        pages = (site / "urls.txt").read_text().split()
        with serve(site) as server:
            port = server.server_address[1]
            tools: list[Ingest | Urlwatch] = [
                Ingest(v.name, v.command, work / f"ingest-{i}", pages, port, v.per_host)
                for i, v in enumerate(variants)
            ]
            tools.append(Urlwatch(venv, work / "urlwatch", pages, port))
            shift = round_ % len(tools)  # every tool takes every place in the order in turn
            tools = tools[shift:] + tools[:shift]
            for scenario in SCENARIOS:
                if scenario == "after change":
                    mutate = [*make, "--mutate", str(k), "--seed", "2"]
                    subprocess.run(mutate, check=True, capture_output=True)
                server.validators = scenario != "unchanged 200"  # type: ignore[attr-defined]
                for tool in tools:
                    times[(tool.name, scenario)].append(tool.run(scenario.replace(" ", "-")))
                    check(scenario, tool, site)


def check(scenario: str, tool: Ingest | Urlwatch, site: Path) -> None:
    """Both tools must find exactly the mutated pages, and nothing when nothing changed."""
    expected = set((site / "mutated.txt").read_text().split()) if scenario == "after change" else set()
    if scenario == "first run":
        return
    found = tool.changed_pages() if isinstance(tool, Ingest) else tool.reported("CHANGED")
    if found != expected:
        sys.exit(
            f"{tool.name}, {scenario}: reported {len(found)} changed page(s), expected {len(expected)} "
            f"(missing {sorted(expected - found)[:5]}, extra {sorted(found - expected)[:5]})"
        )
    if isinstance(tool, Urlwatch) and (errors := tool.reported("ERROR")):
        sys.exit(f"urlwatch, {scenario}: {len(errors)} error(s), e.g. {sorted(errors)[:3]}")


def summary(
    times: dict[tuple[str, str], list[Timing]], variants: list[Variant], n: int, k: int, rounds: int
) -> None:
    print(f"\nN={n} pages, K={k} changed, {rounds} round(s), whole processes, alternating run by run")
    print(
        "| scenario | urlwatch 2.29 | " + " | ".join(f"{v.name} | / urlwatch" for v in variants) + " | goal |"
    )
    print("| --- | ---: | " + " | ".join("---: | ---:" for _ in variants) + " | ---: |")
    for scenario in SCENARIOS:
        peer = times[("urlwatch", scenario)]
        row = [scenario, spread(peer)]
        for variant in variants:
            ours = times[(variant.name, scenario)]
            ratio = median(ours) / median(peer)
            met = "met" if ratio <= GOALS[scenario] else "not met"
            row += [spread(ours), f"{ratio:.2f}× ({met})"]
        print("| " + " | ".join(row) + f" | ≤ {GOALS[scenario]:.1f}× |")


def median(runs: list[Timing]) -> float:
    return statistics.median(t.wall for t in runs)


def spread(runs: list[Timing]) -> str:
    return f"{median(runs):.2f} s ({min(t.wall for t in runs):.2f}–{max(t.wall for t in runs):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    here = str(Path(sys.executable).parent / "ingest")
    parser.add_argument("--ingest", default=here, help="the ingest command to time")
    parser.add_argument(
        "--per-host", type=int, nargs="+", default=[1], help="[fetch] per_host values to time"
    )
    parser.add_argument(
        "--before", help="another checkout's ingest command, timed alongside (per_host unset)"
    )
    args = parser.parse_args()
    variants = [
        Variant("ingest" if value == 1 else f"ingest per_host={value}", args.ingest, value)
        for value in args.per_host
    ]
    if args.before:
        variants.append(Variant("before", args.before, None))
    if not (PEER / "make_site.py").is_file():
        sys.exit(f"the page generator {PEER / 'make_site.py'} is missing (it ships in ../shared/bench)")
    venv = peer_venv()
    for command in {v.command for v in variants}:
        compile_bytecode(command)
    times: dict[tuple[str, str], list[Timing]] = {
        (tool, scenario): [] for tool in [*(v.name for v in variants), "urlwatch"] for scenario in SCENARIOS
    }
    for round_ in range(args.rounds):
        started = time.perf_counter()
        one_round(round_, args.n, args.k, variants, venv, times)
        took = time.perf_counter() - started
        print(f"# round {round_ + 1}/{args.rounds} done in {took:.0f} s", file=sys.stderr)
    summary(times, variants, args.n, args.k, args.rounds)


if __name__ == "__main__":
    main()
