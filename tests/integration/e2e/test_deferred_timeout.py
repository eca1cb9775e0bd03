"""No orphans while deferred (issue 8, test 6): ``execution_timeout`` passes while the task waits in a trigger.

Airflow 3 does not enforce ``execution_timeout`` for a deferred task, and Airflow 2 does so by cancelling the trigger,
after which nobody deletes the pod. The triggers enforce it themselves; should no triggerer run at the time, Airflow
resumes the task in ``__fail__`` after the deferral timeout the operator passed, and the operator deletes the pod.
"""

from __future__ import annotations

from typing import Any, List

import pytest

from airflow_provider_composer_pod import compat
from tests.integration.conftest import created_pods

pytestmark = pytest.mark.e2e

NS = "composer-user-workloads"
FULL_DEFERRAL = pytest.mark.skipif("deferrable" not in compat.KPO_ARGUMENTS, reason="KPO has deferrable from 5.2")
ON_KILL_ACTION = pytest.mark.skipif(
    "on_kill_action" not in compat.KPO_ARGUMENTS, reason="on_kill_action arrived in cncf-kubernetes 10.15"
)


def _only_pod(emulator: Any) -> str:
    (created,) = created_pods(emulator)
    return created.body["metadata"]["name"]


def _deletes(emulator: Any, name: str) -> List[Any]:
    return emulator.requests(method="DELETE", path=f"/api/v1/namespaces/{NS}/pods/{name}")


def test_startup_wait_deletes_the_pending_pod_at_the_execution_timeout(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="bash", unschedulable_for=600)

    result = run_deferring_dag("e2e_defer_execution_timeout")

    assert result.task_states == {"deferred-times-out": "failed"}, result.log[-3000:]
    name = _only_pod(k8s_emulator)
    # Airflow 2 fails the resumed task with its own timeout before our code runs, and KPO's on_kill, which it calls,
    # may delete the pod a second time: harmless, the pod is gone either way.
    assert _deletes(k8s_emulator, name)
    assert (
        "The task's execution_timeout passed while it was deferred (waiting for its pod to start): "
        f"pod {NS}/{name} deleted (on_kill_action=delete_pod)." in result.log
    )
    assert "still Pending after" not in result.log  # the execution_timeout, not the 600 s startup timeout
    assert k8s_emulator.list("pods", NS) == []


@FULL_DEFERRAL
def test_full_deferral_deletes_the_running_pod_at_the_execution_timeout(k8s_emulator, run_deferring_dag):
    result = run_deferring_dag("e2e_full_deferral_execution_timeout")

    assert result.task_states == {"fully-deferred-times-out": "failed"}, result.log[-3000:]
    name = _only_pod(k8s_emulator)
    assert _deletes(k8s_emulator, name)
    assert (
        "The task's execution_timeout passed while it was deferred (waiting for its pod to finish): "
        f"pod {NS}/{name} deleted (on_kill_action=delete_pod)." in result.log
    )
    assert "returned a failure" not in result.log
    assert k8s_emulator.list("pods", NS) == []


@ON_KILL_ACTION
def test_full_deferral_keeps_the_pod_when_on_kill_action_says_so(k8s_emulator, run_deferring_dag):
    result = run_deferring_dag("e2e_full_deferral_execution_timeout_keep")

    assert result.task_states == {"fully-deferred-times-out-kept": "failed"}, result.log[-3000:]
    name = _only_pod(k8s_emulator)
    assert _deletes(k8s_emulator, name) == []
    assert f"pod {NS}/{name} kept (on_kill_action=keep_pod)." in result.log
    assert k8s_emulator.pod(name, NS) is not None


@pytest.mark.parametrize(
    "dag_id",
    ["e2e_defer_execution_timeout", pytest.param("e2e_full_deferral_execution_timeout", marks=FULL_DEFERRAL)],
)
def test_with_no_triggerer_the_deferral_timeout_resumes_the_task_and_deletes_the_pod(
    k8s_emulator, run_deferring_dag, dag_id
):
    k8s_emulator.scenario(image="bash", unschedulable_for=600)

    result = run_deferring_dag(dag_id, triggerer_down=True)

    assert set(result.task_states.values()) == {"failed"}, result.log[-3000:]
    name = _only_pod(k8s_emulator)
    assert _deletes(k8s_emulator, name)
    assert f"Deleted pod {NS}/{name}: the deferred task failed (Trigger/execution timeout)." in result.log
    assert k8s_emulator.list("pods", NS) == []
