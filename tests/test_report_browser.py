"""The HTML report as a maintainer sees it: opened from disk in headless Chromium.

Needs Chromium and Playwright's Python package (not its downloaded browsers):
    apt-get install chromium   and   pip install playwright
Set INGEST_CHROMIUM to use another Chromium binary. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest.report.html import render_index
from ingest.review import ReviewState
from ingest.snapshot import SnapshotStore
from test_html_report import SCRIPT, sample_report, write_snapshots

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = os.environ.get("INGEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# Offline and quiet: no sandbox (containers), no GPU, no background traffic to Google's services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright is not installed: pip install playwright (no `playwright install`)",
    )
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: apt-get install chromium (or set INGEST_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened from disk, with every dialog (alert) and every non-file request recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:  # a self-contained page asks for nothing else; tests never touch the network
            self.requests.append(url)
            route.abort()

    def style(self, selector: str, prop: str) -> str:
        return self.page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")


@pytest.fixture
def report_page(browser: Any, tmp_path: Path) -> Iterator[Visit]:
    page, _ = sample_report(tmp_path / "snapshots")
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    visit = Visit(browser, path)
    yield visit
    visit.page.close()


def test_report_shows_the_changes(report_page: Visit) -> None:
    page = report_page.page
    assert page.title() == "Changes April → May 2025"
    assert page.locator("article.change").count() == 6
    critical = page.locator("article.change.sev-critical")
    assert critical.count() == 1
    assert "closes 2 days earlier" in critical.inner_text()
    assert "6 changes to review" in page.locator("header.summary").inner_text()
    assert page.locator("#failed-sources").is_visible()
    assert "ingest review ack " in page.locator("article.change .ack").first.inner_text()
    assert report_page.requests == []


def test_changed_words_are_highlighted_and_visible(report_page: Visit) -> None:
    page = report_page.page
    inserted = page.locator("#program-crest ins", has_text="10").first
    deleted = page.locator("#program-crest del", has_text="03").first
    assert inserted.is_visible() and deleted.is_visible()
    assert report_page.style("ins", "backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    assert report_page.style("del", "backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    assert "line-through" in report_page.style("del", "textDecorationLine")
    assert page.locator("ins", has_text="Only researchers").is_visible()


def test_scraped_markup_stays_text(report_page: Visit) -> None:
    page = report_page.page
    assert report_page.dialogs == []
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.images.length") == 0
    assert f"{SCRIPT} Fellowship" in page.locator("#program-evil-fellowship h2").inner_text()
    assert SCRIPT in page.evaluate("document.body.textContent")


def test_summary_stays_in_view_and_screenshot(report_page: Visit) -> None:
    page = report_page.page
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = page.locator("header.summary").bounding_box()
    assert box is not None and box["y"] == 0  # sticky: still at the top after scrolling to the end
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_index_page(browser: Any, tmp_path: Path) -> None:
    write_snapshots(tmp_path / "snapshots")
    path = tmp_path / "index.html"
    path.write_text(
        render_index(SnapshotStore(tmp_path / "snapshots"), today=date(2025, 5, 20), review=ReviewState()),
        encoding="utf-8",
    )
    visit = Visit(browser, path)
    rows = visit.page.locator("#deadlines tbody tr")
    assert rows.count() == 1 and "in 21 days" in rows.first.inner_text()
    assert visit.page.locator("#runs tbody tr").count() == 2
    assert visit.requests == [] and visit.dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    visit.page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
    visit.page.close()
