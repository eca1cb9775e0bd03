"""Worker CPU per log line: stock KubernetesPodOperator's log follow against ComposerPodOperator's, in one run.

A container prints N numbered lines (``line 000001`` ..., or 2 KB lines with ``--long``) as fast as the emulator's
runtime takes them, in writes of 500 lines. Each side follows that pod's log the way its operator does in
``execute``: the operator's own ``pod_manager`` (stock: KPO's ``PodManager``; ours: the same class with
``log_stream.follow_resumably``), then ``fetch_container_logs(follow=True)`` from the moment the pod is Running, every
line logged through the PodManager's logger to a handler that formats it (as a task log does) and counts it.

The Kubernetes API emulator runs in a child process (``--serve``), so serving the log is not the worker's cost.
Reported per side: wall seconds, worker CPU (this process's ``time.process_time`` over the follow) per 100,000
lines delivered (stock may stop reading early), lines delivered (distinct numbers seen), lines repeated, whether the
final line came. Sides alternate order per size. The machine's load average is printed beside the table: compare
ratios within one run, not absolute numbers.

Why stock loses the final line (cncf-kubernetes 10.25; ``tests/integration/test_log_stream.py`` shows each case,
and fails them when run with the stock PodManager):

- The stream breaks after the container has ended, before the last line arrived (a kubelet or API-server connection
  dropped near the end, or a log read that falls behind a chatty pod). ``fetch_container_logs`` catches the error and
  asks ``container_is_running``; the container has ended, so it returns and never reads the log again: the lines
  after the break, the last one among them, are lost. (Ours reads the rest without ``follow`` from ``sinceTime``.)
- The last line has no ``\n`` and the connection drops after it but before the chunked body's clean end:
  ``PodLogsConsumer.__iter__`` holds it as an incomplete item and yields that only after the stream ends normally,
  so the exception carries it away.
- ``PodLogsConsumer`` also stops reading mid-stream once ``logs_available()`` says no: its pod is re-read only
  every 120 s, and a container that ended more than ``post_termination_timeout`` (120 s) before that re-read cuts a
  long read (a million lines read slower than written) short; the lines not read yet are lost.
- Without a break it is delivered, but mangled: after a final ``\n`` the consumer yields one empty item, which
  ``consume_logs`` glues on to the buffered last line as a continuation, so the task log gets ``"line 200\n"``.

Usage: .venv/bin/python bench/log_throughput.py [--quick] [--sizes 10000 100000 1000000] [--long-sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from typing import Any, Dict, List, Optional

from emulator_child import EmulatorProcess  # bench/emulator_child.py, next to this script

NAMESPACE = "composer-user-workloads"
BATCH = 500
LONG_WIDTH = 2048
NUMBER = re.compile(r"line (\d{7})")


# ------------------------------------------------------------------------------------------ emulator process
def _entrypoint(count: int, width: int, final_newline: bool) -> Any:
    async def entrypoint(ctx: Any) -> int:
        for start in range(1, count + 1, BATCH):
            stop = min(count, start + BATCH - 1)
            text = "".join(f"line {n:07d}".ljust(width - 1, ".") + "\n" for n in range(start, stop + 1))
            if stop == count and not final_newline:
                text = text[:-1]
            ctx.write(text)
            await ctx.sleep(0)
        return 0

    return entrypoint


def serve() -> int:
    """The child process: an emulator driven by one JSON command per stdin line, one JSON answer per stdout line."""
    from airflow_provider_composer_pod.testing import KubernetesEmulator

    emulator = KubernetesEmulator(namespace=NAMESPACE).start()
    print(json.dumps({"kubeconfig": emulator.kubeconfig_path}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        answer: Dict[str, Any] = {"ok": True}
        if command["cmd"] == "prepare":
            emulator.reset()
            image = f"numbered-{command['name']}"
            entrypoint = _entrypoint(command["n"], command["width"], command["final_newline"])
            emulator.scenario(image=image, entrypoint=entrypoint)
            body = {"metadata": {"name": command["name"]}, "spec": {"containers": [{"name": "base", "image": image}]}}
            emulator.create("pods", body, NAMESPACE)
            emulator.wait_for_pod(command["name"], NAMESPACE, phases=("Running", "Succeeded"), timeout=60)
            answer["cpu"] = time.process_time()
        elif command["cmd"] == "stop":
            break
        print(json.dumps(answer), flush=True)
    emulator.stop()
    return 0


# ------------------------------------------------------------------------------------------------ worker side
class Counting(logging.Handler):
    """Formats every record (a task log's handler would) and counts the numbered lines in it."""

    def __init__(self, sink: Any) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"))
        self.sink = sink
        self.numbers: List[int] = []
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.sink.write(text)
        self.sink.write("\n")
        self.numbers.extend(int(n) for n in NUMBER.findall(record.getMessage()))
        self.last = record.getMessage()


def _operator(side: str, name: str) -> Any:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    from airflow_provider_composer_pod import ComposerPodOperator

    cls = KubernetesPodOperator if side == "stock" else ComposerPodOperator
    return cls(task_id=f"{side}-{name}", name=name, namespace=NAMESPACE, image="numbered", get_logs=True)


def follow(emulator: EmulatorProcess, side: str, n: int, width: int, final_newline: bool, sink: Any) -> Dict[str, Any]:
    from kubernetes import client

    name = f"{side}-{n}-{width}-{int(final_newline)}"
    emulator.send(cmd="prepare", name=name, n=n, width=width, final_newline=final_newline)
    operator = _operator(side, name)
    if side == "ours":
        operator._settle_config()
    manager = operator.pod_manager
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name=name, namespace=NAMESPACE))
    # A plain logging.Logger with one formatting handler, the same for both sides (Airflow 3's structlog task logger
    # needs a running task; what it costs per line is the same on both sides).
    handler = Counting(sink)
    logger = logging.getLogger(f"bench.pod_manager.{name}")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    manager._log = logger
    cpu, wall = time.process_time(), time.monotonic()
    manager.fetch_container_logs(pod=pod, container_name="base", follow=True)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    counts = Counter(handler.numbers)
    return {
        "wall": wall,
        "cpu": cpu,
        "cpu per 100k": cpu * 100_000 / max(len(counts), 1),  # per line delivered: stock may stop early
        "delivered": len(counts),
        "repeated": sum(c - 1 for c in counts.values() if c > 1),
        "missing": sum(1 for k in range(1, n + 1) if counts[k] == 0),
        "final line": "yes" if counts[n] else "MISSING",
        "last message": handler.last[-40:],
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a small run: 10,000 lines, 2,000 long lines")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--long-sizes", type=int, nargs="*", default=[10_000, 100_000], help="2 KB lines")
    parser.add_argument("--no-final-newline", action="store_true", help="the container's last line has no \\n")
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
    if args.quick:
        args.sizes, args.long_sizes = [10_000], [2_000]

    home = tempfile.mkdtemp(prefix="bench-log-throughput-airflow-home-")
    os.environ["AIRFLOW_HOME"] = home  # before Airflow is imported: nothing lands in ~/airflow
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    for variable in ("KUBECONFIG", "COMPOSER_ENVIRONMENT", "COMPOSER_VERSION", "COMPOSER_POD_GENERATION"):
        os.environ.pop(variable, None)
    logging.getLogger().setLevel(logging.WARNING)
    # Import both sides before anything is timed: a worker has them loaded already.
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator  # noqa: F401

    from airflow_provider_composer_pod import ComposerPodOperator  # noqa: F401
    from airflow_provider_composer_pod.compat import PROVIDER_VERSION

    emulator = EmulatorProcess(__file__)
    extra = {"kube_config_path": emulator.kubeconfig, "namespace": NAMESPACE}
    os.environ["AIRFLOW_CONN_KUBERNETES_DEFAULT"] = json.dumps({"conn_type": "kubernetes", "extra": extra})
    runs = [(n, 80) for n in args.sizes] + [(n, LONG_WIDTH) for n in args.long_sizes]
    rows = []
    load = os.getloadavg()
    try:
        with open(os.devnull, "w") as sink:
            for index, (n, width) in enumerate(runs):
                sides = ("stock", "ours") if index % 2 == 0 else ("ours", "stock")
                for side in sides:
                    result = follow(emulator, side, n, width, not args.no_final_newline, sink)
                    rows.append((n, width, side, result))
                    print(f"  {side:<5} N={n:<8} width={width:<5} {result}", file=sys.stderr, flush=True)
    finally:
        emulator.stop()
        shutil.rmtree(home, ignore_errors=True)
    load = tuple(max(a, b) for a, b in zip(load, os.getloadavg()))

    print(
        f"Python {sys.version.split()[0]}; cncf-kubernetes {PROVIDER_VERSION}; {os.cpu_count()} CPUs; "
        f"load average (1/5/15 min, highest seen) {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
        f"last line {'without' if args.no_final_newline else 'with'} a newline"
    )
    columns = ("lines", "line bytes", "operator", "wall s", "worker CPU s / 100k lines delivered", "delivered")
    print("| " + " | ".join((*columns, "repeated", "final line")) + " |")
    print("|---|---|---|---|---|---|---|---|")
    names = {"stock": "stock KPO", "ours": "ComposerPodOperator"}
    for n, width, side, r in sorted(rows, key=lambda row: (row[1], row[0], row[2] != "stock")):
        print(
            f"| {n:,} | {width} | {names[side]} | {r['wall']:.1f} | {r['cpu per 100k']:.2f} | {r['delivered']:,} "
            f"| {r['repeated']} | {r['final line']} |"
        )
    for n, width in runs:
        stock = next(r for m, w, s, r in rows if (m, w, s) == (n, width, "stock"))
        ours = next(r for m, w, s, r in rows if (m, w, s) == (n, width, "ours"))
        ratio = ours["cpu per 100k"] / max(stock["cpu per 100k"], 1e-9)
        print(f"N={n:,} width={width}: ours / stock worker CPU per line {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
