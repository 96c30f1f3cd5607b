"""Output the CLI cannot write is one sentence on stderr and status 2, never a traceback; and the
`ingest.cli` package has no import cycle."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ingest.cli
from ingest.cli import main
from ingest.diff import diff_programs
from ingest.models import CallPeriod, Manifest, Program, Provenance
from ingest.snapshot import SnapshotStore, snapshot_name

WHEN = datetime(2026, 11, 24, 13, 0, 5, tzinfo=UTC)


def _program(closes: str) -> Program:
    call = CallPeriod(label="2025 call for proposals", raw="Noon, June 3", closes=closes, status="dated")
    provenance = Provenance(source="reference-pdf", content_sha256="0" * 64, extracted_at=WHEN)
    return Program(id="crest", name="CREST", calls=[call], provenance=[provenance])


@pytest.fixture
def snapshots(tmp_path: Path) -> Path:
    """One snapshot whose changes.json reports crest's deadline moving (a review-worthy change)."""
    before, after = [_program("2025-06-03T12:00:00+09:00")], [_program("2025-06-10T12:00:00+09:00")]
    manifest = Manifest(
        snapshot=snapshot_name(WHEN),
        created_at=WHEN,
        tool_version="t",
        sources=[],
        records_sha256="x",
        programs=1,
    )
    store = SnapshotStore(tmp_path / "snapshots")
    store.write(manifest, after, changes=diff_programs(before, after))
    return store.root


@pytest.fixture
def afile(tmp_path: Path) -> Path:
    """A regular file, where a command would need a folder."""
    path = tmp_path / "afile"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


def _change_id(snapshots: Path) -> str:
    return next(seen.change.id for seen in SnapshotStore(snapshots).seen_changes() if seen.change.review)


def _assert_one_error_line(capsys: pytest.CaptureFixture[str], status: int, path: Path) -> str:
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ingest: error:"), err
    assert str(path) in lines[0], err
    return lines[0]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_schema_to_a_proc_path_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    output = Path("/proc/nope/x.json")
    line = _assert_one_error_line(capsys, main(["schema", "--output", str(output)]), output)
    assert line == f"ingest: error: {output}: cannot write there (No such file or directory)"


def test_export_under_a_regular_file_is_one_error_line(
    snapshots: Path, afile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = afile / "x.json"
    status = main(["export", "-o", str(output), "--snapshots", str(snapshots)])
    line = _assert_one_error_line(capsys, status, output)
    assert line.startswith(f"ingest: error: {output}: cannot write there (")
    assert afile.read_text(encoding="utf-8") == "not a folder\n"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_still_writes_and_creates_missing_folders(
    snapshots: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    output = tmp_path / "new" / "folder" / f"x.{fmt}"
    assert main(["export", "-o", str(output), "--format", fmt, "--snapshots", str(snapshots)]) == 0
    assert "crest" in output.read_text(encoding="utf-8")
    assert capsys.readouterr().err == f"Wrote {output}\n"


@pytest.mark.parametrize("decision", ["ack", "dismiss"])
def test_review_decision_with_a_ledger_under_a_regular_file_is_one_error_line(
    snapshots: Path, afile: Path, capsys: pytest.CaptureFixture[str], decision: str
) -> None:
    ledger = afile / "l.tsv"
    argv = ["review", decision, _change_id(snapshots), "--note", "x", "--by", "me"]
    status = main([*argv, "--ledger", str(ledger), "--snapshots", str(snapshots)])
    line = _assert_one_error_line(capsys, status, ledger)
    # Reading the ledger (to refuse a repeated decision) is what fails first here.
    assert line.startswith(f"ingest: error: {ledger}: the review ledger cannot be read (")
    assert afile.read_text(encoding="utf-8") == "not a folder\n"


def test_review_expect_with_a_ledger_under_a_regular_file_is_one_error_line(
    snapshots: Path, afile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = afile / "l.tsv"
    argv = ["review", "expect", "crest", "calls", "--note", "x", "--by", "me"]
    status = main([*argv, "--ledger", str(ledger), "--snapshots", str(snapshots)])
    _assert_one_error_line(capsys, status, ledger)


def test_review_ack_still_records_in_a_new_ledger(
    snapshots: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "reviews" / "ledger.tsv"
    change_id = _change_id(snapshots)
    argv = ["review", "ack", change_id, "--note", "x", "--by", "me", "--create"]
    assert main([*argv, "--ledger", str(ledger), "--snapshots", str(snapshots)]) == 0
    assert f"\tack\t{change_id}\tx\n" in ledger.read_text(encoding="utf-8")
    assert capsys.readouterr().out == f"Recorded ack of 1 change(s) in {ledger}.\n"


@pytest.mark.parametrize(("command", "name"), [("calendar", "x.ics"), ("changes", "x.atom")])
def test_bytes_output_under_a_regular_file_is_one_error_line(
    snapshots: Path, afile: Path, capsys: pytest.CaptureFixture[str], command: str, name: str
) -> None:
    output = afile / name
    status = main([command, "-o", str(output), "--snapshots", str(snapshots)])
    line = _assert_one_error_line(capsys, status, output)
    assert line.startswith(f"ingest: error: {output}: cannot write there (")


def test_html_report_under_a_regular_file_is_one_error_line(
    snapshots: Path, afile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = afile / "r.html"
    name = snapshot_name(WHEN)
    status = main(["report", name, name, "-o", str(output), "--snapshots", str(snapshots)])
    line = _assert_one_error_line(capsys, status, output)
    assert line.startswith(f"ingest: error: {output}: cannot write the report there (")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    output = Path("/dev/full")
    line = _assert_one_error_line(capsys, main(["schema", "-o", str(output)]), output)
    assert line == f"ingest: error: {output}: cannot write there (No space left on device)"


@pytest.mark.parametrize(
    "command", [["review"], ["diff", "OLD", "NEW"], ["report", "OLD", "NEW", "-o", "r.html"]]
)
def test_reading_a_ledger_under_a_regular_file_is_one_error_line(
    snapshots: Path, afile: Path, capsys: pytest.CaptureFixture[str], command: list[str], tmp_path: Path
) -> None:
    names = SnapshotStore(snapshots).names()
    args = [names[0] if a == "OLD" else names[-1] if a == "NEW" else a for a in command]
    args = [str(tmp_path / a) if a.endswith(".html") else a for a in args]
    ledger = afile / "l.tsv"
    status = main([*args, "--snapshots", str(snapshots), "--ledger", str(ledger)])
    line = _assert_one_error_line(capsys, status, ledger)
    assert line.startswith(f"ingest: error: {ledger}: the review ledger cannot be read (")


# -- the package's import structure -------------------------------------------------------------------

PACKAGE = ingest.cli.__name__
MODULES = sorted(name for _, name, _ in pkgutil.iter_modules(ingest.cli.__path__))
SUPPORT_MODULES = ["base", "progress"]  # shared by the command modules; they register no command
COMMAND_MODULES = [name for name in MODULES if name not in SUPPORT_MODULES]


def _imported(module: str) -> set[str]:
    """Every module name `module` (a module of the package, or "__init__") imports, made absolute;
    `from X import a` counts as importing both X and X.a (a may be a submodule)."""
    path = Path(ingest.cli.__file__).with_name(f"{module}.py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative to this package (each further level: one package up)
                parts = PACKAGE.split(".")[: len(PACKAGE.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_the_package_has_the_expected_modules() -> None:
    assert MODULES == ["base", "progress", "reports", "review", "run"]
    for name in MODULES:
        importlib.import_module(f"{PACKAGE}.{name}")


@pytest.mark.parametrize("module", MODULES)
def test_no_module_but_init_imports_the_package(module: str) -> None:
    assert PACKAGE not in _imported(module), f"{module}.py imports {PACKAGE}: an import cycle"


def test_base_imports_no_command_module() -> None:
    imported = _imported("base")
    assert not {f"{PACKAGE}.{name}" for name in COMMAND_MODULES} & imported


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_command_modules_import_only_support_modules_from_the_package(module: str) -> None:
    imported = _imported(module)
    siblings = {f"{PACKAGE}.{name}" for name in COMMAND_MODULES if name != module}
    assert not {name for name in imported if any(name == s or name.startswith(f"{s}.") for s in siblings)}
    assert f"{PACKAGE}.base" in imported


def test_the_init_registers_every_command() -> None:
    assert set(ingest.cli.cli.commands) == {
        "calendar",
        "changes",
        "check",
        "diff",
        "export",
        "extract",
        "health",
        "reextract",
        "report",
        "review",
        "run",
        "schema",
    }


def test_python_dash_m_ingest_is_the_ingest_command(tmp_path: Path) -> None:
    """`python -m ingest` runs the same command (a machine without the script on PATH)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "ingest", "review", "--snapshots", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no snapshot yet" in done.stderr
    assert subprocess.run([sys.executable, "-m", "ingest", "--version"], capture_output=True).returncode == 0
