"""Check every internal link of the built site: the file it points to exists and so does its #fragment.

    python docs/check_links.py docs/_build/html

Reads every ``*.html`` under the directory and follows each ``href`` and ``src`` that stays on the site (no scheme,
no ``//``): the target file must exist, and a fragment must be an ``id`` (or an ``<a name>``) in it. External links
are not followed (the build is offline). Exits 1 and lists each broken link. Standard library only.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Set, Tuple
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Set[str] = set()
        self.links: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id",) + (("name",) if tag == "a" else ()):
            if values.get(key):
                self.ids.add(str(values[key]))
        for key in ("href", "src"):
            link = values.get(key)
            if link is not None and not (tag == "link" and values.get("rel") in ("preconnect", "dns-prefetch")):
                self.links.append(link)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(site: Path) -> List[str]:
    pages: Dict[Path, _Page] = {path.resolve(): _parse(path) for path in sorted(site.rglob("*.html"))}
    problems = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue  # external (http, https, mailto, data): not followed offline
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site.resolve())}: {link}"
            if not target.exists():
                problems.append(f"{where} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where} (no id {parts.fragment!r} in {target.name})")
    return problems


def main(argv: List[str]) -> int:
    site = Path(argv[0] if argv else "docs/_build/html")
    if not (site / "index.html").exists():
        print(f"{site}/index.html is missing: build the site first (make docs)", file=sys.stderr)
        return 2
    problems = broken_links(site)
    for problem in problems:
        print(f"broken link: {problem}", file=sys.stderr)
    count = len(list(site.rglob("*.html")))
    print(f"{site}: {count} pages, {'no broken internal links' if not problems else f'{len(problems)} broken'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
