"""KubernetesPodOperator's newest features, end to end through ``ComposerPodOperator``: ``durable``,
``on_kill_action``, the deferrable execution deadline, ``log_events_on_startup``, ``callbacks`` and
``progress_callback``, ``termination_grace_period``, ``container_logs``, ``init_container_logs``,
``logging_interval`` and ``skip_on_exit_code``.

Every DAG is built twice by :func:`build_dags`: ``kpof_<case>`` with ``ComposerPodOperator`` and
``kpof_stock_<case>`` with the installed ``KubernetesPodOperator`` and the same arguments. The tests run the
Composer one; the stock one is the reference a failing test is compared with. The DAG folder gets a two-line file
that calls :func:`build_dags`, so the DAGs are plain Python here, parsed wherever the DAG folder is.

A feature the installed provider (or Airflow) lacks skips its tests with the reason; its DAGs are not defined.
"""

from __future__ import annotations

import json
import os
import re
import signal
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from packaging.version import Version

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import KPO_ARGUMENTS
from tests.conftest import wait_for
from tests.integration.conftest import created_pods
from tests.integration.e2e.conftest import Worker, sdk_task_instance

pytestmark = [
    pytest.mark.e2e,
    # How each feature behaves is cncf-kubernetes 10.25's (older providers differ: 7.x does not put
    # termination_grace_period in the pod spec, for one); the issue asks for these on 10.25.
    pytest.mark.skipif(
        compat.PROVIDER_VERSION < Version("10.25.0"), reason="the newest KPO features, as cncf-kubernetes 10.25 has"
    ),
]

NAMESPACE = "composer-user-workloads"
START = datetime(2024, 1, 1)
RUN_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)  # durable: both tries belong to one DAG run
RECORD_ENV = "KPO_FEATURES_RECORD_FILE"  # where the callbacks of the DAGs below write what they were called with
GRACE = 7  # termination_grace_period of the DAGs that set one


def _needs(*arguments: str) -> Any:
    missing = [a for a in arguments if a not in KPO_ARGUMENTS]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"KubernetesPodOperator {compat.PROVIDER_VERSION} has no {', '.join(missing)} argument",
    )


DURABLE = pytest.mark.skipif(
    "durable" not in KPO_ARGUMENTS or compat.AIRFLOW_VERSION < Version("3.3.0"),
    reason="durable arrived in cncf-kubernetes 10.25 and acts only on Airflow 3.3+ (task_state_store)",
)
ON_KILL_ACTION = _needs("on_kill_action")
DEFERRABLE = _needs("deferrable")
LOG_EVENTS_ON_STARTUP = _needs("log_events_on_startup")
CALLBACKS = _needs("callbacks")
PROGRESS_CALLBACK = _needs("progress_callback")
TERMINATION_GRACE_PERIOD = _needs("termination_grace_period")
CONTAINER_LOGS = _needs("container_logs")
INIT_CONTAINER_LOGS = _needs("init_container_logs")
LOGGING_INTERVAL = _needs("logging_interval", "deferrable")
SKIP_ON_EXIT_CODE = _needs("skip_on_exit_code")


# ------------------------------------------------------------------------------------------------------------ DAGs
def _record(entry: Dict[str, Any]) -> None:
    path = os.environ.get(RECORD_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")


def _pod_name(pod: Any) -> Optional[str]:
    return getattr(getattr(pod, "metadata", None), "name", None)


def record_progress(line: Any, *args: Any, **kwargs: Any) -> None:
    """The operator's ``progress_callback`` argument."""
    _record({"hook": "operator_progress_callback", "line": line})


def _recording_callbacks() -> Any:
    from airflow.providers.cncf.kubernetes.callbacks import KubernetesPodOperatorCallback

    class RecordingCallbacks(KubernetesPodOperatorCallback):
        """Each hook writes its name and what it was called with to $KPO_FEATURES_RECORD_FILE."""

        @staticmethod
        def on_sync_client_creation(*, client: Any, operator: Any, **kwargs: Any) -> None:
            _record({"hook": "on_sync_client_creation", "client": type(client).__name__, "task": operator.task_id})

        @staticmethod
        def on_pod_manifest_created(*, pod_request: Any, mode: str, operator: Any, **kwargs: Any) -> None:
            _record({"hook": "on_pod_manifest_created", "pod": _pod_name(pod_request), "mode": mode})

        @staticmethod
        def on_pod_creation(*, pod: Any, mode: str, **kwargs: Any) -> None:
            _record({"hook": "on_pod_creation", "pod": _pod_name(pod), "mode": mode})

        @staticmethod
        def on_pod_starting(*, pod: Any, mode: str, **kwargs: Any) -> None:
            _record({"hook": "on_pod_starting", "pod": _pod_name(pod), "mode": mode, "phase": pod.status.phase})

        @staticmethod
        def on_pod_completion(*, pod: Any, mode: str, **kwargs: Any) -> None:
            _record({"hook": "on_pod_completion", "pod": _pod_name(pod), "mode": mode, "phase": pod.status.phase})

        @staticmethod
        def on_pod_teardown(*, pod: Any, mode: str, **kwargs: Any) -> None:
            _record({"hook": "on_pod_teardown", "pod": _pod_name(pod), "mode": mode})

        @staticmethod
        def on_pod_cleanup(*, pod: Any, mode: str, **kwargs: Any) -> None:
            _record({"hook": "on_pod_cleanup", "pod": _pod_name(pod), "mode": mode})

        @staticmethod
        def progress_callback(*, line: str, mode: str, **kwargs: Any) -> None:
            _record({"hook": "progress_callback", "line": line, "container": kwargs.get("container_name")})

    return RecordingCallbacks


def _cases() -> Dict[str, Dict[str, Any]]:
    """Each DAG's operator arguments (besides task_id), for the features the installed provider has."""
    from kubernetes.client import models as k8s

    cases: Dict[str, Dict[str, Any]] = {}

    def case(name: str, needs: tuple, **arguments: Any) -> None:
        if all(a in KPO_ARGUMENTS for a in needs):
            cases[name] = arguments

    numbered = "for i in $(seq 1 80); do echo line-$i; sleep 0.2; done"
    case("durable", ("durable",), image="bash", cmds=["bash", "-c", numbered], durable=True)
    case("not_durable", ("durable",), image="bash", cmds=["bash", "-c", numbered], durable=False)
    case("kill_keep", ("on_kill_action",), image="bash", cmds=["sleep", "600"], on_kill_action="keep_pod")
    case(
        "kill_grace",
        ("on_kill_action", "termination_grace_period"),
        image="bash",
        cmds=["sleep", "600"],
        on_kill_action="delete_pod",
        termination_grace_period=GRACE,
    )
    deadline = {"deferrable": True, "execution_timeout": timedelta(seconds=4), "poll_interval": 1}
    case(
        "deadline_pending",
        ("deferrable", "termination_grace_period"),
        image="kpof/never-scheduled",
        cmds=["echo", "never"],
        termination_grace_period=GRACE,
        **deadline,
    )
    case(
        "deadline_pending_keep",
        ("deferrable", "on_kill_action"),
        image="kpof/never-scheduled",
        cmds=["echo", "never"],
        on_kill_action="keep_pod",
        **deadline,
    )
    case(
        "deadline_running_grace",
        ("deferrable", "termination_grace_period"),
        image="bash",
        cmds=["sleep", "30"],
        termination_grace_period=GRACE,
        **deadline,
    )
    slow_start = {"image": "kpof/slow-start", "cmds": ["bash", "-c", "echo started"]}
    case(
        "events_on_startup",
        ("log_events_on_startup",),
        log_events_on_startup=True,
        startup_check_interval_seconds=1,
        **slow_start,
    )
    case(
        "no_events_on_startup",
        ("log_events_on_startup",),
        log_events_on_startup=False,
        startup_check_interval_seconds=1,
        **slow_start,
    )
    if "callbacks" in KPO_ARGUMENTS:  # the callbacks module arrived with the argument
        case(
            "callbacks",
            ("callbacks",),
            image="bash",
            cmds=["bash", "-c", "echo first; echo second"],
            callbacks=_recording_callbacks(),
        )
    case(
        "progress_callback",
        ("progress_callback",),
        image="bash",
        cmds=["bash", "-c", "echo first; echo second"],
        progress_callback=record_progress,
    )
    case(
        "grace_spec",
        ("termination_grace_period",),
        image="bash",
        cmds=["bash", "-c", "echo done"],
        termination_grace_period=GRACE,
    )
    two_containers = k8s.V1Pod(
        spec=k8s.V1PodSpec(
            containers=[
                k8s.V1Container(name="base"),
                k8s.V1Container(
                    name="sidecar", image="bash", command=["bash", "-c", "echo sidecar line one; echo sidecar line two"]
                ),
            ]
        )
    )
    base_lines = ["bash", "-c", "echo base line one; echo base line two"]
    case(
        "logs_str",
        ("container_logs",),
        image="bash",
        cmds=base_lines,
        full_pod_spec=two_containers,
        container_logs="sidecar",
    )
    case(
        "logs_list",
        ("container_logs",),
        image="bash",
        cmds=base_lines,
        full_pod_spec=two_containers,
        container_logs=["base", "sidecar"],
    )
    case(
        "init_logs",
        ("init_container_logs",),
        image="bash",
        cmds=["bash", "-c", "echo main line"],
        init_containers=[
            k8s.V1Container(
                name="prepare", image="bash", command=["bash", "-c", "echo init line one; echo init line two"]
            )
        ],
        init_container_logs=True,
    )
    case(
        "logging_interval",
        ("logging_interval", "deferrable"),
        image="bash",
        cmds=["bash", "-c", "for i in $(seq 1 40); do echo tick-$i; sleep 0.25; done"],
        deferrable=True,
        logging_interval=1,
        poll_interval=1,
    )
    case(
        "skip_code",
        ("skip_on_exit_code",),
        image="bash",
        cmds=["bash", "-c", "echo skipping; exit 3"],
        skip_on_exit_code=3,
    )
    case(
        "other_code",
        ("skip_on_exit_code",),
        image="bash",
        cmds=["bash", "-c", "echo failing; exit 4"],
        skip_on_exit_code=3,
    )
    return cases


def build_dags(namespace: Dict[str, Any]) -> None:
    """Define every case's two DAGs in ``namespace`` (the DAG file's globals)."""
    from airflow import DAG

    from airflow_provider_composer_pod import ComposerPodOperator

    for name, arguments in _cases().items():
        for prefix, operator in (("kpof", ComposerPodOperator), ("kpof_stock", compat.KubernetesPodOperator)):
            # Provider 4.x's KubernetesPodOperator requires a pod name; ComposerPodOperator derives one.
            named = {"name": name.replace("_", "-")} if compat.REQUIRES_POD_NAME and prefix == "kpof_stock" else {}
            with DAG(dag_id=f"{prefix}_{name}", start_date=START, schedule=None, catchup=False) as dag:
                operator(task_id=name.replace("_", "-"), **named, **arguments)
            namespace[dag.dag_id] = dag


DAG_FILE = textwrap.dedent(
    """
    # airflow DAG file: the DAGs of tests/integration/e2e/test_kpo_features.py
    from tests.integration.e2e.test_kpo_features import build_dags

    build_dags(globals())
    """
)


@pytest.fixture(scope="module")
def kpo_dags(airflow_db: str) -> Iterator[str]:
    path = Path(airflow_db) / "kpo_features_dags.py"
    path.write_text(DAG_FILE)
    yield airflow_db
    path.unlink()


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """What the DAGs' callbacks recorded, in call order."""
    path = tmp_path / "recorded.jsonl"
    monkeypatch.setenv(RECORD_ENV, str(path))

    def read() -> List[Dict[str, Any]]:
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    return read


# --------------------------------------------------------------------------------------------------------- helpers
def container_lines(log: str, container: str) -> List[str]:
    """What ``container`` printed, as KPO's log lines show it: ``[<container>] <line>``."""
    return re.findall(r"\[" + re.escape(container) + r"\] (.*?)(?:\s+\[[\w.]+\] loc=\S+)?$", log, re.MULTILINE)


def only_pod(emulator: Any) -> str:
    (created,) = created_pods(emulator)
    return created.body["metadata"]["name"]


def pod_deletes(emulator: Any, name: str) -> List[Any]:
    return emulator.requests(method="DELETE", path=f"/api/v1/namespaces/{NAMESPACE}/pods/{name}")


def grace_of(request: Any) -> Optional[int]:
    """The grace period a DELETE asked for: the query's ``gracePeriodSeconds``, else DeleteOptions' body."""
    raw = request.query.get("gracePeriodSeconds")
    if raw is not None:
        return int(raw)
    body = request.body if isinstance(request.body, dict) else {}
    return body.get("gracePeriodSeconds")


def phase(emulator: Any, name: str) -> Optional[str]:
    return ((emulator.pod(name, NAMESPACE) or {}).get("status") or {}).get("phase")


RUN_IN_A_WORKER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone

    from airflow_provider_composer_pod.compat import dag_bag, dag_test_date

    dag = dag_bag(sys.argv[1]).dags[sys.argv[2]]
    dag.test(**dag_test_date(dag, datetime(2024, 1, 1, tzinfo=timezone.utc)))
    """
)


@pytest.fixture
def worker(kpo_dags: str, tmp_path: Path) -> Iterator[Any]:
    started: List[Worker] = []

    def start(dag_id: str) -> Worker:
        started.append(Worker(RUN_IN_A_WORKER, kpo_dags, dag_id, tmp_path, with_repository=True))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def first_pod_running(emulator: Any) -> str:
    name = wait_for(
        lambda: created_pods(emulator) and created_pods(emulator)[0].body["metadata"]["name"], 90, "the pod's create"
    )
    wait_for(lambda: phase(emulator, name) == "Running", 30, "the pod to run")
    return name


# ---------------------------------------------------------------------------------------------------------- durable
def retry_in_the_same_run(dags_folder: str, dag_id: str, capfd: Any, caplog: Any) -> Any:
    """The crashed try's retry, as Airflow 3 runs it: the scheduler moves the task instance to its next try (a new
    id, in the same DAG run: dag.test() would make a new run, and with it a new task state store), a worker runs it.
    Returns (state, log)."""
    import logging

    from airflow.models.taskinstance import TaskInstance
    from airflow.sdk.execution_time.supervisor import run_task_in_process
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    from airflow_provider_composer_pod.compat import dag_bag
    from tests.conftest import merged_log

    dag = dag_bag(dags_folder).dags[dag_id]
    with create_session() as session:
        ti = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_id)).one()
        ti.prepare_db_for_next_try(session)
        ti.try_number += 1
        ti.state = TaskInstanceState.QUEUED
        session.flush()
        sdk_ti = sdk_task_instance(ti)
    capfd.readouterr()
    caplog.clear()
    caplog.set_level(logging.INFO)
    result = run_task_in_process(ti=sdk_ti, task=dag.task_dict[sdk_ti.task_id])
    out, err = capfd.readouterr()
    state = result.ti.state
    return str(getattr(state, "value", state)), merged_log(out + err, caplog.records)


def crash_while_the_pod_runs(emulator: Any, worker: Any, dag_id: str) -> str:
    crashed = worker(dag_id)
    name = first_pod_running(emulator)
    wait_for(lambda: "line-3\n" in emulator.pod_log(name, namespace=NAMESPACE), 30, "a few lines")
    crashed.signal(signal.SIGKILL)  # the worker dies; the pod runs on
    crashed.wait(30)
    return name


@DURABLE
def test_durable_retry_reconnects_through_the_task_state_store(k8s_emulator, kpo_dags, worker, capfd, caplog):
    name = crash_while_the_pod_runs(k8s_emulator, worker, "kpof_durable")

    state, log = retry_in_the_same_run(kpo_dags, "kpof_durable", capfd, caplog)

    assert state == "success", log[-3000:]
    # The retry read the pod the first try persisted, by name, and followed it: one pod in all.
    assert f"Reconnecting to pod {NAMESPACE}/{name} via identity persisted in task state store." in log
    assert [r.body["metadata"]["name"] for r in created_pods(k8s_emulator)] == [name]
    assert k8s_emulator.requests(method="GET", path=f"/api/v1/namespaces/{NAMESPACE}/pods/{name}")
    assert "line-80" in container_lines(log, "base")
    assert k8s_emulator.list("pods", NAMESPACE) == []


@DURABLE
def test_not_durable_retry_creates_a_new_pod(k8s_emulator, kpo_dags, worker, capfd, caplog):
    name = crash_while_the_pod_runs(k8s_emulator, worker, "kpof_not_durable")

    state, log = retry_in_the_same_run(kpo_dags, "kpof_not_durable", capfd, caplog)

    assert state == "success", log[-3000:]
    assert "via identity persisted in task state store" not in log
    first, retry = (r.body["metadata"] for r in created_pods(k8s_emulator))
    assert first["name"] == name
    assert (first["labels"]["try_number"], retry["labels"]["try_number"]) == ("1", "2")
    assert "line-80" in container_lines(log, "base")
    assert k8s_emulator.list("pods", NAMESPACE) == []


# --------------------------------------------------------------------------------------------- on_kill_action
@ON_KILL_ACTION
def test_on_kill_action_keep_pod_leaves_the_running_pod_when_the_task_is_killed(k8s_emulator, worker):
    task = worker("kpof_kill_keep")
    name = first_pod_running(k8s_emulator)

    task.signal(signal.SIGTERM)  # what "mark failed" and a kill send the task process

    wait_for(lambda: "on_kill_action is set to 'keep_pod'" in task.log, 60, "on_kill to run")
    assert "Skipping pod deletion since on_kill_action is set to 'keep_pod'." in task.log
    assert pod_deletes(k8s_emulator, name) == []
    assert phase(k8s_emulator, name) == "Running"


@ON_KILL_ACTION
@TERMINATION_GRACE_PERIOD
def test_on_kill_action_delete_pod_deletes_with_the_termination_grace_period(k8s_emulator, worker):
    task = worker("kpof_kill_grace")
    name = first_pod_running(k8s_emulator)

    task.signal(signal.SIGTERM)

    (delete, *_) = wait_for(lambda: pod_deletes(k8s_emulator, name), 60, "the pod's deletion")
    assert grace_of(delete) == GRACE
    task.wait(60)
    wait_for(lambda: k8s_emulator.pod(name, NAMESPACE) is None, 30, "the pod to be gone")


# ------------------------------------------------------------------------------- the deferrable execution deadline
@DEFERRABLE
@TERMINATION_GRACE_PERIOD
def test_deadline_while_the_pod_is_pending_deletes_it_with_the_grace_period(k8s_emulator, kpo_dags, run_deferring_dag):
    k8s_emulator.scenario(image="kpof/never-scheduled", unschedulable_for=600)

    result = run_deferring_dag("kpof_deadline_pending")

    assert result.task_states == {"deadline-pending": "failed"}, result.log[-3000:]
    name = only_pod(k8s_emulator)
    assert created_pods(k8s_emulator)[0].body["spec"]["terminationGracePeriodSeconds"] == GRACE
    deletes = pod_deletes(k8s_emulator, name)
    assert deletes
    assert [grace_of(d) for d in deletes] == [GRACE] * len(deletes), [(d.query, d.body) for d in deletes]
    assert "execution_timeout" in result.log
    assert "still Pending after" not in result.log  # the execution_timeout ended it, not the startup timeout
    assert k8s_emulator.list("pods", NAMESPACE) == []


@DEFERRABLE
@ON_KILL_ACTION
def test_deadline_while_the_pod_is_pending_keeps_it_when_on_kill_action_says_so(
    k8s_emulator, kpo_dags, run_deferring_dag
):
    k8s_emulator.scenario(image="kpof/never-scheduled", unschedulable_for=600)

    result = run_deferring_dag("kpof_deadline_pending_keep")

    assert result.task_states == {"deadline-pending-keep": "failed"}, result.log[-3000:]
    name = only_pod(k8s_emulator)
    assert pod_deletes(k8s_emulator, name) == []
    assert "execution_timeout" in result.log
    assert k8s_emulator.pod(name, NAMESPACE) is not None


@DEFERRABLE
@TERMINATION_GRACE_PERIOD
def test_deadline_while_the_pod_runs_deletes_it_with_the_grace_period(k8s_emulator, kpo_dags, run_deferring_dag):
    result = run_deferring_dag("kpof_deadline_running_grace")

    assert result.task_states == {"deadline-running-grace": "failed"}, result.log[-3000:]
    name = only_pod(k8s_emulator)
    deletes = pod_deletes(k8s_emulator, name)
    assert deletes
    assert grace_of(deletes[0]) == GRACE, [(d.query, d.body) for d in deletes]
    # Our trigger's event or, should the resumed task get there first, Airflow's own timer: a timeout either way.
    assert "AirflowTaskTimeout" in result.log
    wait_for(lambda: k8s_emulator.list("pods", NAMESPACE) == [], 30, "no pod left")


# ------------------------------------------------------------------------------------------- log_events_on_startup
@LOG_EVENTS_ON_STARTUP
@pytest.mark.parametrize("logged", [True, False], ids=["on", "off"])
def test_log_events_on_startup(k8s_emulator, kpo_dags, run_dag, logged):
    k8s_emulator.scenario(image="kpof/slow-start", unschedulable_for=3)

    result = run_dag("kpof_events_on_startup" if logged else "kpof_no_events_on_startup")

    assert result.state == "success", result.log[-3000:]
    event_lines = re.findall(r"The Pod has an Event: (.*) from ", result.log)
    if logged:
        assert any(line.startswith("0/3 nodes are available") for line in event_lines), result.log[-3000:]
        assert any(line.startswith("pod triggered scale-up") for line in event_lines), event_lines
    else:
        assert event_lines == []


# ------------------------------------------------------------------------------------ callbacks, progress_callback
@CALLBACKS
def test_callbacks_are_called_at_each_step_with_the_pod(k8s_emulator, kpo_dags, run_dag, recorded):
    result = run_dag("kpof_callbacks")

    assert result.state == "success", result.log[-3000:]
    name = only_pod(k8s_emulator)
    calls = recorded()
    hooks = [c["hook"] for c in calls]
    assert hooks == [
        "on_sync_client_creation",
        "on_pod_manifest_created",
        "on_pod_creation",
        "on_pod_starting",
        "progress_callback",
        "progress_callback",
        "on_pod_completion",
        "on_pod_teardown",
        "on_pod_cleanup",
    ], calls
    assert {c.get("pod") for c in calls if "pod" in c} == {name}
    assert {c["mode"] for c in calls if "mode" in c} == {"sync"}
    progress = [(c["line"], c["container"]) for c in calls if c["hook"] == "progress_callback"]
    assert progress == [("first", "base"), ("second", "base")]
    assert [c["phase"] for c in calls if c["hook"] == "on_pod_completion"] == ["Succeeded"]


@PROGRESS_CALLBACK
def test_progress_callback_argument_is_treated_as_kubernetes_pod_operator_treats_it(
    k8s_emulator, kpo_dags, run_dag, recorded
):
    stock = run_dag("kpof_stock_progress_callback")
    assert stock.state == "success", stock.log[-3000:]
    stock_calls = recorded()
    k8s_emulator.reset()

    result = run_dag("kpof_progress_callback")

    assert result.state == "success", result.log[-3000:]
    assert container_lines(result.log, "base") == ["first", "second"]
    assert recorded()[len(stock_calls) :] == stock_calls  # called for the same lines as KPO calls it (if at all)


# --------------------------------------------------------------------------------------- termination_grace_period
@TERMINATION_GRACE_PERIOD
def test_termination_grace_period_is_the_pods(k8s_emulator, kpo_dags, run_dag):
    result = run_dag("kpof_grace_spec")

    assert result.state == "success", result.log[-3000:]
    (created,) = created_pods(k8s_emulator)
    assert created.body["spec"]["terminationGracePeriodSeconds"] == GRACE


# ------------------------------------------------------------------------------ container_logs, init_container_logs
@CONTAINER_LOGS
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("logs_str", {"sidecar": ["sidecar line one", "sidecar line two"], "base": []}),
        (
            "logs_list",
            {"sidecar": ["sidecar line one", "sidecar line two"], "base": ["base line one", "base line two"]},
        ),
    ],
    ids=["string", "list"],
)
def test_container_logs_chooses_whose_lines_reach_the_task_log(k8s_emulator, kpo_dags, run_dag, case, expected):
    result = run_dag(f"kpof_{case}")

    assert result.state == "success", result.log[-3000:]
    containers = [c["name"] for c in created_pods(k8s_emulator)[0].body["spec"]["containers"]]
    assert containers == ["base", "sidecar"]
    assert {c: container_lines(result.log, c) for c in expected} == expected


@INIT_CONTAINER_LOGS
def test_init_container_logs_reach_the_task_log(k8s_emulator, kpo_dags, run_dag):
    result = run_dag("kpof_init_logs")

    assert result.state == "success", result.log[-3000:]
    spec = created_pods(k8s_emulator)[0].body["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["prepare"]
    assert container_lines(result.log, "prepare") == ["init line one", "init line two"]
    assert container_lines(result.log, "base") == ["main line"]
    assert result.log.index("[prepare] init line two") < result.log.index("[base] main line")


# ------------------------------------------------------------------------------------------------ logging_interval
@LOGGING_INTERVAL
def test_logging_interval_shows_the_lines_while_deferred(k8s_emulator, kpo_dags, run_deferring_dag):
    result = run_deferring_dag("kpof_logging_interval")

    assert result.task_states == {"logging-interval": "success"}, result.log[-3000:]
    name = only_pod(k8s_emulator)
    reads = k8s_emulator.requests(method="GET", path=f"/api/v1/namespaces/{NAMESPACE}/pods/{name}/log")
    # Read while the pod ran (not followed, from a little before the last read's time), then once at the end. KPO's
    # windows are whole seconds: a line near a boundary may show twice, so only the first and last are checked.
    while_running = [r for r in reads if r.query.get("follow") != "true" and r.query.get("sinceSeconds")]
    assert while_running, [r.query for r in reads]
    printed = [int(n) for n in re.findall(r"\btick-(\d+)\b", result.log)]
    assert {1, 40} <= set(printed), printed


# ----------------------------------------------------------------------------------------------- skip_on_exit_code
@SKIP_ON_EXIT_CODE
@pytest.mark.parametrize(
    ("case", "state"), [("skip_code", "skipped"), ("other_code", "failed")], ids=["that-code", "another-code"]
)
def test_skip_on_exit_code(k8s_emulator, kpo_dags, run_dag, case, state):
    result = run_dag(f"kpof_{case}")

    assert result.task_states == {case.replace("_", "-"): state}, result.log[-3000:]
    assert container_lines(result.log, "base") == [{"skipped": "skipping", "failed": "failing"}[state]]
    if state == "skipped":
        assert f"Pod {only_pod(k8s_emulator)} returned exit code 3. Skipping." in result.log
    else:
        assert "exit code 3" not in result.log
