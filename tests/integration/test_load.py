"""Issue 8, scenario 8: many concurrent tasks against one emulator while faults rain down.

Each task is a ComposerPodOperator run through its execution path (``execute`` with a task context) in its own
thread. Before and during the run, faults are injected at random (seeded): bursts of 500/502/503/504 and 429 on every
call type, creates whose answers are lost, connection outages that also drop open connections, and log streams cut
mid-way. Afterwards: every task succeeded (none lost), each task instance created exactly one pod (none doubled),
and no pod is left (none orphaned).

``make test`` runs 20 tasks. The figures in docs/reliability.md come from the full run::

    COMPOSER_POD_LOAD_TASKS=200 .venv/bin/python -m pytest tests/integration/test_load.py -p no:cacheprovider -s
"""

from __future__ import annotations

import collections
import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import pytest

from airflow_provider_composer_pod import ComposerPodOperator
from airflow_provider_composer_pod.compat import prepare_thread_for_execute
from tests.integration.conftest import created_pods

NAMESPACE = "composer-user-workloads"
TASKS = int(os.environ.get("COMPOSER_POD_LOAD_TASKS", "20"))
SEED = int(os.environ.get("COMPOSER_POD_LOAD_SEED", "8"))
STORM_SECONDS = float(os.environ.get("COMPOSER_POD_LOAD_STORM", "4" if TASKS <= 50 else "20"))
LINES = max(4, int(STORM_SECONDS * 2))
MAPPED = 4  # tasks come in groups of four map indexes of one task id: identity must tell them apart
RUN_ID = "manual__load"
CALL_TYPES = [
    ("POST", r"/pods$"),  # create
    ("GET", r"/pods$"),  # find by labels
    ("GET", r"/pods/[^/]+$"),  # read
    ("GET", r"/pods/[^/]+/log$"),  # logs
    ("DELETE", r"/pods/[^/]+$"),  # delete
]


@dataclass
class TaskInstance:
    """The task-instance fields KubernetesPodOperator reads from its context, and the XComs it pushes."""

    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int = 1
    xcoms: Dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self.xcoms[key] = value


@dataclass
class Dag:
    dag_id: str
    parent_dag: Optional[Any] = None


@dataclass
class Chaos:
    """Faults injected while the tasks run, from one seeded thread."""

    emulator: Any
    rng: random.Random
    outages: int = 0
    cuts: int = 0
    bursts: List[Any] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def burst(self) -> None:
        method, path = self.rng.choice(CALL_TYPES)
        status = self.rng.choice([500, 502, 503, 504, 429])
        retry_after = self.rng.choice([0, 1]) if status == 429 else None
        count = self.rng.randint(1, 4)
        self.bursts.append(self.emulator.faults.fail_requests(count, status, method, path, retry_after=retry_after))

    def run(self, seconds: float) -> None:
        """A storm of ``seconds``; then the weather clears (every rule still armed is dropped), as it does after a
        control-plane upgrade. Rules left armed would otherwise all land on the last few tasks."""
        first, until = True, time.monotonic() + seconds
        while not self.stop.wait(self.rng.uniform(0.2, 0.6)) and time.monotonic() < until:
            action, first = (0.0 if first else self.rng.random()), False
            if action < 0.25:
                self.emulator.faults.refuse_connections(self.rng.uniform(0.2, 0.8), drop_existing=True)
                self.outages += 1
            elif action < 0.45:
                self.cuts += self.emulator.faults.cut_active_streams("log")
            else:
                self.burst()
        self.emulator.faults.clear()


def run_task(index: int) -> Tuple[TaskInstance, Optional[BaseException]]:
    task_id, map_index = f"load-{index // MAPPED}", index % MAPPED
    ti = TaskInstance("load", task_id, RUN_ID, map_index)
    operator = ComposerPodOperator(
        task_id=task_id,
        image="load/echo",
        # prints for about as long as the storm lasts, so faults land on every phase, log streaming included
        cmds=["bash", "-c", f"for i in $(seq 1 {LINES}); do echo task {index} line $i; sleep 0.5; done"],
        api_retry_timeout=60,
    )
    prepare_thread_for_execute()
    try:
        operator.execute({"ti": ti, "task_instance": ti, "run_id": RUN_ID, "dag": Dag("load")})
    except BaseException as error:  # a lost task is what this test counts
        return ti, error
    return ti, None


def describe(error: BaseException) -> str:
    """The error and what it hid (KPO's cleanup raises "returned a failure" over the exception that stopped it)."""
    chain: List[str] = []
    seen: Optional[BaseException] = error
    while seen is not None and len(chain) < 4:
        chain.append(f"{type(seen).__name__}: {str(seen).splitlines()[0][:200] if str(seen) else ''}")
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(chain)


@pytest.mark.timeout(max(300, TASKS * 6))
def test_concurrent_tasks_under_random_faults(k8s_emulator: Any, log_text: Any) -> None:
    rng = random.Random(SEED)
    k8s_emulator.scenario(image="load/echo", pull_delay=0.2)
    chaos = Chaos(k8s_emulator, rng)
    for _ in range(max(5, TASKS // 4)):
        chaos.burst()
    lost_answers = k8s_emulator.faults.drop_responses(count=max(2, TASKS // 10), method="POST", path=r"/pods$")
    k8s_emulator.faults.cut_streams("log", after_items=1, count=max(2, TASKS // 10))
    injector = threading.Thread(target=chaos.run, args=(STORM_SECONDS,), name="chaos", daemon=True)

    started = time.monotonic()
    injector.start()
    try:
        with ThreadPoolExecutor(max_workers=TASKS) as pool:
            results = list(pool.map(run_task, range(TASKS)))
    finally:
        chaos.stop.set()
        injector.join()
    elapsed = time.monotonic() - started

    lost = {f"{ti.task_id}[{ti.map_index}]": describe(error) for ti, error in results if error is not None}
    per_task = collections.Counter(
        (r.body["metadata"]["labels"]["task_id"], r.body["metadata"]["labels"].get("map_index"))
        for r in created_pods(k8s_emulator)
    )
    duplicated = {key: count for key, count in per_task.items() if count > 1}
    left = [p["metadata"]["name"] for p in k8s_emulator.list("pods", NAMESPACE)]
    log = log_text()
    if os.environ.get("COMPOSER_POD_LOAD_LOG"):
        with open(os.environ["COMPOSER_POD_LOAD_LOG"], "w") as handle:
            handle.write(log)
    requests = k8s_emulator.requests()
    error_answers = sum(1 for r in requests if r.status in (429, 500, 502, 503, 504))
    dropped = sum(1 for r in requests if r.dropped and r.method == "POST" and r.status == 201)
    retries = len(re.findall(r"Kubernetes API \w+ \S+ failed \(.*?\); retry \d+", log))
    adopted = len(re.findall(r"Adopted pod ", log))
    print(
        f"\nload: {TASKS} tasks in {elapsed:.1f} s (seed {SEED}, {STORM_SECONDS:.0f} s storm): "
        f"{TASKS - len(lost)} succeeded, {len(lost)} lost; {sum(per_task.values())} pods created, "
        f"{len(duplicated)} duplicated, {len(left)} left. Faults: {error_answers} error answers "
        f"(500/502/503/504/429), {dropped} creates done but answered by a dropped connection, {chaos.outages} "
        f"outages refusing connections (and dropping open ones), {chaos.cuts} open log streams cut; "
        f"{len(requests)} requests in all. {retries} retries logged, {adopted} pods adopted."
    )

    assert lost == {}
    assert duplicated == {}
    assert len(per_task) == TASKS
    assert left == []
    # the faults really happened
    assert error_answers >= TASKS // 4
    assert lost_answers.used >= 1
    assert retries > 0
    assert all(ti.xcoms.get("pod_name") for ti, _ in results)


@pytest.fixture(autouse=True)
def _quiet_nested_operator_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow 3 warns when ``execute`` runs outside a task runner, once per task: here that is the point."""
    monkeypatch.setenv("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
