"""Lines lost and repeated when a followed log breaks: stock KubernetesPodOperator's PodManager against ours.

One container prints ``--lines`` numbered lines (20 per write, each write's lines sharing one timestamp, about 2,500
a second) while the emulator cuts the log stream ``--cuts`` times: after whole lines and in the middle of a line, by
turns. The same run is followed by KPO's own ``PodManager.fetch_container_logs(follow=True)`` and by the same
PodManager with ComposerPodOperator's resumable reads (``log_stream.follow_resumably``). The lines each read hands to
``fetch_container_logs`` (which logs every line it gets) are counted: how many of the container's lines are missing,
how many appear more than once, and the log requests made. Nothing is timed.

Usage: .venv/bin/python bench/log_resume.py [--lines 10000] [--cuts 5]
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections import Counter
from typing import Any, Dict, List

NAMESPACE = "composer-user-workloads"
LINE = re.compile(r"line (\d{6})$")
CUT_POINTS = [(1_510, None), (None, 60_001), (2_503, None), (None, 7_777), (3_007, None), (None, 33_333)]


def count_lines(manager: Any, numbers: List[int]) -> None:
    """Record every line ``fetch_container_logs`` gets from its reads (it logs each line it gets)."""
    read = manager.read_pod_logs

    def counted(*args: Any, **kwargs: Any) -> Any:
        for raw in read(*args, **kwargs):
            match = LINE.search(raw.decode("utf-8", "replace").rstrip("\n"))
            if match:
                numbers.append(int(match.group(1)))
            yield raw

    manager.read_pod_logs = counted


def _entrypoint(count: int) -> Any:
    async def entrypoint(ctx: Any) -> int:
        for start in range(1, count + 1, 20):
            text = "".join(f"line {n:06d}\n" for n in range(start, min(count, start + 19) + 1))
            ctx.write(text, timestamp_ns=time.time_ns())
            await ctx.sleep(0.008)
        return 0

    return entrypoint


def follow(emulator: Any, name: str, lines: int, cuts: int, resumable: bool) -> Dict[str, Any]:
    from airflow.providers.cncf.kubernetes.utils.pod_manager import PodManager
    from kubernetes import client

    from airflow_provider_composer_pod.kube.log_stream import LogPositions, follow_resumably

    emulator.reset()
    emulator.scenario(image="numbered", entrypoint=_entrypoint(lines))
    for items, size in (CUT_POINTS * cuts)[:cuts]:
        emulator.faults.cut_streams("log", after_items=items, after_bytes=size)
    core = client.CoreV1Api(emulator.kubernetes_client())
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, namespace=NAMESPACE),
        spec=client.V1PodSpec(
            restart_policy="Never", containers=[client.V1Container(name="base", image="numbered", command=["x"])]
        ),
    )
    core.create_namespaced_pod(NAMESPACE, pod)
    emulator.wait_for_pod(name, NAMESPACE, phases=("Running",))
    manager = PodManager(kube_client=core)
    if resumable:
        follow_resumably(manager, core, LogPositions())
    numbers: List[int] = []
    count_lines(manager, numbers)
    manager.fetch_container_logs(pod=pod, container_name="base", follow=True)
    counts = Counter(numbers)
    return {
        "missing": sum(1 for n in range(1, lines + 1) if counts[n] == 0),
        "repeated": sum(c - 1 for c in counts.values() if c > 1),
        "log requests": len(emulator.requests(method="GET", path_contains=f"/{name}/log")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--cuts", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from airflow_provider_composer_pod.compat import PROVIDER_VERSION
    from airflow_provider_composer_pod.testing import KubernetesEmulator
    from airflow_provider_composer_pod.wording import counted

    with KubernetesEmulator(namespace=NAMESPACE) as emulator:
        results = {
            "stock KPO": follow(emulator, "stock", args.lines, args.cuts, resumable=False),
            "ComposerPodOperator": follow(emulator, "ours", args.lines, args.cuts, resumable=True),
        }
    print(f"cncf-kubernetes {PROVIDER_VERSION}: {counted(args.lines, 'line')}, stream cut {counted(args.cuts, 'time')}")
    print("| | lines missing | lines repeated | log requests |")
    print("|---|---|---|---|")
    for who, result in results.items():
        print(f"| {who} | {result['missing']} | {result['repeated']} | {result['log requests']} |")


if __name__ == "__main__":
    main()
