"""``execution_timeout`` while ``deferrable=True`` waits: one deadline, ours, even where KPO brings its own.

KPO 10.25.0 hands its trigger the task's deadline too (``trigger_kwargs["_execution_deadline"]``), in whole seconds,
so up to a second before ours; when its trigger fires first, the event is a plain "timeout" and KPO's cleanup deletes
the pod per ``on_finish_action``, though ``on_kill_action="keep_pod"`` asked to keep it (a fresh-clone CI run of
``test_deferred_timeout``'s keep case met this). Here the second between the two is made certain: the real
``invoke_defer_method`` builds the stock trigger, the operator's ``defer`` hands it over, and ours runs against the
emulator with KPO's deadline already past and ours still ahead.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import math
import time
from types import SimpleNamespace

import pytest

from airflow_provider_composer_pod import ComposerPodOperator, compat
from airflow_provider_composer_pod.operators.deferral import KPO_DEADLINE
from airflow_provider_composer_pod.startup.deadline import execution_deadline
from airflow_provider_composer_pod.startup.pod_watch import POD_SELECTOR

NS = "composer-user-workloads"

pytestmark = pytest.mark.skipif(
    compat.KubernetesPodTrigger is None
    or "context" not in inspect.signature(compat.KubernetesPodOperator.invoke_defer_method).parameters
    or "on_kill_action" not in compat.KPO_ARGUMENTS,
    reason="KPO hands its trigger no deadline of its own before it takes on_kill_action and a context to defer",
)


def _running_pod(emulator, name):
    emulator.create(
        "pods",
        {
            "metadata": {"name": name, "labels": {POD_SELECTOR.split("=")[0]: "True"}},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "base", "image": "bash", "command": ["sleep", "600"]}],
            },
        },
        NS,
    )
    deadline = time.monotonic() + 20
    while ((emulator.pod(name, NS) or {}).get("status") or {}).get("phase") != "Running":
        assert time.monotonic() < deadline, "the pod did not start"
        time.sleep(0.05)


def _deadline_kpo_has_passed_and_ours_has_not() -> float:
    """A deadline 0.9 s into the current second, with at least 0.4 s of it left: KPO's, the whole second, has passed."""
    while time.time() % 1 > 0.5:
        time.sleep(0.05)
    return math.floor(time.time()) + 0.9


def test_the_trigger_keeps_the_pod_at_the_deadline_though_kpos_own_passed_first(k8s_emulator):
    from airflow.exceptions import TaskDeferred

    name = "deadline-kept"
    _running_pod(k8s_emulator, name)
    op = ComposerPodOperator(
        task_id="deadline-kept",
        image="bash",
        deferrable=True,
        on_kill_action="keep_pod",
        execution_timeout=datetime.timedelta(seconds=30),
        poll_interval=0.2,
    )
    op.composer_connection.resolve_config_source()
    op.pod = op.client.read_namespaced_pod(name, NS)
    start = _deadline_kpo_has_passed_and_ours_has_not() - 30
    context = {"ti": SimpleNamespace(start_date=datetime.datetime.fromtimestamp(start, datetime.timezone.utc))}
    op.run_state.execution_deadline = execution_deadline(op, context)

    with pytest.raises(TaskDeferred) as deferred:
        op.invoke_defer_method(context=context)

    trigger = deferred.value.trigger
    assert KPO_DEADLINE not in (trigger.trigger_kwargs or {})
    assert trigger.execution_deadline == pytest.approx(start + 30)

    async def first_event():
        async for event in trigger.run():
            return event.payload

    event = asyncio.run(asyncio.wait_for(first_event(), timeout=20))

    assert event["status"] == "execution_timeout", event
    assert f"pod {NS}/{name} kept (on_kill_action=keep_pod)" in event["message"]
    # Back on the worker: Airflow's timeout, and KPO's cleanup does not run.
    with pytest.raises(type(compat.task_timeout("")), match="execution_timeout passed while it was deferred"):
        op.trigger_reentry(context, event)
    assert k8s_emulator.requests(method="DELETE") == []
    assert k8s_emulator.pod(name, NS) is not None
