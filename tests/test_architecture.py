"""The structure stays as the README's Architecture section draws it: gates run by the test suite.

- mypy (with the pydantic plugin) is clean on src/;
- the import contracts in pyproject.toml hold (no cycles; extraction is pure; the core never imports
  the CLI; reporters never diff; the store depends only on the records);
- no module but the snapshot store names a file of the snapshots folder;
- the README's module table lists exactly the modules that exist.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ingest"
BIN = Path(sys.executable).parent
SNAPSHOT_FILES = ("manifest.json", "records.json", "extracted.json", "changes.json", "report.md", "check.log")


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    executable = BIN / tool
    if not executable.exists():
        pytest.fail(f"{tool} is not installed: pip install -e '.[test]'")
    return subprocess.run([str(executable), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_mypy_is_clean_on_src() -> None:
    result = _run("mypy")  # [tool.mypy] in pyproject.toml: files, strictness, pydantic plugin
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_import_contracts_hold() -> None:
    result = _run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and " 6 kept" in result.stdout


def _strings_outside_docstrings(tree: ast.AST) -> list[ast.Constant]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_only_the_store_names_snapshot_files() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "snapshot.py":
            continue
        for node in _strings_outside_docstrings(ast.parse(path.read_text(encoding="utf-8"))):
            if any(name in node.value for name in SNAPSHOT_FILES):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_the_store_check_finds_a_snapshot_file_name() -> None:
    """The check above would catch a reader that opens changes.json by name."""
    code = (
        'def read(folder):\n    """Reads changes.json."""\n    return (folder / "changes.json").read_text()\n'
    )
    found = [node.value for node in _strings_outside_docstrings(ast.parse(code))]
    assert found == ["changes.json"]


def _readme_modules() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([\w/.]+)` \|", section, flags=re.MULTILINE))


def test_readme_architecture_lists_every_module() -> None:
    actual = {
        path.name if path.is_file() else f"{path.name}/"
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py")
        or (path / "__init__.py").is_file()
        or path.name == "templates"
    }
    assert _readme_modules() == actual
