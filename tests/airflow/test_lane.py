"""Scenarios on a real Airflow (issue 20): each asserts the run's state, the task's pods and its log lines."""

from __future__ import annotations

import datetime
import re

import pytest

from tests.airflow.postgres import Postgres
from tests.airflow.scenarios import EXAMPLES, TASK, Lane

# A container line in the task log: KPO prefixes the container name, and on deferrable=True also "logs: ".
FINISHED = re.compile(r"^\[base\] (logs: )?finished$", re.MULTILINE)
CANARY_MASKED = re.compile(r"^\[base\] (logs: )?the value is \*\*\*$", re.MULTILINE)

EXPECTED_LINES = {
    "composer_pod_ex_all_configs": "[base] 3.14159265358979323846",
    "composer_pod_ex_startup_wait": "[base] started after the worker was freed",
}


def _single_task(lane: Lane, dag_id: str, run_id: str) -> str:
    tasks = lane.airflow.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
    assert len(tasks) == 1
    return str(tasks[0]["task_id"])


@pytest.mark.parametrize("dated", [True, False], ids=["logical-date", "no-logical-date"])
@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_example_from_a_manual_trigger(lane: Lane, dag_id: str, dated: bool) -> None:
    run_id = f"{lane.run_id}-{'dated' if dated else 'undated'}"
    state = lane.airflow.wait_for_run(dag_id, run_id)
    task_id = _single_task(lane, dag_id, run_id)
    log = "\n".join(lane.airflow.task_log(dag_id, run_id, task_id).values())
    assert state == "success", log[-4000:]
    pods = lane.cluster.pods_of(dag_id, task_id, run_id)
    assert len(pods) == 1
    assert all(pod.deleted for pod in pods)
    if dag_id in EXPECTED_LINES:
        assert EXPECTED_LINES[dag_id] in log
    if dag_id == "composer_pod_ex_kube_templates":
        # {{ ds }}: the logical date, or on a run without one, the day the run was made for.
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        assert f"[base] {'2024-06-01' if dated else today}" in log


@pytest.mark.parametrize("task_id", ["blocking", "startup-defer", "deferrable"])
def test_canary_secret_masked_in_the_task_log(lane: Lane, canary: str, task_id: str) -> None:
    state = lane.airflow.wait_for_run("lane_canary", lane.run_id)
    log = "\n".join(lane.airflow.task_log("lane_canary", lane.run_id, task_id).values())
    assert state == "success", log[-4000:]
    assert CANARY_MASKED.search(log)
    assert canary not in log
    assert len(lane.cluster.pods_of("lane_canary", task_id, lane.run_id)) == 1


@pytest.mark.parametrize("dag_id", ["lane_mark_failed_running", "lane_mark_failed_deferred"])
def test_mark_failed_deletes_the_pod_and_clear_reruns_once(lane: Lane, dag_id: str) -> None:
    deleted_after, first_pods = lane.outcome(dag_id)
    state = lane.airflow.wait_for_run(dag_id, lane.run_id)
    log = lane.airflow.task_log(dag_id, lane.run_id, TASK)
    assert state == "success", log
    pods = lane.cluster.pods_of(dag_id, TASK, lane.run_id)
    assert len(first_pods) == 1
    assert len(pods) == 2, [pod.name for pod in pods]  # the marked try's pod, deleted, and the rerun's
    assert not lane.live_pods(dag_id)
    assert FINISHED.search(log[max(log)])
    print(f"{dag_id}: pod deleted {deleted_after:.1f} s after mark failed")


def test_execution_timeout_while_deferred(lane: Lane) -> None:
    dag_id = "lane_timeout_deferred"
    state = lane.airflow.wait_for_run(dag_id, lane.run_id)
    log = "\n".join(lane.airflow.task_log(dag_id, lane.run_id, TASK).values())
    assert state == "failed"
    assert "timeout" in log.lower() or "timed out" in log.lower(), log[-4000:]
    assert not FINISHED.search(log)
    assert len(lane.cluster.pods_of(dag_id, TASK, lane.run_id)) == 1
    assert not lane.live_pods(dag_id)


def test_triggerer_killed_and_restarted_while_deferred(lane: Lane) -> None:
    dag_id = "lane_triggerer_restart"
    down = lane.outcome(dag_id)
    state = lane.airflow.wait_for_run(dag_id, lane.run_id)
    log = lane.airflow.task_log(dag_id, lane.run_id, TASK)
    assert state == "success", log
    assert list(log) == [1]  # resumed, not retried
    assert FINISHED.search(log[1])
    assert len(lane.cluster.pods_of(dag_id, TASK, lane.run_id)) == 1
    assert not lane.live_pods(dag_id)
    print(f"{dag_id}: triggerer down {down:.1f} s")


def test_worker_killed_mid_run_retry_reattaches(lane: Lane) -> None:
    dag_id = "lane_worker_killed"
    lane.outcome(dag_id)
    state = lane.airflow.wait_for_run(dag_id, lane.run_id)
    log = lane.airflow.task_log(dag_id, lane.run_id, TASK)
    assert state == "success", log
    assert sorted(log) == [1, 2]
    assert FINISHED.search(log[2])
    assert len(lane.cluster.pods_of(dag_id, TASK, lane.run_id)) == 1
    assert not lane.live_pods(dag_id)


def test_canary_nowhere_raw(lane: Lane, canary: str, postgres: Postgres) -> None:
    """No file under the Airflow home and no row of the metadata database has the value."""
    lane.airflow.wait_for_run("lane_canary", lane.run_id)
    files = [path for path in lane.airflow.home.rglob("*") if path.is_file()]
    assert not [str(path) for path in files if canary.encode() in path.read_bytes()]
    assert canary not in postgres.dump(f"airflow{lane.airflow.major}")


def test_canary_not_in_component_output(lane: Lane, canary: str) -> None:
    """Nor what the scheduler, triggerer and API server print (on Composer, their pods' logs in Cloud Logging).

    Airflow 3.3's LocalExecutor repeats every task log line on the scheduler's output through a logger without the
    masking step; the task process masks its records before they leave it (compat/log_records.py)."""
    lane.airflow.wait_for_run("lane_canary", lane.run_id)
    leaked = [process.name for process in lane.airflow.components.values() if canary in process.log()]
    assert not leaked


def test_nothing_left_in_the_namespace(lane: Lane) -> None:
    """Last for each Airflow: every pod its runs created is gone."""
    for dag_id in ["lane_canary", *EXAMPLES]:
        for run in (lane.run_id, f"{lane.run_id}-dated", f"{lane.run_id}-undated"):
            assert not [pod.name for pod in lane.cluster.pods_of(dag_id, run_id=run) if not pod.deleted]
