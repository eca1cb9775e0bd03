"""Debian's headless Chromium under Playwright, as the browser lane (tests/ui/) and the docs test (tests/docs/) use it.

Playwright only drives ``/usr/bin/chromium`` (or ``$CHROMIUM``); nothing here downloads a browser. Imported only by
those two opt-in suites' conftests, so a plain ``pytest`` never needs Playwright.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# No outside network here: nothing in the background may try to reach it. Playwright adds the fresh --user-data-dir.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium_page(profile: Path, installed_by: str) -> Iterator[Page]:
    """A fresh headless Chromium with a fresh profile in ``profile``; its one page, closed on the way out."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `{installed_by}` installs Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(30_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
