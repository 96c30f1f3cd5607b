"""Commands of the maintainers' review workflow, registered on the `ingest` command group."""

from __future__ import annotations
