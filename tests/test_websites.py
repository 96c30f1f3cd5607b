"""`ingest run` against the fixture websites served on 127.0.0.1: the whole fetch stack runs.

v1 of the sites agrees with the reference PDF; v2 carries the edits listed in
tests/fixtures/sites/CHANGES.md. Failures are injected per page and must leave the last good data.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.models import Program
from ingest.snapshot import Snapshot, SnapshotStore
from site_server import SITES, Fault, SiteState, serve_sites

ROOT = Path(__file__).resolve().parents[1]
FAST_FETCH = """[fetch]
min_interval = 0
retries = 0
connect_timeout = 2
read_timeout = 1
max_bytes = 400000

"""
WEBSITE_PROGRAMS = {
    "crest": "jst-crest",
    "presto": "jst-presto",
    "aspire-jst": "jst-aspire",
    "interstellar-initiative": "amed-interstellar",
    "us-japan-cmsp": "amed-us-japan",
    "e-asia-jrp": "amed-e-asia",
    "aspire-amed": "amed-aspire",
    "hfsp": "hfsp-research-grants",
    "jsps-international-fellowships": "jsps-fellowships",
}


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", folder)
    toml = folder / "sources.toml"
    toml.write_text(FAST_FETCH + toml.read_text())
    return folder


@pytest.fixture
def sites() -> Iterator[tuple[SiteState, dict[str, str]]]:
    with serve_sites() as served:
        yield served


class Runner:
    def __init__(self, sources: Path, snapshots: Path, mirrors: dict[str, str]) -> None:
        self.sources, self.snapshots, self.mirrors = sources, snapshots, mirrors

    def __call__(self, *extra: str) -> int:
        rewrites = [
            arg for host, mirror in self.mirrors.items() for arg in ("--rewrite-host", f"{host}={mirror}")
        ]
        return main(
            ["run", "--sources", str(self.sources), "--snapshots", str(self.snapshots), *rewrites, *extra]
        )

    def latest(self) -> Snapshot:
        latest = SnapshotStore(self.snapshots).latest()
        assert latest is not None
        return latest


@pytest.fixture
def run(sources: Path, tmp_path: Path, sites: tuple[SiteState, dict[str, str]]) -> Runner:
    return Runner(sources, tmp_path / "snapshots", sites[1])


def by_id(snapshot: Snapshot) -> dict[str, Program]:
    return {record.id: record for record in snapshot.records}


def changes_of(snapshot: Snapshot) -> list[dict[str, object]]:
    return json.loads((snapshot.path / "changes.json").read_text())["changes"]


def test_v1_gives_every_program_from_its_website_merged_with_the_pdf(run: Runner) -> None:
    assert run() == 0
    snapshot = run.latest()
    statuses = {s.id: s.status for s in snapshot.manifest.sources}
    assert set(statuses.values()) == {"ok"}, statuses
    records = by_id(snapshot)
    for program_id, source_id in WEBSITE_PROGRAMS.items():
        sources = {p.source for p in records[program_id].provenance}
        assert {"reference-pdf", source_id} <= sources, (program_id, sources)
    assert all(not record.conflicts for record in records.values()), "v1 agrees with the PDF"
    # The call page states the PDF's deadline: one call, and the website is on record as a source of it.
    assert [str(c.closes) for c in records["crest"].calls] == ["2025-06-03 12:00:00+09:00"]
    assert any(p.source == "jst-crest" and "calls" in p.fields for p in records["crest"].provenance)
    # The Shift_JIS page writes the address as e-asia"AT"amed.go.jp: its own record has it rebuilt.
    by_source = json.loads((snapshot.path / "extracted.json").read_text())
    [e_asia] = by_source["amed-e-asia"]
    assert {"email": "e-asia@amed.go.jp", "rebuilt": True}.items() <= e_asia["contacts"][0].items()
    urls = {page.url for s in snapshot.manifest.sources for page in s.pages}
    assert any("/kisoken/boshuu/" in url for url in urls), "the yearly call page was followed"


def test_second_run_revalidates_with_304_and_writes_nothing(
    run: Runner, sites: tuple[SiteState, dict]
) -> None:
    state, _ = sites
    assert run() == 0
    first = run.latest()
    assert run("--exit-code") == 0
    assert run.latest().name == first.name  # unchanged: no new snapshot
    assert sum(state.not_modified.values()) >= len(WEBSITE_PROGRAMS)
    assert "unchanged since" in (run.snapshots / "check.log").read_text()


def test_v2_diff_flags_exactly_the_changes_made(run: Runner, sites: tuple[SiteState, dict]) -> None:
    state, _ = sites
    assert run() == 0
    state.version = "v2"
    assert run("--exit-code") == 1  # changes wait for review
    changes = changes_of(run.latest())
    flagged = {(c["program"], c["category"]) for c in changes if c["review"]}
    assert flagged == V2_EXPECTED, sorted(flagged ^ V2_EXPECTED)


# What tests/fixtures/sites/CHANGES.md says v2 changes, as (program, category) pairs. A website
# deadline that now contradicts the PDF also raises a conflict for that program.
V2_EXPECTED = {
    ("crest", "deadline"),
    ("crest", "conflict"),  # the PDF says June 3, the call pages now June 10
    ("aspire-jst", "deadline"),  # the call closed
    ("us-japan-cmsp", "contact"),  # department renamed
    ("aspire-amed", "contact"),  # new mailbox
    ("aspire-amed", "conflict"),  # the PDF's mailbox is no longer on the site
    ("e-asia-jrp", "deadline"),
    ("e-asia-jrp", "conflict"),
    ("hfsp", "deadline"),  # next cycle's LOI dates at the same URL
    ("jsps-international-fellowships", "website"),  # the page moved: its new address is a new link
}


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault(status=500), "http-5xx"),
        (Fault(status=404), "http-4xx"),
        (Fault(delay=1.6), "timeout"),
        (Fault(body=b"<html>" + b"x" * 500_000 + b"</html>"), "too-large"),
        (Fault(content_type="application/zip"), "content-type"),
        (Fault(body=b""), "empty"),
        (Fault(body=bytes(range(256)) * 40), "garbage"),
    ],
    ids=["500", "404", "slow", "huge", "content-type", "empty", "garbage"],
)
def test_a_failing_page_keeps_its_last_good_data(
    run: Runner, sites: tuple[SiteState, dict], fault: Fault, kind: str
) -> None:
    state, _ = sites
    assert run() == 0
    before = by_id(run.latest())["interstellar-initiative"]
    state.faults[("www.amed.go.jp", "/en/program/list/20/02/002.html")] = fault
    state.version = "v1"
    started = time.monotonic()
    assert run("--exit-code") == 3  # sources failed, nothing to review
    assert time.monotonic() - started < 30  # bounded: the fetch settings of FAST_FETCH
    snapshot = run.latest()
    failed = {s.id: s for s in snapshot.manifest.sources if s.status == "failed"}
    assert set(failed) == {"amed-interstellar"} and failed["amed-interstellar"].error_kind == kind
    after = by_id(snapshot)["interstellar-initiative"]
    assert after.calls == before.calls and after.contacts == before.contacts
    assert any(p.stale and p.source == "amed-interstellar" for p in after.provenance)
    assert changes_of(snapshot) == []
    assert "amed-interstellar" in (snapshot.path / "report.md").read_text()


def test_redirect_to_another_host_is_refused(run: Runner, sites: tuple[SiteState, dict]) -> None:
    state, _ = sites
    assert run() == 0
    redirects = {
        ("www.jsps.go.jp", "/english/e-inv_researchers/"): (302, "https://evil.example.com/phish.html")
    }
    state.redirects = lambda: redirects  # type: ignore[method-assign]
    assert run() == 0
    [failed] = [s for s in run.latest().manifest.sources if s.status == "failed"]
    assert failed.id == "jsps-fellowships" and failed.error_kind == "redirected-away"
    assert "evil.example.com" in (failed.error or "")


def test_robots_disallow_is_respected(run: Runner, sites: tuple[SiteState, dict]) -> None:
    state, _ = sites
    state.robots["www.hfsp.org"] = "User-agent: *\nDisallow: /funding/\n"
    assert run() == 0
    [failed] = [s for s in run.latest().manifest.sources if s.status == "failed"]
    assert failed.id == "hfsp-research-grants" and failed.error_kind == "robots-disallowed"
    assert ("www.hfsp.org", "/funding/hfsp-funding/research-grants") not in state.hits


def test_offline_run_still_writes_a_snapshot(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = {host: "127.0.0.1:9" for host in ("www.jst.go.jp",)}  # port 9 (discard): nothing listens
    unreachable = Runner(sources, tmp_path / "snapshots", closed)
    assert unreachable() == 0
    snapshot = unreachable.latest()
    assert len(snapshot.records) == 11
    jst = [s for s in snapshot.manifest.sources if s.id.startswith("jst-")]
    assert jst and all(s.status == "failed" and s.error_kind == "connection" for s in jst)
    err = capsys.readouterr().err
    assert "jst-crest: FAILED (connection)" in err


def test_a_fresh_clones_first_offline_run_is_the_first_snapshot_and_raises_no_alert(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No snapshot is committed, so a newcomer's first run compares with nothing and alerts about
    nothing; their second offline run is the second failure in a row and says so, once."""
    if shutil.which("git") and (ROOT / ".git").exists():
        tracked = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "snapshots"], capture_output=True, text=True, check=True
        )
        assert tracked.stdout == ""
    hosts = ("www.jst.go.jp", "www.amed.go.jp", "www.jsps.go.jp", "www.hfsp.org")
    closed = {host: f"127.0.0.{index}:9" for index, host in enumerate(hosts, start=1)}  # nothing listens
    offline = Runner(sources, tmp_path / "snapshots", closed)
    assert offline() == 0
    first = capsys.readouterr().out
    assert "First snapshot: nothing to compare with yet." in first and "ALERT" not in first
    assert offline() == 0
    second = capsys.readouterr().out
    assert second.count("ALERT") == 1 and "have failed 2 run(s) in a row (connection)" in second


def test_a_304_reuses_records_only_while_the_extractor_code_is_the_same(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.extract as extract
    import ingest.extract.html as html

    calls: list[str] = []
    real = html.extract_html

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(str(kwargs.get("url")))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(html, "extract_html", counting)
    assert run() == 0
    parsed_first = len(calls)
    assert parsed_first >= len(WEBSITE_PROGRAMS)
    calls.clear()
    assert run() == 0  # every page answers 304: nothing is parsed again
    assert calls == []
    monkeypatch.setattr(extract, "extractor_fingerprint", lambda: "new-extractor-code")
    assert run() == 0  # same bytes, new extractor: every page is read again
    assert len(calls) == parsed_first


def _stored_copy_of(run: Runner, source_id: str) -> Path:
    [result] = [s for s in run.latest().manifest.sources if s.id == source_id]
    sha256 = result.pages[0].content_sha256
    assert sha256
    return SnapshotStore(run.snapshots).raw_path(sha256)


def test_a_304_whose_stored_copy_is_gone_fails_that_page_and_keeps_its_records(run: Runner) -> None:
    assert run() == 0
    _stored_copy_of(run, "amed-e-asia").unlink()  # a pruned or damaged store
    assert run() == 0
    snapshot = run.latest()
    results = {s.id: s for s in snapshot.manifest.sources}
    failed = results["amed-e-asia"]
    assert failed.status == "failed" and "missing from the store" in (failed.error or "")
    assert failed.stale_records == 1
    assert results["amed-aspire"].status == "not-modified"  # the other 304s are as before
    [record] = json.loads((snapshot.path / "extracted.json").read_text())["amed-e-asia"]
    assert record["calls"][0]["closes"] == "2025-03-31T12:00:00+09:00"
    assert changes_of(snapshot) == []


def test_a_304_copy_read_again_is_checked_against_its_hash(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.extract as extract

    assert run() == 0
    copy = _stored_copy_of(run, "amed-e-asia")
    moved = copy.read_bytes().replace("令和7年3月31日".encode("cp932"), "令和7年5月31日".encode("cp932"))
    copy.write_bytes(moved)
    assert run() == 0  # records reused: the copy is not read, nothing changed
    monkeypatch.setattr(extract, "extractor_fingerprint", lambda: "new-extractor-code")
    assert run() == 0  # the copy is read again, and found altered: never taken as the page
    [failed] = [s for s in run.latest().manifest.sources if s.id == "amed-e-asia"]
    assert failed.status == "failed" and "do not match their hash" in (failed.error or "")
    assert not [c for c in changes_of(run.latest()) if c["program"] == "e-asia-jrp"]


def test_a_changed_layout_is_an_extraction_problem_and_keeps_previous_values(
    run: Runner, sites: tuple[SiteState, dict[str, str]]
) -> None:
    state, _ = sites
    assert run() == 0
    page = SITES / "v1" / "www.amed.go.jp" / "koubo" / "20" / "01" / "2001B_00101.html"
    text = page.read_bytes().decode("cp932")
    redesigned = re.sub(r"<h2>基本情報</h2>\s*<table class=\"basicInfo\">.*?</table>", "", text, flags=re.S)
    assert redesigned != text
    state.faults[("www.amed.go.jp", "/koubo/20/01/2001B_00101.html")] = Fault(body=redesigned.encode("cp932"))
    assert run("--exit-code") == 0  # nothing to review, and the source did not fail outright
    snapshot = run.latest()
    [result] = [s for s in snapshot.manifest.sources if s.id == "amed-e-asia"]
    assert result.status == "partial" and result.error_kind == "layout-changed"
    [problem] = result.problems
    assert "2001B_00101.html" in problem and "calls" in problem and "previous values kept" in problem
    [record] = json.loads((snapshot.path / "extracted.json").read_text())["amed-e-asia"]
    assert record["calls"] and record["calls"][0]["closes"] == "2025-03-31T12:00:00+09:00"  # kept
    stale = [p for p in record["provenance"] if p["stale"]]
    assert stale and "calls" in stale[0]["fields"] and stale[0]["last_verified"]
    assert changes_of(snapshot) == []  # never "the deadline was removed"


def test_extract_a_saved_page_as_if_fetched_from_its_url(capsys: pytest.CaptureFixture[str]) -> None:
    page = SITES / "v1" / "www.amed.go.jp" / "koubo" / "20" / "01" / "2001B_00101.html"
    url = "https://www.amed.go.jp/koubo/20/01/2001B_00101.html"
    assert main(["extract", str(page), "--url", url]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["id"] == "e-asia-jrp" and record["provenance"][0]["url"] == url
    assert record["calls"][0]["closes"] == "2025-03-31T12:00:00+09:00"


def test_one_outage_raises_one_alert_not_one_per_source(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts = ("www.jst.go.jp", "www.amed.go.jp", "www.jsps.go.jp", "www.hfsp.org")
    closed = {
        host: f"127.0.0.1:{port}" for host, port in zip(hosts, (9, 13, 17, 19), strict=True)
    }  # nothing listens
    offline = Runner(sources, tmp_path / "snapshots", closed)
    assert offline() == 0
    assert offline("--alert-after", "2") == 0
    alerts = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ALERT")]
    [alert] = alerts  # ten sources, one cause: one line
    head, _, names = alert.partition("): ")
    assert head == "ALERT: 10 sources have failed 2 run(s) in a row (connection"
    assert set(names.split(", ")) == {*WEBSITE_PROGRAMS.values(), "amed-hfsp"}


def test_two_hosts_on_one_mirror_is_refused(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = {"www.jst.go.jp": "127.0.0.1:9", "www.amed.go.jp": "127.0.0.1:9"}
    assert Runner(sources, tmp_path / "snapshots", shared)() == 2
    err = capsys.readouterr().err
    assert err.startswith("ingest: error: --rewrite-host:") and "share a mirror" in err
    assert not (tmp_path / "snapshots").exists()


def test_a_linked_pdf_reaches_the_merged_record_with_its_own_provenance_kind(
    sources: Path, tmp_path: Path, sites: tuple[SiteState, dict[str, str]]
) -> None:
    """A call document reached through a `follow` rule is a linked PDF, not the reference document:
    the merge ranks the reference PDF first, and the website reader finds the linked PDF's records by
    URL (a failing PDF keeps them, marked stale)."""
    state, mirrors = sites
    pdf = (ROOT / "sources" / "funding-programs-overseas-2025-04.pdf").read_bytes()
    pdf_path = "/kisoken/crest/en/pdf/crest_pamphlet_2025.pdf"  # linked from the CREST page
    state.faults[("www.jst.go.jp", pdf_path)] = Fault(body=pdf, content_type="application/pdf")
    toml = sources / "sources.toml"
    toml.write_text(
        toml.read_text().replace(
            r"(?:index\.html)?$' }]", r"(?:index\.html)?$' }, { pattern = '\.pdf$' }]", 1
        )
    )
    run = Runner(sources, tmp_path / "snapshots", mirrors)
    pdf_url = f"https://www.jst.go.jp{pdf_path}"

    assert run() == 0
    crest = by_id(run.latest())["crest"]
    kinds = [(p.source, p.kind, p.url) for p in crest.provenance]
    assert kinds[0][:2] == ("reference-pdf", "reference-pdf")  # the curated document still ranks first
    assert ("jst-crest", "linked-pdf", pdf_url) in kinds
    assert crest.conflicts == []  # the same call stated by both PDFs and the call page

    state.faults[("www.jst.go.jp", pdf_path)] = Fault(status=500)
    assert run() == 0
    crest = by_id(run.latest())["crest"]
    linked = [p for p in crest.provenance if p.kind == "linked-pdf"]
    assert [(p.url, p.stale) for p in linked] == [(pdf_url, True)]  # carried forward by its URL
    result = next(s for s in run.latest().manifest.sources if s.id == "jst-crest")
    assert result.status == "partial" and any(pdf_url in problem for problem in result.problems)


@pytest.mark.parametrize("garbage", ["random", "binary"])
def test_a_program_page_answering_garbage_fails_and_keeps_every_last_good_value(
    run: Runner, sites: tuple[SiteState, dict[str, str]], garbage: str
) -> None:
    """Random bytes (or a binary file) served as the program page: the source fails (kind garbage),
    and the page's records and its call page's records are all carried forward, marked stale; no
    deadline, contact or removal is reported."""
    import random
    import zlib

    state, _ = sites
    assert run() == 0
    before = by_id(run.latest())["crest"]
    noise = random.Random(7)
    body = (
        bytes(noise.getrandbits(8) for _ in range(6000))
        if garbage == "random"
        else b"\x89PNG\r\n\x1a\n" + zlib.compress((ROOT / "README.md").read_bytes())  # an image
    )
    state.faults[("www.jst.go.jp", "/kisoken/crest/en/index.html")] = Fault(
        body=body, content_type="text/html"
    )
    assert run() == 0
    latest = run.latest()
    result = next(s for s in latest.manifest.sources if s.id == "jst-crest")
    assert (result.status, result.error_kind) == ("failed", "garbage")
    crest = by_id(latest)["crest"]
    assert [c.model_dump(exclude={"source"}) for c in crest.calls] == [
        c.model_dump(exclude={"source"}) for c in before.calls
    ]
    assert crest.contacts == before.contacts and crest.links == before.links
    assert all(p.stale for p in crest.provenance if p.source == "jst-crest")
    assert changes_of(latest) == []
