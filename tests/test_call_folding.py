"""One change per edited call, and a yearly rollover as one change (issue 10, item 3).

A call's printed text is the evidence of its date change, not a change of its own: the differ folds the
changes of one call into its main one, which keeps its id (the ledger refers to it). Next year's call
in place of this year's is one "new call replaces old" change carrying both calls.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.cli import main
from ingest.diff import change_id, comparable, diff_program, diff_programs
from ingest.extract.html import extract_html
from ingest.keys import call_stem, rollover_pairs
from ingest.models import CallPeriod, Change, Program, Provenance
from ingest.report.feed import entry_title
from ingest.report.markdown import changes_markdown
from ingest.report.wording import describe
from ingest.review import Decision, DecisionKind, ReviewState, ReviewStatus
from ingest.severity import reason
from ingest.snapshot import SnapshotStore
from test_html_report import manifest

NOW = datetime(2026, 5, 1, tzinfo=UTC)
PAIRS = Path(__file__).resolve().parent / "fixtures" / "stored-pairs"
SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
LABEL = "2025 call for proposals"
JUNE_3 = CallPeriod(
    label=LABEL,
    raw="April 10 – Noon, June 3",
    opens="2025-04-10",
    closes="2025-06-03T12:00:00+09:00",
    status="dated",
)


def crest(*calls: CallPeriod) -> Program:
    return Program(
        id="crest",
        name="CREST",
        calls=list(calls),
        provenance=[
            Provenance(
                source="jst-crest",
                url="https://www.jst.go.jp/kisoken/crest/en/",
                content_sha256="a" * 64,
                extracted_at=NOW,
            )
        ],
    )


def call(label: str = LABEL, base: CallPeriod = JUNE_3, **fields: Any) -> CallPeriod:
    return CallPeriod.model_validate({**base.model_dump(), "label": label, **fields})


def test_a_moved_deadline_is_one_change_that_keeps_the_closes_id_and_carries_the_printed_text() -> None:
    earlier = call(raw="April 10 – Noon, May 20", closes="2025-05-20T12:00:00+09:00")
    [change] = diff_programs([crest(JUNE_3)], [crest(earlier)])
    field = f"calls[{LABEL}].closes"
    assert (change.field, change.severity) == (field, "critical")
    assert change.id == change_id("crest", field, "2025-06-03T12:00:00+09:00", "2025-05-20T12:00:00+09:00")
    [folded] = change.also
    assert (folded.attribute, folded.old, folded.new) == (
        "raw",
        "April 10-Noon, June 3",
        "April 10-Noon, May 20",
    )
    assert folded.id == change_id("crest", f"calls[{LABEL}].raw", folded.old, folded.new)  # its id alone
    words = describe(change)
    assert words == (
        f"deadline moved 14 days earlier ({LABEL}): 3 June 2025 12:00 JST → 20 May 2025 12:00 JST; "
        'as printed: "April 10-Noon, June 3" → "April 10-Noon, May 20"'
    )
    assert (
        "extended" not in words and "reworded" not in words and reason(change) == "a deadline moved earlier"
    )
    # The evidence on each side is the call as printed then and now.
    assert change.old_evidence[0].text.endswith("June 3") and change.new_evidence[0].text.endswith("May 20")


def test_opening_closing_and_text_of_one_call_are_one_change() -> None:
    moved = call(raw="April 14 – Noon, June 10", opens="2025-04-14", closes="2025-06-10T12:00:00+09:00")
    [change] = diff_programs([crest(JUNE_3)], [crest(moved)])
    assert change.field == f"calls[{LABEL}].closes" and change.severity == "medium"
    assert [f.attribute for f in change.also] == ["opens", "raw"]
    assert "; opening date: 10 April 2025 → 14 April 2025; as printed:" in describe(change)
    assert reason(change) == "a deadline moved later"


def test_the_most_severe_change_of_a_call_speaks_for_it() -> None:
    """Closed now, and the deadline a week later: the status (high) leads, the date is folded in."""
    closed = call(
        raw="Closed (was: April 10 – Noon, June 10)", closes="2025-06-10T12:00:00+09:00", status="closed"
    )
    [change] = diff_programs([crest(JUNE_3)], [crest(closed)])
    assert (change.field, change.severity) == (f"calls[{LABEL}].status", "high")
    assert {f.attribute for f in change.also} == {"closes", "raw"}
    assert "deadline: 3 June 2025 12:00 JST → 10 June 2025 12:00 JST" in describe(change)


def test_a_reworded_call_with_the_same_dates_stays_a_change_of_its_own() -> None:
    [change] = diff_programs([crest(JUNE_3)], [crest(call(raw="10 April to 3 June, noon (JST)"))])
    assert (change.field, change.severity, change.also) == (f"calls[{LABEL}].raw", "medium", [])
    assert (
        describe(change)
        == f'call text of {LABEL} reworded: "April 10-Noon, June 3" → "10 April to 3 June, noon (JST)"'
    )
    assert reason(change) == "a call's printed text changed"


def test_two_calls_edited_give_two_changes() -> None:
    second = call("2025 second round", raw="Until July 1", opens=None, closes="2025-07-01")
    moved = [
        call(raw="April 10 – Noon, June 10", closes="2025-06-10T12:00:00+09:00"),
        call("2025 second round", second, raw="Until July 8", closes="2025-07-08"),
    ]
    changes = diff_programs([crest(JUNE_3, second)], [crest(*moved)])
    assert [c.field for c in changes] == [f"calls[{LABEL}].closes", "calls[2025 second round].closes"]
    assert all(len(c.also) == 1 for c in changes)


# -- the yearly rollover ---------------------------------------------------------------------------


FY2025 = CallPeriod(
    label="FY2025 call", raw="Until noon, June 3, 2025", closes="2025-06-03T12:00:00+09:00", status="dated"
)
FY2026 = CallPeriod(
    label="FY2026 call", raw="Until noon, May 20, 2026", closes="2026-05-20T12:00:00+09:00", status="dated"
)


STANDING = CallPeriod(label="Letters of intent", raw="Any time", status="rolling")


def test_next_years_call_in_place_of_this_years_is_one_change_with_both_calls() -> None:
    [change] = diff_programs([crest(STANDING, FY2025)], [crest(STANDING, FY2026)])
    assert (change.category, change.field, change.path) == (
        "deadline",
        "calls[FY2026 call]",
        ["calls", "FY2026 call"],
    )
    assert change.old["label"] == "FY2025 call" and change.old["closes"] == "2025-06-03T12:00:00+09:00"
    assert change.new["label"] == "FY2026 call" and change.new["raw"] == "Until noon, May 20, 2026"
    assert (change.severity, reason(change)) == (
        "high",
        "a new call replaces the old one: a new deadline to check",
    )
    assert change.id == change_id("crest", "calls[FY2026 call]", change.old, change.new)
    # It stands for what the differ gave before: the old call gone, the new one added.
    was, now = (comparable(crest(STANDING, c))["calls"][str(c.label)] for c in (FY2025, FY2026))
    assert change.replaces == [
        change_id("crest", "calls[FY2025 call]", was, None),
        change_id("crest", "calls[FY2026 call]", None, now),
    ]
    assert change.old_evidence[0].text == "FY2025 call: Until noon, June 3, 2025"
    assert change.new_evidence[0].text == "FY2026 call: Until noon, May 20, 2026"
    words = (
        'new call "FY2026 call" replaces "FY2025 call": closes 20 May 2026 12:00 JST '
        "(was closes 3 June 2025 12:00 JST)"
    )
    assert describe(change) == words
    assert entry_title(change) == f"CREST: {words}"  # the Atom feed
    report = changes_markdown([change], title="Changes", review=ReviewState())
    assert "## High: 1 to review" in report and words in report
    assert report.count("— id `") == 1 and "FY2026 call: Until noon, May 20, 2026" in report  # evidence


def test_a_pages_only_call_replaced_is_one_change_that_stands_for_the_whole_calls_change() -> None:
    """deepdiff reports two one-call mappings as one replaced whole (field 'calls'), and that is
    what earlier versions stored: the rollover stands for that change."""
    [change] = diff_programs([crest(FY2025)], [crest(FY2026)])
    assert change.field == "calls[FY2026 call]" and change.severity == "high"
    whole = change_id(
        "crest", "calls", comparable(crest(FY2025))["calls"], comparable(crest(FY2026))["calls"]
    )
    assert change.replaces == [whole]
    assert describe(change).startswith('new call "FY2026 call" replaces "FY2025 call"')
    assert diff_program(crest(FY2025), crest(FY2026)) == [change]


def test_a_rollover_among_other_calls_and_edits() -> None:
    """A page with a standing call and the yearly one: the standing call's edit stays its own change."""
    reworded = call(STANDING.label or "", STANDING, raw="At any time")
    changes = diff_programs([crest(STANDING, FY2025)], [crest(reworded, FY2026)])
    assert [c.field for c in changes] == ["calls[FY2026 call]", "calls[Letters of intent].raw"]
    assert diff_program(crest(STANDING, FY2025), crest(reworded, FY2026)) == changes


@pytest.mark.parametrize(
    ("gone", "came", "pairs"),
    [
        (["FY2025 call"], ["FY2026 call"], [("FY2025 call", "FY2026 call")]),
        (["令和7年度 公募"], ["令和8年度 公募"], [("令和7年度 公募", "令和8年度 公募")]),
        (
            ["2025 call for proposals"],
            ["2026 Call for Proposals"],
            [("2025 call for proposals", "2026 Call for Proposals")],
        ),
        (  # years first: the first round pairs with the first round
            ["FY2025, 1st recruitment", "FY2025, 2nd recruitment"],
            ["FY2026, 1st recruitment", "FY2026, 2nd recruitment"],
            [
                ("FY2025, 1st recruitment", "FY2026, 1st recruitment"),
                ("FY2025, 2nd recruitment", "FY2026, 2nd recruitment"),
            ],
        ),
        (["Round 3"], ["Round 4"], [("Round 3", "Round 4")]),  # the next round
        (["第1回 公募"], ["第2回 公募"], [("第1回 公募", "第2回 公募")]),
        (["Round 1", "Round 2"], ["Round 3", "Round 4"], []),  # which replaces which? not guessed
        (["2025 call for proposals"], ["Call for proposals"], []),  # more than a year differs
        (["FY2025 call"], ["FY2026 workshop"], []),
        (["#1"], ["#2"], []),  # unlabelled: nothing says what they are
    ],
)
def test_which_calls_count_as_a_rollover(
    gone: list[str], came: list[str], pairs: list[tuple[str, str]]
) -> None:
    assert rollover_pairs(gone, came) == pairs


def test_a_call_stem_masks_years_and_with_rounds_every_number() -> None:
    assert call_stem("FY2025 Call") == call_stem("FY2026 call") == "fy# call"
    assert call_stem("R7 公募") == call_stem("R8 公募")
    assert call_stem("2nd round") != call_stem("3rd round")
    assert call_stem("2nd round", rounds=True) == call_stem("3rd round", rounds=True) == "# round"


def test_an_unrelated_call_gone_and_one_added_are_no_rollover() -> None:
    partnership = call("Partnership call", FY2026)
    changes = diff_programs([crest(STANDING, FY2025)], [crest(STANDING, partnership)])
    assert sorted((c.field, c.severity) for c in changes) == [
        ("calls[FY2025 call]", "high"),
        ("calls[Partnership call]", "medium"),
    ]
    assert all(not c.replaces for c in changes)
    # A page's only call: deepdiff's one whole change, with its id, as before.
    [whole] = diff_programs([crest(FY2025)], [crest(partnership)])
    assert (whole.field, whole.replaces) == ("calls", [])


# -- the ledger ------------------------------------------------------------------------------------


def _decided(*change_ids: str) -> ReviewState:
    return ReviewState(
        [Decision(NOW, "ana", DecisionKind.ACK, change_id, "checked") for change_id in change_ids]
    )


def test_an_acked_deadline_change_stays_acked_once_its_text_is_folded_in() -> None:
    """The ledger holds the ids of changes stored before the fold (closes and raw apart): the folded
    change has the closes change's id, so that ack still settles it."""
    moved = call(raw="April 10 – Noon, June 10", closes="2025-06-10T12:00:00+09:00")
    [change] = diff_programs([crest(JUNE_3)], [crest(moved)])
    closes_id = change_id(
        "crest", f"calls[{LABEL}].closes", "2025-06-03T12:00:00+09:00", "2025-06-10T12:00:00+09:00"
    )
    assert change.id == closes_id
    assert _decided(closes_id).status(change) is ReviewStatus.REVIEWED
    assert (
        _decided(change.also[0].id).status(change) is ReviewStatus.PENDING
    )  # the text alone is not the date


def test_a_rollover_reviewed_as_its_two_changes_stays_reviewed() -> None:
    [change] = diff_programs([crest(STANDING, FY2025)], [crest(STANDING, FY2026)])
    gone, added = change.replaces
    assert _decided(gone, added).status(change) is ReviewStatus.REVIEWED
    assert _decided(change.id).status(change) is ReviewStatus.REVIEWED
    assert _decided(added).status(change) is ReviewStatus.PENDING  # half of it reviewed is not reviewed
    assert ReviewState().status(change) is ReviewStatus.PENDING
    [alone] = diff_programs([crest(FY2025)], [crest(FY2026)])  # stands for one whole change
    assert _decided(*alone.replaces).status(alone) is ReviewStatus.REVIEWED


def test_a_folded_change_round_trips_and_a_plain_one_is_stored_as_before() -> None:
    moved = call(raw="April 10 – Noon, June 10", closes="2025-06-10T12:00:00+09:00")
    [change] = diff_programs([crest(JUNE_3)], [crest(moved)])
    assert Change.model_validate(change.model_dump(mode="json")) == change
    [rollover] = diff_programs([crest(STANDING, FY2025)], [crest(STANDING, FY2026)])
    assert Change.model_validate(rollover.model_dump(mode="json")) == rollover
    plain = diff_programs([crest(JUNE_3)], [crest(call(raw="April 10 to noon, June 3"))])[0].model_dump(
        mode="json"
    )
    assert "also" not in plain and "replaces" not in plain  # changes.json of such a change is byte-identical


# -- every view, from stored snapshots -------------------------------------------------------------


def _rollover_snapshots(root: Path) -> Change:
    """Two snapshots as `ingest run` writes them, the second with CREST's FY2026 call replacing FY2025's."""
    store = SnapshotStore(root)
    before, after = [crest(STANDING, FY2025)], [crest(STANDING, FY2026)]
    april, may = datetime(2025, 4, 15, 3, tzinfo=UTC), datetime(2026, 4, 15, 3, tzinfo=UTC)
    old = store.write(manifest("2025-04-15T03-00-00Z", april, before, failed=False, previous=None), before)
    [change] = diff_programs(before, after)
    store.write(
        manifest("2026-04-15T03-00-00Z", may, after, failed=False, previous=old.name), after, changes=[change]
    )
    return change


ROLLOVER_WORDS = (
    'new call "FY2026 call" replaces "FY2025 call": closes 20 May 2026 12:00 JST '
    "(was closes 3 June 2025 12:00 JST)"
)


def test_a_rollover_reads_the_same_in_review_atom_and_the_html_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots, ledger = tmp_path / "snapshots", tmp_path / "ledger.tsv"
    change = _rollover_snapshots(snapshots)
    common = ["--snapshots", str(snapshots), "--ledger", str(ledger)]
    assert main(["review", *common, "--exit-code"]) == 1
    listing = capsys.readouterr().out
    assert f"{change.id}  crest  high  {ROLLOVER_WORDS}" in listing and listing.count("crest  ") == 1
    assert main(["changes", "--format", "atom", "--snapshots", str(snapshots)]) == 0
    feed = capsys.readouterr().out
    assert html.escape(f"CREST: {ROLLOVER_WORDS}", quote=False) in feed and feed.count("<entry>") == 1
    page_file = tmp_path / "report.html"
    names = ["2025-04-15T03-00-00Z", "2026-04-15T03-00-00Z"]
    assert main(["report", *names, "--output", str(page_file), *common]) == 0
    page = html.unescape(page_file.read_text(encoding="utf-8"))
    assert page.count('<article class="change') == 1 and "a new call replaces the old one" in page
    assert "FY2025 call: Until noon, June 3, 2025" in page and "FY2026 call: Until noon, May 20, 2026" in page


def test_a_ledger_written_before_the_fold_still_settles_the_rollover(tmp_path: Path) -> None:
    """Decisions on the two changes earlier versions stored (the old call gone, the new one added)
    settle the one rollover change that stands for them: nothing waits."""
    snapshots, ledger = tmp_path / "snapshots", tmp_path / "ledger.tsv"
    change = _rollover_snapshots(snapshots)
    lines = [
        f"2026-04-16T00:00:00Z\tana\tack\t{replaced}\tFY2026 call checked\n" for replaced in change.replaces
    ]
    ledger.write_text("".join(lines), encoding="utf-8")
    assert main(["review", "--snapshots", str(snapshots), "--ledger", str(ledger), "--exit-code"]) == 0
    ledger.write_text(lines[1], encoding="utf-8")  # only the addition: the removal was never looked at
    assert main(["review", "--snapshots", str(snapshots), "--ledger", str(ledger), "--exit-code"]) == 1


def test_a_ledger_written_before_the_fold_still_settles_the_stored_pair(tmp_path: Path) -> None:
    """The committed ledger acked the stored pair's changes as earlier versions gave them (closes and
    raw apart): diffing the same records now, every change is still reviewed."""
    folder = PAIRS / "edition"
    stored = json.loads((folder / "changes.json").read_text(encoding="utf-8"))["changes"]
    ids = [item["id"] for item in stored] + ["0ae92d9ff817"]  # and the raw change, folded now
    ledger = tmp_path / "ledger.tsv"
    ledger.write_text("".join(f"2026-01-01T00:00:00Z\tana\tack\t{i}\tseen\n" for i in ids), encoding="utf-8")
    argv = ["diff", str(folder / "old.json"), str(folder / "new.json"), "--ledger", str(ledger)]
    assert main([*argv, "--exit-code"]) == 0
    ledger.write_text(
        "".join(f"2026-01-01T00:00:00Z\tana\tack\t{i}\tseen\n" for i in ids[1:]), encoding="utf-8"
    )
    assert main([*argv, "--exit-code"]) == 1  # the moved deadline (9fac20f7ddda) is not acked


def test_the_evidence_of_a_call_whose_text_starts_with_its_label_names_it_once() -> None:
    row = CallPeriod(
        label="Submission of Letters of Intent",
        raw="Submission of Letters of Intent: 26 March 2026 (updated for each cycle)",
        closes="2026-03-26",
        status="dated",
    )
    moved = call(row.label or "", row, raw=row.raw.replace("26 March", "2 April"), closes="2026-04-02")
    [change] = diff_programs([crest(row)], [crest(moved)])
    assert [e.text for e in change.old_evidence + change.new_evidence] == [row.raw, moved.raw]


def test_a_jsps_schedule_page_a_year_on_gives_one_change_per_call() -> None:
    """The JSPS fellowships page of the fixture sites (FY2026 open, FY2025 closed), and the same page a
    year on (FY2027 open, FY2026 closed): each new call replaces the call of its kind that left the
    page, and each call that stayed but closed is one change. Before, deepdiff's one replaced whole
    ('calls', medium) hid all of it, the calls that closed among it."""
    page = (SITES / "v1" / "www.jsps.go.jp/english/e-inv_researchers/index.html").read_text(encoding="utf-8")
    year_on = re.sub(r"20[0-9]{2}", lambda year: str(int(year.group()) + 1), page)
    url = "https://www.jsps.go.jp/english/e-inv_researchers/index.html"
    before, after = (
        extract_html(text.encode(), url=url, source_id="jsps").programs for text in (page, year_on)
    )
    calls = [c for c in diff_programs(before, after) if c.path[0] == "calls"]
    postdoc, invitational = (
        "Postdoctoral Fellowships for Research in Japan (Standard)",
        "Invitational Fellowships for Research in Japan",
    )
    rollovers = {(c.old["label"], c.new["label"]) for c in calls if len(c.path) == 2}
    assert rollovers == {
        (f"{postdoc}, FY2025, 1st recruitment", f"{postdoc}, FY2027, 1st recruitment"),
        (f"{postdoc}, FY2025, 2nd recruitment", f"{postdoc}, FY2027, 2nd recruitment"),
        (f"{invitational}, FY2026, Long-term", f"{invitational}, FY2027, Long-term"),
        (
            f"{invitational}, FY2026, Short-term (1st recruitment)",
            f"{invitational}, FY2027, Short-term (1st recruitment)",
        ),
        (
            f"{invitational}, FY2026, Short-term (2nd recruitment)",
            f"{invitational}, FY2027, Short-term (2nd recruitment)",
        ),
    }
    closed = [c for c in calls if len(c.path) == 3]
    assert [(c.path[1], c.path[2], c.new, [f.attribute for f in c.also]) for c in closed] == [
        (f"{postdoc}, FY2026, {n} recruitment", "status", "closed", ["closes", "raw"]) for n in ("1st", "2nd")
    ]
    assert all(c.severity == "high" for c in calls) and len(calls) == 7
    # The one whole change earlier versions gave is what each of them stands for.
    assert len({tuple(c.replaces) for c in calls}) == 1 and len(calls[0].replaces) == 1
