"""startup_wait: the argument, its checks at construction, and the deferral seams' hand-over to our triggers."""

from __future__ import annotations

import datetime
import sys
from types import SimpleNamespace

import pytest

from airflow_provider_composer_pod import ComposerPodOperator, compat
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.operators.deferral import require_async_client
from airflow_provider_composer_pod.startup.deadline import BACKSTOP_SECONDS, execution_deadline


def test_block_is_the_default_and_costs_no_instance_attribute():
    op = ComposerPodOperator(task_id="t", image="bash")

    assert op.startup_wait == "block"
    assert "startup_wait" not in vars(op)


def test_defer_is_kept():
    assert ComposerPodOperator(task_id="t", image="bash", startup_wait="defer").startup_wait == "defer"


def test_an_unknown_value_fails_at_construction_naming_the_choices():
    with pytest.raises(ComposerPodInputError) as raised:
        ComposerPodOperator(task_id="t", image="bash", startup_wait="deferred")

    assert raised.value.parameter == "startup_wait"
    assert "startup_wait='deferred' is not valid: must be 'block'" in str(raised.value)
    assert "use startup_wait='block' or startup_wait='defer'" in str(raised.value)


@pytest.mark.skipif("deferrable" not in compat.KPO_ARGUMENTS, reason="KPO has deferrable from 5.2")
def test_defer_and_deferrable_together_fail_at_construction():
    with pytest.raises(ComposerPodInputError, match="deferrable=True already frees the worker for the whole run"):
        ComposerPodOperator(task_id="t", image="bash", startup_wait="defer", deferrable=True)


def test_defer_needs_kubernetes_asyncio_and_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes_asyncio", None)  # what find_spec sees when it is not installed

    with pytest.raises(ComposerPodInputError) as raised:
        require_async_client()

    assert "needs the kubernetes_asyncio package" in str(raised.value)
    assert "airflow-provider-composer-pod[defer]" in str(raised.value)


@pytest.mark.skipif(compat.KubernetesPodTrigger is None, reason="no KubernetesPodTrigger before provider 5.2")
def test_kpos_stock_trigger_becomes_ours_with_the_same_arguments(k8s_emulator):
    from airflow.exceptions import TaskDeferred

    from airflow_provider_composer_pod.triggers.pod import ComposerPodTrigger

    op = ComposerPodOperator(task_id="t", image="bash", deferrable=True)
    op.composer_connection.resolve_config_source()
    stock_kwargs = {
        "pod_name": "p",
        "pod_namespace": "composer-user-workloads",
        "trigger_start_time": datetime.datetime.now(datetime.timezone.utc),
        "base_container_name": "base",
    }
    stock = compat.KubernetesPodTrigger(**stock_kwargs)

    with pytest.raises(TaskDeferred) as deferred:
        op.defer(trigger=stock, method_name="trigger_reentry")

    ours = deferred.value.trigger
    assert type(ours) is ComposerPodTrigger
    classpath, kwargs = ours.serialize()
    assert classpath == "airflow_provider_composer_pod.triggers.pod.ComposerPodTrigger"
    ours_only = ("cluster", "hook_kwargs", "execution_deadline")
    assert {k: v for k, v in kwargs.items() if k not in ours_only} == stock.serialize()[1]
    assert kwargs["execution_deadline"] is None  # no execution_timeout: no deadline, no deferral timeout
    assert deferred.value.timeout is None
    assert kwargs["cluster"]["config_dict"]["clusters"][0]["cluster"]["server"] == k8s_emulator.url
    rebuilt = ComposerPodTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


@pytest.mark.skipif(compat.KubernetesPodTrigger is None, reason="no KubernetesPodTrigger before provider 5.2")
def test_an_execution_timeout_reaches_the_trigger_and_airflow_gets_a_later_deferral_timeout(k8s_emulator):
    from airflow.exceptions import TaskDeferred

    op = ComposerPodOperator(
        task_id="t", image="bash", deferrable=True, execution_timeout=datetime.timedelta(seconds=100)
    )
    op.composer_connection.resolve_config_source()
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=40)
    op.run_state.execution_deadline = execution_deadline(op, {"ti": SimpleNamespace(start_date=start)})
    stock = compat.KubernetesPodTrigger(
        pod_name="p", pod_namespace="composer-user-workloads", trigger_start_time=start, base_container_name="base"
    )

    with pytest.raises(TaskDeferred) as deferred:
        op.defer(trigger=stock, method_name="trigger_reentry")

    assert deferred.value.trigger.execution_deadline == pytest.approx(start.timestamp() + 100)
    # 60 s left until the trigger ends the task; Airflow resumes it in __fail__ a minute after that at the latest.
    assert deferred.value.timeout.total_seconds() == pytest.approx(60 + BACKSTOP_SECONDS, abs=5)
