"""Inputs that are not a readable reference document: an ExtractError naming the file, never a crash, never
an empty list (that would read as "every program was removed"); on the command line one line and exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ingest.errors import EmptyExtractError, ExtractError
from ingest.extract import extract_file
from pdf_fixtures import BAD_INPUTS, ingest_command
from pdf_fixtures import bad_inputs as bad_inputs  # fixture

NAMES = sorted(BAD_INPUTS)


def test_bad_inputs_are_what_they_claim(bad_inputs: dict[str, Path]) -> None:
    """Guard the fixtures themselves, so a test below cannot pass for the wrong reason."""
    assert bad_inputs["empty.pdf"].stat().st_size == 0
    assert not bad_inputs["missing.pdf"].exists()
    assert bad_inputs["saved-web-page.pdf"].read_bytes().startswith(b"<!DOCTYPE html>")
    truncated = bad_inputs["truncated.pdf"].read_bytes()
    assert truncated.startswith(b"%PDF-") and b"%%EOF" not in truncated
    assert b"/Encrypt" in bad_inputs["encrypted.pdf"].read_bytes()
    for name in ("blank-page.pdf", "lorem-letter.pdf"):
        assert bad_inputs[name].read_bytes().rstrip().endswith(b"%%EOF")  # complete, valid files


@pytest.mark.parametrize("name", NAMES)
def test_extract_raises_an_error_naming_the_file(bad_inputs: dict[str, Path], name: str) -> None:
    path = bad_inputs[name]
    with pytest.raises(ExtractError) as caught:
        extract_file(path)
    message = str(caught.value)
    assert path.name in message
    assert "\n" not in message.strip()  # one sentence, one line
    # "opened, but no programs" and "cannot be read" are different problems for whoever reads the report
    assert isinstance(caught.value, EmptyExtractError) is BAD_INPUTS[name], type(caught.value).__name__


@pytest.mark.parametrize("name", NAMES)
def test_cli_prints_one_line_and_exits_2(bad_inputs: dict[str, Path], name: str) -> None:
    path = bad_inputs[name]
    result = subprocess.run(
        [ingest_command(), "extract", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert path.name in result.stderr
    assert result.stdout.strip() == ""  # nothing a pipeline could mistake for (zero) records
