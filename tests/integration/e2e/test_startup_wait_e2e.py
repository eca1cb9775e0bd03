"""startup_wait="defer" (every provider) and deferrable=True (5.2+) end to end: dag.test() runs the trigger inline
(``run_deferring_dag`` in this folder's conftest)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_composer_pod import compat
from tests.integration.conftest import created_pods, delete_once_a_pod_is_created, pod_logged

pytestmark = pytest.mark.e2e

NS = "composer-user-workloads"
FULL_DEFERRAL = pytest.mark.skipif("deferrable" not in compat.KPO_ARGUMENTS, reason="KPO has deferrable from 5.2")


def _watches(emulator: Any) -> list:
    return emulator.requests(method="GET", path=f"/api/v1/namespaces/{NS}/pods", is_watch=True)


def test_deferred_start_streams_logs_and_pushes_xcom_as_the_sync_path(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="bash", unschedulable_for=1.0, pull_delay=0.4)

    result = run_deferring_dag("e2e_defer_xcom")

    assert result.state == "success", result.log[-3000:]
    (created,) = created_pods(k8s_emulator, acted_on=False)  # resumed on the same pod, not a second one
    name = created.body["metadata"]["name"]
    (watch,) = _watches(k8s_emulator)  # the trigger waited on the shared watch; nobody polled the pending pod
    reads = k8s_emulator.requests(method="GET", path=f"/api/v1/namespaces/{NS}/pods/{name}")
    assert [r for r in reads if watch.time < r.time < watch.time + 1.0] == []
    assert pod_logged(result.log, "first line")
    story = re.search(r"Pod startup: .*", result.log)
    assert story, result.log[-3000:]
    assert re.search(r"scheduled after 1\.\d s \(TriggeredScaleUp\), .*image bash pulled in 0\.\d s", story.group())
    assert re.search(r"started after 1\.\d s\.", story.group())
    scale_up = result.log.index("  FailedScheduling: 0/3 nodes are available")
    assert scale_up < result.log.index("  TriggeredScaleUp: pod triggered scale-up")  # in the order they happened
    assert result.dag_run.get_task_instance("deferred-pushes").xcom_pull(task_ids="deferred-pushes") == {"rows": 7}
    assert k8s_emulator.requests(method="DELETE", path_contains=name)  # on_finish_action=delete_pod


def test_deferred_start_then_a_failing_container_fails_as_the_sync_path(k8s_emulator, run_deferring_dag):
    result = run_deferring_dag("e2e_defer_fails")

    assert result.state == "failed"
    assert "container base exited with code 4 (Error)" in result.log
    (created,) = created_pods(k8s_emulator, acted_on=False)
    name = created.body["metadata"]["name"]
    # The pod finished before the watch saw it run; the worker still followed its log, as the sync path does.
    logs = k8s_emulator.requests(method="GET", path=f"/api/v1/namespaces/{NS}/pods/{name}/log")
    assert [(r.query.get("container"), r.query.get("follow")) for r in logs][:1] == [("base", "true")]
    assert "before" in result.log
    assert k8s_emulator.requests(method="DELETE", path_contains=name)


def test_deferred_start_fails_fast_on_an_image_that_cannot_be_pulled(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="*missing*", pull_error="manifest unknown", pull_delay=0.2)

    result = run_deferring_dag("e2e_defer_bad_image")

    assert result.state == "failed"
    assert "cannot be pulled (ErrImagePull" in result.log or "cannot be pulled (ImagePullBackOff" in result.log
    assert "roles/artifactregistry.reader" in result.log
    (created,) = created_pods(k8s_emulator, acted_on=False)
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])


def test_deferred_start_times_out_with_the_scale_up_advice(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="bash", unschedulable_for=600)

    result = run_deferring_dag("e2e_defer_timeout")

    assert result.state == "failed"
    assert "was still Pending after 3 s (startup_timeout_seconds=3)" in result.log
    assert "a scale-up was still in progress" in result.log
    (created,) = created_pods(k8s_emulator, acted_on=False)
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])


def test_a_secret_deleted_while_deferred_names_it_and_deletes_the_pod(k8s_emulator, run_deferring_dag):
    k8s_emulator.create_secret("late-secret", {"token": "t0ken"}, NS)
    k8s_emulator.scenario(image="bash", schedule_delay=1.0)

    deleter = delete_once_a_pod_is_created(k8s_emulator, "secrets", "late-secret", NS)
    result = run_deferring_dag("e2e_defer_missing_secret_later")
    deleter.join()

    assert result.state == "failed"
    assert "Secret 'late-secret' (used by env TOKEN of container base) does not exist" in result.log
    (created,) = created_pods(k8s_emulator, acted_on=False)
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])


def test_example_dag_defers_its_start(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="marketplace.gcr.io/google/ubuntu2204", schedule_delay=0.5, pull_delay=0.5)

    result = run_deferring_dag("composer_pod_ex_startup_wait")

    assert result.state == "success", result.log[-3000:]
    assert pod_logged(result.log, "started after the worker was freed")
    assert "Pod startup: scheduled after 0." in result.log


@FULL_DEFERRAL
def test_full_deferral_uses_our_trigger_and_finishes(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="bash", schedule_delay=1.0)

    result = run_deferring_dag("e2e_full_deferral")

    assert result.state == "success", result.log[-3000:]
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert len(_watches(k8s_emulator)) == 1  # the startup phase went through the shared watch
    assert "fully deferred" in result.log


@FULL_DEFERRAL
def test_full_deferral_fails_fast_with_advice_on_a_bad_image(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="*missing*", pull_error="manifest unknown", pull_delay=0.2)

    result = run_deferring_dag("e2e_full_deferral_bad_image")

    assert result.state == "failed"
    assert "roles/artifactregistry.reader" in result.log
    (created,) = created_pods(k8s_emulator, acted_on=False)
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])
