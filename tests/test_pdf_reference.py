"""The reference PDF (sources/funding-programs-overseas-2025-04.pdf) → exactly the 11 programs it lists.

Expected values are read off the printed document by hand; they are the contract the extractor must meet.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from pdf_fixtures import REFERENCE_PDF, ingest_command, records_by_id, sha256_file
from pdf_fixtures import reference_records as reference_records  # fixture

AFFILIATED, MOVING, MEMBER = "affiliated-overseas", "moving-to-japan", "member-of-japanese-team"

# id → (name as printed, agencies, website, [(email, label)], categories, pages)
EXPECTED: dict[str, tuple[str, list[str], str | None, list[tuple[str, str | None]], list[str], list[int]]] = {
    "crest": (
        "CREST",
        ["JST"],
        "https://www.jst.go.jp/kisoken/crest/en/index.html",
        [("rp-info@jst.go.jp", None)],
        [AFFILIATED],
        [1],
    ),
    "interstellar-initiative": (
        "International Collaborative Research Program on Medical Science and Technology "
        "(Interstellar Initiative)",
        ["AMED"],
        "https://www.amed.go.jp/en/program/list/20/02/002.html",
        [("interstellar@amed.go.jp", None)],
        [AFFILIATED, MOVING],  # printed under two headings: one record with both
        [1, 3],
    ),
    "us-japan-cmsp": (
        "U.S.-Japan Cooperative Medical Sciences Program Collaborative Awards "
        "(FY 2025 Infectious Diseases and Immunology Research)",
        ["AMED"],
        "https://www.amed.go.jp/en/program/list/20/01/007.html",
        [("nichibei@amed.go.jp", None)],
        [AFFILIATED],
        [1, 2],
    ),
    "e-asia-jrp": (
        "International Collaborative Research Program: Strategic International Collaborative Research "
        "Program (SICORP) e-ASIA Joint Research Program",
        ["AMED"],
        "https://www.amed.go.jp/koubo/20/01/2001B_00101.html",
        [("e-asia@amed.go.jp", None)],
        [AFFILIATED],
        [2],
    ),
    "presto": (
        "PRESTO",
        ["JST"],
        "https://www.jst.go.jp/kisoken/presto/en/index.html",
        [("rp-info@jst.go.jp", None)],
        [MOVING],
        [2, 3],  # the title is the last line of page 2
    ),
    "jsps-international-fellowships": (
        "JSPS International Fellowships for Research in Japan",
        ["JSPS"],
        "https://www.jsps.go.jp/english/e-inv_researchers/",
        [("invitation@jsps.go.jp", None)],
        [MOVING],
        [3],
    ),
    "aspire-jst": (
        "Adopting Sustainable Partnerships for Innovative Research Ecosystem (ASPIRE)",
        ["JST"],
        "https://www.jst.go.jp/aspire/en/",
        [
            ("aspire@jst.go.jp", "ASPIRE for Top Scientists"),
            ("aspirers@jst.go.jp", "ASPIRE for Rising Scientists"),
        ],
        [MEMBER],
        [3, 4],
    ),
    "aspire-amed": (
        "Advanced International Collaborative Research Program - Adopting Sustainable Partnerships for "
        "Innovative Research Ecosystem (ASPIRE)",
        ["AMED"],
        "https://www.amed.go.jp/en/program/list/20/01/009.html",
        [("amed-aspire@amed.go.jp", None)],
        [MEMBER],
        [4],
    ),
    "jst-overseas-travel": ("Others", ["JST"], None, [], [MEMBER], [4]),
    "jsps-overseas-travel": (
        "Research Funding for Overseas Travel under JSPS Programs",
        ["JSPS"],
        None,
        [],
        [MEMBER],
        [4, 5],
    ),
    "hfsp": (
        "Human Frontier Science Program (HFSP)",
        ["AMED", "HFSPO"],
        "https://www.amed.go.jp/en/program/list/20/02/001.html",  # "Program Description:", AMED's page
        [],
        [MEMBER],
        [5],
    ),
}

_DAY, _MINUTE = "day", "minute"
# id → the expected calls, each compared on the keys given (model_dump(mode="json") values)
CALLS: dict[str, list[dict[str, Any]]] = {
    "crest": [
        {"opens": "2025-04-10", "closes": "2025-06-03T12:00:00+09:00", "opens_precision": _DAY}
        | {"closes_precision": _MINUTE, "status": "dated"}
    ],
    "interstellar-initiative": [
        {"opens": "2025-04-15", "closes": "2025-05-22T13:00:00+09:00", "opens_precision": _DAY}
        | {"closes_precision": _MINUTE, "status": "dated"}
    ],
    "us-japan-cmsp": [
        {"opens": None, "closes": "2025-06-03T12:59:00+09:00", "closes_precision": _MINUTE, "status": "dated"}
    ],
    "e-asia-jrp": [{"opens": None, "closes": "2025-03-31", "closes_precision": "month", "status": "dated"}],
    "presto": [
        {"opens": "2025-04-10", "closes": "2025-05-27T12:00:00+09:00", "opens_precision": _DAY}
        | {"closes_precision": _MINUTE, "status": "dated"}
    ],
    "jsps-international-fellowships": [{"opens": None, "closes": None, "status": "varies"}],
    "aspire-jst": [
        {"opens": "2025-03-03", "closes": "2025-05-12T12:00:00+09:00", "opens_precision": _DAY}
        | {"closes_precision": _MINUTE, "status": "dated"}
    ],
    "aspire-amed": [{"opens": None, "closes": None, "status": "tbd"}],
    "jst-overseas-travel": [],
    "jsps-overseas-travel": [],
    "hfsp": [],
}

# id → (sentences eligibility must contain, sentences it must not: they describe, they do not restrict)
ELIGIBILITY: dict[str, tuple[list[str], list[str]]] = {
    "crest": (
        [
            "A CREST PI in Japan must add a researcher (of any nationality) affiliated with that overseas "
            'institution as a "Co-PI" in their CREST research team',
            "JST must authorize the addition of the overseas Co-PI to the PI's research team.",
        ],
        [],
    ),
    "us-japan-cmsp": (
        [
            "Proposals must be submitted by the Principal Investigator (PI) from the Japanese team, "
            "representing the entire team that includes researchers from Japan, the U.S., and potentially "
            "other Asian countries."
        ],
        ["This program supports collaborative research between Japan and the U.S. on diseases prevalent"],
    ),
    "e-asia-jrp": (
        [
            "Australia: National Health and Medical Research Council (NHMRC)",
            "China: National Natural Science Foundation of China (NSFC)",
            "Indonesia: National Research and Innovation Agency (BRIN)",
            "Japan: Japan Agency for Medical Research and Development (AMED)",
            "Malaysia: Academy of Sciences Malaysia (ASM)",
            "Philippines: Department of Science and Technology (DOST-PCHRD)",
            "Singapore: Agency for Science, Technology and Research (A*STAR)",
            "Thailand: Program Management Unit for Human Resources & Institutional Development, Research and "
            "Innovation (PMU-B)",  # wrapped over two lines in the PDF
            "United States of America: National Institute of Allergy and Infectious Diseases (NIAID)",
            "Vietnam: Ministry of Science and Technology (MOST)",
        ],
        [
            "Supports multilateral research collaborations among East Asian Summit (EAS) countries",
            "aims to develop a vibrant and collaborative research community",
        ],
    ),
    "presto": (["you (regardless of nationality) can be employed by JST"], []),
}


def _flat(text: str) -> str:
    """Line breaks inside a field are layout, not content."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def records(reference_records: list) -> dict[str, Any]:
    return records_by_id(reference_records)


def test_exactly_the_eleven_programs(reference_records: list) -> None:
    ids = [record.id for record in reference_records]
    assert sorted(ids) == sorted(EXPECTED)
    assert len(ids) == len(set(ids))  # the Interstellar Initiative is one record, not two


@pytest.mark.parametrize("program_id", list(EXPECTED))
def test_identity_contacts_and_categories(records: dict[str, Any], program_id: str) -> None:
    name, agencies, website, contacts, categories, _ = EXPECTED[program_id]
    record = records[program_id]
    assert record.name == name
    assert record.agencies == agencies
    assert record.website == website
    assert [(contact.email, contact.label) for contact in record.contacts] == contacts
    assert record.categories == categories


@pytest.mark.parametrize("program_id", list(CALLS))
def test_calls(records: dict[str, Any], program_id: str) -> None:
    calls = records[program_id].model_dump(mode="json")["calls"]
    assert len(calls) == len(CALLS[program_id]), calls
    for call, expected in zip(calls, CALLS[program_id], strict=True):
        assert {key: call[key] for key in expected} == expected, call["raw"]


@pytest.mark.parametrize("program_id", list(ELIGIBILITY))
def test_eligibility_has_the_conditions_not_the_description(records: dict[str, Any], program_id: str) -> None:
    required, excluded = ELIGIBILITY[program_id]
    eligibility = _flat(records[program_id].eligibility)
    for sentence in required:
        assert sentence in eligibility
    for sentence in excluded:
        assert sentence not in eligibility


def test_descriptive_sentences_are_the_summary(records: dict[str, Any]) -> None:
    summary = _flat(records["us-japan-cmsp"].summary)
    assert "This program supports collaborative research between Japan and the U.S." in summary
    assert "Supports multilateral research collaborations" in _flat(records["e-asia-jrp"].summary)


@pytest.mark.parametrize(
    ("program_id", "link"),
    [
        ("interstellar-initiative", "https://www.amed.go.jp/en/news/program/2001B_00041.html"),
        ("us-japan-cmsp", "https://www.amed.go.jp/en/news/program/0301B_00035.html"),
        ("hfsp", "https://www.hfsp.org/funding/hfsp-funding/research-grants"),
    ],
)
def test_links(records: dict[str, Any], program_id: str, link: str) -> None:
    assert link in records[program_id].links


@pytest.mark.parametrize("program_id", list(EXPECTED))
def test_provenance(records: dict[str, Any], program_id: str) -> None:
    provenance = records[program_id].provenance
    assert sorted({page for source in provenance for page in source.pages}) == EXPECTED[program_id][5]
    assert {source.content_sha256 for source in provenance} == {sha256_file(REFERENCE_PDF)}


def test_cli_prints_the_records_as_json() -> None:
    result = subprocess.run(
        [ingest_command(), "extract", str(REFERENCE_PDF)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    assert sorted(record["id"] for record in records) == sorted(EXPECTED)
    crest = next(record for record in records if record["id"] == "crest")
    assert crest["calls"][0]["closes"] == "2025-06-03T12:00:00+09:00"
