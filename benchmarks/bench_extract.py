"""Web-page extraction benchmark: `extract_html` per page against bare BeautifulSoup on the same pages.

Two page sets: N generated program pages (../shared/bench/make_site.py, the pages of the fetch
benchmark) and the program-site fixtures (tests/fixtures/sites, pages shaped like the real JST, AMED,
JSPS and HFSP sites, read --repeat times). Each is read by two whole Python processes, alternating run
by run so that machine load hits both alike:
  baseline  decode_html, then BeautifulSoup(text, "lxml").get_text(): what any extractor pays
  extract   ingest.extract.html.extract_html of each page: records, dates, contacts, change log
and it prints the median ms per page of each (the loop, imports excluded), the median whole-process
wall time, and extract / baseline. Not part of the test suite: run it by hand.

    .venv/bin/python benchmarks/bench_extract.py [--pages 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_SITE = ROOT.parent / "shared" / "bench" / "make_site.py"
SITES = ROOT / "tests" / "fixtures" / "sites"
HOST = "bench.example"

# One page read before the clock starts: the catalogue, compiled patterns and time zones are loaded once
# per process, and no page of the set (its strings) is seen before it is timed.
WARM_UP = (
    "<html><body><main><h1>Warm-up grant</h1><p>Deadline: April 1, 2024 (mail@warm.example)</p></main></body>"
    "</html>"
)

# Reads a JSON list of [file, url] from argv[1], argv[2] times over; prints the loop's seconds.
WORKER = {
    "baseline": (
        "import json, sys, time\n"
        "from bs4 import BeautifulSoup\n"
        "from ingest.extract.decode import decode_html\n"
        "pages = [(open(f, 'rb').read(), u) for f, u in json.load(open(sys.argv[1]))]\n"
        f"BeautifulSoup(decode_html({WARM_UP!r}.encode(), None)[0], 'lxml').get_text()\n"
        "started = time.perf_counter()\n"
        "for _ in range(int(sys.argv[2])):\n"
        "    for data, url in pages:\n"
        "        assert BeautifulSoup(decode_html(data, None)[0], 'lxml').get_text()\n"
        "print(time.perf_counter() - started)\n"
    ),
    "extract": (
        "import json, sys, time\n"
        "from ingest.extract.html import extract_html\n"
        "pages = [(open(f, 'rb').read(), u) for f, u in json.load(open(sys.argv[1]))]\n"
        f"extract_html({WARM_UP!r}, url='https://warm.example/')\n"
        "started = time.perf_counter()\n"
        "for _ in range(int(sys.argv[2])):\n"
        "    for data, url in pages:\n"
        "        extract_html(data, url=url)\n"
        "print(time.perf_counter() - started)\n"
    ),
}


def generated_pages(folder: Path, count: int, seed: int) -> list[tuple[str, str]]:
    subprocess.run(
        [sys.executable, str(MAKE_SITE), str(folder), "--n", str(count), "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    names = (folder / "urls.txt").read_text("utf-8").split()
    return [(str(folder / name), f"https://{HOST}/{name}") for name in names]


def fixture_pages() -> list[tuple[str, str]]:
    """Every program page of the fixture sites, each from the URL its host and path give."""
    found = []
    for tree in ("v1", "v2", "extra"):
        for path in sorted((SITES / tree).rglob("*")):
            if path.is_file() and not path.name.startswith("_"):
                found.append((str(path), "https://" + path.relative_to(SITES / tree).as_posix()))
    return found


def measure(pages: list[tuple[str, str]], repeat: int, runs: int, work: Path) -> dict[str, list[float]]:
    """{mode: [loop seconds, wall seconds] medians} over `runs` alternating runs."""
    listing = work / "pages.json"
    listing.write_text(json.dumps(pages))
    loops: dict[str, list[float]] = {mode: [] for mode in WORKER}
    walls: dict[str, list[float]] = {mode: [] for mode in WORKER}
    for run in range(runs):
        modes = list(WORKER) if run % 2 == 0 else list(reversed(WORKER))
        for mode in modes:
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", WORKER[mode], str(listing), str(repeat)],
                check=True,
                capture_output=True,
                text=True,
            )
            walls[mode].append(time.perf_counter() - started)
            loops[mode].append(float(done.stdout))
    return {mode: [statistics.median(loops[mode]), statistics.median(walls[mode])] for mode in WORKER}


def report(title: str, count: int, figures: dict[str, list[float]]) -> None:
    print(f"{title} ({count} page reads)")
    for mode, (loop, wall) in figures.items():
        print(f"  {mode:9} {1000 * loop / count:6.2f} ms/page   whole process {wall:6.2f} s")
    ratio = figures["extract"][0] / figures["baseline"][0]
    wall_ratio = figures["extract"][1] / figures["baseline"][1]
    print(f"  extract / baseline: {ratio:.2f}× per page, {wall_ratio:.2f}× whole process")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="generated pages (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7, help="runs of each process (default 7)")
    parser.add_argument("--repeat", type=int, default=1, help="reads of each fixture page per run")
    args = parser.parse_args()
    if not MAKE_SITE.is_file():
        sys.exit(f"the page generator {MAKE_SITE} is missing (it ships in ../shared/bench)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generated = generated_pages(work / "site", args.pages, args.seed)
        report("generated pages", len(generated), measure(generated, 1, args.runs, work))
        fixtures = fixture_pages()
        figures = measure(fixtures, args.repeat, args.runs, work)
        report("fixture pages", len(fixtures) * args.repeat, figures)


if __name__ == "__main__":
    main()
