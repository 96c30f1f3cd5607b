"""`ingest check` lists every page a run would fetch for a source, its language counterpart included:
a declared counterpart by its URL, a discovered one as the page's own link."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.cli import main

SOURCES = """[[source]]
id = "jst-crest-call"
kind = "html"
url = "https://www.jst.go.jp/kisoken/boshuu/r7/index.html"
allowed_domains = ["jst.go.jp"]
programs = ["crest"]
counterpart = "https://www.jst.go.jp/kisoken/boshuu/r7/en/index.html"
language = "ja"

[[source]]
id = "amed-e-asia-r8"
kind = "html"
url = "https://www.amed.go.jp/koubo/26/02/2602B_00011.html"
allowed_domains = ["amed.go.jp"]
programs = ["e-asia-jrp"]
follow = [{ pattern = '/koubo/26/02/\\d+B_\\d+\\.html$' }]
discover_counterpart = true

[[source]]
id = "amed-elsewhere"
kind = "html"
url = "https://www.amed.go.jp/koubo/26/02/2602B_00013.html"
allowed_domains = ["amed.go.jp"]
programs = ["e-asia-jrp"]
counterpart = "https://www.example.org/en/2602B_00013.html"

[[source]]
id = "jsps-fellowships"
kind = "html"
url = "https://www.jsps.go.jp/english/e-inv_researchers/"
allowed_domains = ["jsps.go.jp"]
programs = ["jsps-international-fellowships"]
"""


def test_check_lists_the_language_counterpart_a_run_would_fetch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "sources.toml").write_text(SOURCES, encoding="utf-8")
    snapshots, ledger = tmp_path / "snapshots", tmp_path / "ledger.tsv"
    argv = ["check", "--sources", str(sources), "--snapshots", str(snapshots), "--ledger", str(ledger)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "jst-crest-call: fetch https://www.jst.go.jp/kisoken/boshuu/r7/index.html, "
        "then its counterpart https://www.jst.go.jp/kisoken/boshuu/r7/en/index.html",
        "amed-e-asia-r8: fetch https://www.amed.go.jp/koubo/26/02/2602B_00011.html, "
        "then links matching /koubo/26/02/\\d+B_\\d+\\.html$, "
        "then the language counterpart its page links to",
        "amed-elsewhere: fetch https://www.amed.go.jp/koubo/26/02/2602B_00013.html, "
        "then its counterpart https://www.example.org/en/2602B_00013.html "
        "(outside allowed_domains: the run will not fetch it)",
        "jsps-fellowships: fetch https://www.jsps.go.jp/english/e-inv_researchers/",  # no counterpart
    ]
    assert not snapshots.exists() and not ledger.exists()  # check writes nothing
