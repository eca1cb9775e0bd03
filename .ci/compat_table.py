"""Rewrite the documentation's compatibility table (docs/compatibility.md) from the install matrix's results.

Reads ``.matrix/<cell>/cell.json`` (written by ``noxfile.py``: versions, the Composer-like install check, timings)
and ``.matrix/<cell>/junit.xml`` (pytest), and replaces what lies between ``<!-- compat-table:start -->`` and
``<!-- compat-table:end -->`` in docs/compatibility.md (the site's Compatibility page; the README links to it) with
one row per cell. Nothing outside the markers is touched. This is the table's only generator.

    python .ci/compat_table.py            # rewrite docs/compatibility.md
    python .ci/compat_table.py --check    # exit 1 when docs/compatibility.md is not up to date
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


def render(cells: Sequence[Cell]) -> str:
    rows = [HEADER]
    for cell in cells:
        if cell.counts is None:
            passed = skipped = "–"
            failed = "not run: " + _escape("; ".join(cell.info.get("problems") or ["no junit.xml"]))
        else:
            passed, skipped = str(cell.counts["passed"]), str(cell.counts["skipped"])
            failed = str(cell.counts["failed"]) if not cell.counts["failed"] else f"**{cell.counts['failed']}**"
        unsupported = "; ".join(_escape(reason) for reason in cell.skips) or "–"
        rows.append(
            f"| {cell.version('python')} | {cell.version('airflow')} | {cell.version('provider')} "
            f"| {cell.version('kubernetes')} | {passed} | {skipped} | {failed} | {_install_column(cell)} "
            f"| {unsupported} |"
        )
    return "\n".join(rows)


def replace_between_markers(text: str, table: str) -> str:
    """``text`` with the block between the markers replaced by ``table``; everything else byte for byte."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0 or end < start or text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"expected exactly one {START} followed by one {END}")
    head = text[: start + len(START)]
    return f"{head}\n{table}\n{text[end:]}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix-dir", type=Path, default=ROOT / ".matrix")
    parser.add_argument("--page", "--readme", dest="page", type=Path, default=ROOT / "docs" / "compatibility.md")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 when the page's table is not up to date")
    mode.add_argument("--print", dest="print_only", action="store_true", help="print the table, change nothing")
    args = parser.parse_args(argv)

    cells = read_cells(args.matrix_dir)
    if not cells:
        print(f"no {args.matrix_dir}/*/cell.json: run the matrix first (make test-matrix)", file=sys.stderr)
        return 2
    table = render(cells)
    if args.print_only:
        print(table)
        return 0
    text = args.page.read_bytes().decode("utf-8")  # bytes: keep line endings as they are
    try:
        new_text = replace_between_markers(text, table)
    except ValueError as error:
        print(f"{args.page}: {error}", file=sys.stderr)
        return 2
    if args.check:
        if new_text != text:
            print(f"{args.page}: the compatibility table is out of date; run .ci/compat_table.py", file=sys.stderr)
            return 1
        return 0
    if new_text != text:
        args.page.write_bytes(new_text.encode("utf-8"))
    print(f"{args.page}: {len(cells)} cell{'' if len(cells) == 1 else 's'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
