"""Score the date and contact parsers on the real-strings corpus (tests/fixtures/real-strings/).

Prints the number of fragments read right, and separately those read wrong while marked exact (a
minute- or day-precision value that is not the labelled one: the failure a researcher cannot see),
those left unparsed (a value missed, or a time of day dropped: visible, less than known) and other
mismatches (a month-precision value or status that differs). The target is 0 wrong-while-exact.
Not part of the test suite:

    .venv/bin/python benchmarks/score_dates.py [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from real_strings import contact_cases, judge_contact, judge_period, period_cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every case that is not right")
    args = parser.parse_args()
    totals: Counter[str] = Counter()
    for kind, cases, judge in (
        ("period", period_cases(), judge_period),
        ("contact", contact_cases(), judge_contact),
    ):
        counts: Counter[str] = Counter()
        for case in cases:
            verdict, got = judge(case)  # type: ignore[operator]
            counts[verdict] += 1
            if verdict != "right" and args.verbose:
                print(f"  {verdict:12} {case.text!r}\n               {got}")
        totals.update(counts)
        print(
            f"{kind:8} {counts['right']}/{len(cases)} right, {counts['wrong-exact']} wrong while exact, "
            f"{counts['unparsed']} unparsed, {counts['wrong']} other mismatches"
        )
    total = sum(totals.values())
    print(
        f"total    {totals['right']}/{total} right ({100 * totals['right'] / total:.1f}%), "
        f"{totals['wrong-exact']} wrong while exact, {totals['unparsed']} unparsed, {totals['wrong']} other"
    )
    return 1 if totals["wrong-exact"] else 0


if __name__ == "__main__":
    sys.exit(main())
