"""Resumable log streaming (issue 8, tests 1 and 4): a followed log that breaks is resumed from its last timestamp,
every line reaches the task log exactly once, and a follow never hangs after the container has ended."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Any, Callable, List

import pytest

from tests.integration.conftest import created_pods

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"
IMAGE = "reliability/numbered-lines"
# A container line as the task log shows it: "[base] line 00042" (KPO 5.x on) or through PodManager's logger (4.x).
LINE = re.compile(
    r"(?:\[base\] |PodManager\S*\s+|\{pod_manager\.py:\d+\} \w+ - )line (\d{5})(?:\s+\[[\w.]+\] loc=\S+)?$", re.M
)


def numbered_lines(count: int, per_write: int, pause: float, *, shared_timestamps: bool = False) -> Callable:
    """An entrypoint printing ``line 00001`` ... ``line <count>``, ``per_write`` lines at a time.

    With ``shared_timestamps`` every write's lines carry one timestamp, so a resume lands among equal timestamps.
    """

    async def entrypoint(ctx: Any) -> int:
        for start in range(1, count + 1, per_write):
            text = "".join(f"line {n:05d}\n" for n in range(start, min(count, start + per_write - 1) + 1))
            ctx.write(text, timestamp_ns=time.time_ns() if shared_timestamps else None)
            await ctx.sleep(pause)
        return 0

    return entrypoint


def line_counts(log: str) -> Counter:
    return Counter(int(number) for number in LINE.findall(log))


def active_pods(emulator: Any) -> List[str]:
    pods = emulator.list("pods", NAMESPACE)
    return [p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def log_reads(emulator: Any) -> List[Any]:
    return emulator.requests(method="GET", path_contains="/log")


def test_every_line_exactly_once_across_cut_streams(k8s_emulator, run_dag):
    count = 10_000
    k8s_emulator.scenario(image=IMAGE, entrypoint=numbered_lines(count, 20, 0.005, shared_timestamps=True))
    # Five cuts: after whole lines, and in the middle of a line (by bytes).
    for items, size in ((1_510, None), (None, 60_001), (2_503, None), (None, 7_777), (3_007, None)):
        k8s_emulator.faults.cut_streams("log", after_items=items, after_bytes=size)

    result = run_dag("reliability_numbered_lines")

    assert result.state == "success", result.log[-3000:]
    counts = line_counts(result.log)
    assert [n for n in range(1, count + 1) if counts[n] == 0] == []  # none lost
    assert {n: c for n, c in counts.items() if c != 1} == {}  # none repeated
    reads = log_reads(k8s_emulator)
    assert len(reads) >= 6  # the first read and one per cut
    assert all("sinceTime" in r.query for r in reads[1:])  # resumed from a timestamp, never from sinceSeconds
    assert result.log.count("broke (") == 5
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert active_pods(k8s_emulator) == []


def test_api_refusing_connections_while_streaming(k8s_emulator, run_dag):
    count = 1_500
    k8s_emulator.scenario(image=IMAGE, entrypoint=numbered_lines(count, 10, 0.02))

    def outage_once_streaming() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not log_reads(k8s_emulator):
            time.sleep(0.02)
        time.sleep(0.5)
        k8s_emulator.faults.refuse_connections(2.0)  # the 30 s, scaled: the open stream drops too

    outage = threading.Thread(target=outage_once_streaming)
    outage.start()
    result = run_dag("reliability_numbered_lines")
    outage.join()

    assert result.state == "success", result.log[-3000:]
    counts = line_counts(result.log)
    assert sorted(counts) == list(range(1, count + 1))
    assert set(counts.values()) == {1}
    assert "broke (" in result.log
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert active_pods(k8s_emulator) == []


@pytest.mark.timeout(120)
def test_follow_ends_when_the_kubelet_keeps_the_stream_open(k8s_emulator, run_dag):
    k8s_emulator.scenario(image=IMAGE, entrypoint=numbered_lines(300, 10, 0.01))
    k8s_emulator.faults.hang_log_follows()

    result = run_dag("reliability_hanging_follow")

    assert result.state == "success", result.log[-3000:]
    assert sorted(line_counts(result.log).elements()) == list(range(1, 301))
    # The follow went quiet, the container had ended, so the rest was read once without follow.
    reads = log_reads(k8s_emulator)
    assert reads[0].query.get("follow") == "true"
    assert any(r.query.get("follow") is None and "sinceTime" in r.query for r in reads[1:])
    assert active_pods(k8s_emulator) == []
