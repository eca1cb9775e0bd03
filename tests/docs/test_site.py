"""The built documentation site in a real browser: every page of the navigation opens, the search finds pages, and
nothing on the way logs a console error or fails to load. Screenshots go to tests/docs/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List
from urllib.parse import urljoin

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.docs.conftest import BrowserProblems

# The pages the issue asks for, by their navigation titles.
EXPECTED_PAGES = [
    "Getting started on Cloud Composer",
    "The operator",
    "The connection",
    "Secrets and ConfigMaps",
    "Autopilot and Composer rules",
    "Testing your DAGs against the Kubernetes emulator",
    "Compatibility",
    "Reliability",
    "Performance",
    "Troubleshooting",
    "Changelog",
    "API reference",
]


def test_navigation_reaches_every_page(page: Page, site_url: str, problems: BrowserProblems, artifacts: Path) -> None:
    page.goto(site_url)
    assert page.locator("h1").first.inner_text().startswith("airflow-provider-composer-pod")
    page.screenshot(path=str(artifacts / "docs-home.png"))

    links = page.locator(".sidebar-tree a.reference.internal")
    titles: List[str] = [title.strip() for title in links.all_inner_texts()]
    hrefs = [links.nth(index).get_attribute("href") or "" for index in range(links.count())]
    assert [title for title in EXPECTED_PAGES if title not in titles] == []

    for title, href in zip(titles, hrefs):
        page.goto(urljoin(site_url, href))
        heading = page.locator("article h1").first.inner_text()
        assert heading.rstrip("#¶ \n").strip() == title, (href, heading)
        # Follow the page's own "next" link too, as a reader clicking through would.
        nxt = page.locator("a.next-page")
        if nxt.count():
            nxt.first.click()
            page.wait_for_load_state()
            assert page.locator("article h1").count() == 1

    page.goto(urljoin(site_url, "autopilot.html"))
    assert page.get_by_role("heading", name="Compute class general-purpose").count() == 1
    assert page.locator("table").count() > 5  # the generated rules tables
    page.goto(urljoin(site_url, "connection.html"))
    images = page.locator("article img")
    assert images.count() == 4  # the browser lane's screenshots, both UIs
    assert all(image.evaluate("i => i.complete && i.naturalWidth > 0") for image in images.all())
    assert problems.items == []


def test_search_box_finds_pages(page: Page, site_url: str, problems: BrowserProblems, artifacts: Path) -> None:
    page.goto(site_url)
    box = page.locator("input.sidebar-search[name=q]").first
    box.fill("api_retry_timeout")
    box.press("Enter")
    page.wait_for_url("**/search.html?q=api_retry_timeout*")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for()
    found = " ".join(results.all_inner_texts())
    assert "Reliability" in found, found
    assert "The connection" in found, found
    page.screenshot(path=str(artifacts / "docs-search.png"))

    results.locator("a").first.click()
    page.wait_for_load_state()
    assert page.locator("article h1").count() == 1
    assert problems.items == []
