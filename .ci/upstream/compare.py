"""Per-test comparison of two runs, and the reviewed list of expected flips.

A flip is a test whose outcome differs between the as-shipped run and the rebound run. Expected flips are listed in
``expected_flips.txt``: one test id per line, then whitespace and a one-line reason. Listing a flip accepts it; a
listed test that no longer flips is stale and fails the lane too, so the list cannot outlive the code it excuses.
"""

from __future__ import annotations

import re
from pathlib import Path

# A test id, whose parameters in [...] may hold spaces, then whitespace and the reason.
_LINE = re.compile(r"^(\S*?\[.*?\](?=\s)|\S+)\s+(.+)$")


def read_expected(path: Path) -> dict[str, str]:
    """``{test id: reason}`` from the expected-flips file; ``#`` lines and blank lines are ignored."""
    expected: dict[str, str] = {}
    if not path.exists():
        return expected
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        test_id, reason = match.groups() if match else (line, "")
        if not reason.strip():
            raise ValueError(f"{path}:{number}: {test_id} has no reason")
        expected[test_id] = reason.strip()
    return expected


def flips(shipped: dict, rebound: dict, excluded: set[str]) -> dict[str, tuple[dict, dict]]:
    """Tests whose outcome differs between the runs (a test missing from one run counts as "absent")."""
    absent = {"outcome": "absent", "message": ""}
    result = {}
    for test_id in sorted(set(shipped) | set(rebound)):
        if test_id in excluded:
            continue
        before = shipped.get(test_id, absent)
        after = rebound.get(test_id, absent)
        if before["outcome"] != after["outcome"]:
            result[test_id] = (before, after)
    return result


def counts(results: dict) -> dict[str, int]:
    """How many tests had each outcome."""
    tally: dict[str, int] = {}
    for entry in results.values():
        tally[entry["outcome"]] = tally.get(entry["outcome"], 0) + 1
    return dict(sorted(tally.items()))
