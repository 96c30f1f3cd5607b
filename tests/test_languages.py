"""Japanese and English pages side by side: the counterpart found (declared, hreflang, the language
switch), both pages merged into one record with per-language provenance, a disagreement a conflict that
names both values (the Japanese one kept), and "English page not yet updated" after the grace days,
end to end through the loopback fixture servers over several dated runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.extract.html import extract_html
from ingest.languages import Counterpart, figures, page_language, switch_link, tag
from ingest.merge import merge_records
from ingest.models import JAPAN, Change, Contact, Program
from ingest.pipeline import run
from ingest.snapshot import SnapshotStore
from site_server import SITES, Fault, serve_sites

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "languages"
JA_PATH, EN_PATH = "/koubo/26/02/2602B_00011.html", "/en/news/program/2602B_00012.html"
JA_URL, EN_URL = f"https://www.amed.go.jp{JA_PATH}", f"https://www.amed.go.jp{EN_PATH}"
JST_JA = "https://www.jst.go.jp/kisoken/boshuu/r7/index.html"
JST_EN = "https://www.jst.go.jp/kisoken/boshuu/r7/en/index.html"
MAY_20, MAY_27 = (datetime(2026, 5, day, 12, tzinfo=JAPAN) for day in (20, 27))
DEADLINE_CONFLICT = "languages.calls[2026 call for proposals].closes"
JA_LABEL, EN_LABEL = f"Japanese page {JA_URL} (prevails)", f"English page {EN_URL}"


def _page(name: str, url: str) -> bytes:
    return (FIXTURES / name).read_bytes() if "/" not in name else (SITES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "url", "language", "counterpart"),
    [
        ("amed-ja.html", JA_URL, "ja", EN_URL),  # the body's "English" link; the header's leads home
        ("amed-en.html", EN_URL, "en", JA_URL),  # <link rel="alternate" hreflang="ja">
        ("v1/www.jst.go.jp/kisoken/boshuu/r7/index.html", JST_JA, "ja", JST_EN),  # the header's "English"
        # AMED's header switch leads to the English home page: not a counterpart, none is guessed.
        (
            "v1/www.amed.go.jp/koubo/20/01/2001B_00101.html",
            "https://www.amed.go.jp/koubo/20/01/2001B_00101.html",
            "ja",
            None,
        ),
    ],
)
def test_the_counterpart_is_found_by_hreflang_or_the_language_switch(
    name: str, url: str, language: str, counterpart: str | None
) -> None:
    content = _page(name, url)
    assert page_language(content) == language
    assert switch_link(content, url=url, language=language) == counterpart


def test_without_hreflang_the_japanese_switch_of_an_english_page_is_followed() -> None:
    content = (FIXTURES / "amed-en.html").read_text().replace('<link rel="alternate" hreflang="ja"', "<link")
    assert switch_link(content.encode(), url=EN_URL, language="en") == JA_URL  # its "日本語" link
    # the header's "Japanese" link leads to the Japanese home page: never taken for the counterpart
    assert switch_link(content.replace("日本語", "").encode(), url=EN_URL, language="en") is None


def _records(name: str, url: str, pair: Counterpart | None = None) -> list[Program]:
    fetched = datetime(2026, 4, 10, tzinfo=UTC)
    records = extract_html(_page(name, url), url=url, source_id="amed-e-asia", fetched_at=fetched).programs
    return tag(records, pair) if pair else records


PAIR = Counterpart(url=JA_URL, language="ja", other_url=EN_URL)


def test_a_pair_that_agrees_is_one_record_with_one_call_and_both_pages_provenance() -> None:
    [record] = merge_records([*_records("amed-ja.html", JA_URL, PAIR), *_records("amed-en.html", EN_URL)])
    assert record.conflicts == []
    [call] = record.calls  # the English statement of the same call is not a second call
    assert (call.opens, call.closes) == (datetime(2026, 3, 2).date(), MAY_20)
    assert [(p.url, p.language, p.counterpart) for p in record.provenance] == [
        (JA_URL, "ja", EN_URL),
        (EN_URL, "en", JA_URL),
    ]


def test_a_deadline_the_pages_disagree_on_is_a_conflict_and_the_japanese_value_is_kept() -> None:
    japanese = _records("amed-ja-extended.html", JA_URL, PAIR)
    english = _records("amed-en.html", EN_URL)
    # The source's main page the Japanese or the English one (which names its counterpart), in either order.
    from_english = [
        *_records("amed-ja-extended.html", JA_URL),
        *_records("amed-en.html", EN_URL, Counterpart(url=EN_URL, language="en", other_url=JA_URL)),
    ]
    for records in ([*japanese, *english], [*english, *japanese], from_english):
        [record] = merge_records(records)
        [call] = record.calls
        assert call.closes == MAY_27  # 令和８年５月２７日（水）正午: the Japanese text prevails
        [conflict] = record.conflicts
        assert conflict.field == DEADLINE_CONFLICT
        assert conflict.values == {
            JA_LABEL: ["2026-05-27 12:00:00+09:00"],
            EN_LABEL: "2026-05-20 12:00:00+09:00",
        }


def test_contacts_and_eligibility_the_pages_disagree_on_are_conflicts() -> None:
    japanese = _records("amed-ja.html", JA_URL, PAIR)
    [english] = _records("amed-en.html", EN_URL)
    english = english.model_copy(
        update={
            "contacts": [Contact(email="e-asia-en@amed.go.jp")],
            "eligibility": "Within 10 years of the PhD.",
        }
    )
    japanese = [japanese[0].model_copy(update={"eligibility": "博士号取得後8年以内の研究者。"})]
    [record] = merge_records([*japanese, english])
    assert {c.field: c.values for c in record.conflicts} == {
        "languages.contacts": {JA_LABEL: ["e-asia@amed.go.jp"], EN_LABEL: ["e-asia-en@amed.go.jp"]},
        "languages.eligibility": {
            JA_LABEL: "博士号取得後8年以内の研究者。",
            EN_LABEL: "Within 10 years of the PhD.",
        },
    }
    assert [c.email for c in record.contacts] == ["e-asia@amed.go.jp"]
    assert record.eligibility == "博士号取得後8年以内の研究者。"


def test_eligibility_translations_agree_on_their_figures_not_their_words() -> None:
    assert figures("博士号取得後８年以内（令和8年4月1日時点）") == figures(
        "within 8 years of the PhD (as of April 1, 2026)"
    )
    assert figures("40歳未満") != figures("under 45 years of age")


def test_unpaired_records_are_merged_and_serialized_as_before() -> None:
    [record] = merge_records([*_records("amed-ja.html", JA_URL), *_records("amed-en.html", EN_URL)])
    assert record.conflicts == []  # nothing says they are one page in two languages
    # The same label and deadline, the English page giving no opening: one call, the merge's fold of two
    # statements of a call (tests/test_merge_calls.py), not the language pairing.
    [call] = record.calls
    assert (call.opens, call.closes, call.raw) == (
        datetime(2026, 3, 2).date(),
        MAY_20,
        "令和8年5月20日(水)正午【厳守】",
    )
    assert '"language"' not in record.model_dump_json() and '"counterpart"' not in record.model_dump_json()


# -- end to end ----------------------------------------------------------------------------------------

SOURCES = """[fetch]
min_interval = 0
retries = 0
connect_timeout = 2
read_timeout = 2

[languages]
grace_days = 14

[[source]]
id = "amed-e-asia-r8"
kind = "html"
url = "https://www.amed.go.jp/koubo/26/02/2602B_00011.html"
allowed_domains = ["amed.go.jp"]
programs = ["e-asia-jrp"]
discover_counterpart = true

[[source]]
id = "jst-crest-call"
kind = "html"
url = "https://www.jst.go.jp/kisoken/boshuu/r7/index.html"
allowed_domains = ["jst.go.jp"]
programs = ["crest"]
counterpart = "https://www.jst.go.jp/kisoken/boshuu/r7/en/index.html"
language = "ja"
"""


def outcome_changes(store: SnapshotStore) -> list[Change]:
    latest = store.latest()
    assert latest is not None
    return store.changes(latest.name) or []


def test_japanese_and_english_pages_over_several_runs(tmp_path: Path) -> None:
    sources, snapshots = tmp_path / "sources", tmp_path / "snapshots"
    sources.mkdir()
    (sources / "sources.toml").write_text(SOURCES)
    store = SnapshotStore(snapshots)
    with serve_sites() as (state, mirrors):

        def serve(ja: str, en: str) -> None:
            state.faults[("www.amed.go.jp", JA_PATH)] = Fault(body=(FIXTURES / ja).read_bytes())
            state.faults[("www.amed.go.jp", EN_PATH)] = Fault(body=(FIXTURES / en).read_bytes())

        def day(month: int, day: int) -> tuple[dict[str, Program], list[str], bool]:
            before = store.names()
            outcome = run(
                sources, snapshots, now=datetime(2026, month, day, 1, tzinfo=UTC), rewrite_hosts=mirrors
            )
            latest = store.latest()
            assert latest is not None
            return (
                {r.id: r for r in latest.records},
                [c.field for c in outcome.changes],
                store.names() != before,
            )

        serve("amed-ja.html", "amed-en.html")
        records, _, _ = day(3, 5)
        amed, crest = records["e-asia-jrp"], records["crest"]
        # AMED: found by the page's own "English" link; JST: declared. Both pairs agree.
        assert [(p.url, p.language) for p in amed.provenance] == [(JA_URL, "ja"), (EN_URL, "en")]
        assert [(p.url, p.language) for p in crest.provenance] == [(JST_JA, "ja"), (JST_EN, "en")]
        assert amed.conflicts == crest.conflicts == []
        assert [c.closes for c in amed.calls] == [MAY_20] and len(crest.calls) == 1

        serve("amed-ja-extended.html", "amed-en.html")  # the Japanese page extends the deadline
        records, changes, _ = day(4, 10)
        assert records["e-asia-jrp"].calls[0].closes == MAY_27
        assert (
            f"conflicts.{DEADLINE_CONFLICT}" in changes and "calls[2026 call for proposals].closes" in changes
        )
        assert "conflicts.languages.english-page" not in changes  # within the grace days
        latest = store.latest()
        assert latest is not None
        assert "says 20 May 2026 12:00 JST; Japanese page" in latest.report_path.read_text()
        assert "(prevails) says 27 May 2026 12:00 JST" in latest.report_path.read_text()

        records, changes, written = day(4, 20)  # 10 days later, nothing new: a quiet day
        assert not written and changes == []

        records, changes, written = day(4, 27)  # 17 days after the Japanese change: the English page lags
        assert written and changes == ["conflicts.languages.english-page"]
        [flag] = [c for c in records["e-asia-jrp"].conflicts if c.field == "languages.english-page"]
        assert flag.values == {
            JA_LABEL: "changed on 2026-04-10",
            EN_LABEL: "English page not yet updated: unchanged since 2026-03-05 (14 days' grace)",
        }
        assert [c.field for c in records["crest"].conflicts] == []  # neither JST page changed
        latest = store.latest()
        assert latest is not None
        report = latest.report_path.read_text()
        assert "says English page not yet updated: unchanged since 2026-03-05 (14 days' grace)" in report

        serve("amed-ja-extended.html", "amed-en-extended.html")  # the English page catches up
        records, changes, _ = day(5, 1)
        assert records["e-asia-jrp"].conflicts == []
        # Both conflicts resolved: the differ reports the conflicts as one change (both → none).
        [resolved] = [c for c in outcome_changes(store) if c.category == "conflict"]
        assert changes == ["conflicts"] and set(resolved.old) == {DEADLINE_CONFLICT, "languages.english-page"}
        assert not resolved.new
        assert records["e-asia-jrp"].calls[0].closes == MAY_27


def test_a_paired_run_replays_to_no_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ingest.cli import main

    sources, snapshots = tmp_path / "sources", tmp_path / "snapshots"
    sources.mkdir()
    (sources / "sources.toml").write_text(
        SOURCES.replace("[languages]", "[extract]\nisolate = false\n\n[languages]")
    )
    with serve_sites() as (state, mirrors):
        state.faults[("www.amed.go.jp", JA_PATH)] = Fault(
            body=(FIXTURES / "amed-ja-extended.html").read_bytes()
        )
        state.faults[("www.amed.go.jp", EN_PATH)] = Fault(body=(FIXTURES / "amed-en.html").read_bytes())
        run(sources, snapshots, now=datetime(2026, 4, 10, tzinfo=UTC), rewrite_hosts=mirrors)
    capsys.readouterr()
    args = ["reextract", "--sources", str(sources), "--snapshots", str(snapshots), "--json", "--exit-code"]
    assert main(args) == 0  # before the replay marked the pair, the English call came back as a second call
    assert '"changes": []' in capsys.readouterr().out


def test_a_page_that_cannot_be_paired_is_read_as_before_and_says_why(tmp_path: Path) -> None:
    sources, snapshots = tmp_path / "sources", tmp_path / "snapshots"
    sources.mkdir()
    toml = SOURCES.split("[[source]]")[0] + "\n".join(
        [
            "[[source]]",
            'id = "amed-e-asia"',
            'kind = "html"',
            'url = "https://www.amed.go.jp/koubo/20/01/2001B_00101.html"',
            'allowed_domains = ["amed.go.jp"]',
            'programs = ["e-asia-jrp"]',
            "discover_counterpart = true",  # its only "English" link leads to the English home page
            "",
            "[[source]]",
            'id = "jst-crest-call"',
            'kind = "html"',
            f'url = "{JST_JA}"',
            'allowed_domains = ["jst.go.jp"]',
            'programs = ["crest"]',
            'counterpart = "https://www.example.org/crest/en/"',  # outside the allowed domains
        ]
    )
    (sources / "sources.toml").write_text(toml)
    with serve_sites() as (state, mirrors):
        outcome = run(sources, snapshots, now=datetime(2026, 4, 10, tzinfo=UTC), rewrite_hosts=mirrors)
        assert state.hits[("www.amed.go.jp", "/en/index.html")] == 0
    problems = {s.id: s.problems for s in outcome.sources}
    assert problems["amed-e-asia"] == [
        "not paired with another language: https://www.amed.go.jp/koubo/20/01/2001B_00101.html: "
        "no link to the English page was found"
    ]
    assert problems["jst-crest-call"] == [
        "not paired with another language: https://www.example.org/crest/en/: outside the allowed domains"
    ]
    assert all(s.status == "ok" for s in outcome.sources)
    assert outcome.snapshot is not None
    records = {r.id: r for r in outcome.snapshot.records}
    assert all(p.language is None for r in records.values() for p in r.provenance)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('counterpart = "ftp://www.amed.go.jp/en/"', "should match pattern"),
        ('language = "fr"', "'ja' or 'en'"),
        ("counterpart_grace_days = 3", "Extra inputs are not permitted"),
    ],
)
def test_the_language_settings_are_validated(tmp_path: Path, line: str, message: str) -> None:
    from ingest.errors import ConfigError
    from ingest.sources import load_sources

    (tmp_path / "sources.toml").write_text(SOURCES.replace("discover_counterpart = true", line))
    with pytest.raises(ConfigError, match=message):
        load_sources(tmp_path)
    (tmp_path / "sources.toml").write_text(SOURCES.replace("grace_days = 14", "grace_days = -1"))
    with pytest.raises(ConfigError, match=r"languages\.grace_days"):
        load_sources(tmp_path)
