"""Dated, immutable snapshots and the content-addressed raw bytes they were made from.

This module owns the snapshots folder: every file name in it and every reader and writer of those
files is here, and no other module opens one. Layout:

    raw/<sha256[:2]>/<sha256>        raw input bytes, shared by every snapshot that used them
    <YYYY-MM-DDTHH-MM-SSZ>/          one run:
        manifest.json                    what it was made from (Manifest)
        records.json                     the merged program records
        extracted.json                   each source's records before merging (for carry-forward)
        changes.json                     the changes against the previous snapshot, with severities
        report.md                        those changes for people (the pull request's body)
        undetected.json                  updates the sites declare that no change accounts for
    check.log                        one line per run, also for runs that wrote no snapshot
    .tmp-*/                          a snapshot being written (invisible to readers)

A snapshot is assembled under a temporary name and renamed into place in one step, so a run
killed at any point leaves the earlier snapshots intact and no partial one visible.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from pydantic import TypeAdapter, ValidationError

from ingest.bulk import no_cycle_collection
from ingest.errors import SnapshotError
from ingest.models import Change, Manifest, Program, UndetectedUpdate
from ingest.normalize import canonical_json, sha256_bytes

MANIFEST = "manifest.json"
RECORDS = "records.json"
BY_SOURCE = "extracted.json"
CHANGES = "changes.json"
REPORT = "report.md"
UNDETECTED = "undetected.json"
CHECK_LOG = "check.log"
RAW = "raw"
LOCK = ".lock"  # held by the run writing to the folder
RUNNING = ".running"  # when the current run started; left behind only by a run that was killed
_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z(?:-\d+)?$")
_ABANDONED_AFTER = 3600  # seconds: an older .tmp-* folder belongs to a run that was killed
ProgramList = TypeAdapter(list[Program])
ProgramsBySource = TypeAdapter(dict[str, list[Program]])
T = TypeVar("T")
ChangeList = TypeAdapter(list[Change])
UndetectedList = TypeAdapter(list[UndetectedUpdate])


@dataclass(frozen=True)
class Snapshot:
    name: str
    path: Path
    manifest: Manifest
    records: list[Program]

    @property
    def report_path(self) -> Path:
        """The run's Markdown report (the scheduled job's pull-request body)."""
        return self.path / REPORT


@dataclass(frozen=True)
class SeenChange:
    """A change as one snapshot's changes.json recorded it."""

    snapshot: str
    created_at: datetime
    change: Change


def snapshot_name(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


def records_json(records: list[Program]) -> str:
    with no_cycle_collection():  # many new dicts, none in a cycle
        data = [record.model_dump(mode="json") for record in sorted(records, key=lambda r: r.id)]
        return canonical_json(data)


class SnapshotStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        # Raw files stored by this run, not yet synced: made durable together before a manifest that
        # names them is written (an fsync as each was written cost ten times more).
        self._unsynced: set[Path] = set()

    # -- reading ---------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Snapshot names, oldest first (names sort by time)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name))

    def latest(self) -> Snapshot | None:
        names = self.names()
        return self.load(names[-1]) if names else None

    def latest_readable(self) -> tuple[Snapshot | None, list[str]]:
        """The newest snapshot that loads, and why each newer one did not (a corrupt latest snapshot
        must not block every later run: they compare with the newest good one instead)."""
        unreadable: list[str] = []
        for name in reversed(self.names()):
            try:
                return self.load(name), unreadable
            except SnapshotError as error:
                unreadable.append(str(error))
        return None, unreadable

    def load(self, name: str) -> Snapshot:
        path = self.root / name
        return load_snapshot(path)

    def manifest(self, name: str) -> Manifest:
        """A snapshot's manifest alone: cheaper than `load`, which validates every record too."""
        return read_manifest(self.root / name)

    def manifests(self) -> list[Manifest]:
        """Every readable snapshot's manifest, oldest first (an unreadable one is no run to count)."""
        found: list[Manifest] = []
        for name in self.names():
            try:
                found.append(self.manifest(name))
            except SnapshotError:
                continue
        return found

    def changes(self, name: str) -> list[Change] | None:
        """The changes a run recorded against its previous snapshot; None when it recorded none
        (a first snapshot, or one written before changes were stored)."""
        path = self.root / name / CHANGES
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_bytes())
            return ChangeList.validate_python(data["changes"])
        except (OSError, json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
            raise SnapshotError(f"{path}: not a changes file ({error})") from None
        except ValidationError as error:
            raise SnapshotError(f"{path}: invalid changes file ({error.error_count()} errors)") from None

    def undetected(self, name: str) -> list[UndetectedUpdate]:
        """The updates a run found declared by the sites and not detected ([] for a snapshot written
        before they were stored, or with none)."""
        path = self.root / name / UNDETECTED
        if not path.is_file():
            return []
        try:
            return UndetectedList.validate_json(path.read_bytes())
        except OSError as error:
            raise SnapshotError(f"{path}: cannot be read ({error.strerror})") from None
        except ValidationError as error:
            raise SnapshotError(f"{path}: invalid file ({error.error_count()} errors)") from None

    def seen_changes(self) -> list[SeenChange]:
        """Every change in every snapshot's changes.json, oldest snapshot first."""
        seen: list[SeenChange] = []
        for name in self.names():
            changes = self.changes(name)
            if changes:
                created_at = self.manifest(name).created_at
                seen.extend(SeenChange(name, created_at, change) for change in changes)
        return seen

    def previous_of(self, name: str) -> str | None:
        """The snapshot a run was compared with: its manifest's `previous` if stored, else the one before."""
        names = self.names()
        position = names.index(name)
        try:
            previous = self.manifest(name).previous
        except SnapshotError:
            previous = None
        if previous in names[:position]:
            return previous
        return names[position - 1] if position else None

    def records_by_source(self, snapshot: Snapshot) -> dict[str, list[Program]]:
        """Each source's own records in a snapshot, before merging (split by provenance for snapshots
        written before these were stored)."""
        path = snapshot.path / BY_SOURCE
        if not path.is_file():
            grouped: dict[str, list[Program]] = {}
            for record in snapshot.records:
                for source_id in dict.fromkeys(p.source for p in record.provenance):
                    grouped.setdefault(source_id, []).append(record)
            return grouped
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise SnapshotError(f"{path}: not a per-source record file ({error})") from None
        if (fast := _validated(ProgramsBySource, raw)) is not None:  # 1,000 records: 37 -> 22 ms
            return fast
        try:
            data = json.loads(raw)
            return {source: ProgramList.validate_python(records) for source, records in data.items()}
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as error:
            raise SnapshotError(f"{path}: not a per-source record file ({error})") from None
        except ValidationError as error:
            raise SnapshotError(f"{path}: invalid records ({error.error_count()} errors)") from None

    @property
    def check_log(self) -> Path:
        return self.root / CHECK_LOG

    def raw_path(self, sha256: str) -> Path:
        return self.root / RAW / sha256[:2] / sha256

    def read_raw(self, sha256: str) -> bytes:
        path = self.raw_path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise self._missing(path, sha256) from None
        if sha256_bytes(data) != sha256:
            raise SnapshotError(f"{path}: stored bytes do not match their hash (the file was altered)")
        return data

    def require_raw(self, sha256: str) -> None:
        """That the bytes are stored (a 304's copy), without reading them: `read_raw` checks their hash
        whenever they are read."""
        path = self.raw_path(sha256)
        if not path.is_file():
            raise self._missing(path, sha256)

    @staticmethod
    def _missing(path: Path, sha256: str) -> SnapshotError:
        return SnapshotError(f"{path}: raw bytes {sha256[:12]}… are missing from the store")

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def locked(self, now: datetime) -> Iterator[str | None]:
        """Hold the snapshots folder for one run. The lock is the operating system's (fcntl), so a run
        that is killed releases it by itself and never leaves a stale lock behind. Yields when an
        earlier run started that never finished (killed, or stopped by a time limit), else None:
        its marker is still there."""
        with self._writing("take the run lock"):
            self.root.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.root / LOCK, timeout=0)
            try:
                lock.acquire()
            except Timeout:
                raise SnapshotError(
                    f"{self.root}: another `ingest run` is writing to this snapshots folder; "
                    "run again when it has finished"
                ) from None
        marker = self.root / RUNNING
        try:
            unfinished = marker.read_text(encoding="utf-8").strip() if marker.is_file() else None
            with self._writing("mark the run as started"):
                _write_atomically(marker, now.astimezone(UTC).isoformat(timespec="seconds").encode())
            yield unfinished
            marker.unlink(missing_ok=True)  # finished (an error that ends the run cleanly counts too)
        except BaseException:
            marker.unlink(missing_ok=True)
            raise
        finally:
            lock.release()

    def put_raw(self, data: bytes) -> str:
        """Store bytes once, under their hash; an existing copy is never rewritten."""
        digest = sha256_bytes(data)
        path = self.raw_path(digest)
        if not path.exists():
            with self._writing("store raw bytes"):
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_atomically(path, data, sync=False)
        # Also a copy found already there: a killed run may have left it unsynced (syncing a clean
        # file costs microseconds).
        self._unsynced.add(path)
        return digest

    def _sync_raw(self) -> None:
        """The raw files of this run on disk, their folder entries too, before a manifest names them:
        one sync(2) of the file systems (measured: 0.1 s where an fsync of each of 1,000 files and
        their folders took 0.4 to 1.1 s, on a busy disk), or one fsync each where there is no sync."""
        if not self._unsynced:
            return
        if hasattr(os, "sync"):
            os.sync()
        else:  # pragma: no cover (Unix has sync)
            for path in sorted({*self._unsynced, *(path.parent for path in self._unsynced)}):
                _fsync_path(path)
        self._unsynced.clear()

    def write(
        self,
        manifest: Manifest,
        records: list[Program],
        *,
        by_source: dict[str, list[Program]] | None = None,
        changes: list[Change] | None = None,
        report: str | None = None,
        undetected: Sequence[UndetectedUpdate] = (),
        records_text: str | None = None,
    ) -> Snapshot:
        """Write a complete snapshot (with each source's own records, the changes against
        `manifest.previous` and the Markdown report, when given) and make it visible in one rename.
        `records_text`: `records_json(records)`, when the caller made it already (for the manifest's
        hash: at 1,000 records it takes 60 ms).
        Two writes with one name (two runs in one second) get distinct folders; a failed write leaves
        nothing behind and is one SnapshotError."""
        with self._writing("write the snapshot"):
            self._sync_raw()
            self.root.mkdir(parents=True, exist_ok=True)
            self._remove_abandoned()
            staging = self.root / f".tmp-{manifest.snapshot}-{os.getpid()}-{secrets.token_hex(4)}"
            staging.mkdir()
            try:
                files = {RECORDS: records_text if records_text is not None else records_json(records)}
                if by_source is not None:
                    with no_cycle_collection():
                        files[BY_SOURCE] = canonical_json(
                            {
                                source: [r.model_dump(mode="json") for r in kept]
                                for source, kept in by_source.items()
                            }
                        )
                if report is not None:
                    files[REPORT] = report
                if undetected:
                    files[UNDETECTED] = canonical_json([u.model_dump(mode="json") for u in undetected])
                for name, text in files.items():
                    _write_file(staging / name, text.encode("utf-8"))
                final, manifest = self._rename_into_place(staging, manifest, changes)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        return Snapshot(name=final.name, path=final, manifest=manifest, records=records)

    def _rename_into_place(
        self, staging: Path, manifest: Manifest, changes: list[Change] | None
    ) -> tuple[Path, Manifest]:
        """Rename the staged snapshot to the first free name; the manifest (and changes.json) name
        the folder they are in, so they are written for the name the rename takes."""
        for _ in range(1000):
            final = self._free_name(manifest.snapshot)
            named = manifest.model_copy(update={"snapshot": final.name})
            named_files = {MANIFEST: named.model_dump_json(indent=2) + "\n"}
            if changes is not None:
                named_files[CHANGES] = changes_document(changes, old=named.previous, new=named.snapshot)
            for name, text in named_files.items():
                (staging / name).unlink(missing_ok=True)
                _write_file(staging / name, text.encode("utf-8"))
            _fsync_path(staging)
            try:
                os.rename(staging, final)
            except OSError as error:
                if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    continue  # another writer took the name between the check and the rename
                raise
            _fsync_path(self.root)
            return final, named
        raise SnapshotError(f"{self.root}: no free snapshot name for {manifest.snapshot}")

    def log_check(self, now: datetime, message: str) -> None:
        """One line per run in check.log, appended in a single write."""
        with self._writing("append to the check log"):
            self.root.mkdir(parents=True, exist_ok=True)
            line = f"{now.astimezone(UTC).isoformat(timespec='seconds')}\t{message}\n".encode()
            descriptor = os.open(self.check_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, line)
            finally:
                os.close(descriptor)

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """A read-only, full or missing snapshots folder is one sentence, never a traceback."""
        try:
            yield
        except OSError as error:
            reason = error.strerror or str(error)
            raise SnapshotError(
                f"{self.root}: cannot {what} there ({reason}); nothing partial is kept"
            ) from None

    def _free_name(self, name: str) -> Path:
        candidate, counter = self.root / name, 1
        while candidate.exists():
            candidate = self.root / f"{name}-{counter}"
            counter += 1
        return candidate

    def _remove_abandoned(self) -> None:
        for path in self.root.glob(".tmp-*"):
            try:
                abandoned = time.time() - path.stat().st_mtime > _ABANDONED_AFTER
            except FileNotFoundError:  # another writer renamed its staging folder into place meanwhile
                continue
            if abandoned:
                shutil.rmtree(path, ignore_errors=True)


def changes_document(changes: Sequence[Change], **context: Any) -> str:
    """`{...context, "changes": [...]}` as changes.json holds it (and `--json` outputs print it)."""
    payload = {**context, "changes": [change.model_dump(mode="json") for change in changes]}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a snapshot folder; SnapshotError when it is missing or invalid."""
    try:
        return Manifest.model_validate_json((folder / MANIFEST).read_bytes())
    except FileNotFoundError:
        raise SnapshotError(f"{folder}: not a snapshot (no {MANIFEST})") from None
    except OSError as error:
        raise SnapshotError(f"{folder}: the manifest cannot be read ({error.strerror})") from None
    except ValidationError as error:
        raise SnapshotError(f"{folder}: invalid manifest ({error.error_count()} validation errors)") from None


def load_snapshot(path: Path) -> Snapshot:
    """A snapshot folder → its manifest and records; SnapshotError if either is missing or invalid."""
    if not (path / MANIFEST).is_file():
        raise SnapshotError(f"{path}: not a snapshot (no {MANIFEST})")
    try:
        manifest = Manifest.model_validate_json((path / MANIFEST).read_bytes())
        data = (path / RECORDS).read_bytes()
        with no_cycle_collection():
            records = ProgramList.validate_json(data)
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
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot or record file") from None
    if raw.lstrip()[:1] == b"[" and (fast := _validated(ProgramList, raw)) is not None:  # a list of records
        return fast
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SnapshotError(f"{path}: not a JSON record file ({error})") from None
    if isinstance(data, dict) and "records" in data:
        data = data["records"]
    try:
        with no_cycle_collection():
            return ProgramList.validate_python(data)
    except ValidationError as error:
        raise SnapshotError(f"{path}: not a list of program records ({error.error_count()} errors)") from None


def _validated(adapter: TypeAdapter[T], raw: bytes) -> T | None:
    """The JSON parsed and validated in one pass, as records.json is; None when it is not valid, so
    that the slower path can say what is wrong in the words it always used."""
    try:
        with no_cycle_collection():
            return adapter.validate_json(raw)
    except ValidationError:
        return None


def _write_file(path: Path, data: bytes, *, sync: bool = True) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        if sync:
            os.fsync(handle.fileno())


def _write_atomically(path: Path, data: bytes, *, sync: bool = True) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _write_file(temporary, data, sync=sync)
    os.replace(temporary, path)


def _fsync_path(path: Path) -> None:
    """fsync a file or a folder."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
