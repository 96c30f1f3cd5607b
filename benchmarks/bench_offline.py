"""Offline benchmark: the Quick start's `ingest run` on a machine without network, whole processes.

Each round copies `sources/`, `snapshots/` and `reviews/` into a fresh temporary folder (a fresh
clone, as in the Quick start) and runs `ingest run` there, once with this checkout's code and once
with the baseline commit's (`--baseline REV`, default the branch point of issue 12, extracted with
`git archive` into a temporary folder; the same Python and packages), alternating run by run. It
prints medians and min–max over the rounds, the ratio now/baseline, the ratio against `python -c pass`
(start-up of a bare interpreter, measured in the same rounds), and whether both print the same
messages (snapshot names aside).

Scenarios:
  * offline: the machine's resolver cannot resolve the agencies' host names (run it without network);
  * refused: every website host is sent (`--rewrite-host`) to a closed port on 127.0.0.1, so each
    connection is refused: the retry backoff is paid in full, once a host now, twice before.

Not part of the test suite: run it by hand on a quiet machine.

    .venv/bin/python benchmarks/bench_offline.py [--rounds 5] [--baseline REV] [--scenario offline refused]
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE = "c67322e"  # the branch point of issue 12
# The `ingest` command as its script runs it (its entry point, ingest.__main__.main, where the checkout
# has one; the baseline's script called ingest.cli.main), from the checkout's src.
CHILD = """import sys
sys.path.insert(0, sys.argv[1])
sys.argv = ["ingest", *sys.argv[2:]]
try:
    from ingest.__main__ import main
except ImportError:
    from ingest.cli import main
sys.exit(main())
"""
SNAPSHOT_NAME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z(?:-\d+)?")


def baseline_src(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"], capture_output=True, check=True
    )
    (into / "baseline.tar").write_bytes(archive.stdout)
    with tarfile.open(into / "baseline.tar") as tar:
        tar.extractall(into / "baseline", filter="data")
    return into / "baseline" / "src"


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def website_hosts() -> list[str]:
    config = tomllib.loads((ROOT / "sources" / "sources.toml").read_text("utf-8"))
    return sorted({urlsplit(s["url"]).hostname or "" for s in config["source"] if s.get("kind") == "html"})


def fresh_clone(work: Path, name: str) -> Path:
    folder = work / name
    for part in ("sources", "snapshots", "reviews"):  # as far as they exist: a fresh clone has no snapshots
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, folder / part)
    return folder


def run_once(src: Path, folder: Path, extra: list[str]) -> tuple[float, set[str]]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), "run", *extra], cwd=folder, capture_output=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ingest run failed ({done.returncode}): {done.stderr.decode()}")
    text = (done.stdout + done.stderr).decode()
    return seconds, {SNAPSHOT_NAME.sub("<snapshot>", line) for line in text.splitlines() if line.strip()}


def bare_start() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument(
        "--scenario", nargs="+", default=["offline", "refused"], choices=["offline", "refused"]
    )
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-offline-") as tmp:
        work = Path(tmp)
        codes = {"now": ROOT / "src", "baseline": baseline_src(args.baseline, work)}
        for scenario in args.scenario:
            extra: list[str] = []
            if scenario == "refused":
                for host in website_hosts():
                    extra += ["--rewrite-host", f"{host}=127.0.0.1:{closed_port()}"]
            times: dict[str, list[float]] = {"now": [], "baseline": [], "pass": []}
            messages: dict[str, set[str]] = {}
            for round_ in range(args.rounds):
                times["pass"].append(bare_start())
                order = ["now", "baseline"] if round_ % 2 == 0 else ["baseline", "now"]
                for code in order:
                    seconds, lines = run_once(
                        codes[code], fresh_clone(work, f"{scenario}-{code}-{round_}"), extra
                    )
                    times[code].append(seconds)
                    messages.setdefault(code, lines)
                print(f"{scenario} round {round_ + 1}: done", file=sys.stderr, flush=True)
            rows.append((scenario, times, messages["now"] == messages["baseline"], messages))

    print(f"\n`ingest run` in a fresh copy of the Quick start, whole processes, {args.rounds} rounds")
    print(f"(medians, min–max; baseline {args.baseline}; `python -c pass` = bare interpreter start-up):\n")
    print(
        "| scenario | now (s) | baseline (s) | now/baseline | now/`python -c pass` | same messages | ≤ 3 s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for scenario, times, same, _ in rows:
        now, was, bare = (statistics.median(times[k]) for k in ("now", "baseline", "pass"))
        spread = {k: f"{min(v):.2f}–{max(v):.2f}" for k, v in times.items()}
        goal = ("met" if now <= 3 else "NOT met") if scenario == "offline" else ""
        print(
            f"| {scenario} | {now:.2f} ({spread['now']}) | {was:.2f} ({spread['baseline']}) "
            f"| {now / was:.2f} | {now / bare:.0f}× ({bare:.3f} s) | {'yes' if same else 'NO'} | {goal} |"
        )
    for scenario, _, same, messages in rows:
        if not same:
            print(f"\n{scenario}: only now:", sorted(messages["now"] - messages["baseline"]))
            print(f"{scenario}: only baseline:", sorted(messages["baseline"] - messages["now"]))


if __name__ == "__main__":
    main()
