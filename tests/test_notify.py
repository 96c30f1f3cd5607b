"""Notifications for real: `ingest run` sends one digest per run through Apprise to a local SMTP server
(aiosmtpd) and a local JSON webhook (http.server), both on 127.0.0.1; a dead target is one warning."""

from __future__ import annotations

import email
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from ingest.cli import main
from ingest.health import Alert, AlertKind
from ingest.models import CallPeriod, Change, Program, Severity
from ingest.notify import build_digest, send, targets
from ingest.review import ReviewState
from ingest.snapshot import SeenChange, SnapshotStore
from ingest.sources import NotifySettings
from site_server import serve_sites
from test_review_counts import _sources


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    received: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


@contextmanager
def webhook_server() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), received
    finally:
        server.shutdown()
        server.server_close()


def _text(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def _mail_url(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=ingest@example.invalid&to=team@example.invalid&mode=insecure"


def test_each_run_sends_one_digest_by_mail_and_webhook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, snapshots, ledger = _sources(tmp_path), tmp_path / "snapshots", tmp_path / "ledger.tsv"
    with (
        smtp_server() as (smtp_port, mails),
        webhook_server() as (web_port, posts),
        serve_sites() as (
            state,
            mirrors,
        ),
    ):
        monkeypatch.setenv("INGEST_NOTIFY", f"{_mail_url(smtp_port)} json://127.0.0.1:{web_port}/")
        rewrites = [arg for host, mirror in mirrors.items() for arg in ("--rewrite-host", f"{host}={mirror}")]
        command = ["run", "--sources", str(sources), "--snapshots", str(snapshots), "--ledger", str(ledger)]
        assert main([*command, *rewrites]) == 0  # the first run: nothing to compare, nothing to say
        assert (mails, posts) == ([], [])
        state.version = "v2"
        capsys.readouterr()
        assert main([*command, *rewrites, "--exit-code"]) == 1
        out = capsys.readouterr()
        assert "WARNING" not in out.err
        assert len(mails) == 1 and len(posts) == 1, "one digest per run, never one message per change"
        store = SnapshotStore(snapshots)
        waiting = [
            item.change
            for item in ReviewState.of(ledger).pending_in(store)
            if item.change.severity in {Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM}
        ]
        low = [item.change for item in ReviewState.of(ledger).pending_in(store) if item not in waiting]
        assert len(waiting) >= 2
        body = _text(mails[0])
        assert sorted(re.findall(r"\(id ([0-9a-f]{12}),", body)) == sorted(c.id for c in waiting)
        assert all(change.id not in body for change in low if change.severity is Severity.LOW)
        assert f"{len(waiting)} change(s) wait for review" in str(mails[0]["Subject"])
        assert posts[0]["title"] == mails[0]["Subject"]
        assert sorted(re.findall(r"\(id ([0-9a-f]{12}),", posts[0]["message"])) == sorted(
            c.id for c in waiting
        )
        # Acknowledge all but one: the next (quiet) run's digest lists only the one still waiting.
        decided = [c.id for c in waiting[1:]]
        assert main(["review", "--ledger", str(ledger), "--snapshots", str(snapshots), "ack", *decided,
                     "--note", "checked", "--by", "t", "--create"]) == 0  # fmt: skip
        assert main([*command, *rewrites]) == 0
        assert len(mails) == 2 and len(posts) == 2
        assert re.findall(r"\(id ([0-9a-f]{12}),", _text(mails[1])) == [waiting[0].id]
        # Everything decided: nothing to say, nothing sent.
        assert main(["review", "--ledger", str(ledger), "--snapshots", str(snapshots), "dismiss",
                     waiting[0].id, "--note", "noise", "--by", "t"]) == 0  # fmt: skip
        assert main([*command, *rewrites]) == 0
        assert len(mails) == 2 and len(posts) == 2


def test_a_dead_target_is_one_warning_and_the_exit_status_stands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, snapshots, ledger = _sources(tmp_path), tmp_path / "snapshots", tmp_path / "ledger.tsv"
    closed = _free_port()  # nothing listens there
    with serve_sites() as (state, mirrors):
        rewrites = [arg for host, mirror in mirrors.items() for arg in ("--rewrite-host", f"{host}={mirror}")]
        command = ["run", "--sources", str(sources), "--snapshots", str(snapshots), "--ledger", str(ledger)]
        assert main([*command, *rewrites]) == 0
        state.version = "v2"
        monkeypatch.setenv("INGEST_NOTIFY", f"json://127.0.0.1:{closed}/ {_mail_url(closed)}")
        capsys.readouterr()
        assert main([*command, *rewrites, "--exit-code"]) == 1
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "notification" in line]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING: "), err
    assert "Traceback" not in err


def test_configured_urls_and_the_environment_add_up(tmp_path: Path) -> None:
    settings = NotifySettings(urls=["json://a/", "mailto://b"])
    assert targets(settings, {"INGEST_NOTIFY": " json://a/  ntfy://c "}) == [
        "json://a/",
        "mailto://b",
        "ntfy://c",
    ]
    assert targets(NotifySettings(), {"INGEST_NOTIFY": ""}) == []
    toml = _sources(tmp_path) / "sources.toml"
    toml.write_text(toml.read_text() + '\n[notify]\nurls = ["json://127.0.0.1:1/"]\nmin_severity = "high"\n')
    from ingest.sources import load_sources

    loaded = load_sources(toml.parent).notify
    assert loaded.urls == ["json://127.0.0.1:1/"] and loaded.min_severity is Severity.HIGH
    assert loaded.remind_days == 14


def _change(change_id: str, severity: Severity) -> SeenChange:
    change = Change(
        id=change_id, program="crest", program_name="CREST", category="deadline", field="calls[2025].closes",
        path=["calls", "2025", "closes"], old="2025-06-10", new="2025-06-03", review=True, severity=severity,
    )  # fmt: skip
    return SeenChange("2026-11-24T13-00-05Z", datetime(2026, 11, 24, tzinfo=UTC), change)


def _program(closes: str) -> Program:
    return Program(id="crest", name="CREST", calls=[CallPeriod(label="2026 call", raw=closes, closes=closes)])


def test_digest_sections_threshold_and_reminders() -> None:
    today = date(2026, 12, 1)
    settings = NotifySettings()
    assert build_digest([], [], [_program("2027-03-01")], settings, today=today) is None
    only_low = build_digest([_change("aaaaaaaaaaaa", Severity.LOW)], [], [], settings, today=today)
    assert only_low is None  # below min_severity: nothing to say
    alert = Alert(AlertKind.RECOVERED, "jst-crest", "2026-12-01T00-00-00Z", 3)
    digest = build_digest(
        [_change("aaaaaaaaaaaa", Severity.LOW), _change("bbbbbbbbbbbb", Severity.CRITICAL)],
        [alert],
        [_program("2026-12-10"), _program("2026-12-20")],
        settings,
        today=today,
    )
    assert digest is not None
    assert "bbbbbbbbbbbb" in digest.body and "aaaaaaaaaaaa" not in digest.body
    assert "RECOVERED: jst-crest recovered" in digest.body
    assert "CREST (2026 call): closes 10 December 2026, in 9 day(s)" in digest.body
    assert "20 December" not in digest.body  # beyond 14 days
    assert digest.title == (
        "ingest: 1 change(s) wait for review, 1 source alert(s), 1 deadline(s) within 14 days"
    )
    everything = build_digest(
        [_change("aaaaaaaaaaaa", Severity.LOW)], [], [], NotifySettings(min_severity="low"), today=today
    )
    assert everything is not None and "aaaaaaaaaaaa" in everything.body


def test_an_unknown_url_is_reported_not_raised() -> None:
    digest = build_digest(
        [_change("bbbbbbbbbbbb", Severity.HIGH)], [], [], NotifySettings(), today=date.today()
    )
    assert digest is not None
    problem = send(digest, ["nosuchscheme://secret@host"])
    assert problem is not None and "not understood" in problem and "secret" not in problem
