"""`ingest run`'s progress on stderr: each source's line as it finishes, under a bar on a terminal
(tested on a real pseudo-terminal), plain lines in a pipe or under CI."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """The bundled PDF and one website whose host refuses connections: two sources, both quick."""
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(ROOT / "sources" / "funding-programs-overseas-2025-04.pdf", folder)
    (folder / "sources.toml").write_text(
        "[fetch]\nretries = 0\nmin_interval = 0\n\n"
        '[[source]]\nid = "reference-pdf"\nkind = "pdf"\npath = "funding-programs-overseas-2025-04.pdf"\n\n'
        '[[source]]\nid = "jst-crest"\nkind = "html"\nurl = "https://www.jst.go.jp/kisoken/crest/en/"\n'
        'allowed_domains = ["www.jst.go.jp"]\n'
    )
    return folder


def _run(tmp_path: Path, sources: Path, *, terminal: bool, ci: bool = False) -> tuple[int, str]:
    command = [
        sys.executable,
        "-c",
        "import sys; from ingest.cli import main; sys.exit(main(sys.argv[1:]))",
        "run",
        "--sources",
        str(sources),
        "--snapshots",
        str(tmp_path / "snapshots"),
        "--rewrite-host",
        "www.jst.go.jp=127.0.0.1:9",  # the discard port: nothing listens
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    env.update({"TERM": "xterm", **({"CI": "true"} if ci else {})})
    if not terminal:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=follower) as process:
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                process.kill()
                break
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = process.wait(timeout=120)
    os.close(leader)
    return status, b"".join(chunks).decode()


def test_a_terminal_sees_a_bar_that_advances_as_each_source_finishes(tmp_path: Path, sources: Path) -> None:
    status, seen = _run(tmp_path, sources, terminal=True)
    assert status == 0
    empty, half, full = "·" * 24, "#" * 12 + "·" * 12, "#" * 24
    assert f"[{empty}] 0/2 sources" in seen  # shown at once, before the PDF is read
    order = [
        seen.index(f"[{empty}] 0/2 sources"),
        seen.index("reference-pdf: ok, 11 record(s)"),
        seen.index(f"[{half}] 1/2 sources"),
        seen.index("jst-crest: FAILED (connection)"),
        seen.index(f"[{full}] 2/2 sources"),
    ]
    assert order == sorted(order)
    assert seen.endswith("\r\x1b[K")  # the bar is cleared at the end: only the lines remain


@pytest.mark.parametrize("ci", [False, True], ids=["pipe", "ci-terminal"])
def test_a_pipe_or_ci_gets_plain_lines(tmp_path: Path, sources: Path, ci: bool) -> None:
    status, seen = _run(tmp_path, sources, terminal=ci, ci=ci)
    assert status == 0
    assert "reference-pdf: ok, 11 record(s)" in seen and "jst-crest: FAILED (connection)" in seen
    assert "/2 sources" not in seen and "\x1b[" not in seen  # (a terminal itself turns \n into \r\n)
