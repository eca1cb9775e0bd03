"""A user's kill of a deferred task deletes its pod even though the triggerer cancels the trigger again meanwhile.

The triggerer cancels a killed trigger's task on every sync until the task has ended: Airflow 3.3 while
``on_kill()`` runs, Airflow 2 while ``cleanup()`` runs. A cancellation that landed before the delete's request was
sent left the pod running (the Airflow lane's "mark failed while deferred", intermittent). Here the triggerer's
handling of a trigger is replayed in a real event loop against the emulator, and the cancellation is repeated on
every turn of the loop, so it always lands before the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import inspect
import math
import time
from typing import Any, Dict
from uuid import uuid4

import pytest

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import triggerer
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.operators.deferral import async_hook_kwargs
from airflow_provider_composer_pod.startup.pod_watch import POD_SELECTOR
from airflow_provider_composer_pod.triggers.startup import ComposerPodStartupTrigger

NS = "composer-user-workloads"


def _pod(name: str) -> Dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {POD_SELECTOR.split("=")[0]: "True"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 600"]}],
        },
    }


@pytest.fixture
def hook(k8s_emulator: Any) -> ComposerPodHook:
    return ComposerPodHook(conn_id="kubernetes_default")


def _startup_trigger(hook: ComposerPodHook, name: str) -> Any:
    return ComposerPodStartupTrigger(
        pod_name=name,
        pod_namespace=NS,
        cluster=hook.composer_connection.cluster().to_dict(),
        startup_timeout=300,
        created_at=time.time(),
        termination_grace_period=0,
    )


_GRACE = (
    {"termination_grace_period": 0}
    if compat.KubernetesPodTrigger is not None
    and "termination_grace_period" in inspect.signature(compat.KubernetesPodTrigger.__init__).parameters
    else {}
)


def _pod_trigger(hook: ComposerPodHook, name: str) -> Any:
    from airflow_provider_composer_pod.triggers.pod import ComposerPodTrigger

    return ComposerPodTrigger(
        pod_name=name,
        pod_namespace=NS,
        trigger_start_time=datetime.datetime.now(datetime.timezone.utc),
        base_container_name="base",
        poll_interval=0.2,
        startup_timeout=300,
        **_GRACE,  # KubernetesPodTrigger takes termination_grace_period from provider 5.3
        cluster=hook.composer_connection.cluster().to_dict(),
        hook_kwargs=async_hook_kwargs(hook.composer_connection),
    )


async def _as_the_triggerer_runs_it(trigger: Any) -> None:
    """The triggerer's ``run_trigger``: on a user's kill ``on_kill()`` (Airflow 3.3+), then always ``cleanup()``."""
    try:
        async for event in trigger.run():
            raise AssertionError(f"the trigger fired {event!r}")
    except asyncio.CancelledError:
        if triggerer.trigger_has_on_kill():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(trigger.on_kill(), timeout=30)
        raise
    finally:
        with contextlib.suppress(Exception):
            await trigger.cleanup()


async def _until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def _running(emulator: Any, name: str) -> bool:
    return ((emulator.pod(name, NS) or {}).get("status") or {}).get("phase") == "Running"


@pytest.fixture
def killed_task_instance(airflow_db: Any) -> Any:
    """The killed task's instance, as the trigger sees it. Before Airflow 3.3 ``cleanup()`` deletes only when the task
    is no longer deferred: on Airflow 2 its row says failed, as a user's "mark failed" leaves it (KPO 10.x's cleanup
    reads it, and keeps the pod when it finds no row). Airflow 3.3 calls ``on_kill()``, which reads nothing."""
    from types import SimpleNamespace

    ids = SimpleNamespace(dag_id="killed", task_id="killed", run_id=f"killed-{uuid4().hex[:8]}", map_index=-1)
    if not compat.AIRFLOW_3:
        _failed_task_instance_row(ids)
    return ids


def _failed_task_instance_row(ids: Any) -> None:
    from airflow.models.dag import DAG
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.operators.empty import EmptyOperator
    from airflow.utils import timezone
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType

    dag = DAG(ids.dag_id, start_date=timezone.datetime(2024, 1, 1), schedule=None)
    task = EmptyOperator(task_id=ids.task_id, dag=dag)
    with create_session() as session:
        now = timezone.utcnow()
        run = DagRun(dag_id=ids.dag_id, run_id=ids.run_id, execution_date=now, run_type=DagRunType.MANUAL)
        session.add(run)
        session.flush()
        session.add(TaskInstance(task, run_id=ids.run_id, state="failed"))


@pytest.mark.parametrize(
    ("kind", "starts"),
    [
        ("startup", False),  # ComposerPodStartupTrigger (startup_wait="defer"), during its wait
        ("pod", False),  # ComposerPodTrigger (deferrable=True) during our startup wait
        ("pod", True),  # ComposerPodTrigger once the pod runs: KPO's on_kill, through the async hook
    ],
    ids=["startup-trigger", "pod-trigger-starting", "pod-trigger-running"],
)
async def test_a_kill_deletes_the_pod_though_the_triggerer_cancels_again(
    k8s_emulator, hook, killed_task_instance, kind, starts, request
):
    if kind == "pod" and compat.KubernetesPodTrigger is None:
        pytest.skip("ComposerPodTrigger extends KPO's KubernetesPodTrigger, from provider 5.2")
    if kind == "pod" and starts and compat.PROVIDER_VERSION.major < 10:
        # KNOWN GAP, open: once the pod runs, the kill is KPO's own trigger's, and before 10.x it deletes nothing
        # when the triggerer cancels it (seen on 6.1.0).
        request.applymarker(pytest.mark.xfail(reason="KPO's trigger before 10.x deletes no running pod on a kill"))
    name = f"killed-{kind}-{'running' if starts else 'starting'}"
    if not starts:
        k8s_emulator.scenario(pod_name=name, unschedulable_for=math.inf)
    k8s_emulator.create("pods", _pod(name), NS)
    trigger = _startup_trigger(hook, name) if kind == "startup" else _pod_trigger(hook, name)
    trigger.task_instance = killed_task_instance
    task = asyncio.ensure_future(_as_the_triggerer_runs_it(trigger))
    if starts:
        await _until(lambda: _running(k8s_emulator, name) and trigger._startup_phase == "")
        await _until(lambda: bool(k8s_emulator.requests(method="GET", path_contains=f"/pods/{name}")))
    else:
        await _until(lambda: bool(k8s_emulator.requests(method="GET", is_watch=True)))
    await asyncio.sleep(0.2)  # the trigger waits

    while not task.done():  # the kill, then the cancel every sync repeats until the trigger's task has ended
        task.cancel()
        await asyncio.sleep(0)

    await _until(lambda: bool(k8s_emulator.requests(method="DELETE", path_contains=f"/pods/{name}")))
    (deleted,) = k8s_emulator.requests(method="DELETE", path_contains=f"/pods/{name}")
    assert deleted.status == 200
    await _until(lambda: k8s_emulator.pod(name, NS) is None)
