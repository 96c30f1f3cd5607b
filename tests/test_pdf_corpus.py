"""Third-party PDFs (../shared/corpus): real-world files from pdfplumber's tests and malformed ones from
qpdf's. None is a funding-program document, so each must give program records or an ExtractError, never
another exception and never a hang."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest.errors import ExtractError
from ingest.extract import extract_file
from ingest.models import Program

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TIME_LIMIT = 30  # seconds per file; plain pdfplumber needs 2.7 s for the slowest (65 pages)

pytestmark = pytest.mark.corpus


class _TimedOut(BaseException):
    """Not an Exception, so the extractor's own `except Exception` cannot swallow it."""


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def _raise(signum: int, frame: object) -> None:
        raise _TimedOut(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _corpus_files() -> list[object]:
    files = sorted((CORPUS / "pdf").glob("*.pdf")) + sorted((CORPUS / "pdf-bad").glob("*.pdf"))
    if not files:
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS.name}/ beside the repo"))
        ]
    return [pytest.param(path, id=f"{path.parent.name}/{path.name}") for path in files]


@pytest.mark.parametrize("path", _corpus_files())
def test_corpus_file_gives_records_or_extract_error(path: Path) -> None:
    started = time.monotonic()
    try:
        with _time_limit(TIME_LIMIT):
            records = extract_file(path)
    except ExtractError as error:
        assert path.name in str(error)
    except _TimedOut as error:
        pytest.fail(f"{path.name}: {error}")
    else:
        # The API raises EmptyExtractError rather than return []; a malformed file cannot hold programs.
        assert records, "an empty list instead of EmptyExtractError"
        assert all(isinstance(record, Program) for record in records)
        assert path.parent.name != "pdf-bad", f"{len(records)} programs from a malformed file"
    assert time.monotonic() - started < TIME_LIMIT
