"""docs/check_links.py, the internal-link check `make docs` runs over the built site, on a small site of its own."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def check_links() -> ModuleType:
    return load_script("docs/check_links.py", "check_links")


def _site(root: Path, index_links: str) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text(f'<html><body><h1 id="top">Home</h1>{index_links}</body></html>')
    (root / "sub" / "page.html").write_text(
        '<html><body><section id="a-heading"><a name="old"></a><a href="../index.html#top">up</a>'
        '<img src="../img.png"></section></body></html>'
    )
    (root / "img.png").write_bytes(b"png")
    return root


def test_a_site_whose_links_all_resolve_passes(check_links, tmp_path):
    site = _site(
        tmp_path,
        '<a href="sub/page.html#a-heading">a</a><a href="sub/page.html#old">b</a><a href="#top">c</a>'
        '<a href="https://example.invalid/x#y">external</a><a href="mailto:a@b.c">mail</a><a href="sub/">dir</a>',
    )
    (site / "sub" / "index.html").write_text("<html></html>")

    assert check_links.broken_links(site) == []
    assert check_links.main([str(site)]) == 0


def test_a_missing_page_and_a_missing_fragment_are_reported(check_links, tmp_path, capsys):
    site = _site(tmp_path, '<a href="sub/gone.html">a</a><a href="sub/page.html#nowhere">b</a><a href="#nope">c</a>')

    problems = check_links.broken_links(site)

    assert problems == [
        "index.html: sub/gone.html (no such file)",
        "index.html: sub/page.html#nowhere (no id 'nowhere' in page.html)",
        "index.html: #nope (no id 'nope' in index.html)",
    ]
    assert check_links.main([str(site)]) == 1
    assert "3 broken" in capsys.readouterr().out


def test_no_built_site_is_an_error(check_links, tmp_path):
    assert check_links.main([str(tmp_path)]) == 2
