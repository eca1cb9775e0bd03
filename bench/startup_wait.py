"""Waiting for pods to start in a triggerer: stock KubernetesPodTrigger against ComposerPodStartupTrigger, in one run.

Part 1, the triggerer. For N = 100, 1000 and 5000 pods (the largest also spread over ``--namespaces`` namespaces,
20 by default), each side gets the same emulator scenario: N pods created at
once, Pending for ``--pending`` seconds, then starting in ``--waves`` waves spread over ``--spread`` seconds (a
scaled-down scale-up: the real thing is minutes). All N triggers run in one event loop, as a triggerer runs them:

- stock: ``KubernetesPodTrigger`` as KPO 10.x builds it (its defaults: a startup check every 5 s, the pod's events
  watched while it starts), timed through its startup phase (``_wait_for_pod_start``, what ``startup_wait`` replaces);
- ours: ``ComposerPodStartupTrigger.run()`` to its event (one shared watch per namespace).

Reported per side: API requests the emulator received while the triggers ran (pod creation excluded), the
triggerer's CPU seconds (this process's user+system time over that phase, ``time.process_time``; the emulator runs in
a child process, so serving the requests is not counted here but shown as "API server CPU"), and the start-detection
latency, p50 and p99, from the moment the emulator's kubelet set the pod Running (recorded in the emulator process on
the same clock) to the moment the trigger fired; "fired after sent", p50 and p99, the part of it from the moment the
API server wrote the watch event that shows the pod Running to the moment the trigger fired (the triggerer's own
share: the rest is the emulator's queue, which starts 250 pods at once on the same two cores; the stock trigger
polls with GETs and is not timed this way); and the triggerer's resident memory per waiting pod: the growth of
this process's RSS from before the triggers were made to ``--pending`` * 0.8 s into the wait (every pod still
Pending), divided by N. An RSS delta: a trial reuses memory that an earlier trial of the run freed, so only a run's
first trial after the warm-up counts all of it, and small N are noisy; ``--only-spread`` runs the many-namespace trial
alone.

Part 2, the worker slot. One ComposerPodOperator task whose pod is Pending ``--slot-pending`` seconds (120 by
default) and then runs 1 s, with ``startup_wait="block"`` and with ``"defer"``, side by side. A worker slot is held
while ``execute`` runs; with "defer" that is the first ``execute`` (until TaskDeferred) plus the resume
(``execute_after_startup``), and the trigger's wait in between holds none. ``execute`` is called directly with a
minimal context, as in bench/missing_secret.py.

Usage: .venv/bin/python bench/startup_wait.py [--sizes 100 1000 5000] [--namespaces 20] [--pending 20] [--spread 10]
       [--slot-pending 120] [--only-spread]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from emulator_child import EmulatorProcess  # bench/emulator_child.py, next to this script
from task_context import task_context  # bench/task_context.py, next to this script

NAMESPACE = "composer-user-workloads"
MAX_NAMESPACES = 20


def namespace(index: int, namespaces: int) -> str:
    """The namespace of pod ``index`` when the pods are spread over ``namespaces`` (the first is NAMESPACE)."""
    slot = index % namespaces
    return NAMESPACE if slot == 0 else f"{NAMESPACE}-{slot:02d}"


def resident_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


LABELS = {"kubernetes_pod_operator": "True"}


# ------------------------------------------------------------------------------------------ emulator process
def serve() -> int:
    """The child process: an emulator driven by one JSON command per stdin line, one JSON answer per stdout line."""
    from airflow_provider_composer_pod.testing import KubernetesEmulator, PodScenario
    from airflow_provider_composer_pod.testing.harness.emulator import DEFAULT_NAMESPACES

    extra = [namespace(index, MAX_NAMESPACES) for index in range(1, MAX_NAMESPACES)]
    emulator = KubernetesEmulator(namespace=NAMESPACE, namespaces=(*DEFAULT_NAMESPACES, *extra)).start()
    running_at: Dict[str, float] = {}
    sent_at: Dict[str, float] = {}

    def on_written(type_: str, obj: Dict[str, Any]) -> None:
        if (obj.get("status") or {}).get("phase") == "Running":
            sent_at.setdefault((obj.get("metadata") or {}).get("name", ""), time.time())

    def on_change(type_: str, resource: str, obj: Dict[str, Any], old: Optional[Dict[str, Any]]) -> None:
        phase = (obj.get("status") or {}).get("phase")
        if resource == "pods" and phase == "Running":
            running_at.setdefault(obj["metadata"]["name"], time.time())

    def listen() -> None:
        if on_change not in emulator.store.listeners:
            emulator.store.listeners.append(on_change)
        emulator.api.on_watch_event_written = on_written

    print(json.dumps({"kubeconfig": emulator.kubeconfig_path, "pid": os.getpid()}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        answer: Dict[str, Any] = {"ok": True}
        if command["cmd"] == "prepare":
            emulator.reset()
            emulator.call(listen)
            running_at.clear()
            sent_at.clear()
            waves = command["waves"]
            for wave in range(waves):
                delay = command["pending"] + command["spread"] * wave / max(waves - 1, 1)
                emulator.add_scenario(
                    PodScenario(pod_name=f"{command['prefix']}-w{wave:02d}-*", schedule_delay=delay, run_duration=600)
                )
            for index in range(command["n"]):
                name = f"{command['prefix']}-w{index % waves:02d}-{index}"
                body = {
                    "metadata": {"name": name, "labels": LABELS},
                    "spec": {"containers": [{"name": "base", "image": "bash", "command": ["sleep", "600"]}]},
                }
                emulator.create("pods", body, namespace(index, command["namespaces"]))
            emulator.clear_requests()
            answer["cpu"] = time.process_time()
        elif command["cmd"] == "slot":
            emulator.reset()
            emulator.scenario(image="bash", schedule_delay=command["pending"], run_duration=1)
        elif command["cmd"] == "stats":
            records = emulator.requests()
            answer.update(
                requests=len(records),
                watches=sum(1 for r in records if r.is_watch),
                running_at=dict(running_at),
                sent_at=dict(sent_at),
                cpu=time.process_time(),
            )
        elif command["cmd"] == "stop":
            break
        print(json.dumps(answer), flush=True)
    emulator.stop()
    return 0


# ------------------------------------------------------------------------------------------------ part 1
@dataclass
class Trial:
    side: str
    n: int
    namespaces: int
    requests: int
    watches: int
    cpu: float
    server_cpu: float
    wall: float
    rss_per_pod: float = float("nan")
    latencies: List[float] = field(default_factory=list)
    after_sent: List[float] = field(default_factory=list)  # fired, after the watch event was written
    missed: int = 0

    def percentile(self, q: float, after_sent: bool = False) -> float:
        ordered = sorted(self.after_sent if after_sent else self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _stock_trigger(name: str, pod_namespace: str, config: Dict[str, Any]) -> Any:
    from airflow.providers.cncf.kubernetes.triggers.pod import KubernetesPodTrigger

    # The arguments KubernetesPodOperator 10.x passes with its defaults (startup_check_interval_seconds=5,
    # poll_interval=2, log_events_on_startup=True), the kube config as config_dict.
    return KubernetesPodTrigger(
        pod_name=name,
        pod_namespace=pod_namespace,
        trigger_start_time=datetime.now(timezone.utc),
        base_container_name="base",
        config_dict=config,
        poll_interval=2,
        startup_timeout=600,
        startup_check_interval=5,
        schedule_timeout=600,
    )


def _our_trigger(name: str, pod_namespace: str, cluster: Dict[str, Any]) -> Any:
    from airflow_provider_composer_pod.triggers.startup import ComposerPodStartupTrigger

    return ComposerPodStartupTrigger(
        pod_name=name, pod_namespace=pod_namespace, cluster=cluster, startup_timeout=600, created_at=time.time()
    )


async def _wait_stock(trigger: Any) -> float:
    await trigger._wait_for_pod_start()
    return time.time()


async def _wait_ours(trigger: Any) -> float:
    async for _ in trigger.run():
        return time.time()
    raise RuntimeError("no event")


def run_trial(
    emulator: EmulatorProcess, side: str, n: int, namespaces: int, args: Any, config: Dict[str, Any]
) -> Trial:
    import gc

    from airflow_provider_composer_pod.kube.cluster import ClusterConnection

    prefix = f"{'stk' if side == 'stock' else 'our'}{n}n{namespaces}"
    before = emulator.send(
        cmd="prepare",
        prefix=prefix,
        n=n,
        namespaces=namespaces,
        pending=args.pending,
        spread=args.spread,
        waves=args.waves,
    )
    names = [f"{prefix}-w{index % args.waves:02d}-{index}" for index in range(n)]
    where = [namespace(index, namespaces) for index in range(n)]
    cluster = ClusterConnection(config_dict=config).to_dict()
    waiting_rss: List[int] = []

    async def sample_rss() -> None:
        await asyncio.sleep(args.pending * 0.8)
        waiting_rss.append(resident_bytes())

    async def main() -> List[float]:
        sampler = asyncio.ensure_future(sample_rss())
        if side == "stock":
            waits = [_wait_stock(_stock_trigger(name, ns, config)) for name, ns in zip(names, where)]
        else:
            waits = [_wait_ours(_our_trigger(name, ns, cluster)) for name, ns in zip(names, where)]
        fired = await asyncio.gather(*waits)
        sampler.cancel()
        return fired

    gc.collect()
    rss = resident_bytes()
    cpu, wall = time.process_time(), time.monotonic()
    fired = asyncio.run(main())
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    stats = emulator.send(cmd="stats")
    running_at, sent_at = stats["running_at"], stats["sent_at"]
    trial = Trial(side, n, namespaces, stats["requests"], stats["watches"], cpu, stats["cpu"] - before["cpu"], wall)
    if waiting_rss:
        trial.rss_per_pod = (waiting_rss[0] - rss) / n
    for name, at in zip(names, fired):
        if name in running_at:
            trial.latencies.append(at - running_at[name])
            if name in sent_at:
                trial.after_sent.append(at - sent_at[name])
        else:
            trial.missed += 1
    return trial


# ------------------------------------------------------------------------------------------------ part 2
def slot_seconds(startup_wait: str, results: Dict[str, Any]) -> None:
    from airflow_provider_composer_pod import ComposerPodOperator

    task_id = f"slot-{startup_wait}"
    context = task_context("bench_startup_wait", task_id, f"bench__{startup_wait}")

    def task() -> Any:
        return ComposerPodOperator(
            task_id=task_id, image="bash", cmds=["echo", "hello"], startup_wait=startup_wait, get_logs=True
        )

    began = time.monotonic()
    held = 0.0
    try:
        task().execute(context)
        held = time.monotonic() - began
    except BaseException as deferred:  # Airflow 3's TaskDeferred is a BaseException
        held = time.monotonic() - began
        if type(deferred).__name__ != "TaskDeferred":
            raise
        event = asyncio.run(_first_event(deferred.trigger))  # type: ignore[attr-defined]
        resumed = time.monotonic()
        task().execute_after_startup(context, event=event)
        held += time.monotonic() - resumed
    results[startup_wait] = {"held": held, "total": time.monotonic() - began}


async def _first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event.payload
    raise RuntimeError("no event")


# -------------------------------------------------------------------------------------------------- main
def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000], help="pods per trial")
    parser.add_argument(
        "--sides", nargs="+", choices=("stock", "ours"), default=["stock", "ours"], help="which triggers to run"
    )
    parser.add_argument(
        "--namespaces", type=int, default=MAX_NAMESPACES, help="the largest size again over this many namespaces"
    )
    parser.add_argument("--pending", type=float, default=20.0, help="seconds every pod stays Pending (default 20)")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the pods start (default 10)")
    parser.add_argument("--waves", type=int, default=20, help="start waves within the spread (default 20)")
    parser.add_argument("--slot-pending", type=float, default=120.0, help="part 2's Pending seconds (0: skip)")
    parser.add_argument(
        "--only-spread", action="store_true", help="only the largest size over --namespaces (its RSS without reuse)"
    )
    args = parser.parse_args(argv)
    if args.serve:
        return serve()

    home = tempfile.mkdtemp(prefix="bench-startup-wait-airflow-home-")
    os.environ["AIRFLOW_HOME"] = home  # before Airflow is imported: nothing lands in ~/airflow
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    for name in ("KUBECONFIG", "COMPOSER_ENVIRONMENT", "COMPOSER_VERSION", "COMPOSER_POD_GENERATION"):
        os.environ.pop(name, None)
    import logging

    import yaml

    logging.getLogger().setLevel(logging.WARNING)  # neither side pays for INFO lines it would write to a task log
    # Import both sides' modules before anything is timed: a triggerer has them loaded already.
    import kubernetes_asyncio.client  # noqa: F401
    from airflow.providers.cncf.kubernetes.triggers.pod import KubernetesPodTrigger  # noqa: F401

    from airflow_provider_composer_pod.triggers.startup import ComposerPodStartupTrigger  # noqa: F401

    namespaces = max(1, min(args.namespaces, MAX_NAMESPACES))
    cells = [(n, 1) for n in args.sizes] + ([(max(args.sizes), namespaces)] if namespaces > 1 else [])
    if args.only_spread:
        cells = cells[-1:]
    load = os.getloadavg()
    emulator = EmulatorProcess(__file__, stop_timeout=30)
    trials: List[Trial] = []
    slots: Dict[str, Any] = {}
    try:
        with open(emulator.kubeconfig) as handle:
            config = yaml.safe_load(handle)
        for side in args.sides:  # a warm-up, not reported: the first trial of a side pays for first-time imports
            run_trial(emulator, side, 20, 1, args, config)
        for index, (n, spread) in enumerate(cells):
            for side in args.sides if index % 2 == 0 else args.sides[::-1]:
                trial = run_trial(emulator, side, n, spread, args, config)
                trials.append(trial)
                print(
                    f"  {side:<5} N={n:<5} namespaces={spread:<3} requests={trial.requests:<6} cpu={trial.cpu:6.2f} s "
                    f"p99={trial.percentile(0.99):.3f} s after sent p99={trial.percentile(0.99, True):.3f} s "
                    f"rss/pod={trial.rss_per_pod:.0f} B wall={trial.wall:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        if args.slot_pending > 0:  # the operators read kubernetes_default (part 1's triggers get config_dict only)
            extra = {"kube_config_path": emulator.kubeconfig, "namespace": NAMESPACE}
            os.environ["AIRFLOW_CONN_KUBERNETES_DEFAULT"] = json.dumps({"conn_type": "kubernetes", "extra": extra})
            emulator.send(cmd="slot", pending=args.slot_pending)
            workers = [threading.Thread(target=slot_seconds, args=(mode, slots)) for mode in ("block", "defer")]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    finally:
        emulator.stop()
        shutil.rmtree(home, ignore_errors=True)

    load = tuple(max(a, b) for a, b in zip(load, os.getloadavg()))
    print(
        f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average (1/5/15 min, highest seen) "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; pods Pending {args.pending:g} s, then starting in "
        f"{args.waves} waves over {args.spread:g} s; all triggers of a side in one event loop"
    )
    header = (
        f"| {'pods':>5} | {'namespaces':>10} | {'trigger':<26} | {'API requests':>12} | {'per namespace':>13} "
        f"| {'watches':>7} | {'triggerer CPU s':>15} | {'API server CPU s':>16} | {'detect p50 s':>12} "
        f"| {'detect p99 s':>12} | {'fired after sent p50 s':>22} | {'fired after sent p99 s':>22} "
        f"| {'RSS per waiting pod':>19} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    names = {"stock": "stock KubernetesPodTrigger", "ours": "ComposerPodStartupTrigger"}
    for n, spread in cells:
        for side in args.sides:
            t = next(t for t in trials if (t.n, t.namespaces, t.side) == (n, spread, side))
            missed = f" ({t.missed} missed)" if t.missed else ""
            print(
                f"| {n:>5} | {spread:>10} | {names[side]:<26} | {t.requests:>12} | {t.requests / spread:>13.1f} "
                f"| {t.watches:>7} | {t.cpu:>15.2f} | {t.server_cpu:>16.2f} | {t.percentile(0.5):>12.3f} "
                f"| {t.percentile(0.99):>12.3f} | {t.percentile(0.5, True):>22.3f} | {t.percentile(0.99, True):>22.3f} "
                f"| {t.rss_per_pod / 1024:>16.1f} KB |{missed}"
            )
    for n, spread in cells if len(args.sides) == 2 else []:
        stock = next(t for t in trials if (t.n, t.namespaces, t.side) == (n, spread, "stock"))
        ours = next(t for t in trials if (t.n, t.namespaces, t.side) == (n, spread, "ours"))
        print(
            f"N={n}, {spread} namespace(s): stock / ours: API requests {stock.requests / max(ours.requests, 1):.0f}x, "
            f"triggerer CPU {stock.cpu / max(ours.cpu, 1e-9):.1f}x, "
            f"p99 detection {stock.percentile(0.99) / max(ours.percentile(0.99), 1e-9):.0f}x"
        )
    if slots:
        print(
            f"Worker-slot seconds for one task Pending {args.slot_pending:g} s, then running 1 s: "
            f"startup_wait='block' {slots['block']['held']:.1f} s, startup_wait='defer' {slots['defer']['held']:.1f} s "
            f"(task took {slots['block']['total']:.1f} s and {slots['defer']['total']:.1f} s end to end)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
