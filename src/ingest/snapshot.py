"""Dated, immutable snapshots and the content-addressed raw bytes they were made from.

Layout under the snapshots folder:

    raw/<sha256[:2]>/<sha256>        raw input bytes, shared by every snapshot that used them
    <YYYY-MM-DDTHH-MM-SSZ>/          one run: manifest.json, records.json, and its reports
    .tmp-*/                          a snapshot being written (invisible to readers)

A snapshot is assembled under a temporary name and renamed into place in one step, so a run
killed at any point leaves the earlier snapshots intact and no partial one visible.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ingest.errors import SnapshotError
from ingest.models import Manifest, Program
from ingest.normalize import canonical_json, sha256_bytes

MANIFEST = "manifest.json"
RECORDS = "records.json"
_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z(?:-\d+)?$")
_ABANDONED_AFTER = 3600  # seconds: an older .tmp-* folder belongs to a run that was killed
ProgramList = TypeAdapter(list[Program])


@dataclass(frozen=True)
class Snapshot:
    name: str
    path: Path
    manifest: Manifest
    records: list[Program]


def snapshot_name(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


def records_json(records: list[Program]) -> str:
    data = [record.model_dump(mode="json") for record in sorted(records, key=lambda r: r.id)]
    return canonical_json(data)


class SnapshotStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    # -- reading ---------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Snapshot names, oldest first (names sort by time)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name))

    def latest(self) -> Snapshot | None:
        names = self.names()
        return self.load(names[-1]) if names else None

    def load(self, name: str) -> Snapshot:
        path = self.root / name
        return load_snapshot(path)

    def raw_path(self, sha256: str) -> Path:
        return self.root / "raw" / sha256[:2] / sha256

    def read_raw(self, sha256: str) -> bytes:
        path = self.raw_path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SnapshotError(f"{path}: raw bytes {sha256[:12]}… are missing from the store") from None
        if sha256_bytes(data) != sha256:
            raise SnapshotError(f"{path}: stored bytes do not match their hash (the file was altered)")
        return data

    # -- writing ---------------------------------------------------------------------------------
    def put_raw(self, data: bytes) -> str:
        """Store bytes once, under their hash; an existing copy is never rewritten."""
        digest = sha256_bytes(data)
        path = self.raw_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
        return digest

    def write(
        self, manifest: Manifest, records: list[Program], reports: dict[str, str] | None = None
    ) -> Snapshot:
        """Write a complete snapshot and make it visible in one rename."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_abandoned()
        final = self._free_name(manifest.snapshot)
        if final.name != manifest.snapshot:  # two runs in one second: the manifest names its own folder
            manifest = manifest.model_copy(update={"snapshot": final.name})
        staging = self.root / f".tmp-{final.name}-{os.getpid()}"
        staging.mkdir()
        try:
            files = {MANIFEST: manifest.model_dump_json(indent=2) + "\n", RECORDS: records_json(records)}
            for name, text in {**files, **(reports or {})}.items():
                _write_file(staging / name, text.encode("utf-8"))
            _fsync_dir(staging)
            os.rename(staging, final)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Snapshot(name=final.name, path=final, manifest=manifest, records=records)

    def _free_name(self, name: str) -> Path:
        candidate, counter = self.root / name, 1
        while candidate.exists():
            candidate = self.root / f"{name}-{counter}"
            counter += 1
        return candidate

    def _remove_abandoned(self) -> None:
        for path in self.root.glob(".tmp-*"):
            if time.time() - path.stat().st_mtime > _ABANDONED_AFTER:
                shutil.rmtree(path, ignore_errors=True)


def load_snapshot(path: Path) -> Snapshot:
    """A snapshot folder → its manifest and records; SnapshotError if either is missing or invalid."""
    if not (path / MANIFEST).is_file():
        raise SnapshotError(f"{path}: not a snapshot (no {MANIFEST})")
    try:
        manifest = Manifest.model_validate_json((path / MANIFEST).read_bytes())
        records = ProgramList.validate_json((path / RECORDS).read_bytes())
    except FileNotFoundError:
        raise SnapshotError(f"{path}: incomplete snapshot (no {RECORDS})") from None
    except ValidationError as error:
        raise SnapshotError(f"{path}: invalid snapshot ({error.error_count()} validation errors)") from None
    return Snapshot(name=path.name, path=path, manifest=manifest, records=records)


def load_records(path: Path) -> list[Program]:
    """Records from a snapshot folder, a records.json, or an export file ({"records": [...]})."""
    if path.is_dir():
        return load_snapshot(path).records
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot or record file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SnapshotError(f"{path}: not a JSON record file ({error})") from None
    if isinstance(data, dict) and "records" in data:
        data = data["records"]
    try:
        return ProgramList.validate_python(data)
    except ValidationError as error:
        raise SnapshotError(f"{path}: not a list of program records ({error.error_count()} errors)") from None


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _write_file(temporary, data)
    os.replace(temporary, path)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
