"""PDF extraction benchmark: `ingest`'s extraction of a PDF against bare pdfplumber `extract_words` on the
same file, each as a whole Python process (interpreter start and imports included, as a user runs it).

Three commands, each run --runs times, alternating so that machine load hits all alike:
  bare      pdfplumber.open + page.extract_words() on every page
  lines     ingest.extract.pdf.read_pdf (styled lines, table cells, page furniture dropped)
  records   ingest.extract.extract_file (lines → outline → program records), what `ingest extract` does
and prints the median wall time of each and its ratio to bare (the target for records: at most 1.5×).
Not part of the test suite: run it by hand.

    .venv/bin/python benchmarks/bench_pdf_extract.py [PDF] [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PDF = REPO / "sources" / "funding-programs-overseas-2025-04.pdf"

COMMANDS = {
    "bare": (
        "import sys, pdfplumber\n"
        "with pdfplumber.open(sys.argv[1]) as pdf:\n"
        "    words = [w for page in pdf.pages for w in page.extract_words()]\n"
        "assert words\n"
    ),
    "lines": (
        "import sys\n"
        "from ingest.extract.pdf import read_pdf\n"
        "assert read_pdf(open(sys.argv[1], 'rb').read(), sys.argv[1]).lines\n"
    ),
    "records": (
        "import sys\n"
        "from pathlib import Path\n"
        "from ingest.extract import extract_file\n"
        "assert extract_file(Path(sys.argv[1]))\n"
    ),
}


def _time(code: str, pdf: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(pdf)], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", nargs="?", type=Path, default=DEFAULT_PDF)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for code in COMMANDS.values():  # warm the file cache and the bytecode caches
        _time(code, args.pdf)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, code in COMMANDS.items():
            times[name].append(_time(code, args.pdf))
    bare = statistics.median(times["bare"])
    print(f"{args.pdf.name}, {args.runs} runs each, median wall time of a whole process:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:8} {median * 1000:7.0f} ms   {median / bare:4.2f}× bare")


if __name__ == "__main__":
    main()
