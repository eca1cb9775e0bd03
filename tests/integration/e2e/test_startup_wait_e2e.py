"""startup_wait="defer" (every provider) and deferrable=True (5.2+) end to end: dag.test() runs the trigger inline.

Airflow before 2.8 has no inline triggers in dag.test() (a deferred task would wait for a triggerer forever), so
there the DAG runs through :func:`_test_with_inline_triggers`, a copy of 2.8's dag.test() loop: the task runs, its
trigger is rebuilt from the database row (``serialize()`` round trip), run to its first event in a fresh event loop,
and the task resumes with that event, as Airflow's own code does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sys
import threading
import time
from typing import Any, Callable, Dict

import pytest

from airflow_provider_composer_pod import compat
from tests.conftest import merged_log
from tests.integration.conftest import DagResult, pod_logged

pytestmark = pytest.mark.e2e

NS = "composer-user-workloads"
FULL_DEFERRAL = pytest.mark.skipif("deferrable" not in compat.KPO_ARGUMENTS, reason="KPO has deferrable from 5.2")


def _test_with_inline_triggers(dag: Any) -> Any:
    """Airflow 2.6/2.7: dag.test() as 2.8 runs it, triggers inline (for DAGs whose tasks defer)."""
    from airflow.models.dag import _get_or_create_dagrun
    from airflow.models.dagrun import DagRun
    from airflow.models.trigger import Trigger
    from airflow.utils import timezone
    from airflow.utils.module_loading import import_string
    from airflow.utils.session import create_session
    from airflow.utils.state import State, TaskInstanceState
    from airflow.utils.types import DagRunType

    async def first_event(trigger: Any) -> Any:
        async for event in trigger.run():
            return event
        return None

    logical_date = timezone.utcnow()
    with create_session() as session:
        dag.clear(start_date=logical_date, end_date=logical_date, dag_run_state=False, session=session)
        run = _get_or_create_dagrun(
            dag=dag,
            start_date=logical_date,
            execution_date=logical_date,
            run_id=DagRun.generate_run_id(DagRunType.MANUAL, logical_date),
            session=session,
            conf=None,
        )
        while run.state == State.RUNNING:
            schedulable, _ = run.update_state(session=session)
            for ti in schedulable:
                ti.task = dag.task_dict[ti.task_id]
                handler = logging.StreamHandler(sys.stdout)
                ti.log.addHandler(handler)
                try:
                    while True:
                        try:
                            ti._run_raw_task(session=session)
                        except Exception:
                            logging.getLogger(__name__).info("Task failed", exc_info=True)
                            break
                        if ti.state != TaskInstanceState.DEFERRED:
                            break
                        row = session.query(Trigger).filter(Trigger.id == ti.trigger_id).one()
                        event = asyncio.run(first_event(import_string(row.classpath)(**row.kwargs)))
                        ti.next_kwargs = {"event": event.payload}
                        ti.trigger_id = None
                        ti.state = TaskInstanceState.SCHEDULED
                        session.merge(ti)
                        session.commit()
                finally:
                    ti.log.removeHandler(handler)
        return run


@pytest.fixture
def run_deferring_dag(airflow_db: str, capfd: Any, caplog: Any) -> Callable[[str], DagResult]:
    """``run_dag`` (tests/integration/conftest.py) for DAGs whose tasks defer, on every Airflow version."""
    from airflow.models.dagbag import DagBag

    def _run(dag_id: str) -> DagResult:
        kwargs: Dict[str, Any] = {"dag_folder": airflow_db}
        if "include_examples" in inspect.signature(DagBag.__init__).parameters:
            kwargs["include_examples"] = False
        dagbag = DagBag(**kwargs)
        assert dag_id in dagbag.dags, dagbag.import_errors
        capfd.readouterr()
        caplog.clear()
        caplog.set_level(logging.INFO)
        pod_manager_log = logging.getLogger("airflow.providers.cncf.kubernetes.utils.pod_manager")
        pod_manager_log.addHandler(caplog.handler)
        dag = dagbag.dags[dag_id]
        try:
            if compat.dag_test_runs_triggers():
                dag_run = dag.test() or _latest_run(dag_id)
            else:
                dag_run = _test_with_inline_triggers(dag)
        finally:
            pod_manager_log.removeHandler(caplog.handler)
        out, err = capfd.readouterr()
        states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
        return DagResult(str(dag_run.state), states, merged_log(out + err, caplog.records), dag_run)

    return _run


def _latest_run(dag_id: str) -> Any:
    from airflow.models.dagrun import DagRun

    return max(DagRun.find(dag_id=dag_id), key=lambda run: run.id)


def _created(emulator: Any) -> list:
    return [r for r in emulator.requests(method="POST") if r.path.endswith("/pods")]


def _watches(emulator: Any) -> list:
    return emulator.requests(method="GET", path=f"/api/v1/namespaces/{NS}/pods", is_watch=True)


def test_deferred_start_streams_logs_and_pushes_xcom_as_the_sync_path(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="bash", unschedulable_for=1.0, pull_delay=0.4)

    result = run_deferring_dag("e2e_defer_xcom")

    assert result.state == "success", result.log[-3000:]
    (created,) = _created(k8s_emulator)  # resumed on the same pod, not a second one
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
    (created,) = _created(k8s_emulator)
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
    (created,) = _created(k8s_emulator)
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])


def test_deferred_start_times_out_with_the_scale_up_advice(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="bash", unschedulable_for=600)

    result = run_deferring_dag("e2e_defer_timeout")

    assert result.state == "failed"
    assert "was still Pending after 3 s (startup_timeout_seconds=3)" in result.log
    assert "a scale-up was still in progress" in result.log
    (created,) = _created(k8s_emulator)
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])


def test_a_secret_deleted_while_deferred_names_it_and_deletes_the_pod(k8s_emulator, run_deferring_dag):
    k8s_emulator.create_secret("late-secret", {"token": "t0ken"}, NS)
    k8s_emulator.scenario(image="bash", schedule_delay=1.0)

    def delete_once_the_pod_exists() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _created(k8s_emulator):
            time.sleep(0.02)
        k8s_emulator.delete("secrets", "late-secret", NS)

    deleter = threading.Thread(target=delete_once_the_pod_exists)
    deleter.start()
    result = run_deferring_dag("e2e_defer_missing_secret_later")
    deleter.join()

    assert result.state == "failed"
    assert "Secret 'late-secret' (used by env TOKEN of container base) does not exist" in result.log
    (created,) = _created(k8s_emulator)
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
    assert len(_created(k8s_emulator)) == 1
    assert len(_watches(k8s_emulator)) == 1  # the startup phase went through the shared watch
    assert "fully deferred" in result.log


@FULL_DEFERRAL
def test_full_deferral_fails_fast_with_advice_on_a_bad_image(k8s_emulator, run_deferring_dag):
    k8s_emulator.scenario(image="*missing*", pull_error="manifest unknown", pull_delay=0.2)

    result = run_deferring_dag("e2e_full_deferral_bad_image")

    assert result.state == "failed"
    assert "roles/artifactregistry.reader" in result.log
    (created,) = _created(k8s_emulator)
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])
