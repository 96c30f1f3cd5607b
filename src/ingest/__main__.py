"""`python -m ingest`: the same command as the `ingest` script, for environments without it on PATH."""

import sys

from ingest.cli import main

if __name__ == "__main__":
    sys.exit(main())
