"""The program-site fixtures (tests/fixtures/sites): every page, v1 and v2, gives exactly the expected
records; v1 agrees with the April 2025 reference document; CHANGES.md lists exactly the v1 → v2 changes;
and the pages look like the sites they imitate (lang, charset, boilerplate, PDF links, redirects)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from ingest.diff import diff_programs
from ingest.extract.decode import declared_charset, decode_html
from ingest.extract.html import extract_html
from ingest.models import Program
from ingest.normalize import clean_text

SITES = Path(__file__).parent / "fixtures" / "sites"
VERSIONS = ("v1", "v2")


# -- URL ↔ file, as a test server serves the fixtures ------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    version: str
    path: Path  # the file (for a v2 page that did not change, the v1 file)
    url: str  # the URL the page is fetched from (its final URL when it moved)

    @property
    def key(self) -> str:
        return self.path.relative_to(SITES / self.path.relative_to(SITES).parts[0]).as_posix()


def page_file(version: str, key: str) -> Path | None:
    """v2 holds only the pages that changed; every other page is served from v1."""
    for tree in dict.fromkeys((version, "v1")):
        if (SITES / tree / key).is_file():
            return SITES / tree / key
    return None


def redirects(version: str) -> dict[str, tuple[int, str]]:
    """`_redirects.tsv`: '<host><path>' → (status, '<host><path>')."""
    table = SITES / version / "_redirects.tsv"
    if not table.exists():
        return {}
    moves: dict[str, tuple[int, str]] = {}
    for line in table.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        source, status, target = line.split("\t")
        moves[source] = (int(status), target)
    return moves


def resolve(version: str, url: str) -> tuple[str, Path | None]:
    """What a test server gives for `url`: the final URL after redirects, and the file it serves."""
    location = url.removeprefix("https://")
    for _ in range(5):
        if location in redirects(version):
            location = redirects(version)[location][1]
            continue
        return "https://" + location, page_file(
            version, location + "index.html" if location.endswith("/") else location
        )
    raise AssertionError(f"redirect loop at {url}")


# The URLs the sources and the reference document use for pages served from an index.html.
DIRECTORY_URLS = ("https://www.jst.go.jp/aspire/en/", "https://www.jsps.go.jp/english/e-inv_researchers/")


def fixtures(version: str) -> list[Fixture]:
    """Every page the sites serve in `version` (v1 pages that moved away in v2 are not among them)."""
    moved = {source + ("index.html" if source.endswith("/") else "") for source in redirects(version)}
    keys = {
        path.relative_to(SITES / tree).as_posix()
        for tree in dict.fromkeys((version, "v1"))
        for path in (SITES / tree).rglob("*")
        if path.is_file() and not path.name.startswith("_")
    }
    found: list[Fixture] = []
    for key in sorted(keys - moved):
        path = page_file(version, key)
        assert path is not None
        url = "https://" + key
        directory = url.removesuffix("index.html")
        found.append(Fixture(version, path, directory if directory in DIRECTORY_URLS else url))
    return found


ALL_FIXTURES = [fixture for version in VERSIONS for fixture in fixtures(version)]


def extract(fixture: Fixture) -> tuple[str, list[Program]]:
    result = extract_html(fixture.path.read_bytes(), url=fixture.url, source_id="fixture")
    assert not result.fell_back and result.missing == []
    return result.extractor, result.programs


# -- expected records ----------------------------------------------------------------------------------------


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary(program: Program) -> dict[str, Any]:
    """A record in a form that is easy to write out: contacts and calls as tuples."""
    return {
        "id": program.id,
        "name": program.name,
        "agencies": program.agencies,
        "website": program.website,
        "links": program.links,
        "contacts": [(c.email, c.label, c.phone, c.address, c.rebuilt) for c in program.contacts],
        "calls": [
            (c.label, iso(c.opens), iso(c.closes), c.opens_precision, c.closes_precision, c.status)
            for c in program.calls
        ],
    }


def record(
    program_id: str,
    name: str,
    agency: str,
    *,
    website: str | None = None,
    links: list[str],
    contacts: list[tuple[Any, ...]],
    calls: list[tuple[Any, ...]] | None = None,
) -> dict[str, Any]:
    return {
        "id": program_id,
        "name": name,
        "agencies": [agency],
        "website": website,
        "links": links,
        "contacts": contacts,
        "calls": calls or [],
    }


JST = "https://www.jst.go.jp"
AMED = "https://www.amed.go.jp"
JST_RP = (
    "rp-info@jst.go.jp",
    "Department of Strategic Basic Research, Japan Science and Technology Agency",
    None,
    None,
    False,
)
JST_RP_JA = ("rp-info@jst.go.jp", "科学技術振興機構 戦略研究推進部", None, None, False)
ASPIRE_JST = [
    ("aspire@jst.go.jp", "ASPIRE for Top Scientists", None, None, False),
    ("aspirers@jst.go.jp", "ASPIRE for Rising Scientists", None, None, False),
]
AMED_ADDRESS = "23F Yomiuri Shimbun Bldg, 1-7-1, Otemachi, Chiyoda-ku, Tokyo, 100-0004 Japan"
AMED_INTL = "Department of International Affairs, International Collaboration Division"
AMED_INTL_RENAMED = "Department of International Strategy, Global Collaboration Division"
INTERSTELLAR = ("interstellar@amed.go.jp", AMED_INTL, "+81-3-6870-2216", AMED_ADDRESS, True)
NICHIBEI = ("nichibei@amed.go.jp", AMED_INTL, "+81-3-6870-2215", AMED_ADDRESS, True)
E_ASIA = (
    "e-asia@amed.go.jp",
    "国際戦略推進部 国際連携研究課",
    "03-6870-2229",
    "〒100-0004 東京都千代田区大手町1-7-1 読売新聞ビル21階",
    True,
)
JSPS_CONTACT = (
    "invitation@jsps.go.jp",
    "Overseas Fellowship Division, International Program Department, "
    "Japan Society for the Promotion of Science",
    "+81-3-3263-2480, 9094",
    "5-3-1 Kojimachi, Chiyoda-ku, Tokyo 102-0083, JAPAN",
    False,
)
JST_CALL_EN_LINKS = [
    f"{JST}/kisoken/boshuu/r7/en/index.html",
    f"{JST}/kisoken/boshuu/r7/en/pdf/guideline_ch1-5_en.pdf",
    f"{JST}/kisoken/boshuu/r7/en/doc/forms_en.docx",
    f"{JST}/kisoken/boshuu/r7/faq.html",
    f"{JST}/kisoken/crest/en/index.html",
    f"{JST}/kisoken/presto/en/index.html",
    "https://www.e-rad.go.jp/en/index.html",
]
JST_CALL_JA_LINKS = [
    f"{JST}/kisoken/boshuu/r7/index.html",
    f"{JST}/kisoken/boshuu/r7/pdf/boshuu_yoko_2025.pdf",
    f"{JST}/kisoken/boshuu/r7/faq.html",
]
FY2025 = "2025 call for proposals"
NOON = "T12:00:00+09:00"
JSPS_POSTDOC = "Postdoctoral Fellowships for Research in Japan (Standard)"
JSPS_INVITATIONAL = "Invitational Fellowships for Research in Japan"
JSPS_CALLS = [
    (f"{JSPS_POSTDOC}, FY2026, 1st recruitment", None, "2025-08-29T17:00:00+09:00", None, "minute", "dated"),
    (f"{JSPS_POSTDOC}, FY2026, 2nd recruitment", None, "2026-01-09T17:00:00+09:00", None, "minute", "dated"),
    (f"{JSPS_POSTDOC}, FY2025, 1st recruitment", None, "2024-08-30T17:00:00+09:00", None, "minute", "closed"),
    (f"{JSPS_POSTDOC}, FY2025, 2nd recruitment", None, "2025-01-10T17:00:00+09:00", None, "minute", "closed"),
    (f"{JSPS_INVITATIONAL}, FY2026, Long-term", None, "2025-09-05T17:00:00+09:00", None, "minute", "dated"),
    (
        f"{JSPS_INVITATIONAL}, FY2026, Short-term (1st recruitment)",
        None,
        "2025-09-05T17:00:00+09:00",
        None,
        "minute",
        "dated",
    ),
    (
        f"{JSPS_INVITATIONAL}, FY2026, Short-term (2nd recruitment)",
        None,
        "2026-05-08T17:00:00+09:00",
        None,
        "minute",
        "dated",
    ),
]
JSPS_LINKS = [
    "https://www.jsps.go.jp/english/e-inv_researchers/host.html",
    "https://www.jsps.go.jp/english/e-inv_researchers/data/FY2026_postdoc_guidelines.pdf",
    "https://www.jsps.go.jp/english/e-inv_researchers/data/FY2026_invitational_guidelines.pdf",
    "https://www.jsps.go.jp/english/e-inv_researchers/faq.html",
    "https://www.jsps.go.jp/english/e-inv_researchers/electronic.html",
]
HFSP_URL = "https://www.hfsp.org/funding/hfsp-funding/research-grants"
HFSP_LOI_ID = "Compulsory initiation of a letter of Intent by obtaining an LOI ID number (1XXXXXX)"
HFSP_LOI = "Submission of Letters of Intent"


def hfsp_record(loi_id: str, loi: str) -> dict[str, Any]:
    return record(
        "hfsp",
        "Human Frontier Science Program",
        "HFSPO",
        links=[
            HFSP_URL,
            "https://proposalcentral.com/",
            f"{HFSP_URL}/writing-letter-intent",
            "https://www.hfsp.org/sites/default/files/Funding/RG/Research_Grant_Guidelines.pdf",
        ],
        contacts=[],  # the footer's info@hfsp.org is boilerplate
        calls=[
            (HFSP_LOI_ID, None, loi_id, None, "day", "dated"),
            (HFSP_LOI, None, loi, None, "day", "dated"),
        ],
    )


EXPECTED_V1: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "www.jst.go.jp/kisoken/crest/en/index.html": (
        "jst-program",
        [
            record(
                "crest",
                "CREST",
                "JST",
                website=f"{JST}/kisoken/crest/en/index.html",
                links=[
                    f"{JST}/kisoken/boshuu/r7/en/index.html",
                    f"{JST}/kisoken/crest/en/pdf/crest_pamphlet_2025.pdf",
                ],
                contacts=[JST_RP],
            )
        ],
    ),
    "www.jst.go.jp/kisoken/presto/en/index.html": (
        "jst-program",
        [
            record(
                "presto",
                "PRESTO",
                "JST",
                website=f"{JST}/kisoken/presto/en/index.html",
                links=[
                    f"{JST}/kisoken/boshuu/r7/en/index.html",
                    f"{JST}/kisoken/presto/en/pdf/presto_pamphlet_2025.pdf",
                ],
                contacts=[JST_RP],
            )
        ],
    ),
    "www.jst.go.jp/kisoken/boshuu/r7/en/index.html": (
        "jst-call-en",
        [
            record(
                "crest",
                "CREST",
                "JST",
                links=JST_CALL_EN_LINKS,
                contacts=[JST_RP],
                calls=[(FY2025, "2025-04-10", f"2025-06-03{NOON}", "day", "minute", "dated")],
            ),
            record(
                "presto",
                "PRESTO",
                "JST",
                links=JST_CALL_EN_LINKS,
                contacts=[JST_RP],
                calls=[(FY2025, "2025-04-10", f"2025-05-27{NOON}", "day", "minute", "dated")],
            ),
        ],
    ),
    "www.jst.go.jp/kisoken/boshuu/r7/index.html": (
        "jst-call-ja",
        [
            record(
                "crest",
                "CREST",
                "JST",
                links=JST_CALL_JA_LINKS,
                contacts=[JST_RP_JA],
                calls=[(FY2025, "2025-04-10", f"2025-06-03{NOON}", "day", "minute", "dated")],
            ),
            record(
                "presto",
                "PRESTO",
                "JST",
                links=JST_CALL_JA_LINKS,
                contacts=[JST_RP_JA],
                calls=[(FY2025, "2025-04-10", f"2025-05-27{NOON}", "day", "minute", "dated")],
            ),
        ],
    ),
    "www.jst.go.jp/aspire/en/index.html": (
        "jst-program",
        [
            record(
                "aspire-jst",
                "Adopting Sustainable Partnerships for Innovative Research Ecosystem (ASPIRE)",
                "JST",
                website=f"{JST}/aspire/en/",
                links=[
                    f"{JST}/aspire/en/program_e/announce_e/announce_aspire2025_e.html",
                    f"{JST}/aspire/en/pdf/aspire_overview_en.pdf",
                ],
                contacts=ASPIRE_JST,
            )
        ],
    ),
    "www.jst.go.jp/aspire/en/program_e/announce_e/announce_aspire2025_e.html": (
        "jst-aspire-call",
        [
            record(
                "aspire-jst",
                "ASPIRE (JST)",
                "JST",
                links=[
                    f"{JST}/aspire/en/program_e/announce_e/announce_aspire2025_e.html",
                    f"{JST}/aspire/program/announce/announce_aspire2025.html",
                    f"{JST}/aspire/en/program_e/announce_e/pdf/aspire2025_guideline_e.pdf",
                    f"{JST}/aspire/en/program_e/announce_e/pdf/aspire2025_faq_e.pdf",
                ],
                contacts=ASPIRE_JST,
                calls=[
                    (
                        "2025 Call for Japan based researchers",
                        "2025-03-03",
                        f"2025-05-12{NOON}",
                        "day",
                        "minute",
                        "dated",
                    )
                ],
            )
        ],
    ),
    "www.amed.go.jp/en/program/list/20/02/002.html": (
        "amed-en-program",
        [
            record(
                "interstellar-initiative",
                "International Collaborative Research Program on Medical Science and Technology "
                "(Interstellar Initiative)",
                "AMED",
                website=f"{AMED}/en/program/list/20/02/002.html",
                links=[f"{AMED}/en/news/program/2001B_00041.html", f"{AMED}/content/000139870.pdf"],
                contacts=[INTERSTELLAR],
            )
        ],
    ),
    "www.amed.go.jp/en/program/list/20/01/007.html": (
        "amed-en-program",
        [
            record(
                "us-japan-cmsp",
                "U.S.-Japan Cooperative Medical Sciences Program",
                "AMED",
                website=f"{AMED}/en/program/list/20/01/007.html",
                links=[f"{AMED}/en/news/program/0301B_00035.html", f"{AMED}/content/000139912.pdf"],
                contacts=[NICHIBEI],
            )
        ],
    ),
    "www.amed.go.jp/en/program/list/20/01/009.html": (
        "amed-en-program",
        [
            record(
                "aspire-amed",
                "Advanced International Collaborative Research Program - "
                "Adopting Sustainable Partnerships for Innovative Research Ecosystem (ASPIRE)",
                "AMED",
                website=f"{AMED}/en/program/list/20/01/009.html",
                links=[f"{AMED}/content/000139955.pdf"],
                contacts=[
                    (
                        "amed-aspire@amed.go.jp",
                        "Department of International Affairs, ASPIRE Office",
                        None,
                        None,
                        True,
                    )
                ],
            )
        ],
    ),
    "www.amed.go.jp/en/program/list/20/02/001.html": (
        "amed-en-program",
        [
            record(
                "hfsp",
                "Human Frontier Science Program (HFSP)",
                "AMED",
                website=f"{AMED}/en/program/list/20/02/001.html",
                links=["https://www.hfsp.org/", HFSP_URL, f"{AMED}/content/000139801.pdf"],
                contacts=[],
            )
        ],
    ),
    "www.amed.go.jp/en/news/program/2001B_00041.html": (
        "amed-en-call",
        [
            record(
                "interstellar-initiative",
                "Interstellar Initiative",
                "AMED",
                links=[
                    f"{AMED}/en/news/program/2001B_00041.html",
                    f"{AMED}/en/program/list/20/02/002.html",
                    f"{AMED}/content/000140001.pdf",
                    f"{AMED}/content/000140002.pdf",
                    "https://www.nyas.org/programs/interstellar-initiative/",
                ],
                contacts=[INTERSTELLAR],
                calls=[(FY2025, "2025-04-15", "2025-05-22T13:00:00+09:00", "day", "minute", "dated")],
            )
        ],
    ),
    "www.amed.go.jp/en/news/program/0301B_00035.html": (
        "amed-en-call",
        [
            record(
                "us-japan-cmsp",
                "U.S.-Japan Cooperative Medical Sciences Program",
                "AMED",
                links=[
                    f"{AMED}/en/news/program/0301B_00035.html",
                    f"{AMED}/en/program/list/20/01/007.html",
                    f"{AMED}/content/000140120.pdf",
                    f"{AMED}/content/000140121.docx",
                ],
                contacts=[NICHIBEI],
                calls=[(FY2025, None, "2025-06-03T12:59:00+09:00", None, "minute", "dated")],
            )
        ],
    ),
    "www.amed.go.jp/koubo/20/01/2001B_00101.html": (
        "amed-ja",
        [
            record(
                "e-asia-jrp",
                "SICORP e-ASIA Joint Research Program",
                "AMED",
                website=f"{AMED}/koubo/20/01/2001B_00101.html",
                links=[
                    f"{AMED}/content/000138511.pdf",
                    f"{AMED}/content/000138512.docx",
                    f"{AMED}/content/000138600.pdf",
                    "https://www.the-easia.org/jrp/",
                    "https://www.e-rad.go.jp/",
                ],
                contacts=[E_ASIA],
                # the opening date is the body text's 公募期間, which ends at the table's deadline
                calls=[(FY2025, "2025-01-20", f"2025-03-31{NOON}", "day", "minute", "dated")],
            )
        ],
    ),
    "www.jsps.go.jp/english/e-inv_researchers/index.html": (
        "jsps-en",
        [
            record(
                "jsps-international-fellowships",
                "JSPS International Fellowships for Research in Japan",
                "JSPS",
                website="https://www.jsps.go.jp/english/e-inv_researchers/",
                links=JSPS_LINKS,
                contacts=[JSPS_CONTACT],
                calls=JSPS_CALLS,
            )
        ],
    ),
    "www.hfsp.org/funding/hfsp-funding/research-grants": ("hfsp", [hfsp_record("2025-03-18", "2025-03-27")]),
}


def expected_v2() -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """v1 with the edits CHANGES.md describes."""
    expected = copy.deepcopy(EXPECTED_V1)

    def only(key: str, index: int = 0) -> dict[str, Any]:
        return expected[key][1][index]

    for key in (
        "www.jst.go.jp/kisoken/boshuu/r7/en/index.html",
        "www.jst.go.jp/kisoken/boshuu/r7/index.html",
    ):
        only(key)["calls"] = [(FY2025, "2025-04-10", f"2025-06-10{NOON}", "day", "minute", "dated")]
    aspire = only("www.jst.go.jp/aspire/en/program_e/announce_e/announce_aspire2025_e.html")
    aspire["calls"] = [(*aspire["calls"][0][:5], "closed")]
    for key in (
        "www.amed.go.jp/en/program/list/20/01/007.html",
        "www.amed.go.jp/en/news/program/0301B_00035.html",
    ):
        only(key)["contacts"] = [(NICHIBEI[0], AMED_INTL_RENAMED, *NICHIBEI[2:])]
    only("www.amed.go.jp/en/program/list/20/01/009.html")["contacts"] = [
        (
            "aspire-healthcare@amed.go.jp",
            "Department of International Affairs, ASPIRE Office",
            None,
            None,
            True,
        )
    ]
    only("www.amed.go.jp/koubo/20/01/2001B_00101.html")["calls"] = [
        (FY2025, "2025-01-20", f"2025-04-14{NOON}", "day", "minute", "dated")
    ]
    expected["www.hfsp.org/funding/hfsp-funding/research-grants"] = (
        "hfsp",
        [hfsp_record("2026-03-17", "2026-03-26")],
    )
    jsps = expected.pop("www.jsps.go.jp/english/e-inv_researchers/index.html")
    jsps[1][0]["website"] = "https://www.jsps.go.jp/english/international-fellowships/index.html"
    expected["www.jsps.go.jp/english/international-fellowships/index.html"] = jsps
    return expected


EXPECTED = {"v1": EXPECTED_V1, "v2": expected_v2()}


def test_every_fixture_page_has_an_expectation() -> None:
    for version in VERSIONS:
        assert sorted(f.key for f in fixtures(version)) == sorted(EXPECTED[version])


@pytest.mark.parametrize("fixture", ALL_FIXTURES, ids=lambda f: f"{f.version}/{f.key}")
def test_page_gives_the_expected_records(fixture: Fixture) -> None:
    extractor, programs = extract(fixture)
    expected_extractor, expected_records = EXPECTED[fixture.version][fixture.key]
    assert extractor == expected_extractor
    assert [summary(program) for program in programs] == expected_records


@pytest.mark.parametrize("fixture", ALL_FIXTURES, ids=lambda f: f"{f.version}/{f.key}")
def test_provenance_lists_the_fields_the_page_supplied(fixture: Fixture) -> None:
    _, programs = extract(fixture)
    for program in programs:
        [provenance] = program.provenance
        assert provenance.url == fixture.url
        supplied = {"name", "agencies", "links"} | {
            f for f in ("website", "contacts", "calls", "summary") if getattr(program, f)
        }
        assert set(provenance.fields) == supplied


def test_hfsp_summary_names_the_grant_types_of_each_version() -> None:
    page = "www.hfsp.org/funding/hfsp-funding/research-grants"
    v1 = extract(Fixture("v1", SITES / "v1" / page, HFSP_URL))[1][0]
    v2 = extract(Fixture("v2", SITES / "v2" / page, HFSP_URL))[1][0]
    assert v1.summary.endswith("two categories: Young Investigators' Grants and Program Grants.")
    assert v2.summary.endswith(
        "two categories: Research Grants – Early Career and Research Grants – Program."
    )


# -- v1 agrees with the reference document ------------------------------------------------------------------

# program id → (website, contact addresses, closing moment of the 2025 call or None) as the April 2025
# reference document prints them.
VARIES = "varies"
UNSTATED = "unstated"  # the reference gives no dates: the site may
REFERENCE: dict[str, tuple[str | None, set[str], str | None]] = {
    "crest": (f"{JST}/kisoken/crest/en/index.html", {"rp-info@jst.go.jp"}, f"2025-06-03{NOON}"),
    "presto": (f"{JST}/kisoken/presto/en/index.html", {"rp-info@jst.go.jp"}, f"2025-05-27{NOON}"),
    "interstellar-initiative": (
        f"{AMED}/en/program/list/20/02/002.html",
        {"interstellar@amed.go.jp"},
        "2025-05-22T13:00:00+09:00",
    ),
    "us-japan-cmsp": (
        f"{AMED}/en/program/list/20/01/007.html",
        {"nichibei@amed.go.jp"},
        "2025-06-03T12:59:00+09:00",
    ),
    "e-asia-jrp": (
        f"{AMED}/koubo/20/01/2001B_00101.html",
        {"e-asia@amed.go.jp"},
        "2025-03",
    ),  # "End of March 2025"
    "aspire-jst": (f"{JST}/aspire/en/", {"aspire@jst.go.jp", "aspirers@jst.go.jp"}, f"2025-05-12{NOON}"),
    "aspire-amed": (f"{AMED}/en/program/list/20/01/009.html", {"amed-aspire@amed.go.jp"}, None),  # "TBD"
    # "Depends on programs": the page gives one deadline per program, fiscal year and recruitment
    "jsps-international-fellowships": (
        "https://www.jsps.go.jp/english/e-inv_researchers/",
        {"invitation@jsps.go.jp"},
        VARIES,
    ),
    "hfsp": (f"{AMED}/en/program/list/20/02/001.html", set(), UNSTATED),
}


def test_v1_agrees_with_the_reference_document() -> None:
    by_id: dict[str, list[Program]] = {}
    for fixture in fixtures("v1"):
        for program in extract(fixture)[1]:
            by_id.setdefault(program.id, []).append(program)
    assert set(by_id) == set(REFERENCE)
    for program_id, (website, addresses, closes) in REFERENCE.items():
        records = by_id[program_id]
        assert {r.website for r in records if r.website} == {website}, program_id
        assert {c.email for r in records for c in r.contacts} == addresses, program_id
        found = {iso(call.closes) for r in records for call in r.calls}
        if closes is None:
            assert found == set(), program_id
        elif closes == UNSTATED:
            continue
        elif closes == VARIES:
            assert len(found) > 1, program_id
        else:
            assert found and all(str(value).startswith(closes) for value in found), program_id
    hfsp_links = {link for r in by_id["hfsp"] for link in r.links}
    assert HFSP_URL in hfsp_links


# -- CHANGES.md lists exactly what changed -------------------------------------------------------------------


def short(value: Any) -> str:
    """A diff value as CHANGES.md writes it: text as is, a contacts mapping as its addresses."""
    if isinstance(value, dict):
        return ", ".join(sorted(value))
    return "" if value is None else str(value)


def changes_table() -> set[tuple[str, str, str, str, str]]:
    rows: set[tuple[str, str, str, str, str]] = set()
    for line in (SITES / "CHANGES.md").read_text("utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and line.startswith("| ") and cells[0] not in ("program", "---"):
            rows.add((cells[0], cells[1], cells[2], cells[3], cells[4]))
    return rows


def computed_changes() -> set[tuple[str, str, str, str, str]]:
    moves = redirects("v2")
    rows: set[tuple[str, str, str, str, str]] = set()
    for old in fixtures("v1"):
        final_url, new_file = resolve("v2", old.url)
        assert new_file is not None, f"{old.url} is gone in v2 without a redirect"
        new = Fixture("v2", new_file, final_url)
        assert (new.key == old.key) != (old.key in moves or old.url.removeprefix("https://") in moves)
        for change in diff_programs(extract(old)[1], extract(new)[1]):
            rows.add((change.program, old.key, change.field, short(change.old), short(change.new)))
    return rows


def test_changes_md_lists_exactly_the_v1_to_v2_changes() -> None:
    documented, found = changes_table(), computed_changes()
    assert documented, "CHANGES.md has no change table"
    assert found - documented == set(), "changes missing from CHANGES.md"
    assert documented - found == set(), "CHANGES.md lists changes the pages do not make"


def test_every_v2_change_is_review_worthy_except_the_renamed_grant_types() -> None:
    flagged = {row[0] for row in computed_changes() if not row[2].startswith("summary")}
    assert flagged == {
        "crest",
        "aspire-jst",
        "us-japan-cmsp",
        "aspire-amed",
        "e-asia-jrp",
        "hfsp",
        "jsps-international-fellowships",
    }


# -- the fixture tree itself ----------------------------------------------------------------------


def test_redirects_point_from_a_v1_page_to_a_v2_page() -> None:
    moves = redirects("v2")
    assert moves, "v2 should move at least one page"
    for source, (status, target) in moves.items():
        assert status in (301, 302, 308)
        v1_file = SITES / "v1" / (source + "index.html" if source.endswith("/") else source)
        assert v1_file.is_file(), source
        assert v1_file.relative_to(SITES / "v1").as_posix() not in {f.key for f in fixtures("v2")}
        assert page_file("v2", target) is not None, target


def test_v1_directory_urls_are_served_from_index_html() -> None:
    for url in DIRECTORY_URLS:
        final_url, file = resolve("v1", url)
        assert (final_url, file is not None) == (url, True)
    assert (
        resolve("v2", DIRECTORY_URLS[1])[0]
        == "https://www.jsps.go.jp/english/international-fellowships/index.html"
    )
    assert resolve("v1", "https://www.jst.go.jp/no/such/page.html")[1] is None


@pytest.mark.parametrize("fixture", ALL_FIXTURES, ids=lambda f: f"{f.version}/{f.key}")
def test_page_looks_like_its_site(fixture: Fixture) -> None:
    data = fixture.path.read_bytes()
    text, encoding = decode_html(data, None)
    soup = BeautifulSoup(text, "lxml")
    is_japanese = "/koubo/" in fixture.key or re.search(r"/boshuu/r\d+/index\.html$", fixture.key)
    assert soup.html is not None and soup.html.get("lang") == ("ja" if is_japanese else "en")
    if fixture.key.endswith("2001B_00101.html"):
        assert (declared_charset(data), encoding) == ("Shift_JIS", "shift_jis")
        assert "１２時" in text and "（月）" in text  # full-width forms the extractors must fold
    else:
        assert (declared_charset(data), encoding) == ("utf-8", "utf-8")
    # agency chrome outside the main content, which the extractors must ignore
    assert soup.select("#header, header") and soup.select("#footer, footer")
    assert soup.select("nav, #gnav, #gNav, .headerNav, [role=navigation]")
    # a document link with its size, as the agencies print them
    documents = [clean_text(a.get_text()) for a in soup.find_all("a", href=re.compile(r"\.pdf$"))]
    assert any(re.search(r"\(PDF:\s?[\d.]+\s?[KM]B\)", label) for label in documents), documents
    if "amed.go.jp" in fixture.key:
        assert re.search(r"Change log|更新履歴", text)
