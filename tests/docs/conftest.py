"""The documentation site's browser test (``make docs``): the built site in Debian's headless Chromium.

It needs what only ``make docs`` provides (the built site in docs/_build/html, Playwright from requirements/ui.txt,
Debian's ``chromium``), so a plain ``pytest``, ``make test`` and the install matrix never collect it: the Makefile
target opts in with ``COMPOSER_POD_DOCS_TESTS=1``, as the browser lane (tests/ui/) does with its own variable.
Playwright only drives ``/usr/bin/chromium``; nothing here downloads a browser.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, List

import pytest

from tests.browser import CHROMIUM, chromium_page

if TYPE_CHECKING:
    from playwright.sync_api import Page

if os.environ.get("COMPOSER_POD_DOCS_TESTS") != "1":
    collect_ignore_glob = ["*"]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SITE = Path(os.environ.get("DOCS_SITE", str(ROOT / "docs" / "_build" / "html")))


def pytest_report_header() -> str:
    if os.environ.get("COMPOSER_POD_DOCS_TESTS") == "1":
        return f"docs browser test: {CHROMIUM}, site {SITE}"
    return "docs browser test: not collected without COMPOSER_POD_DOCS_TESTS=1 (run `make docs`)"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots, kept after the run (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1, as a host serves it (the search page loads its index by script)."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE}/index.html is missing: `make docs` builds the site before this test")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class BrowserProblems:
    """Console errors, uncaught page errors and failed or 4xx/5xx requests seen while the test browsed."""

    def __init__(self) -> None:
        self.items: List[str] = []

    def watch(self, page: Page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.items.append(f"console: {msg.text}"))
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.items.append(f"request failed: {request.url}"))
        page.on(
            "response",
            lambda response: response.status >= 400 and self.items.append(f"HTTP {response.status}: {response.url}"),
        )


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(tmp_path: Path, problems: BrowserProblems) -> Iterator[Page]:
    """A fresh headless Chromium with a fresh profile, watched for console errors and failed requests."""
    with chromium_page(tmp_path / "chromium-profile", "make docs") as page:
        problems.watch(page)
        yield page
