"""Run the install matrix's cells (noxfile.py) as N nox processes side by side.

A cell spends most of its test time waiting (pods that sleep, deadlines, kills): measured on the 2-core machine, a
cell's processes used about 25 to 30 % of one core over its run, so three cells at once fit the CI machine. Cells
are dealt longest first (by the last run's ``.matrix/<cell>/cell.json`` where there is one, else by the committed
``.ci/matrix_seconds.json``) to the job with the least work so far; each job is one ``nox -s CELL ...`` whose lines
are printed with the job's prefix as they come. The exit status is the worst of the jobs'.

    python .ci/matrix.py --jobs 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
# A cell with no record of its own (a clean clone, as in CI): the seconds it took in the last measured full run,
# committed (.ci/matrix_seconds.json, `python .ci/matrix.py --record` rewrites it from .matrix/); else this.
ESTIMATES = Path(__file__).resolve().parent / "matrix_seconds.json"
DEFAULT_SECONDS = 300.0


def cells() -> List[str]:
    sys.path.insert(0, str(ROOT))
    import noxfile  # the cell list lives there

    return [noxfile.cell_name(cell) for cell in noxfile.CELLS]


def recorded_seconds(cell: str) -> Optional[float]:
    try:
        record = json.loads((ROOT / ".matrix" / cell / "cell.json").read_text())
        return float(sum(record["timings"].values()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _estimates() -> Dict[str, float]:
    try:
        return {str(name): float(seconds) for name, seconds in json.loads(ESTIMATES.read_text()).items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def last_seconds(cell: str) -> float:
    recorded = recorded_seconds(cell)
    return recorded if recorded is not None else _estimates().get(cell, DEFAULT_SECONDS)


def record(names: List[str]) -> int:
    """Rewrite the committed estimates from the cells' records in .matrix/ (after a full run)."""
    seconds = {name: recorded_seconds(name) for name in names}
    missing = sorted(name for name, value in seconds.items() if value is None)
    if missing:
        print(f"no timings in .matrix/ for {', '.join(missing)}: run the whole matrix first", file=sys.stderr)
        return 2
    ESTIMATES.write_text(json.dumps({name: round(value or 0.0) for name, value in seconds.items()}, indent=1) + "\n")
    print(f"{ESTIMATES}: {len(seconds)} cells")
    return 0


def deal(names: List[str], jobs: int) -> List[List[str]]:
    """Longest first, each to the job with the least expected work so far."""
    groups: List[List[str]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    for name in sorted(names, key=last_seconds, reverse=True):
        least = load.index(min(load))
        groups[least].append(name)
        load[least] += last_seconds(name)
    return [group for group in groups if group]


def _relay(prefix: str, stream) -> None:
    for line in iter(stream.readline, ""):
        sys.stdout.write(f"{prefix} {line}")
        sys.stdout.flush()


def run(groups: List[List[str]], nox: str) -> int:
    started = time.monotonic()
    running: Dict[str, subprocess.Popen] = {}
    relays = []
    for index, group in enumerate(groups, 1):
        prefix = f"[matrix {index}]"
        print(f"{prefix} cells: {' '.join(group)}", flush=True)
        process = subprocess.Popen(
            [nox, "-s", *group], cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        running[prefix] = process
        relay = threading.Thread(target=_relay, args=(prefix, process.stdout), daemon=True)
        relay.start()
        relays.append(relay)
    codes = {prefix: process.wait() for prefix, process in running.items()}
    for relay in relays:
        relay.join()
    for prefix, code in codes.items():
        print(f"{prefix} exit {code}")
    print(f"matrix: {len(groups)} jobs, {time.monotonic() - started:.0f} s", flush=True)
    return max(codes.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MATRIX_JOBS", "3")))
    parser.add_argument("--nox", default=str(Path(sys.executable).parent / "nox"))
    parser.add_argument("--record", action="store_true", help="rewrite .ci/matrix_seconds.json from .matrix/")
    args = parser.parse_args()
    if args.record:
        return record(cells())
    return run(deal(cells(), max(1, args.jobs)), args.nox)


if __name__ == "__main__":
    sys.exit(main())
