"""The review ledger: append-only decisions, what stays pending, and the `ingest review` commands."""

from __future__ import annotations

import multiprocessing
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest import review
from ingest.cli import main
from ingest.diff import diff_programs
from ingest.models import CallPeriod, Change, Contact, Manifest, Program, Provenance
from ingest.review import (
    LEDGER_HEADER,
    DecisionKind,
    Ledger,
    ReviewError,
    ReviewState,
    ReviewStatus,
    UnknownChangeError,
    field_matches,
    fiscal_year_end,
)
from ingest.snapshot import SnapshotStore, snapshot_name

ROOT = Path(__file__).resolve().parents[1]
DAY1 = datetime(2026, 11, 24, 13, 0, 5, tzinfo=UTC)
DAY2 = datetime(2026, 11, 25, 13, 0, 5, tzinfo=UTC)
DAY3 = datetime(2026, 11, 26, 13, 0, 5, tzinfo=UTC)


def _program(
    program_id: str = "crest",
    closes: str = "2025-06-03T12:00:00+09:00",
    email: str = "a@jst.go.jp",
    eligibility: str = "Researchers abroad.",
) -> Program:
    call = CallPeriod(label="2025 call for proposals", raw="Noon, June 3", closes=closes, status="dated")
    provenance = Provenance(source="reference-pdf", content_sha256="0" * 64, extracted_at=DAY1)
    return Program(
        id=program_id,
        name=program_id.upper(),
        calls=[call],
        contacts=[Contact(email=email)],
        eligibility=eligibility,
        provenance=[provenance],
    )


def _write(
    store: SnapshotStore, when: datetime, records: list[Program], previous: list[Program] | None
) -> str:
    changes = diff_programs(previous, records) if previous is not None else []
    manifest = Manifest(
        snapshot=snapshot_name(when),
        created_at=when,
        tool_version="t",
        sources=[],
        records_sha256="x",
        programs=1,
    )
    return store.write(manifest, records, changes=changes).name


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    """Three snapshots: crest's deadline moves on day 2, its contact and eligibility change on day 3."""
    store = SnapshotStore(tmp_path / "snapshots")
    day1 = [_program()]
    day2 = [_program(closes="2025-06-10T12:00:00+09:00")]
    day3 = [_program(closes="2025-06-10T12:00:00+09:00", email="b@jst.go.jp", eligibility="Anyone.")]
    _write(store, DAY1, day1, None)
    _write(store, DAY2, day2, day1)
    _write(store, DAY3, day3, day2)
    return store


def _ids(changes: list[Change]) -> set[str]:
    return {change.id for change in changes}


def test_snapshot_changes_reads_every_changes_file_oldest_first(store: SnapshotStore) -> None:
    seen = store.seen_changes()
    assert [item.snapshot for item in seen] == ["2026-11-25T13-00-05Z", *["2026-11-26T13-00-05Z"] * 2]
    assert seen[0].change.field == "calls[2025 call for proposals].closes"
    assert [item.change.category for item in seen[1:]] == ["contact", "eligibility"]


def test_record_appends_whole_lines_and_never_rewrites(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "reviews" / "ledger.tsv")
    ledger.record("ack", ["aaaaaaaaaaaa"], "checked on the website", "Ana", at=DAY1)
    first = ledger.path.read_bytes()
    ledger.record(
        DecisionKind.DISMISS, ["bbbbbbbbbbbb", "bbbbbbbbbbbb"], "extractor\tquirk\nsee #12", "Ben", at=DAY2
    )
    after = ledger.path.read_bytes()
    assert after.startswith(first)  # appended, the earlier bytes untouched
    assert first.decode().startswith(LEDGER_HEADER)
    lines = after.decode().splitlines()[LEDGER_HEADER.count("\n") :]
    # The duplicate id is recorded once; the tab and line break in the note become spaces.
    assert lines == [
        "2026-11-24T13:00:05Z\tAna\tack\taaaaaaaaaaaa\tchecked on the website",
        "2026-11-25T13:00:05Z\tBen\tdismiss\tbbbbbbbbbbbb\textractor quirk see #12",
    ]
    decisions = ledger.decisions()
    assert [(d.kind, d.subject, d.by, d.at) for d in decisions] == [
        (DecisionKind.ACK, "aaaaaaaaaaaa", "Ana", DAY1),
        (DecisionKind.DISMISS, "bbbbbbbbbbbb", "Ben", DAY2),
    ]


def test_a_decision_needs_a_note_and_a_well_formed_id(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.tsv")
    with pytest.raises(ReviewError, match="--note"):
        ledger.record("ack", ["aaaaaaaaaaaa"], "  ", "Ana")
    with pytest.raises(UnknownChangeError, match="not a change id"):
        ledger.record("ack", ["crest"], "why", "Ana")
    assert ledger.decisions() == []


def test_append_after_a_hand_edit_without_final_newline_keeps_lines_apart(tmp_path: Path) -> None:
    path = tmp_path / "ledger.tsv"
    path.write_text(LEDGER_HEADER + "2026-11-24T13:00:05Z\tAna\tack\taaaaaaaaaaaa\tok")  # no final newline
    Ledger(path).record("ack", ["bbbbbbbbbbbb"], "ok too", "Ben")
    assert [d.subject for d in Ledger(path).decisions()] == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]


def test_a_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ledger.tsv"
    path.write_text(LEDGER_HEADER + "2026-11-24T13:00:05Z\tAna\tapprove\taaaaaaaaaaaa\tok\n")
    with pytest.raises(ReviewError, match=r"ledger.tsv:3: not a ledger line"):
        Ledger(path).decisions()


def _append_many(path: str, worker: int) -> None:
    ledger = Ledger(Path(path))
    for index in range(40):
        ledger.record("ack", [f"{worker:06x}{index:06x}"], "x" * 300, f"worker-{worker}")


def test_concurrent_writers_never_interleave_within_a_line(tmp_path: Path) -> None:
    path = tmp_path / "ledger.tsv"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(path), worker)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    decisions = Ledger(path).decisions()  # raises on any torn or glued line
    assert len(decisions) == 160
    assert len({d.subject for d in decisions}) == 160
    assert path.read_text().count("# ingest review ledger") == 1  # the header is written once


@pytest.mark.parametrize(
    ("prefix", "field", "matches"),
    [
        ("calls", "calls", True),
        ("calls", "calls[2025 call for proposals].closes", True),
        ("calls[2025 call for proposals]", "calls[2025 call for proposals].opens", True),
        ("calls[2025 call for proposals]", "calls[2026 call].opens", False),
        ("calls", "callsign", False),
        ("contacts", "calls[2025].closes", False),
    ],
)
def test_expectation_fields_match_by_path_prefix(prefix: str, field: str, matches: bool) -> None:
    assert field_matches(prefix, field) is matches


def test_pending_leaves_out_decided_expected_and_unreviewable_changes(
    tmp_path: Path, store: SnapshotStore
) -> None:
    changes = [item.change for item in store.seen_changes()]
    other = changes[0].model_copy(update={"id": "cccccccccccc", "review": False, "category": "other"})
    elsewhere = changes[0].model_copy(update={"id": "dddddddddddd", "program": "presto"})
    everything = [*changes, other, elsewhere]
    ledger = Ledger(tmp_path / "ledger.tsv")
    assert _ids(ReviewState.of(ledger).pending(everything)) == _ids(
        [*changes, elsewhere]
    )  # no ledger yet: all review-worthy
    ledger.record("dismiss", [changes[1].id], "address typo fixed upstream", "Ana")
    ledger.expect("crest", "calls", "the 2026 call is announced for April", "Ana")
    assert _ids(ReviewState.of(ledger).pending(everything)) == {
        changes[2].id,
        "dddddddddddd",
    }  # presto's calls: not expected
    assert _ids(ReviewState.of(ledger.path).pending(everything)) == {changes[2].id, "dddddddddddd"}


def test_pending_in_store_lists_each_change_once_under_its_first_snapshot(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    day1, day2 = [_program()], [_program(closes="2025-06-10T12:00:00+09:00")]
    _write(store, DAY1, day1, None)
    _write(store, DAY2, day2, day1)
    _write(store, DAY3, day2, day1)  # the same change reported again (same id)
    pending = ReviewState.of(tmp_path / "ledger.tsv").pending_in(store)
    assert [item.snapshot for item in pending] == ["2026-11-25T13-00-05Z"]


def test_reviewer_name_prefers_by_then_git_then_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert review.reviewer_name("  Ana  ") == "Ana"

    def no_git(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError("git")

    monkeypatch.setattr(review.subprocess, "run", no_git)
    monkeypatch.setenv("USER", "ben")
    assert review.reviewer_name(None) == "ben"
    monkeypatch.delenv("USER")
    with pytest.raises(ReviewError, match="--by"):
        review.reviewer_name(None)


def test_committed_ledger_is_readable() -> None:
    path = ROOT / "reviews" / "ledger.tsv"
    assert path.read_text(encoding="utf-8").startswith(LEDGER_HEADER)
    Ledger(path).decisions()  # raises on a malformed line


# -- the commands ------------------------------------------------------------------------------------


def _cli(store: SnapshotStore, ledger: Path, *args: str) -> int:
    return main(["review", *args, "--snapshots", str(store.root), "--ledger", str(ledger)])


def test_review_lists_pending_changes_of_every_snapshot(
    tmp_path: Path, store: SnapshotStore, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.tsv"
    assert main(["review", "--snapshots", str(store.root), "--ledger", str(ledger)]) == 0
    out = capsys.readouterr().out
    deadline = store.seen_changes()[0].change
    assert "Snapshot 2026-11-25T13-00-05Z:" in out
    assert "Snapshot 2026-11-26T13-00-05Z (latest):" in out
    expected = f"{deadline.id}  crest  medium  deadline moved 7 days later (2025 call for proposals): "
    assert expected + "3 June 2025 12:00 JST → 10 June 2025 12:00 JST" in out
    assert "3 change(s) wait for review" in out


def test_ack_dismiss_and_expect_clear_the_list(
    tmp_path: Path, store: SnapshotStore, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.tsv"
    deadline, contact, eligibility = (item.change for item in store.seen_changes())
    assert (
        _cli(
            store,
            ledger,
            "ack",
            deadline.id,
            "--note",
            "confirmed on the JST site",
            "--by",
            "Ana",
            "--create",
        )
        == 0
    )
    assert _cli(store, ledger, "dismiss", contact.id, "--note", "old address", "--by", "Ana") == 0
    capsys.readouterr()
    assert main(["review", "--exit-code", "--snapshots", str(store.root), "--ledger", str(ledger)]) == 1
    listed = capsys.readouterr().out
    assert eligibility.id in listed and deadline.id not in listed and contact.id not in listed
    assert _cli(store, ledger, "expect", "crest", "eligibility", "--note", "reworded", "--by", "Ana") == 0
    assert main(["review", "--exit-code", "--snapshots", str(store.root), "--ledger", str(ledger)]) == 0
    assert "No changes wait for review." in capsys.readouterr().out
    assert [d.kind for d in Ledger(ledger).decisions()] == ["ack", "dismiss", "expect"]


def test_group_options_apply_to_subcommands(
    tmp_path: Path, store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "from-env.tsv"
    monkeypatch.setenv("INGEST_LEDGER", str(ledger))
    change = store.seen_changes()[0].change
    assert (
        main(
            [
                "review",
                "--snapshots",
                str(store.root),
                "ack",
                change.id,
                "--note",
                "ok",
                "--by",
                "Ana",
                "--create",
            ]
        )
        == 0
    )
    assert [d.subject for d in Ledger(ledger).decisions()] == [change.id]


def test_unknown_change_id_is_refused_in_one_line(
    tmp_path: Path, store: SnapshotStore, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.tsv"
    assert _cli(store, ledger, "ack", "0123456789ab", "--note", "typo", "--by", "Ana") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0123456789ab" in err and "ingest review" in err
    assert not ledger.exists()  # nothing was recorded


def test_expect_refuses_unknown_program_and_field(
    tmp_path: Path, store: SnapshotStore, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.tsv"
    assert _cli(store, ledger, "expect", "crets", "calls", "--note", "x", "--by", "Ana") == 2
    assert "no snapshot" in capsys.readouterr().err
    assert _cli(store, ledger, "expect", "crest", "deadline", "--note", "x", "--by", "Ana") == 2
    assert "not a record field" in capsys.readouterr().err
    assert not ledger.exists()


# -- honest review state: scoped, expiring, withdrawable expectations; one decision per change ------


def _expect(store: SnapshotStore, ledger: Path, *args: str) -> int:
    return _cli(store, ledger, "expect", "crest", *args, "--note", "announced", "--by", "Ana", "--create")


def _status(store: SnapshotStore, ledger: Path) -> dict[str, ReviewStatus]:
    state = ReviewState.of(ledger)
    return {item.change.category: state.status(item.change, item.created_at) for item in store.seen_changes()}


def test_an_expectation_covers_only_its_scope_and_shows_as_expected(
    tmp_path: Path, store: SnapshotStore
) -> None:
    ledger = tmp_path / "ledger.tsv"
    assert _expect(store, ledger, "calls", "--call", "2024 call for proposals") == 0  # another call
    assert _status(store, ledger)["deadline"] is ReviewStatus.PENDING
    assert (
        _expect(
            store, ledger, "calls", "--old", "2025-06-03T12:00:00+09:00", "--call", "2025 call for proposals"
        )
        == 0
    )
    assert _status(store, ledger)["deadline"] is ReviewStatus.EXPECTED  # not REVIEWED: nobody looked
    assert _expect(store, ledger, "eligibility", "--old", "Researchers from Japan.") == 0  # another old value
    assert _status(store, ledger)["eligibility"] is ReviewStatus.PENDING


def test_an_expectation_expires_and_can_be_withdrawn(tmp_path: Path, store: SnapshotStore) -> None:
    ledger = tmp_path / "ledger.tsv"
    assert _expect(store, ledger, "eligibility", "--until", "2026-11-25") == 0  # day 3's change is later
    assert _status(store, ledger)["eligibility"] is ReviewStatus.PENDING
    assert _expect(store, ledger, "calls") == 0  # default expiry: the end of the fiscal year
    [standing] = [d for d in Ledger(ledger).decisions() if d.field == "calls"]
    assert standing.scope.until == date(2027, 3, 31)
    assert _status(store, ledger)["deadline"] is ReviewStatus.EXPECTED
    assert _cli(store, ledger, "unexpect", "crest", "calls", "--note", "call postponed", "--by", "Ana") == 0
    assert _status(store, ledger)["deadline"] is ReviewStatus.PENDING


def test_fiscal_year_end_is_the_march_31_after_the_moment_in_japan() -> None:
    assert fiscal_year_end(datetime(2026, 3, 31, 14, 59, tzinfo=UTC)) == date(2026, 3, 31)  # 23:59 in Japan
    assert fiscal_year_end(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == date(2027, 3, 31)  # April 1 in Japan


def test_a_change_is_decided_once_and_a_missing_ledger_is_not_created(
    tmp_path: Path, store: SnapshotStore, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.tsv"
    change = store.seen_changes()[0].change
    assert _cli(store, ledger, "ack", change.id, "--note", "ok", "--by", "Ana") == 2
    assert "no ledger here" in capsys.readouterr().err and not ledger.exists()
    assert _cli(store, ledger, "ack", change.id, "--note", "ok", "--by", "Ana", "--create") == 0
    before = ledger.read_text()
    assert _cli(store, ledger, "dismiss", change.id, "--note", "again", "--by", "Bo") == 2
    assert f"{change.id} was already acked by Ana on " in capsys.readouterr().err
    assert ledger.read_text() == before


def test_review_without_snapshots_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "snapshots"
    assert (
        main(["review", "--exit-code", "--snapshots", str(empty), "--ledger", str(tmp_path / "l.tsv")]) == 2
    )
    assert "no snapshot yet" in capsys.readouterr().err


def test_a_malformed_ledger_line_does_not_block_a_new_decision(tmp_path: Path, store: SnapshotStore) -> None:
    ledger = tmp_path / "ledger.tsv"
    ledger.write_text(LEDGER_HEADER + "2026-11-24T13:00:05Z\tAna\tapprove\taaaaaaaaaaaa\tok\n")
    change = store.seen_changes()[0].change
    assert _cli(store, ledger, "ack", change.id, "--note", "checked", "--by", "Ana") == 0
    decisions, problems = Ledger(ledger).read()
    assert [d.subject for d in decisions] == [change.id] and len(problems) == 1
