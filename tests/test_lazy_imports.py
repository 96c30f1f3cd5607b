"""What a run's process loads before it needs it: pdfplumber only once a PDF is read (a day's run of
web pages answering 304 reads none). A fresh interpreter, since this test process has loaded all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ingest.isolation import ExtractLimits, run_limited


def loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_run_command_and_pipeline_load_no_pdf_reader() -> None:
    modules = loaded_after(
        "import ingest.cli, ingest.pipeline\nfrom ingest.extract import extractor_fingerprint"
    )
    assert "pdfplumber" not in modules
    assert "ingest.extract.pdf" not in modules
    assert "ingest.pipeline" in modules


def test_reading_a_pdf_loads_it() -> None:
    code = (
        "from ingest.extract import extract_pdf\n"
        "try:\n    extract_pdf(b'%PDF-1.4', name='x', source_id='x')\nexcept Exception:\n    pass"
    )
    assert "pdfplumber" in loaded_after(code)


def test_limited_children_start_with_the_pdf_reader_loaded() -> None:
    """The forkserver preloads it, so that a PDF read in a limited child does not import it each time."""
    probe = "{'pdfplumber', 'ingest.extract.reference'} <= set(__import__('sys').modules)"
    assert run_limited(eval, (probe,), {}, limits=ExtractLimits(), what="probe") is True


def test_the_pipeline_loads_no_html_parser_until_a_page_is_read() -> None:
    """A run of 304s reads no page, so BeautifulSoup waits for the first page that needs reading
    (ingest.languages only parses a page to pair it with its other language)."""
    modules = loaded_after("import ingest.cli, ingest.pipeline, ingest.languages")
    assert "bs4" not in modules and "ingest.extract.html" not in modules


def test_a_run_whose_pages_are_all_read_in_the_pool_never_loads_the_html_parser(tmp_path: Path) -> None:
    """Its workers have the extractors preloaded; the run's own process only hands them the pages."""
    from test_pool import HOST, PAGES, _pages, _serve, _sources

    sources = _sources(tmp_path / "sources", isolate=True)
    script = (
        "import sys\nfrom pathlib import Path\nfrom ingest.pipeline import run\n"
        f"outcome = run(Path({str(sources)!r}), Path({str(tmp_path / 'snapshots')!r}), "
        f"rewrite_hosts={{{HOST!r}: sys.argv[1]}})\n"
        "print(len(outcome.snapshot.records))\nprint('\\n'.join(sys.modules))"
    )
    with _serve(_pages(PAGES)) as mirror:
        done = subprocess.run(
            [sys.executable, "-c", script, mirror], capture_output=True, text=True, check=True
        )
    records, *modules = done.stdout.split()
    assert int(records) == PAGES  # every page was read, in the workers
    assert "bs4" not in modules and "ingest.extract.html" not in modules
    assert "ingest.extract" in modules
