"""Program ids derived from titles: distinct programs never share one (issue 12).

The benchmark's 1,000 generated pages gave 975 records: a derived id was cut at 60 characters, so
"FY2025 Cultural Heritage Digitisation Collaborative R&D Program No. 0016" and "… No. 0017" became
one program. The titles below are generated here in the same shape (agency prefix year, theme,
kind, "No. NNNN"), so the test needs nothing outside the repository.
"""

from __future__ import annotations

import importlib.util
import itertools
import random
import re
import sys
from pathlib import Path

import pytest

from ingest.extract.catalogue import derive_id, load_catalogue
from ingest.extract.html import extract_html

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
    "Interdisciplinary Computational Social Science and Humanities",
]
KINDS = [
    "Research Grant",
    "Open Call",
    "Feasibility Study Program",
    "Collaborative R&D Program",
    "Fellowship",
    "Innovation Challenge",
    "International Joint Research Program for Early-Career Investigators",
]
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # models.Program.id


def generated_titles(n: int, seed: int = 1, year: int = 2025) -> list[str]:
    rng = random.Random(seed)
    return [f"FY{year} {rng.choice(THEMES)} {rng.choice(KINDS)} No. {i:04d}" for i in range(1, n + 1)]


def test_distinct_generated_titles_get_distinct_ids() -> None:
    catalogue = load_catalogue()
    titles = generated_titles(10_000)  # numbers 2000-2099 look like years: they must stay too
    ids = [catalogue.identify(title, []) for title in titles]
    assert len(set(ids)) == len(titles)
    assert all(ID_PATTERN.match(id_) and len(id_) <= 60 for id_ in ids)


def test_every_theme_and_kind_with_the_same_number_stays_apart() -> None:
    titles = [f"{theme} {kind} No. 0001" for theme, kind in itertools.product(THEMES, KINDS)]
    assert len({derive_id(title) for title in titles}) == len(titles)


def test_a_long_title_keeps_its_start_and_is_told_apart_by_a_hash() -> None:
    a = derive_id("FY2025 Cultural Heritage Digitisation Collaborative R&D Program No. 0016")
    b = derive_id("FY2025 Cultural Heritage Digitisation Collaborative R&D Program No. 0017")
    assert a != b
    assert a.startswith("cultural-heritage-digitisation-collaborative-r-d-")
    assert len(a) <= 60 and ID_PATTERN.match(a)


def test_next_years_edition_keeps_the_id() -> None:
    for old, new in zip(generated_titles(300, year=2025), generated_titles(300, year=2026), strict=True):
        assert derive_id(old) == derive_id(new)
    long = "Cultural Heritage Digitisation Collaborative R&D Program No. 0016"
    assert derive_id(f"FY2025 {long}") == derive_id(f"FY2026 {long}") == derive_id(f"{long} (FY2027)")


def test_a_program_number_that_looks_like_a_year_is_kept() -> None:
    assert derive_id("FY2025 AI Safety Fellowship No. 2025") == "ai-safety-fellowship-no-2025"
    assert derive_id("FY2025 AI Safety Fellowship No. 2026") == "ai-safety-fellowship-no-2026"
    assert derive_id("2025 call for proposals: AI Safety Fellowship #2001") == "ai-safety-fellowship-2001"


def test_acronym_ids_keep_their_number() -> None:
    assert derive_id("Forest Research Exchange (FOREST)") == "forest"  # tests/test_modified_edition.py
    assert derive_id("Forest Research Exchange (FOREST) No. 1") != derive_id(
        "Forest Research Exchange (FOREST) No. 2"
    )
    assert derive_id("AI Safety Fellowship (FY2025)") == derive_id("AI Safety Fellowship (FY2026)")


@pytest.mark.parametrize(
    ("title", "agencies", "expected"),
    [
        ("Strategic Basic Research Programs CREST", ["JST"], "crest"),
        ("FY2025 CREST No. 0001", ["JST"], "crest"),
        ("Interstellar Initiative No. 3", [], "interstellar-initiative"),
        ("ASPIRE for Rising Scientists", ["AMED"], "aspire-amed"),
        ("Human Frontier Science Program (HFSP) Research Grants", [], "hfsp"),
        ("JSPS International Fellowships for Research in Japan", ["JSPS"], "jsps-international-fellowships"),
    ],
)
def test_known_programs_keep_their_catalogue_ids(title: str, agencies: list[str], expected: str) -> None:
    assert load_catalogue().identify(title, agencies) == expected


def _page(title: str, number: int) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Research Promotion Council</title></head><body><main><h1>{title}</h1>
<p>Applications must be submitted through the online application system before the deadline.</p>
<table><tr><th>Call period</th><td>April 10, 2025 – Noon (12:00 JST), June 3, 2025</td></tr></table>
<p>E-mail: <a href="mailto:call-{number:04d}@example.go.jp">call-{number:04d}@example.go.jp</a></p>
</main></body></html>"""


def test_generated_pages_through_the_extractor_give_one_program_each() -> None:
    titles = [t for t in generated_titles(400) if "Cultural Heritage" in t or "Interdisciplinary" in t]
    assert len(titles) > 20  # the long titles that used to merge
    ids = [
        program.id
        for number, title in enumerate(titles, 1)
        for program in extract_html(
            _page(title, number), url=f"http://127.0.0.1/p-{number:04d}.html"
        ).programs
    ]
    assert len(ids) == len(set(ids)) == len(titles)


MAKE_SITE = Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_site.py"


@pytest.mark.skipif(not MAKE_SITE.exists(), reason="../shared/bench/make_site.py is not present")
def test_the_benchmark_site_titles_give_one_id_each() -> None:
    spec = importlib.util.spec_from_file_location("make_site", MAKE_SITE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_site", module)
    spec.loader.exec_module(module)
    rng = random.Random(1)
    titles = [module.make_record(i, rng)["title"] for i in range(1, 1001)]
    catalogue = load_catalogue()
    assert len({catalogue.identify(title, []) for title in titles}) == len(set(titles)) == 1000


def test_japanese_titles_are_told_apart_and_keep_their_id_across_editions() -> None:
    """slugify keeps only ASCII, so every 令和8年度… title once became the id "8" and distinct
    Japanese programs merged into one record."""
    international = derive_id("令和8年度 国際共同研究プログラム 公募")
    medical = derive_id("令和8年度「医療分野国際科学技術共同研究開発推進事業」公募")
    assert international != medical and international.startswith("ja-") and medical.startswith("ja-")
    assert "8" not in (international, medical)
    assert derive_id("令和7年度 国際共同研究プログラム 公募") == international  # next edition, same id
    assert derive_id("２０２６年度 国際共同研究プログラム　募集要項") == international  # full-width, 西暦
    assert derive_id("第3回 国際共同研究プログラム 公募のお知らせ") == international
    assert derive_id("2026年度 戦略的国際共同研究プログラム（SICORP） 公募") == "sicorp"  # an acronym reads


def test_generated_japanese_titles_get_distinct_ids() -> None:
    rng = random.Random(7)
    themes = ["感染症", "再生医療", "脳科学", "がん", "創薬基盤", "医療機器", "ゲノム", "公衆衛生"]
    kinds = ["国際共同研究", "若手研究者派遣", "研究開発推進事業", "国際連携拠点"]
    titles = {f"令和{rng.randint(1, 9)}年度 {theme}{kind}プログラム" for theme in themes for kind in kinds}
    assert len({derive_id(title) for title in titles}) == len({t.split(" ", 1)[1] for t in titles})
