"""Extraction of untrusted documents in a child process with limits, so that a hostile or broken PDF
(a stream that inflates to gigabytes, a content stream that takes hours, a page tree of 200,000
pages) fails its own source with a clear reason and never exhausts the machine or hangs the run.

The child is forked from a clean forkserver (no fetcher threads in it), gets address-space and CPU
limits from `resource.setrlimit`, and is killed when it outlives the wall-clock limit.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

from ingest import forkserver
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
    context = forkserver.context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(  # type: ignore[attr-defined]
        target=_child, args=(sender, limits, function, args, kwargs), daemon=True
    )
    try:
        child.start()
    except OSError as error:
        receiver.close()
        raise _not_started(what, error) from None
    finally:
        sender.close()
    try:
        if not receiver.poll(limits.wall_seconds):
            raise _took_too_long(what, limits)
        outcome, payload = receiver.recv()
    except EOFError:  # the child died: killed by the CPU limit, or out of memory
        child.join()
        raise _limits_exceeded(what, limits) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "ok":
        return payload
    raise _error(payload)


def _took_too_long(what: str, limits: ExtractLimits) -> ExtractError:
    return ExtractError(
        f"{what}: extraction took longer than {limits.wall_seconds:g} s and was stopped", ErrorKind.TOO_LARGE
    )


def _not_started(what: str, error: OSError) -> ExtractError:
    return ExtractError(
        f"{what}: the limited extraction process could not be started ({error}); "
        "[extract] isolate = false in sources.toml reads documents in the run's own process",
        ErrorKind.EXTRACT,
    )


def _limits_exceeded(what: str, limits: ExtractLimits) -> ExtractError:
    return ExtractError(
        f"{what}: extraction exceeded its limits ({limits.memory_mb} MB of memory, "
        f"{limits.cpu_seconds} s of CPU) and was stopped",
        ErrorKind.TOO_LARGE,
    )


def _error(payload: tuple[str, str, ErrorKind]) -> ExtractError:
    kind, message, error_kind = payload
    return EmptyExtractError(message) if kind == "empty" else ExtractError(message, error_kind)


def _child(
    sender: Connection,
    limits: ExtractLimits,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    memory = limits.memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    try:
        sender.send(_outcome(function, args, kwargs, kwargs.get("name", "the document"), limits))
    finally:
        sender.close()


def _outcome(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    name: str,
    limits: ExtractLimits,
) -> tuple[str, Any]:
    """("ok", result) or ("error", (kind, message, ErrorKind)): an exception's pickle would lose its kind."""
    try:
        return ("ok", function(*args, **kwargs))
    except MemoryError:
        message = f"{name}: extraction needed more than {limits.memory_mb} MB of memory and was stopped"
        return ("error", ("other", message, ErrorKind.TOO_LARGE))
    except EmptyExtractError as error:
        return ("error", ("empty", str(error), ErrorKind.LAYOUT_CHANGED))
    except ExtractError as error:
        return ("error", ("other", str(error), error.kind))
    except Exception as error:  # a bug or a library failure on a strange document: fail the source
        return ("error", ("other", f"{name}: could not be read ({error})", ErrorKind.EXTRACT))


# -- a pool of limited workers, for the many pages of a run --------------------------------------

# A run reads its first pages in its own process and starts the pool only once this many needed
# reading: below that, the pool's start-up costs more than the second core saves. Measured on two
# cores (whole runs over loopback, medians of 3, pool from the first page vs none): 12 pages (the Quick
# start) 0.19 / 0.07 s; 40 pages 0.27 / 0.18 s; 100 pages 0.44 / 0.46 s; 300 pages 1.06 / 1.34 s.
POOL_MIN_PAGES = 50


class ExtractPool:
    """Worker processes, as many as the machine has cores, that extract one document at a time within
    `limits` each: the address-space limit is the worker's, the CPU and wall-clock limits are counted
    per document. A worker that exceeds them is killed and replaced; only its document fails, with the
    same message `run_limited` gives. Results come back as futures, in the order they finish.

    Workers are forked from the forkserver with the extractors imported once, and are started by the
    pool's own thread, so the caller goes on fetching while they start. A worker is handed its next
    document while it reads one (see `_hand_out`): 1,000 pages on two workers took 8% less time."""

    def __init__(self, limits: ExtractLimits, workers: int | None = None) -> None:
        self._limits = limits
        self._size = max(1, workers or os.cpu_count() or 1)
        self._queue: deque[_Task] = deque()
        self._lock = threading.Lock()
        self._wake_receiver, self._wake_sender = multiprocessing.Pipe(duplex=False)
        self._closing = False
        self._cancelled = False
        self._not_started: OSError | None = None  # why no worker could be started, once none could
        self._thread = threading.Thread(target=self._dispatch, name="ingest-extract-pool", daemon=True)
        self._thread.start()

    def submit(
        self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *, what: str
    ) -> Future[Any]:
        """function(*args, **kwargs) in a worker; its future raises what the function raised (an
        ExtractError keeps its kind) or the ExtractError of a limit exceeded."""
        task = _Task(function, args, kwargs, what, Future())
        with self._lock:
            if self._not_started is not None:  # every document fails alike, as it is handed in
                task.future.set_exception(_not_started(what, self._not_started))
                return task.future
            if self._closing:
                raise RuntimeError("the extraction pool is closed")
            self._queue.append(task)
        self._wake_sender.send_bytes(b".")
        return task.future

    def close(self, *, cancel: bool = False) -> None:
        """Finish the queued work and stop the workers; with `cancel`, stop them at once (the run was
        interrupted): what is not finished fails with ExtractError."""
        with self._lock:
            self._closing = True
            self._cancelled = self._cancelled or cancel
        self._wake_sender.send_bytes(b".")
        self._thread.join()
        self._wake_sender.close()
        self._wake_receiver.close()

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.close(cancel=exc_type is not None)

    # -- the pool's thread ------------------------------------------------------------------------

    def _dispatch(self) -> None:
        workers: dict[Connection, _Worker] = {}
        try:
            while True:
                with self._lock:
                    if self._cancelled or (self._closing and not self._queue and not _busy(workers)):
                        return  # on cancel, the finally below stops the workers and fails the rest
                self._hand_out(workers)
                deadlines = [w.deadline for w in workers.values()]
                timeout = max(0.0, min(deadlines) - time.monotonic()) if _busy(workers) else None
                ready = wait([self._wake_receiver, *workers], timeout)
                for connection in ready:
                    if connection is self._wake_receiver:
                        while self._wake_receiver.poll():
                            self._wake_receiver.recv_bytes()
                        continue
                    worker = workers[cast(Connection, connection)]
                    if not worker.finish():
                        del workers[worker.connection]
                        self._requeue(worker)
                now = time.monotonic()
                for connection, worker in list(workers.items()):
                    if worker.deadline <= now:
                        del workers[connection]
                        worker.time_out()
                        self._requeue(worker)
        except _NotStarted as failure:  # no worker could be started: every document fails, saying why
            with self._lock:
                self._not_started = failure.error
        finally:
            for worker in workers.values():
                worker.stop()
            with self._lock:
                self._closing = True
                pending = [*(t for w in workers.values() for t in w.tasks), *self._queue]
                self._queue.clear()
            for task in pending:  # cancelled, or this thread failed: fail what is left, never hang
                if not task.future.done():
                    task.future.set_exception(
                        _not_started(task.what, self._not_started)
                        if self._not_started
                        else ExtractError(f"{task.what}: not extracted, the pool stopped")
                    )

    def _hand_out(self, workers: dict[Connection, _Worker]) -> None:
        """Queued tasks to workers: an idle one first, then a new one, then, when the task's message
        fits in the connection's buffer (so sending it cannot block this thread), a busy one that has
        nothing queued yet: it starts the task as soon as it sends its answer, without waiting for
        this thread, which shares the run's process (and its GIL) with the fetching."""
        while True:
            with self._lock:
                if not self._queue:
                    return
                task = self._queue[0]
            message = task.message()
            idle = [w for w in workers.values() if not w.tasks]
            if idle:
                worker = idle[0]
            elif len(workers) < self._size:  # the first start waits for the forkserver
                try:
                    worker = _Worker.start(self._limits)
                except OSError as error:
                    if not workers:
                        raise _NotStarted(error) from None
                    self._size = len(workers)  # go on with the workers there are
                    continue
                workers[worker.connection] = worker
            else:
                queued = [w for w in workers.values() if len(w.tasks) == 1 and len(message) <= w.buffered]
                if not queued:
                    return
                worker = queued[0]
            with self._lock:
                self._queue.popleft()
            worker.assign(task, message)

    def _requeue(self, worker: _Worker) -> None:
        """The task a stopped worker had queued behind the one that failed goes first to the next."""
        with self._lock:
            self._queue.extendleft(reversed(worker.tasks))
        worker.tasks.clear()


class _NotStarted(Exception):
    def __init__(self, error: OSError) -> None:
        self.error = error


def _busy(workers: dict[Connection, _Worker]) -> bool:
    return any(w.tasks for w in workers.values())


@dataclass
class _Task:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    what: str
    future: Future[Any]
    _message: bytes | None = None

    def message(self) -> bytes:
        """The task as the worker receives it, pickled once."""
        if self._message is None:
            self._message = bytes(ForkingPickler.dumps((self.function, self.args, self.kwargs, self.what)))
        return self._message


class _Worker:
    """One worker process, the task it is reading and the one queued behind it."""

    def __init__(self, process: Any, connection: Connection, limits: ExtractLimits) -> None:
        self.process, self.connection, self.limits = process, connection, limits
        self.tasks: deque[_Task] = deque()
        self.deadline = float("inf")
        self.buffered = _send_buffer(connection)

    @classmethod
    def start(cls, limits: ExtractLimits) -> _Worker:
        ours, theirs = forkserver.context().Pipe(duplex=True)
        process = forkserver.context().Process(  # type: ignore[attr-defined]
            target=_serve, args=(theirs, limits), daemon=True, name="ingest-extract"
        )
        try:
            process.start()
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(process, ours, limits)

    def assign(self, task: _Task, message: bytes) -> None:
        if not self.tasks:
            self.deadline = time.monotonic() + self.limits.wall_seconds
        self.tasks.append(task)
        self.connection.send_bytes(message)

    def finish(self) -> bool:
        """Hand the worker's answer to its first task's future; False when the worker died (a limit)."""
        task = self.tasks.popleft()
        # a queued task started as this one ended: its wall-clock limit counts from now
        self.deadline = time.monotonic() + self.limits.wall_seconds if self.tasks else float("inf")
        try:
            outcome, payload = self.connection.recv()
        except (EOFError, OSError):
            self.stop()
            task.future.set_exception(_limits_exceeded(task.what, self.limits))
            return False
        if outcome == "ok":
            task.future.set_result(payload)
        else:
            task.future.set_exception(_error(payload))
        return True

    def time_out(self) -> None:
        task = self.tasks.popleft()
        self.stop()
        task.future.set_exception(_took_too_long(task.what, self.limits))

    def stop(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


def _send_buffer(connection: Connection) -> int:
    """How large a message can be sent to a worker that has read everything sent before, without
    waiting for it to read: half the socket's send buffer (the kernel counts its own overhead in it)."""
    sock = socket.socket(fileno=connection.fileno())
    try:
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) // 2
    finally:
        sock.detach()


def _serve(connection: Connection, limits: ExtractLimits) -> None:
    """A worker: documents one at a time until the pool closes the connection. The CPU limit is moved
    before each document, so each gets `cpu_seconds` of its own; past it the kernel kills the worker."""
    memory = limits.memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            function, args, kwargs, what = connection.recv()
        except (EOFError, OSError):
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime) + limits.cpu_seconds
        resource.setrlimit(
            resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
        )
        connection.send(_outcome(function, args, kwargs, kwargs.get("name", what), limits))
