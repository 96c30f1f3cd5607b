"""Documents → program records. Pure: no network, no writes.

`extract_file` picks the extractor from the bytes themselves (a PDF is a PDF whatever its name).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

from ingest.errors import EmptyExtractError, ExtractError
from ingest.models import Program
from ingest.normalize import sha256_bytes

# The code and data that turn bytes into records: this whole package (parsers, site extractors, the
# catalogue) and the two shared modules it builds records with. Same fingerprint, same records.
_EXTRACTOR_PARTS = ("extract", "models.py", "normalize.py")


@cache
def extractor_fingerprint() -> str:
    """A hash of the extractors' own source: a stored page re-read by identical code needs no re-reading."""
    digest = hashlib.sha256()
    package = resources.files("ingest")
    for name in _EXTRACTOR_PARTS:
        entry = Path(str(package.joinpath(name)))
        files = (
            sorted(p for p in entry.rglob("*") if p.suffix in (".py", ".toml")) if entry.is_dir() else [entry]
        )
        for path in files:
            digest.update(path.as_posix().rsplit("/ingest/", 1)[-1].encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class HtmlExtraction:
    """What one page gave: its records, which extractor read it, and what that extractor missed.
    Defined here, not in ingest.extract.html, so that taking one from a pool worker (unpickling it)
    does not load the HTML extractors into the run's process."""

    programs: list[Program]
    extractor: str
    fell_back: bool
    missing: list[str] = field(default_factory=list)


def read_html(
    content: bytes,
    *,
    url: str,
    source_id: str,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> HtmlExtraction:
    """`ingest.extract.html.extract_html`, importing the HTML extractors (BeautifulSoup, lxml, the
    site extractors: 0.08 s) when a page is read here. A run hands this to its pool's workers, which
    have them preloaded, so a run whose pages are all read there never loads them itself, and a run
    of 304s reads none."""
    from ingest.extract.html import extract_html

    return extract_html(
        content, url=url, source_id=source_id, content_type=content_type, fetched_at=fetched_at
    )


def is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def extract_pdf(
    data: bytes,
    *,
    name: str,
    source_id: str,
    extracted_at: datetime | None = None,
    url: str | None = None,
) -> list[Program]:
    """Program records from a PDF laid out like the reference document; EmptyExtractError when it
    holds none. `url`: where a PDF linked from a web page was fetched (its provenance says so)."""
    # Imported when a PDF is read: a run that reads none never loads pdfplumber (0.03 s).
    from ingest.extract.pdf import read_pdf
    from ingest.extract.reference import parse_reference

    pdf = read_pdf(data, name)
    programs = parse_reference(
        pdf, source_id=source_id, content_sha256=sha256_bytes(data), extracted_at=extracted_at, url=url
    )
    if not programs:
        characters = sum(len(line.text) for line in pdf.lines)
        raise EmptyExtractError(
            f"{name}: the PDF opened ({pdf.pages} pages, {characters} characters of text) "
            "but no funding program could be found in it"
        )
    return programs


def extract_file(path: Path, *, source_id: str | None = None, url: str | None = None) -> list[Program]:
    """Records from a saved document: a PDF, or (with `url`) an HTML page as if fetched from it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ExtractError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ExtractError(f"{path}: is a directory, not a document") from None
    except OSError as error:
        raise ExtractError(f"{path}: cannot be read ({error.strerror})") from None
    source = source_id or path.stem
    if is_pdf(data) or url is None:
        return extract_pdf(data, name=str(path), source_id=source, url=url)
    from ingest.extract.html import extract_html  # the website extractors are only needed for pages

    return extract_html(data, url=url, source_id=source).programs
