"""`ingest run`'s live progress on stderr: one line per source as it finishes, under a progress bar
when stderr is a terminal (plain lines otherwise, so CI logs read as before)."""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import TextIO

from ingest.models import SourceResult, SourceStatus
from ingest.sources import SourceList

BAR_WIDTH = 24
_CLEAR_LINE = "\r\x1b[K"


class SourceProgress:
    """Reports each finished source; on a terminal, redraws `[####····] 3/12 sources` below the lines."""

    def __init__(
        self, declared: SourceList, only: set[str] | None = None, stream: TextIO | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.total = sum(1 for source in declared.source if only is None or source.id in only)
        self.done = 0
        self.live = _is_terminal(self.stream) and self.total > 0

    def __enter__(self) -> SourceProgress:
        self._draw_bar()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.live:  # leave the terminal as plain lines: the summary follows on stdout
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()

    def finished(self, result: SourceResult) -> None:
        self.done += 1
        text = "\n".join(source_lines(result)) + "\n"
        self.stream.write(_CLEAR_LINE + text if self.live else text)
        self._draw_bar()
        self.stream.flush()

    def _draw_bar(self) -> None:
        if not self.live:
            return
        filled = BAR_WIDTH * min(self.done, self.total) // self.total
        bar = "#" * filled + "·" * (BAR_WIDTH - filled)
        self.stream.write(f"{_CLEAR_LINE}[{bar}] {self.done}/{self.total} sources")
        self.stream.flush()


def source_lines(result: SourceResult) -> list[str]:
    """What a finished source says: its status and record count, or why it failed."""
    if result.status == SourceStatus.FAILED:
        kept = f"; kept {result.stale_records} stale record(s)" if result.stale_records else ""
        return [f"  {result.id}: FAILED ({result.error_kind}) {result.error}{kept}"]
    return [f"  {result.id}: {result.status}, {result.records} record(s)"] + [
        f"    {problem}" for problem in result.problems
    ]


def _is_terminal(stream: TextIO) -> bool:
    """A bar only where a person watches: a terminal that understands cursor control."""
    if os.environ.get("TERM") == "dumb" or os.environ.get("CI"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
