"""Extraction of untrusted documents in a child process with limits, so that a hostile or broken PDF
(a stream that inflates to gigabytes, a content stream that takes hours, a page tree of 200,000
pages) fails its own source with a clear reason and never exhausts the machine or hangs the run.

The child is forked from a clean forkserver (no fetcher threads in it), gets address-space and CPU
limits from `resource.setrlimit`, and is killed when it outlives the wall-clock limit.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from datetime import datetime
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ingest.errors import EmptyExtractError, ErrorKind, ExtractError
from ingest.models import Program

_MB = 1024 * 1024


class ExtractLimits(BaseModel):
    """`[extract]` in sources.toml: what one document's extraction may use."""

    model_config = ConfigDict(extra="forbid")

    memory_mb: int = Field(1024, ge=128, description="Address space of the extracting process.")
    cpu_seconds: int = Field(60, ge=1, description="CPU time of the extracting process.")
    wall_seconds: float = Field(90, gt=0, description="Wall-clock time before it is stopped.")
    isolate: bool = Field(
        True, description="false: extract in the run's own process, without limits (to debug an extractor)."
    )


def extract_pdf_limited(
    data: bytes,
    *,
    name: str,
    source_id: str,
    limits: ExtractLimits,
    extracted_at: datetime | None = None,
    url: str | None = None,
) -> list[Program]:
    """`ingest.extract.extract_pdf` in a child process within `limits`; ExtractError (kind
    too-large) when the document needs more than they allow."""
    from ingest.extract import extract_pdf

    return run_limited(
        extract_pdf,
        (data,),
        {"name": name, "source_id": source_id, "extracted_at": extracted_at, "url": url},
        limits=limits,
        what=name,
    )


def run_limited(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    limits: ExtractLimits,
    what: str,
) -> Any:
    """function(*args, **kwargs) in a limited child process; its ExtractErrors come back as they were."""
    if not limits.isolate:
        return function(*args, **kwargs)
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(  # type: ignore[attr-defined]
        target=_child, args=(sender, limits, function, args, kwargs), daemon=True
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.wall_seconds):
            raise ExtractError(
                f"{what}: extraction took longer than {limits.wall_seconds:g} s and was stopped",
                ErrorKind.TOO_LARGE,
            )
        outcome, payload = receiver.recv()
    except EOFError:  # the child died: killed by the CPU limit, or out of memory
        child.join()
        raise ExtractError(
            f"{what}: extraction exceeded its limits ({limits.memory_mb} MB of memory, "
            f"{limits.cpu_seconds} s of CPU) and was stopped",
            ErrorKind.TOO_LARGE,
        ) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "ok":
        return payload
    kind, message, error_kind = payload
    if kind == "empty":
        raise EmptyExtractError(message)
    raise ExtractError(message, error_kind)


@cache
def _context() -> BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ingest.extract"])  # children start with pdfplumber imported
    return context


def _child(
    sender: Connection,
    limits: ExtractLimits,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    name = kwargs.get("name", "the document")
    memory = limits.memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    try:
        sender.send(("ok", function(*args, **kwargs)))
    except MemoryError:
        message = f"{name}: extraction needed more than {limits.memory_mb} MB of memory and was stopped"
        sender.send(("error", ("other", message, ErrorKind.TOO_LARGE)))
    except EmptyExtractError as error:
        sender.send(("error", ("empty", str(error), ErrorKind.LAYOUT_CHANGED)))
    except ExtractError as error:
        sender.send(("error", ("other", str(error), error.kind)))
    except Exception as error:  # a bug or a library failure on a strange document: fail the source
        sender.send(("error", ("other", f"{name}: could not be read ({error})", ErrorKind.EXTRACT)))
    finally:
        sender.close()
