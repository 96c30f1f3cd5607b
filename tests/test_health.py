"""Source health across runs, and alerts raised on transitions only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.cli import main
from ingest.errors import ErrorKind
from ingest.health import AlertKind, alerts, alerts_of, classify, health_of, source_health
from ingest.models import Manifest, SourceResult, SourceStatus
from ingest.snapshot import SnapshotStore, snapshot_name

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
OK, FAIL = "ok", "failed"


def _result(source: str, status: str, kind: str = "http-5xx") -> SourceResult:
    failed = status == FAIL
    return SourceResult(
        id=source,
        kind="html",
        location=f"https://{source}.example/",
        status=SourceStatus(status),
        error=f"https://{source}.example/: HTTP 503" if failed else None,
        error_kind=kind if failed else None,
    )


def _history(*runs: dict[str, str]) -> list[Manifest]:
    """One manifest per run, a day apart: {source id: "ok" | "failed"}."""
    manifests = []
    for day, run in enumerate(runs):
        when = START + timedelta(days=day)
        sources = [_result(source, status) for source, status in run.items()]
        name = snapshot_name(when)
        manifests.append(
            Manifest(
                snapshot=name,
                created_at=when,
                tool_version="t",
                sources=sources,
                records_sha256="x",
                programs=0,
            )
        )
    return manifests


@pytest.mark.parametrize(
    ("kind", "group", "transient"),
    [
        ("dns", "network", True),
        ("timeout", "network", True),
        ("http-5xx", "server", True),
        ("http-4xx", "moved", False),
        ("robots-disallowed", "policy", False),
        ("layout-changed", "extraction", False),
        ("empty", "server", True),
        (None, "other", False),
    ],
)
def test_failures_are_classified_by_error_kind(kind: str | None, group: str, transient: bool) -> None:
    failure = classify(kind)
    assert (failure.group, failure.transient) == (group, transient)
    assert failure.advice


def test_every_error_kind_has_its_own_advice() -> None:
    advice = {kind: classify(kind).advice for kind in ErrorKind}
    assert len(set(advice.values())) >= len(ErrorKind) - 1  # connection and timeout share theirs
    assert "empty answer" in advice[ErrorKind.EMPTY_RESPONSE]  # fetch's empty body, not "no programs"
    assert "programs" in advice[ErrorKind.LAYOUT_CHANGED]


def test_health_counts_consecutive_failures_and_remembers_last_success() -> None:
    history = _history({"jst": OK, "amed": OK}, {"jst": FAIL, "amed": OK}, {"jst": FAIL, "amed": FAIL})
    health = health_of(history)
    assert list(health) == ["amed", "jst"]
    jst = health["jst"]
    assert (jst.runs, jst.consecutive_failures, jst.failing) == (3, 2, True)
    assert jst.last_success == START
    assert jst.last_failure == START + timedelta(days=2)
    assert jst.last_error_kind == "http-5xx" and "HTTP 503" in (jst.last_error or "")
    assert health["amed"].consecutive_failures == 1


def test_a_source_that_never_succeeded_has_no_last_success() -> None:
    health = health_of(_history({"hfsp": FAIL}))
    assert health["hfsp"].last_success is None and health["hfsp"].consecutive_failures == 1


def _alert_kinds(statuses: list[str], threshold: int = 2) -> list[list[AlertKind]]:
    """The alerts each successive run would raise for one source."""
    history = _history(*({"jst": status} for status in statuses))
    return [[alert.kind for alert in alerts_of(history[: end + 1], threshold)] for end in range(len(history))]


def test_alerts_fire_on_transitions_only() -> None:
    statuses = [OK, FAIL, FAIL, FAIL, FAIL, OK, OK]
    assert _alert_kinds(statuses) == [[], [], [AlertKind.FAILING], [], [], [AlertKind.RECOVERED], []]


def test_a_single_failure_below_the_threshold_raises_nothing_either_way() -> None:
    assert _alert_kinds([OK, FAIL, OK]) == [[], [], []]


def test_threshold_is_configurable() -> None:
    assert _alert_kinds([OK, FAIL, OK], threshold=1) == [[], [AlertKind.FAILING], [AlertKind.RECOVERED]]
    assert _alert_kinds([FAIL, FAIL, FAIL], threshold=3) == [[], [], [AlertKind.FAILING]]
    with pytest.raises(ValueError, match="at least 1"):
        alerts_of(_history({"jst": FAIL}), threshold=0)


def test_a_source_dropped_from_the_latest_run_raises_nothing() -> None:
    history = _history({"jst": FAIL, "amed": OK}, {"amed": OK})
    assert alerts_of(history, threshold=1) == []


def test_alert_messages_say_what_to_do() -> None:
    history = _history({"jst": FAIL}, {"jst": FAIL})
    (alert,) = alerts_of(history)
    assert alert.source == "jst" and alert.snapshot == history[-1].snapshot
    assert (
        "failed 2 run(s) in a row" in alert.message
        and "HTTP 503" in alert.message
        and "temporary" in alert.message
    )


def _store(tmp_path: Path, *runs: dict[str, str]) -> SnapshotStore:
    store = SnapshotStore(tmp_path / "snapshots")
    for manifest in _history(*runs):
        store.write(manifest, [])
    return store


def test_store_functions_read_the_snapshots(tmp_path: Path) -> None:
    store = _store(tmp_path, {"jst": OK}, {"jst": FAIL}, {"jst": FAIL})
    assert source_health(store)["jst"].consecutive_failures == 2
    assert [alert.kind for alert in alerts(store)] == [AlertKind.FAILING]
    assert alerts(store, threshold=3) == []


def test_health_command_prints_table_and_alerts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(tmp_path, {"jst": OK, "amed": OK}, {"jst": FAIL, "amed": OK})
    assert main(["health", "--snapshots", str(store.root), "--threshold", "1"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["source", "status"]
    assert lines[1].split()[:3] == ["amed", "ok", "0"]
    assert lines[2].split()[:3] == ["jst", "failed", "1"] and "http-5xx: https://jst.example/" in lines[2]
    assert "FAILING: jst has failed 1 run(s) in a row" in out
    assert main(["health", "--snapshots", str(store.root)]) == 0  # default threshold 2: not yet
    assert "No alerts" in capsys.readouterr().out


def test_health_command_without_snapshots_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", "--snapshots", str(tmp_path / "none")]) == 2
    assert "no snapshot yet" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (1, {"a": AlertKind.RECOVERED}),
        (2, {"a": AlertKind.RECOVERED, "b": AlertKind.FAILING}),
        (3, {"a": AlertKind.RECOVERED}),
    ],
)
def test_alerts_read_only_the_recent_manifests_they_need_and_agree_with_the_whole_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int, expected: dict[str, AlertKind]
) -> None:
    """A year of daily snapshots must not be read on every run: the store is asked for the manifests
    back to where each source's alert is decided, and the alerts are those of the whole history."""
    patterns = {
        "a": [OK] * 30 + [FAIL] * 4 + [OK],  # recovers after a streak of 4: its 6 last runs decide
        "b": [OK] * 33 + [FAIL] * 2,  # failing for 2 runs
        "c": [FAIL] * 35,  # never worked
        "d": [OK] * 35,
    }
    runs = [dict(zip(patterns, statuses, strict=True)) for statuses in zip(*patterns.values(), strict=True)]
    store = _store(tmp_path, *runs)
    whole = alerts_of(store.manifests(), threshold)
    read: list[str] = []
    manifest = SnapshotStore.manifest
    monkeypatch.setattr(
        SnapshotStore, "manifest", lambda self, name: read.append(name) or manifest(self, name)
    )
    raised = alerts(store, threshold=threshold)
    assert raised == whole and {alert.source: alert.kind for alert in raised} == expected
    assert [alert.consecutive_failures for alert in raised if alert.source == "a"] == [4]
    assert read == store.names()[-6:][::-1]  # newest first, 6 of 35
    in_hand = [store.manifest(name) for name in store.names()[-2:]]  # a run's own and its previous
    read.clear()
    assert alerts(store, threshold=threshold, known=in_hand) == whole
    assert read == store.names()[-6:-2][::-1]  # the two in hand are not read again
