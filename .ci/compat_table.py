"""Rewrite the documentation's compatibility table (docs/compatibility.md) from the install matrix's results.

Reads ``.matrix/<cell>/cell.json`` (written by ``noxfile.py``: versions, the Composer-like install check, timings)
and ``.matrix/<cell>/junit.xml`` (pytest), and replaces what lies between ``<!-- compat-table:start -->`` and
``<!-- compat-table:end -->`` in docs/compatibility.md (the site's Compatibility page; the README links to it) with
one row per cell, and what lies between ``<!-- compat-summary:start -->`` and ``<!-- compat-summary:end -->`` in
README.md with the same rows, short (versions and counts). Nothing outside the markers is touched. This is the
tables' only generator.

    python .ci/compat_table.py            # rewrite docs/compatibility.md and README.md's summary
    python .ci/compat_table.py --check    # exit 1 when either is not up to date
    python .ci/compat_table.py --print    # print the table only

Standard library only, Python 3.8+, so it runs in any of the matrix's environments or none.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
START = "<!-- compat-table:start -->"
END = "<!-- compat-table:end -->"
SUMMARY_START = "<!-- compat-summary:start -->"
SUMMARY_END = "<!-- compat-summary:end -->"
SUMMARY_HEADER = "| Python | Airflow | cncf-kubernetes | Passed | Skipped | Failed |\n|---|---|---|---|---|---|"

HEADER = (
    "| Python | Airflow | cncf-kubernetes | kubernetes | Passed | Skipped | Failed | Composer-like install "
    "| Unsupported there |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


class Cell:
    """One matrix cell's results, as the table needs them."""

    def __init__(self, name: str, info: Dict[str, Any], counts: Optional[Dict[str, int]], skips: List[str]) -> None:
        self.name = name
        self.info = info
        self.counts = counts  # None: the suite did not run (the install failed)
        self.skips = skips

    def version(self, key: str) -> str:
        versions = self.info.get("versions") or {}
        requested = self.info.get("requested") or {}
        return str(versions.get(key) or requested.get(key) or "?")

    def sort_key(self) -> Tuple[Tuple[int, ...], ...]:
        return (_vkey(self.version("airflow")), _vkey(self.version("provider")), _vkey(self.version("python")))


def _vkey(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def read_junit(path: Path) -> Tuple[Dict[str, int], List[str]]:
    """Counts of passed / skipped / failed test cases (errors count as failed) and the distinct skip reasons."""
    root = ET.parse(str(path)).getroot()
    counts = {"passed": 0, "skipped": 0, "failed": 0}
    reasons: List[str] = []
    for case in root.iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                break
            if child.tag == "skipped":
                outcome = "skipped"
                reason = _skip_reason(child.get("message") or child.text or "")
                if reason and reason not in reasons:
                    reasons.append(reason)
        counts[outcome] += 1
    return counts, reasons


def _skip_reason(message: str) -> str:
    reason = message.strip().splitlines()[0] if message.strip() else ""
    reason = re.sub(r"^(Skipped|SKIPPED)\s*:\s*", "", reason)
    reason = re.sub(r"^\S+\.py:\d+:\s*", "", reason)  # xunit1 style "file.py:12: reason"
    return reason.strip()


def read_cells(matrix_dir: Path) -> List[Cell]:
    cells = []
    for cell_json in sorted(matrix_dir.glob("*/cell.json")):
        info = json.loads(cell_json.read_text())
        junit = cell_json.parent / "junit.xml"
        counts: Optional[Dict[str, int]] = None
        skips: List[str] = []
        if junit.exists():
            counts, skips = read_junit(junit)
        cells.append(Cell(info.get("cell", cell_json.parent.name), info, counts, skips))
    return sorted(cells, key=Cell.sort_key)


def _install_column(cell: Cell) -> str:
    check = cell.info.get("install_check")
    if not check:
        return "not run"
    if check.get("ok"):
        added = check.get("added") or []
        return "changed nothing" if not added else "changed nothing; added " + ", ".join(added)
    changes = list(check.get("changed") or []) + [f"removed {item}" for item in check.get("removed") or []]
    return "**changed** " + ", ".join(changes)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _counts(cell: Cell) -> Tuple[str, str, str]:
    if cell.counts is None:
        return "–", "–", "not run: " + _escape("; ".join(cell.info.get("problems") or ["no junit.xml"]))
    failed = str(cell.counts["failed"]) if not cell.counts["failed"] else f"**{cell.counts['failed']}**"
    passed = str(cell.counts["passed"])
    if cell.info.get("suite"):  # the development pair: the wheel's checks here, the suite in `make test`
        passed += " (wheel checks; the whole suite: `make test`)"
    return passed, str(cell.counts["skipped"]), failed


def render_summary(cells: Sequence[Cell]) -> str:
    """The README's short table: versions and counts."""
    rows = [SUMMARY_HEADER]
    for cell in cells:
        versions = " | ".join(cell.version(key) for key in ("python", "airflow", "provider"))
        rows.append(f"| {versions} | {' | '.join(_counts(cell))} |")
    return "\n".join(rows)


def render(cells: Sequence[Cell]) -> str:
    rows = [HEADER]
    for cell in cells:
        passed, skipped, failed = _counts(cell)
        unsupported = "; ".join(_escape(reason) for reason in cell.skips) or "–"
        rows.append(
            f"| {cell.version('python')} | {cell.version('airflow')} | {cell.version('provider')} "
            f"| {cell.version('kubernetes')} | {passed} | {skipped} | {failed} | {_install_column(cell)} "
            f"| {unsupported} |"
        )
    return "\n".join(rows)


def replace_between_markers(text: str, table: str, markers: Tuple[str, str] = (START, END)) -> str:
    """``text`` with the block between the markers replaced by ``table``; everything else byte for byte."""
    opening, closing = markers
    start, end = text.find(opening), text.find(closing)
    if start < 0 or end < 0 or end < start or text.count(opening) != 1 or text.count(closing) != 1:
        raise ValueError(f"expected exactly one {opening} followed by one {closing}")
    head = text[: start + len(opening)]
    return f"{head}\n{table}\n{text[end:]}"


def _update(path: Path, table: str, markers: Tuple[str, str], check: bool) -> int:
    text = path.read_bytes().decode("utf-8")  # bytes: keep line endings as they are
    try:
        new_text = replace_between_markers(text, table, markers)
    except ValueError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 2
    if check:
        if new_text != text:
            print(f"{path}: the compatibility table is out of date; run .ci/compat_table.py", file=sys.stderr)
            return 1
        return 0
    if new_text != text:
        path.write_bytes(new_text.encode("utf-8"))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix-dir", type=Path, default=ROOT / ".matrix")
    parser.add_argument("--page", type=Path, help="write the full table to this page only (default: the docs page)")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help="where the short table goes")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 when a table is not up to date")
    mode.add_argument("--print", dest="print_only", action="store_true", help="print the table, change nothing")
    args = parser.parse_args(argv)

    cells = read_cells(args.matrix_dir)
    if not cells:
        print(f"no {args.matrix_dir}/*/cell.json: run the matrix first (make test-matrix)", file=sys.stderr)
        return 2
    if args.print_only:
        print(render(cells))
        return 0
    targets = [(args.page or ROOT / "docs" / "compatibility.md", render(cells), (START, END))]
    if args.page is None:
        targets.append((args.readme, render_summary(cells), (SUMMARY_START, SUMMARY_END)))
    status = max(_update(path, table, markers, args.check) for path, table, markers in targets)
    if not status and not args.check:
        print(f"{', '.join(str(path) for path, _, _ in targets)}: {len(cells)} cell{'' if len(cells) == 1 else 's'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
