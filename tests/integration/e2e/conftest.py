"""Running DAGs whose tasks defer: ``dag.test()`` runs the trigger inline (Airflow 2.8+).

Airflow before 2.8 has no inline triggers in dag.test() (a deferred task would wait for a triggerer forever), so
there the DAG runs through :func:`_test_with_inline_triggers`, a copy of 2.8's dag.test() loop: the task runs, its
trigger is rebuilt from the database row (``serialize()`` round trip), run to its first event in a fresh event loop,
and the task resumes with that event, as Airflow's own code does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import triggerer
from tests.conftest import merged_log
from tests.integration.conftest import DagResult, latest_run

ROOT = Path(__file__).resolve().parents[3]
# What Airflow's scheduler writes into a deferred task instance whose trigger timed out (check_trigger_timeouts).
TRIGGER_TIMED_OUT = {"next_method": "__fail__", "next_kwargs": {"error": "Trigger/execution timeout"}}


def _test_with_inline_triggers(dag: Any, triggerer_down: bool = False) -> Any:
    """Airflow 2.6/2.7: dag.test() as 2.8 runs it, triggers inline (for DAGs whose tasks defer). With
    ``triggerer_down``, no trigger runs: the task resumes as Airflow resumes it after the deferral timed out."""
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
                        if ti.start_date is None:  # as the worker's state check sets it before the first run
                            ti.start_date = timezone.utcnow()
                            session.merge(ti)
                            session.commit()
                        try:
                            ti._run_raw_task(session=session)
                        except (KeyboardInterrupt, SystemExit):
                            raise
                        except BaseException:  # Airflow 2.9+'s AirflowTaskTimeout is a BaseException
                            logging.getLogger(__name__).info("Task failed", exc_info=True)
                            if ti.state not in State.finished:  # as dag.test() does: never run it again
                                ti.set_state(TaskInstanceState.FAILED, session=session)
                            break
                        if ti.state != TaskInstanceState.DEFERRED:
                            break
                        if triggerer_down:
                            ti.next_method = TRIGGER_TIMED_OUT["next_method"]
                            ti.next_kwargs = dict(TRIGGER_TIMED_OUT["next_kwargs"])
                        else:
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


def sdk_task_instance(ti: Any) -> Any:
    """Airflow 3: the Task SDK's view of a task instance row, as a worker receives it."""
    from uuid import UUID

    from airflow.sdk.api.datamodels._generated import TaskInstance as TaskInstanceSDK

    return TaskInstanceSDK(
        id=UUID(str(ti.id)),
        task_id=ti.task_id,
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        try_number=ti.try_number,
        map_index=ti.map_index,
        dag_version_id=UUID(str(ti.dag_version_id)),
    )


class Worker:
    """A script running one DAG in its own process, as on an Airflow worker, to be SIGTERMed (a kill) or SIGKILLed
    (a crash); ``script`` gets the DAG folder and the DAG id as its arguments. ``with_repository``: the checkout on
    its path, for DAG files that import from ``tests`` (the package then comes from the checkout too)."""

    def __init__(
        self, script: str, dags_folder: str, dag_id: str, tmp_path: Path, with_repository: bool = False
    ) -> None:
        path = tmp_path / f"run_{dag_id}.py"
        path.write_text(script)
        self.output_path = tmp_path / f"{dag_id}.log"
        self._output = self.output_path.open("wb")
        env = dict(os.environ, PYTHONFAULTHANDLER="1")  # a hang's SIGABRT (``wait``) writes every thread's stack
        if with_repository:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, str(path), dags_folder, dag_id],
            cwd=str(tmp_path),
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def wait(self, timeout: float) -> int:
        """The exit code, once the process ends; one that does not end in ``timeout`` seconds is aborted and the
        failure quotes its log, which then ends with the stack of each of its threads."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=30)
            raise AssertionError(f"The worker did not end within {timeout} s. Its log:\n{self.log[-8000:]}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._output.close()

    @property
    def log(self) -> str:
        return self.output_path.read_text(errors="replace")


def _run_task_with_no_triggerer(*, ti: Any, task: Any, **_: Any) -> Any:
    """Airflow 3's dag.test() ``_run_task`` with no triggerer: a deferred task instance is left as the scheduler
    leaves it once the deferral timed out, then run again, and the Task SDK resumes it in ``__fail__``."""
    from airflow.sdk.execution_time.supervisor import run_task_in_process
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    while True:
        ti.set_state(TaskInstanceState.QUEUED)  # the execution API runs queued task instances only
        result = run_task_in_process(ti=sdk_task_instance(ti), task=task)
        ti.set_state(result.ti.state)
        if ti.state != TaskInstanceState.DEFERRED:
            return result
        with create_session() as session:
            ti.next_method = TRIGGER_TIMED_OUT["next_method"]
            ti.next_kwargs = dict(TRIGGER_TIMED_OUT["next_kwargs"])
            ti.trigger_id = None
            ti.state = TaskInstanceState.SCHEDULED
            session.add(ti)


@pytest.fixture
def run_deferring_dag(airflow_db: str, capfd: Any, caplog: Any, monkeypatch: Any) -> Callable[..., DagResult]:
    """``run_dag`` (tests/integration/conftest.py) for DAGs whose tasks defer, on every Airflow version.

    ``triggerer_down=True``: no trigger runs; the task resumes as Airflow resumes it once the deferral timed out.
    """
    from airflow.models.dagbag import DagBag

    def _run(dag_id: str, triggerer_down: bool = False) -> DagResult:
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
            if compat.AIRFLOW_3 and triggerer_down:
                monkeypatch.setattr("airflow.sdk.definitions.dag._run_task", _run_task_with_no_triggerer)
                dag_run = dag.test()
            elif triggerer.dag_test_runs_triggers() and not triggerer_down and not _times_out(dag):
                dag_run = dag.test() or latest_run(dag_id)
            else:
                dag_run = _test_with_inline_triggers(dag, triggerer_down)
        except BaseException as error:  # Airflow 2.9 to 2.11's dag.test() lets AirflowTaskTimeout out
            if type(error).__name__ != "AirflowTaskTimeout":
                raise
            dag_run = latest_run(dag_id)
        finally:
            pod_manager_log.removeHandler(caplog.handler)
        out, err = capfd.readouterr()
        states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
        return DagResult(str(dag_run.state), states, merged_log(out + err, caplog.records), dag_run)

    return _run


def _times_out(dag: Any) -> bool:
    """Airflow 2's dag.test() leaves the task instance's start_date unset, which Airflow's own deferral code and KPO
    10.x read when a task has an execution_timeout: such DAGs run through the loop above, which sets it as a worker
    does."""
    return not compat.AIRFLOW_3 and any(task.execution_timeout for task in dag.tasks)
