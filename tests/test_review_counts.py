"""Every view counts "waiting for review" the same way: the run summary, report.md, `ingest diff`,
`ingest review`, the HTML index and the per-snapshot page, for the same snapshots and ledger.

The fixture sites go from v1 to v2 (tests/fixtures/sites/CHANGES.md), giving a dozen review-worthy
changes. Decisions are recorded against a first checkout's snapshots; a second checkout then runs
the same two days with the committed ledger, so its report.md (written by the run, immutable
afterwards) applies the decisions too. Later decisions update every live view alike.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.snapshot import SnapshotStore
from site_server import serve_sites
from test_websites import FAST_FETCH, ROOT

SEVERITY = re.compile(r'<span class="badge sev-(\w+)">(\d+) \1</span>')


def _sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", folder)
    toml = folder / "sources.toml"
    toml.write_text(FAST_FETCH + toml.read_text())
    return folder


def _two_days(sources: Path, snapshots: Path, ledger: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run v1 then v2 of the sites; the second run's stdout."""
    with serve_sites() as (state, mirrors):
        rewrites = [arg for host, mirror in mirrors.items() for arg in ("--rewrite-host", f"{host}={mirror}")]
        command = ["run", "--sources", str(sources), "--snapshots", str(snapshots), "--ledger", str(ledger)]
        assert main([*command, *rewrites]) == 0
        state.version = "v2"
        capsys.readouterr()
        assert main([*command, *rewrites]) == 0
    return capsys.readouterr().out


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    main(list(args))
    return capsys.readouterr().out


def _markdown_counts(text: str) -> tuple[int, int]:
    found = re.search(
        r"(\d+) change\(s\) waiting for review(?: \((\d+) already reviewed or expected\))?", text
    )
    assert found, text[:300]
    return int(found[1]), int(found[2] or 0)


def _page_counts(html: str) -> tuple[int, int, dict[str, int]]:
    summary = html.split('<div class="counts">', 1)[1].split("</div>", 1)[0]
    waiting = re.search(r"(\d+) changes? to review", summary)
    reviewed = re.search(r"✓ (\d+) already reviewed", summary)
    expected = re.search(r"(\d+) expected", summary)
    return (
        int(waiting[1]) if waiting else 0,
        (int(reviewed[1]) if reviewed else 0) + (int(expected[1]) if expected else 0),
        {severity: int(count) for severity, count in SEVERITY.findall(summary)},
    )


def _index_counts(html: str, name: str) -> tuple[int, int, dict[str, int]]:
    row = html.split(f'<tr id="run-{name}">', 1)[1].split("</tr>", 1)[0]
    waiting = re.search(r"<strong>(\d+)</strong> to review", row)
    reviewed = re.search(r"✓ (\d+) already reviewed", row)
    expected = re.search(r"(\d+) expected", row)
    assert waiting, row
    return (
        int(waiting[1]),
        (int(reviewed[1]) if reviewed else 0) + (int(expected[1]) if expected else 0),
        {severity: int(count) for severity, count in SEVERITY.findall(row)},
    )


def _views(tmp_path: Path, snapshots: Path, ledger: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    store = SnapshotStore(snapshots)
    old, new = store.names()
    site = tmp_path / f"site-{len(list(tmp_path.glob('site-*')))}"
    common = ["--snapshots", str(snapshots), "--ledger", str(ledger)]
    _cli(capsys, "report", "--index", "--output", str(site), "--today", "2025-04-01", *common)
    listing = _cli(capsys, "review", *common)
    waiting_in_review = re.search(r"(\d+) change\(s\) wait for review", listing)
    return {
        "diff": _markdown_counts(_cli(capsys, "diff", old, new, *common)),
        "review": int(waiting_in_review[1]) if waiting_in_review else 0,
        "index": _index_counts((site / "index.html").read_text(encoding="utf-8"), new),
        "page": _page_counts((site / f"{new}.html").read_text(encoding="utf-8")),
        "report.md": _markdown_counts(store.load(new).report_path.read_text(encoding="utf-8")),
    }


def test_every_view_counts_the_same_changes_as_waiting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, ledger = _sources(tmp_path), tmp_path / "reviews" / "ledger.tsv"
    first = tmp_path / "first-checkout"
    _two_days(sources, first, ledger, capsys)
    store = SnapshotStore(first)
    review_worthy = [c for c in store.changes(store.names()[-1]) or [] if c.review]
    assert len(review_worthy) >= 10
    acked, dismissed = review_worthy[0], review_worthy[1]
    expected = next(c for c in review_worthy[2:] if c.program not in (acked.program, dismissed.program))
    covered = [c for c in review_worthy if c.program == expected.program and c.field.startswith("calls")]
    decide = ["--ledger", str(ledger), "--snapshots", str(first), "--by", "tester"]
    assert main(["review", "ack", acked.id, "--note", "handled", "--create", *decide]) == 0
    assert main(["review", "dismiss", dismissed.id, "--note", "noise", *decide]) == 0
    assert main(["review", "expect", expected.program, "calls", "--note", "announced", *decide]) == 0
    settled = {acked.id, dismissed.id} | {c.id for c in covered}
    waiting = len(review_worthy) - len(settled)

    second = tmp_path / "second-checkout"  # the same days run again with the committed ledger
    summary = _two_days(sources, second, ledger, capsys)
    assert f"{waiting} waiting for review" in summary
    views = _views(tmp_path, second, ledger, capsys)
    severities = views["page"][2]
    assert sum(severities.values()) == waiting
    assert views == {
        "diff": (waiting, len(settled)),
        "review": waiting,
        "index": (waiting, len(settled), severities),
        "page": (waiting, len(settled), severities),
        "report.md": (waiting, len(settled)),
    }

    # One more decision later: every live view moves together; report.md stays as its run wrote it.
    later = next(c for c in review_worthy if c.id not in settled)
    assert (
        main(
            [
                "review",
                "ack",
                later.id,
                "--note",
                "handled",
                *decide[:2],
                "--snapshots",
                str(second),
                "--by",
                "t",
            ]
        )
        == 0
    )
    views = _views(tmp_path, second, ledger, capsys)
    assert views["report.md"] == (waiting, len(settled))
    now = (waiting - 1, len(settled) + 1)
    assert (views["diff"], views["review"], views["index"][:2], views["page"][:2]) == (now, now[0], now, now)
    assert views["index"][2] == views["page"][2]
