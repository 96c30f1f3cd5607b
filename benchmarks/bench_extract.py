"""Web-page extraction benchmark: `extract_html` per page against bare BeautifulSoup on the same pages.

Two page sets: N generated program pages (../shared/bench/make_site.py, the pages of the fetch
benchmark) and the program-site fixtures (tests/fixtures/sites, pages shaped like the real JST, AMED,
JSPS and HFSP sites, read --repeat times). Each is read by two whole Python processes, alternating run
by run so that machine load hits both alike:
  baseline  decode_html, then BeautifulSoup(text, "lxml").get_text(): what any extractor pays
  extract   ingest.extract.html.extract_html of each page: records, dates, contacts, change log
and it prints the median ms per page of each (the loop, imports excluded), the median whole-process
wall time, and extract / baseline. `--against SRC` adds a third process, extract_html from another
checkout's `src` folder (the code before a change), timed in the same runs. Not part of the test suite:
run it by hand.

    .venv/bin/python benchmarks/bench_extract.py [--pages 1000] [--runs 7] [--against ../old/src]
"""

from __future__ import annotations

import argparse
import json
import os
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

# A tiny page read before the clock starts: the catalogue, compiled patterns and time zones are loaded once
# per process. With --repeat, the whole set is also read once untimed (the site extractors compile their
# selectors on first use), and before each timed pass the caches of text already read are emptied, so a
# page read again costs what it cost the first time.
WARM_UP = (
    "<html><body><main><h1>Warm-up grant</h1><p>Deadline: April 1, 2024 (mail@warm.example)</p></main></body>"
    "</html>"
)
TEXT_CACHES = (("ingest.extract.periods", "_scan"), ("ingest.normalize", "_clean_short"))

# argv: a JSON list of [file, url], the number of timed passes, 1 to read the set once before; prints the
# timed seconds.
WORKER = """
import json, sys, time
pages = [(open(f, "rb").read(), u) for f, u in json.load(open(sys.argv[1]))]
passes, warm = int(sys.argv[2]), sys.argv[3] == "1"
if sys.argv[4] == "baseline":
    from bs4 import BeautifulSoup
    from ingest.extract.decode import decode_html

    def read(data, url):
        assert BeautifulSoup(decode_html(data, None)[0], "lxml").get_text()
else:
    from ingest.extract.html import extract_html

    def read(data, url):
        extract_html(data, url=url)

read(WARM_UP.encode(), "https://warm.example/")
if warm:
    for data, url in pages:
        read(data, url)
elapsed = 0.0
for _ in range(passes):
    for module, name in TEXT_CACHES:
        cached = getattr(sys.modules.get(module), name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    started = time.perf_counter()
    for data, url in pages:
        read(data, url)
    elapsed += time.perf_counter() - started
print(elapsed)
"""


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


def measure(
    pages: list[tuple[str, str]], passes: int, runs: int, work: Path, against: Path | None
) -> dict[str, list[float]]:
    """{mode: [median timed seconds, median whole-process seconds]} over `runs` alternating runs."""
    listing = work / "pages.json"
    listing.write_text(json.dumps(pages))
    code = f"WARM_UP = {WARM_UP!r}\nTEXT_CACHES = {TEXT_CACHES!r}\n{WORKER}"
    modes = ["baseline", "extract", *(["against"] if against else [])]
    loops: dict[str, list[float]] = {mode: [] for mode in modes}
    walls: dict[str, list[float]] = {mode: [] for mode in modes}
    for run in range(runs):
        for mode in modes if run % 2 == 0 else reversed(modes):
            env = {**os.environ, "PYTHONPATH": str(against)} if mode == "against" else None
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", code, str(listing), str(passes), "1" if passes > 1 else "0", mode],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            walls[mode].append(time.perf_counter() - started)
            loops[mode].append(float(done.stdout))
    return {mode: [statistics.median(loops[mode]), statistics.median(walls[mode])] for mode in modes}


def report(title: str, count: int, figures: dict[str, list[float]]) -> None:
    print(f"{title} ({count} page reads)")
    for mode, (loop, wall) in figures.items():
        print(f"  {mode:9} {1000 * loop / count:6.2f} ms/page   whole process {wall:6.2f} s")
    ratio = figures["extract"][0] / figures["baseline"][0]
    wall_ratio = figures["extract"][1] / figures["baseline"][1]
    print(f"  extract / baseline: {ratio:.2f}× per page, {wall_ratio:.2f}× whole process")
    if "against" in figures:
        print(f"  extract / against:  {figures['extract'][0] / figures['against'][0]:.2f}× per page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="generated pages (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7, help="runs of each process (default 7)")
    parser.add_argument("--repeat", type=int, default=10, help="timed passes over the fixture pages")
    parser.add_argument("--against", type=Path, help="another checkout's src folder, timed alongside")
    args = parser.parse_args()
    against = args.against.resolve() if args.against else None
    if not MAKE_SITE.is_file():
        sys.exit(f"the page generator {MAKE_SITE} is missing (it ships in ../shared/bench)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generated = generated_pages(work / "site", args.pages, args.seed)
        report("generated pages", len(generated), measure(generated, 1, args.runs, work, against))
        fixtures = fixture_pages()
        figures = measure(fixtures, args.repeat, args.runs, work, against)
        report("fixture pages", len(fixtures) * args.repeat, figures)


if __name__ == "__main__":
    main()
