"""The run's digest for people who are not watching the repository: one message per run, through Apprise.

What it says, each section only when it has something: the review-worthy changes still waiting (as
`ReviewState` counts them, at least `[notify] min_severity`, one plain-language line each from
`report/wording.py`), the source-health transitions of the run (`health.alerts`), and the calls of the
latest snapshot closing within `[notify] remind_days`. With nothing in any section nothing is sent.

Where it goes: the Apprise URLs of `[notify] urls` in sources.toml plus those in $INGEST_NOTIFY
(space-separated; the place for URLs holding passwords or tokens). A target that cannot be reached is
one warning: notifying never fails the run nor changes its exit status.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ingest.health import Alert
from ingest.models import Program
from ingest.report.wording import describe, moment_text
from ingest.severity import severity_rank
from ingest.snapshot import SeenChange
from ingest.sources import NotifySettings

ENVIRONMENT_VARIABLE = "INGEST_NOTIFY"
MAX_LINES = 50  # changes listed in one digest; the rest are counted ("and 12 more")


@dataclass(frozen=True)
class Digest:
    title: str
    body: str
    changes: int
    alerts: int
    deadlines: int


def targets(settings: NotifySettings, environ: Mapping[str, str]) -> list[str]:
    """The configured URLs, then those of $INGEST_NOTIFY, each once."""
    urls = [*settings.urls, *environ.get(ENVIRONMENT_VARIABLE, "").split()]
    return list(dict.fromkeys(url.strip() for url in urls if url.strip()))


def build_digest(
    waiting: Sequence[SeenChange],
    raised: Sequence[Alert],
    records: Sequence[Program],
    settings: NotifySettings,
    *,
    today: date,
) -> Digest | None:
    """The digest of one run, or None when it has nothing to say."""
    from ingest.report.html import upcoming_deadlines  # Jinja2 and all: only when there are targets

    limit = severity_rank(settings.min_severity)
    changes = sorted(
        (item for item in waiting if severity_rank(item.change.severity) <= limit),
        key=lambda item: (severity_rank(item.change.severity), item.change.program, item.change.field),
    )
    deadlines = upcoming_deadlines(records, today=today, window=timedelta(days=settings.remind_days))
    if not (changes or raised or deadlines):
        return None
    sections: list[str] = []
    if changes:
        lines = [
            f"Changes waiting for review ({len(changes)}, severity {settings.min_severity} or higher):",
            *(
                f"- [{item.change.severity}] {item.change.program_name or item.change.program}: "
                f"{describe(item.change)} (id {item.change.id}, {item.snapshot})"
                for item in changes[:MAX_LINES]
            ),
        ]
        if len(changes) > MAX_LINES:
            lines.append(f"- and {len(changes) - MAX_LINES} more (`ingest review` lists them all)")
        lines.append("Decide with `ingest review ack|dismiss ID... --note TEXT`.")
        sections.append("\n".join(lines))
    if raised:
        sections.append(
            "\n".join(["Source health:", *(f"- {alert.kind.upper()}: {alert.message}" for alert in raised)])
        )
    if deadlines:
        lines = [f"Deadlines within {settings.remind_days} days:"]
        for row in deadlines:
            when = moment_text(row.closes if row.has_time else row.closes.date())
            call = f" ({row.call})" if row.call else ""
            days = "today" if row.days_left == 0 else f"in {row.days_left} day(s)"
            lines.append(f"- {row.program}{call}: closes {when}, {days}")
        sections.append("\n".join(lines))
    counts = [
        f"{len(changes)} change(s) wait for review" if changes else "",
        f"{len(raised)} source alert(s)" if raised else "",
        f"{len(deadlines)} deadline(s) within {settings.remind_days} days" if deadlines else "",
    ]
    title = "ingest: " + ", ".join(part for part in counts if part)
    return Digest(title, "\n\n".join(sections) + "\n", len(changes), len(raised), len(deadlines))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def send(digest: Digest, urls: Sequence[str]) -> str | None:
    """Send the digest to every target; None when all took it, else one sentence saying what failed
    (schemes only: a URL may hold a password)."""
    import apprise

    collected = _Collect()
    logger = logging.getLogger("apprise")
    propagate, logger.propagate = logger.propagate, False  # its reasons go into our one line instead
    logger.addHandler(collected)
    try:
        invalid = []
        sender = apprise.Apprise()
        for url in urls:
            if not sender.add(url):
                invalid.append(url.partition(":")[0] or "?")
        text = apprise.NotifyFormat.TEXT
        sent = bool(sender.notify(title=digest.title, body=digest.body, body_format=text))
    finally:
        logger.removeHandler(collected)
        logger.propagate = propagate
    problems = []
    if invalid:
        problems.append(f"{len(invalid)} URL(s) not understood by Apprise ({', '.join(invalid)})")
    if not sent and len(sender) > 0:
        reason = collected.messages[-1] if collected.messages else "no reason given"
        problems.append(f"delivery failed ({_one_line(reason)})")
    if not problems:
        return None
    return f"the notification was not sent to every target: {'; '.join(problems)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
