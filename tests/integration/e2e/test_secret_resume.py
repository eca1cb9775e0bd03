"""Issue 20: a Secret printed by the container stays masked when another process picks the task up.

The pre-flight registers the values of the Secrets a pod uses with the secrets masker as it reads them, but only the
process that creates the pod runs it. A resume after ``startup_wait="defer"`` or ``deferrable=True`` runs on a new
worker (and the trigger in the triggerer), a retry that reattaches in a new process too: each starts with an empty
masker. ``dag.test()`` runs them all in this one process, so the tests empty the masker where a new process would
start (before the trigger runs, and before the task resumes) and check each container line as it is logged: its
redaction at that moment must hide the value, as the task log's writer (Airflow 3's supervisor, which is told through
``MaskSecret``) would hide it.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, List
from uuid import uuid4

import pytest

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import AIRFLOW_3, KPO_ARGUMENTS, dag_bag, dag_test_date
from tests.conftest import wait_for
from tests.integration.conftest import created_pods

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"
SECRET, KEY = "canary-secret", "sql_alchemy_conn"  # as in tests/integration/dags/canary_secret_dags.py


def _masker_module() -> Any:
    if AIRFLOW_3:
        import airflow.sdk._shared.secrets_masker as masker
    else:
        import airflow.utils.log.secrets_masker as masker
    return masker


def _redact(text: str) -> str:
    return str(_masker_module().redact(text))


def reset_masker() -> None:
    """The masker of a process that has just started: no value registered."""
    masker = _masker_module()
    if hasattr(masker, "reset_secrets_masker"):
        masker.reset_secrets_masker()
    else:  # Airflow 2
        instance = masker._secrets_masker()
        instance.patterns = set()
        instance.replacer = None


@pytest.fixture
def canary(k8s_emulator: Any) -> str:
    value = f"canary-{uuid4().hex}"
    k8s_emulator.create_secret(SECRET, {KEY: value}, NAMESPACE)
    return value


class LinesAsLogged(logging.Handler):
    """Every log event that carries the pod's output, redacted as it is emitted (not after the run): a stdlib
    handler (Airflow 2) and the first structlog processor (Airflow 3, whose task logging is structlog's)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: List[str] = []

    def _seen(self, message: str) -> None:
        if re.search(r"\b(env|again)=", message):
            self.lines.append(_redact(message))

    def emit(self, record: logging.LogRecord) -> None:
        self._seen(record.getMessage())

    def __call__(self, logger: Any, method: str, event: Any) -> Any:
        message, args = str(event.get("event", "")), event.get("positional_args")
        self._seen(message % tuple(args) if args else message)
        return event


@pytest.fixture
def logged_lines() -> Iterator[LinesAsLogged]:
    handler = LinesAsLogged()
    root = logging.getLogger()
    root.addHandler(handler)
    processors = None
    if AIRFLOW_3:
        import structlog

        processors = structlog.get_config()["processors"]
        processors.insert(0, handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        if processors is not None and handler in processors:
            processors.remove(handler)


@pytest.fixture
def new_processes(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Each trigger runs with a fresh masker, and so does the task resumed after it."""
    starts: List[str] = []
    module = pytest.importorskip("airflow.sdk.definitions.dag" if AIRFLOW_3 else "airflow.models.dag")
    original = getattr(module, "_run_inline_trigger", None)
    if original is None:
        pytest.skip("this Airflow's dag.test() runs no triggers inline")

    def in_new_processes(*args: Any, **kwargs: Any) -> Any:
        reset_masker()
        starts.append("triggerer")
        try:
            return original(*args, **kwargs)
        finally:
            reset_masker()
            starts.append("worker")

    monkeypatch.setattr(module, "_run_inline_trigger", in_new_processes)
    return starts


def _assert_printed(emulator: Any, canary: str) -> None:
    """The container printed the value: its raw log, as the kubelet holds it (Airflow 3's console masks it too)."""
    (pod,) = [request.body["metadata"]["name"] for request in created_pods(emulator)]
    assert f"env={canary}" in emulator.pod_log(pod, namespace=NAMESPACE)


def _assert_masked_as_logged(lines: LinesAsLogged, result: Any, canary: str, expected: List[str]) -> None:
    assert result.state == "success", result.log[-3000:]
    for line in expected:
        assert any(logged.endswith(f"{line}=***") for logged in lines.lines), (line, lines.lines)
    assert [line for line in lines.lines if canary in line] == []
    assert canary not in _redact(result.log)


def test_startup_wait_defer_resumes_with_the_values_masked(
    k8s_emulator: Any,
    canary: str,
    new_processes: List[str],
    logged_lines: LinesAsLogged,
    run_deferring_dag: Callable[..., Any],
) -> None:
    result = run_deferring_dag("canary_secret_startup_defer")

    assert new_processes == ["triggerer", "worker"]  # the task did resume in a "new process"
    _assert_printed(k8s_emulator, canary)
    _assert_masked_as_logged(logged_lines, result, canary, ["env", "again"])
    # Issue 19, item 5: the resume names the one pod it resumes, and builds no request for a second one.
    (pod,) = [request.body["metadata"]["name"] for request in created_pods(k8s_emulator)]
    # The names KPO logged building (a whole-suite run's capture can also hold the unformatted "Building pod %s").
    built = re.findall(r"Building pod (prints-secret-\S+)", result.log)
    assert built == ([pod] if compat.PROVIDER_VERSION.major >= 5 else [])  # KPO 4.x does not log the build
    assert f"Resuming pod {pod} in namespace {NAMESPACE}, created before the task deferred." in result.log


@pytest.mark.skipif("deferrable" not in KPO_ARGUMENTS, reason="deferrable=True arrived in cncf-kubernetes 5.2.0")
def test_deferrable_resumes_with_the_values_masked(
    k8s_emulator: Any,
    canary: str,
    new_processes: List[str],
    logged_lines: LinesAsLogged,
    run_deferring_dag: Callable[..., Any],
) -> None:
    result = run_deferring_dag("canary_secret_deferrable")

    assert new_processes[:2] == ["triggerer", "worker"]
    _assert_printed(k8s_emulator, canary)
    _assert_masked_as_logged(logged_lines, result, canary, ["env", "again"])


RUN_FIRST_TRY = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone

    from airflow_provider_composer_pod.compat import dag_bag, dag_test_date

    dag = dag_bag(sys.argv[1]).dags[sys.argv[2]]
    dag.test(**dag_test_date(dag, datetime(2024, 1, 1, tzinfo=timezone.utc)))
    """
)


def test_a_retry_that_reattaches_masks_the_values(
    k8s_emulator: Any,
    canary: str,
    logged_lines: LinesAsLogged,
    run_dag: Callable[..., Any],
    airflow_db: str,
    tmp_path: Path,
) -> None:
    dag_id, start = "canary_secret_reattach", datetime(2024, 1, 1, tzinfo=timezone.utc)
    script = tmp_path / "first_try.py"
    script.write_text(RUN_FIRST_TRY)
    with (tmp_path / "first_try.log").open("wb") as output:
        worker = subprocess.Popen([sys.executable, str(script), airflow_db, dag_id], stdout=output, stderr=output)
        try:
            name = wait_for(
                lambda: created_pods(k8s_emulator) and created_pods(k8s_emulator)[0].body["metadata"]["name"], 60,
                "the first try to create its pod",
            )  # fmt: skip
            wait_for(lambda: "line-5\n" in k8s_emulator.pod_log(name, namespace=NAMESPACE), 30, "a few lines")
            worker.send_signal(signal.SIGKILL)  # a worker that dies: its masker with it
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait(timeout=30)
    assert _redact(canary) == canary  # this process never registered it: the retry starts as a new process does

    result = run_dag(dag_id, **dag_test_date(dag_bag(airflow_db).dags[dag_id], start))

    assert [request.body["metadata"]["name"] for request in created_pods(k8s_emulator)] == [name]  # reattached
    assert f"Found matching pod {name}" in result.log
    _assert_masked_as_logged(logged_lines, result, canary, ["env"])
