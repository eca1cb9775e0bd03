"""No orphans (issue 8, test 6): a task that is killed, marked failed or times out takes its pod with it.

Airflow stops a task with SIGTERM when a user kills it and when it is marked failed (Airflow 3's supervisor on the
heartbeat's 409, Airflow 2's LocalTaskJob), and its SIGTERM handler calls ``on_kill``. Here the task runs in a real
subprocess (``dag.test()``, which installs that handler) and gets the SIGTERM; ``execution_timeout`` runs in-process
(Airflow raises the timeout from SIGALRM in the main thread).
"""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path
from typing import Any, List, Optional

import pytest

from airflow_provider_composer_pod import compat
from tests.conftest import wait_for
from tests.integration.conftest import created_pods
from tests.integration.e2e.conftest import Worker

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"

RUN_TASK = textwrap.dedent(
    """
    import sys

    from airflow_provider_composer_pod.compat import dag_bag

    dag_bag(sys.argv[1]).dags[sys.argv[2]].test()
    """
)


def deletes(emulator: Any, name: str) -> List[Any]:
    return emulator.requests(method="DELETE", path_contains=f"/pods/{name}")


def running(emulator: Any, name: str) -> bool:
    return ((emulator.pod(name, NAMESPACE) or {}).get("status") or {}).get("phase") == "Running"


@pytest.fixture
def worker(airflow_db: str, tmp_path: Path) -> Any:
    started: List[Worker] = []

    def start(dag_id: str) -> Worker:
        started.append(Worker(RUN_TASK, airflow_db, dag_id, tmp_path))
        return started[-1]

    yield start
    for each in started:
        each.stop()


@pytest.fixture
def secret(k8s_emulator: Any) -> None:
    k8s_emulator.create_secret("reliability-secret", {"token": "t"}, NAMESPACE)


def test_sigterm_while_the_pod_runs_deletes_it(k8s_emulator, worker, secret):
    task = worker("reliability_killed")
    name = wait_for(
        lambda: created_pods(k8s_emulator) and created_pods(k8s_emulator)[0].body["metadata"]["name"], 90, "the pod"
    )
    wait_for(lambda: running(k8s_emulator, name), 30, "the pod to run")

    task.signal(signal.SIGTERM)  # what "mark failed" and a kill send the task process

    wait_for(lambda: deletes(k8s_emulator, name), 5, "the pod's deletion")
    wait_for(lambda: k8s_emulator.pod(name, NAMESPACE) is None, 10, "the pod to be gone")
    task.wait(60)
    assert len(created_pods(k8s_emulator)) == 1
    assert k8s_emulator.list("pods", NAMESPACE) == []


def test_sigterm_before_the_pod_exists_leaves_no_pod(k8s_emulator, worker, secret):
    # The pre-flight's Secret read gets 503s (retried with backoff), so the kill lands before KPO knows of any pod.
    k8s_emulator.faults.fail_requests(count=3, status=503, method="GET", path=r"/secrets/reliability-secret$")
    task = worker("reliability_killed")
    wait_for(lambda: k8s_emulator.requests(method="GET", path_contains="/secrets/"), 90, "the pre-flight")

    task.signal(signal.SIGTERM)
    task.wait(60)

    # Airflow 2 stops the task at the signal (no pod is made); Airflow 3 lets execute go on after on_kill, and the
    # pod that is then created is deleted at once.
    for created in created_pods(k8s_emulator):
        assert deletes(k8s_emulator, created.body["metadata"]["name"])
    assert len(created_pods(k8s_emulator)) <= 1
    wait_for(lambda: k8s_emulator.list("pods", NAMESPACE) == [], 10, "no pod left")


def test_execution_timeout_deletes_the_pod_whatever_on_finish_action_says(k8s_emulator, run_dag, caplog):
    escaped: Optional[BaseException] = None
    try:
        result = run_dag("reliability_execution_timeout")
    except BaseException as error:  # Airflow 2.9 to 2.11's dag.test lets the (BaseException) timeout out
        escaped = error
        log = caplog.text
    else:
        assert result.state == "failed"
        log = result.log

    assert escaped is None or type(escaped).__name__ == "AirflowTaskTimeout"
    (created,) = created_pods(k8s_emulator)
    name = created.body["metadata"]["name"]
    assert deletes(k8s_emulator, name)
    assert "the task was interrupted (AirflowTaskTimeout)" in log
    assert "returned a failure" not in log  # Airflow's timeout is the error, not KPO's pod failure
    wait_for(lambda: k8s_emulator.list("pods", NAMESPACE) == [], 10, "no pod left")


def test_sigterm_during_a_retry_wait_stops_the_task_at_once(k8s_emulator, worker, secret):
    # The pre-flight's Secret read gets 503s for as long as api_retry_timeout (300 s) would ride them out: only the
    # kill can end the task before that. Airflow 3's SIGTERM handler calls on_kill and returns; the wait must break.
    k8s_emulator.faults.fail_requests(count=1_000_000, status=503, method="GET", path=r"/secrets/reliability-secret$")
    task = worker("reliability_killed")
    wait_for(lambda: len(k8s_emulator.requests(method="GET", path_contains="/secrets/")) >= 2, 90, "a retry")

    task.signal(signal.SIGTERM)
    task.wait(60)  # a hang guard: without the fix the task retries for the rest of 300 s

    if compat.AIRFLOW_3:  # its handler only calls on_kill: our wait breaks and says so
        assert "Task killed while waiting to retry a Kubernetes API call" in task.log
    else:  # Airflow 2's handler calls on_kill and raises in the wait itself
        assert "Task received SIGTERM signal" in task.log
    assert created_pods(k8s_emulator) == []
