"""Diff-scaling benchmark: `ingest diff` of two record sets shaped like real records, 1% changed.

For each N it writes two record files (old, new: 1% of the programs changed in the ways real runs
change them: a deadline moved, eligibility reworded, a contact added, a link changed, a program added
or removed) and measures, in this one run of the script:

  * in-process, the differ alone on the loaded records: `ingest.diff.diff_programs` (identity first:
    equal pairs skipped by their content hash) against `baseline_diff`, the old path kept here
    verbatim (DeepDiff and canonicalization on every pair); both must give the same changes, and the
    script stops if they do not. Seconds (median of --rounds) and peak traced memory (tracemalloc,
    a separate pass so that tracing does not slow the timed rounds);
  * whole processes, `ingest diff OLD NEW --json` of this checkout against the same command of the
    baseline commit (`--baseline REV`, default the commit before the diff work, extracted with
    `git archive` into a temporary folder): wall seconds (median), peak RSS, and both must find the
    same changes: the baseline's change ids are today's ids plus the ids folded into them (today a
    call's printed-text change rides along with its date change, `Change.also`), every change is
    printed as the baseline printed it apart from `also`, and every folded value is the baseline's
    change of that id (attribute, old, new).

Not part of the test suite: run it by hand on a quiet machine.

    .venv/bin/python benchmarks/bench_diff.py [--n 1000 10000 100000] [--rounds 3] [--baseline REV]
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE = "518d3d6"  # the id fix, before the differ compared by identity first

THEMES = [
    "Green Transformation",
    "Quantum Computing",
    "Semiconductor Materials",
    "Regenerative Medicine",
    "Disaster Resilience",
    "Smart Agriculture",
    "Marine Biology",
    "AI Safety",
    "Space Robotics",
    "Hydrogen Energy",
    "Cultural Heritage Digitisation",
    "Startup Acceleration",
]
KINDS = [
    "Research Grant",
    "Open Call",
    "Feasibility Study Program",
    "Collaborative R&D Program",
    "Fellowship",
]
SENTENCES = [
    "Applications must be submitted through the online application system before the deadline.",
    "Late submissions will not be accepted under any circumstances.",
    "Applicants are requested to read the application guidelines carefully before applying.",
    "The program supports projects for up to three fiscal years.",
    "Joint applications by universities and private companies are encouraged.",
    "Results of the screening will be announced on this page.",
    "A briefing session for prospective applicants will be held online.",
    "Budget figures are subject to the approval of the annual budget.",
    "Please note that the schedule may change; check this page regularly.",
    "Questions regarding eligibility should be sent to the contact address below.",
]
ELIGIBILITY = [
    "Researchers affiliated with a university or public research institute in Japan.",
    "Researchers living overseas who hold a doctoral degree obtained within the last six years.",
    "Principal investigators of a project funded by the partner agency in their own country.",
    "Private companies registered in Japan, jointly with a university.",
]
AGENCIES = [("JST", "jst.go.jp"), ("AMED", "amed.go.jp"), ("JSPS", "jsps.go.jp"), ("HFSPO", "hfsp.org")]
CATEGORIES = ["affiliated-overseas", "moving-to-japan", "member-of-japanese-team"]


def make_record(i: int, rng: random.Random) -> dict[str, Any]:
    """One program record as `records.json` holds it (the committed snapshot's shape)."""
    agency, host = rng.choice(AGENCIES)
    opened = 10 + rng.randrange(0, 18)
    closes_day = 1 + rng.randrange(0, 28)
    website = f"https://www.{host}/program/{i:05d}/index.html"
    calls = [
        {
            "label": f"2025 call for proposals {part}" if part else "2025 call for proposals",
            "raw": f"April {opened} – Noon, June {closes_day}",
            "opens": f"2025-04-{opened:02d}",
            "closes": f"2025-06-{closes_day:02d}T12:00:00+09:00",
            "opens_precision": "day",
            "closes_precision": "minute",
            "status": "dated",
            "warnings": [],
            "source": "reference-pdf",
        }
        for part in ("", "(second round)")[: 1 + rng.randrange(2)]
    ]
    return {
        "id": f"program-{i:06d}",
        "name": f"{rng.choice(THEMES)} {rng.choice(KINDS)} No. {i:06d}",
        "agencies": [agency],
        "categories": rng.sample(CATEGORIES, 1 + rng.randrange(2)),
        "summary": "\n".join(f"- {s}" for s in rng.sample(SENTENCES, 4)),
        "eligibility": rng.choice(ELIGIBILITY),
        "notes": rng.sample(SENTENCES, rng.randrange(3)),
        "website": website,
        "links": [f"https://www.{host}/program/{i:05d}/guidelines.pdf", f"https://www.{host}/faq.html"],
        "contacts": [
            {
                "email": f"call-{i:06d}@{host}",
                "label": "Program Office",
                "phone": "+81-3-5214-8404",
                "address": None,
                "rebuilt": False,
            }
        ],
        "calls": calls,
        "conflicts": [],
        "provenance": [
            {
                "source": "reference-pdf",
                "kind": "reference-pdf",
                "url": None,
                "pages": [1 + i % 12],
                "content_sha256": f"{i:064x}",
                "extracted_at": "2026-11-24T14:38:52.206973Z",
                "fields": ["agencies", "calls", "contacts", "eligibility", "name", "summary", "website"],
                "stale": False,
                "last_verified": None,
            }
        ],
    }


def mutate(records: list[dict[str, Any]], fraction: float, rng: random.Random) -> list[dict[str, Any]]:
    """The next run's records: `fraction` of the programs changed, the rest equal but re-extracted
    (a new extraction time, as every real run has: provenance is volatile and never diffed)."""
    new = copy.deepcopy(records)
    for record in new:
        record["provenance"][0]["extracted_at"] = "2026-11-25T14:38:52.206973Z"
    chosen = rng.sample(range(len(new)), max(1, int(len(new) * fraction)))
    removed: list[int] = []
    for k, index in enumerate(chosen):
        record = new[index]
        kind = k % 6
        if kind == 0:
            record["calls"][0]["closes"] = "2025-07-10T12:00:00+09:00"
            record["calls"][0]["raw"] = record["calls"][0]["raw"].rsplit("June", 1)[0] + "July 10"
        elif kind == 1:
            record["eligibility"] += " Applicants must hold a doctoral degree."
        elif kind == 2:
            record["contacts"].append({"email": "help@example.org", "label": "Help desk", "phone": None,
                                       "address": None, "rebuilt": False})  # fmt: skip
        elif kind == 3:
            record["links"][1] = record["links"][1].replace("faq", "faq-2026")
        elif kind == 4:
            removed.append(index)
        else:
            record["summary"] += "\n- A briefing session will be held on May 1."
    added = [make_record(len(records) + 1 + k, rng) for k in range(len(removed))]
    return [r for i, r in enumerate(new) if i not in set(removed)] + added


# -- the baseline: the differ before identity-first comparison, kept verbatim ------------------------


def baseline_diff(old: Iterable[Any], new: Iterable[Any]) -> list[Any]:
    """ingest.diff.diff_programs as it was: comparable form and DeepDiff on every pair."""
    from ingest import diff as module

    before = {program.id: program for program in old}
    after = {program.id: program for program in new}
    changes: list[Any] = []
    for program_id in sorted(before.keys() | after.keys()):
        if program_id not in after:
            changes.append(module._whole(before[program_id], None, module.ChangeCategory.REMOVED))
        elif program_id not in before:
            changes.append(module._whole(None, after[program_id], module.ChangeCategory.ADDED))
        else:
            changes.extend(module.diff_program(before[program_id], after[program_id]))
    return changes


# -- measuring -------------------------------------------------------------------------------------


def timed(function: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def traced_peak(function: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def baseline_tree(revision: str, into: Path) -> Path | None:
    """The baseline commit's src/ extracted into `into` (no worktree, the repository is untouched)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"], capture_output=True
    )
    if archive.returncode != 0:
        print(f"baseline {revision}: {archive.stderr.decode().strip()}; whole-process baseline skipped")
        return None
    tar_path = into / "baseline.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


# The child: run `ingest` with the given src/ first on sys.path, report its peak RSS to a file.
CHILD = """
import resource, sys
src, rss_file, *argv = sys.argv[1:]
sys.path.insert(0, src)
from ingest.cli import main
status = main(argv)
open(rss_file, "w").write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(status)
"""


def whole_process(src: Path, argv: list[str], rounds: int, work: Path) -> tuple[float, int, bytes]:
    times, rss, output = [], 0, b""
    rss_file = work / "rss"
    for _ in range(rounds):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, str(src), str(rss_file), *argv],
                              capture_output=True, cwd=work)  # fmt: skip
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"ingest {' '.join(argv)} failed: {done.stderr.decode()}")
        rss, output = max(rss, int(rss_file.read_text())), done.stdout
    return statistics.median(times), rss * 1024, output


def different_changes(was_out: bytes, now_out: bytes) -> str | None:
    """What differs between the baseline's `ingest diff --json` and today's, once today's folded
    changes (`also`) are unfolded; None when they found the same changes."""
    was, now = json.loads(was_out)["changes"], json.loads(now_out)["changes"]
    folded = [(change, value) for change in now for value in change.get("also") or []]
    was_ids = sorted(c["id"] for c in was)
    now_ids = sorted([c["id"] for c in now] + [value["id"] for _, value in folded])
    if was_ids != now_ids:
        return f"change ids: {len(was_ids)} before, {len(now_ids)} now (folded ones included)"
    before = {c["id"]: c for c in was}
    for change in now:
        printed = {key: value for key, value in change.items() if key != "also"}
        if printed != before[change["id"]]:
            return f"change {change['id']} is printed differently"
    for change, value in folded:
        was_change = before[value["id"]]
        attribute = ".".join(map(str, was_change["path"][2:]))
        same = (was_change["program"], attribute, was_change["old"], was_change["new"])
        if same != (change["program"], value["attribute"], value["old"], value["new"]):
            return f"folded change {value['id']} is not the baseline's change of that id"
    return None


def in_process(n: int, old_file: Path, new_file: Path, rounds: int, with_baseline: bool) -> dict[str, Any]:
    from ingest.diff import diff_programs
    from ingest.snapshot import load_records

    load_s, (old, new) = timed(lambda: (load_records(old_file), load_records(new_file)), 1)
    diff_s, changes = timed(lambda: diff_programs(old, new), rounds)
    row = {"n": n, "changes": len(changes), "load_s": load_s, "diff_s": diff_s}
    row["diff_peak"] = traced_peak(lambda: diff_programs(old, new))
    if with_baseline:
        row["base_s"], base_changes = timed(lambda: baseline_diff(old, new), 1)
        if [c.model_dump() for c in base_changes] != [c.model_dump() for c in changes]:
            raise SystemExit(f"N={n}: the differ and the baseline disagree")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision of the baseline")
    parser.add_argument("--in-process-baseline-max", type=int, default=100000,
                        help="skip the in-process baseline above this N (it is slow)")  # fmt: skip
    parser.add_argument("--process-baseline-max", type=int, default=10000,
                        help="skip the whole-process baseline above this N")  # fmt: skip
    args = parser.parse_args()

    rows_inproc, rows_process = [], []
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        work = Path(tmp)
        base_src = baseline_tree(args.baseline, work)
        for n in args.n:
            rng = random.Random(n)
            old = [make_record(i, rng) for i in range(1, n + 1)]
            new = mutate(old, 0.01, rng)
            old_file, new_file = work / f"old-{n}.json", work / f"new-{n}.json"
            old_file.write_text(json.dumps(old, ensure_ascii=False), "utf-8")
            new_file.write_text(json.dumps(new, ensure_ascii=False), "utf-8")
            del old, new
            rows_inproc.append(
                in_process(n, old_file, new_file, args.rounds, n <= args.in_process_baseline_max)
            )

            argv = ["diff", str(old_file), str(new_file), "--json", "--ledger", str(work / "none.tsv")]
            now_s, now_rss, now_out = whole_process(ROOT / "src", argv, args.rounds, work)
            prow: dict[str, Any] = {"n": n, "now_s": now_s, "now_rss": now_rss}
            if base_src is not None and n <= args.process_baseline_max:
                was_s, was_rss, was_out = whole_process(base_src, argv, 1 if n > 1000 else args.rounds, work)
                if problem := different_changes(was_out, now_out):
                    raise SystemExit(f"N={n}: `ingest diff --json` differs from the baseline's: {problem}")
                prow |= {"was_s": was_s, "was_rss": was_rss}
            rows_process.append(prow)
            print(f"N={n}: done", file=sys.stderr, flush=True)
    report(args, rows_inproc, rows_process)


def report(args: argparse.Namespace, inproc: list[dict[str, Any]], process: list[dict[str, Any]]) -> None:
    print(f"\nThe differ in process ({os.cpu_count()} cores; median of {args.rounds}, baseline 1 round):")
    print("| N | changes | load both (s) | diff (s) | diff peak traced (MB) | baseline diff (s) | speed-up |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in inproc:
        base = f"{r['base_s']:.2f} | {r['base_s'] / r['diff_s']:.0f}×" if "base_s" in r else "— | —"
        print(
            f"| {r['n']:,} | {r['changes']:,} | {r['load_s']:.2f} | {r['diff_s']:.3f} | "
            f"{r['diff_peak'] / 1e6:.1f} | {base} |"
        )
    print(
        f"\n`ingest diff OLD NEW --json`, whole process (median of {args.rounds}; baseline {args.baseline}):"
    )
    print("| N | now (s) | peak RSS (MB) | baseline (s) | baseline RSS (MB) | now/baseline | goal |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in process:
        goal = ("< 2 s: " + ("met" if r["now_s"] < 2 else "NOT met")) if r["n"] == 10000 else ""
        base = "— | — | —"
        if "was_s" in r:
            base = f"{r['was_s']:.2f} | {r['was_rss'] / 1e6:.0f} | {r['now_s'] / r['was_s']:.3f}"
        print(f"| {r['n']:,} | {r['now_s']:.2f} | {r['now_rss'] / 1e6:.0f} | {base} | {goal} |")
    if len(process) > 1:
        first, last = process[0], process[-1]
        grew, more = last["now_s"] / first["now_s"], last["n"] / first["n"]
        print(f"\nFrom {first['n']:,} to {last['n']:,} records ({more:.0f}×) it took {grew:.1f}× as long.")


if __name__ == "__main__":
    main()
