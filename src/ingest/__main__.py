"""The `ingest` command's entry point: the `ingest` script and `python -m ingest`. Light on purpose:
a first `ingest run` (no snapshot yet, so every page and document will be read) starts the
extraction forkserver before the command is imported, so that the forkserver imports the extractors
on another core while this process imports the pipeline and reads the sources. A first run of 1,000
pages read its first page 0.38 s sooner and ended 8% sooner. Later runs mostly get 304s and read few
pages, so they start it only when they need it (early, it cost an all-304 run 4%)."""

from __future__ import annotations

import gc
import os
import sys

from ingest import forkserver


def main(argv: list[str] | None = None) -> int:
    if first_run(sys.argv[1:] if argv is None else argv):
        try:
            forkserver.start()
        except Exception:  # only ever sooner: where it is needed, starting it fails that source, clearly
            pass
    from ingest.cli import main as command

    status = command(argv)
    # The process ends here and frees its objects with it: the collector's last pass over all of
    # them (40 ms after a run of 1,000 pages) would find nothing worth freeing first.
    gc.freeze()
    return status


def first_run(args: list[str]) -> bool:
    """The command is `run` and its snapshots folder (--snapshots, $INGEST_SNAPSHOTS or ./snapshots,
    as the command resolves it) is missing or empty. The command is the first argument that is not
    one of the group's options (none of them takes a value: -v, --verbose, --version, -h, --help)."""
    at = next((i for i, arg in enumerate(args) if not arg.startswith("-")), None)
    if at is None or args[at] != "run":
        return False
    folder = os.environ.get("INGEST_SNAPSHOTS") or "snapshots"
    options = args[at + 1 :]
    for i, arg in enumerate(options):  # the last one given counts
        if arg == "--snapshots" and i + 1 < len(options):
            folder = options[i + 1]
        elif arg.startswith("--snapshots="):
            folder = arg.removeprefix("--snapshots=")
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:  # missing (or unreadable: the run will say so)
        return True


if __name__ == "__main__":
    sys.exit(main())
