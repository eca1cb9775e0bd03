"""Issue 8, scenario 5: the worker running a task is SIGKILLed mid-run; the retry reattaches to the same pod.

The first try runs in a real subprocess (``dag.test()``, which runs the task in that process) and is killed with
SIGKILL while its pod prints numbered lines. The retry, for the same DAG run, must find the still-running pod by its
labels and follow it to the end: one pod created in all, every line in the retry's log exactly once, and no pod left.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_composer_pod.compat import dag_bag, dag_test_date
from tests.conftest import wait_for
from tests.integration.conftest import created_pods

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"
DAG_ID = "faults_worker_crash"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)  # a fixed date: both tries belong to one DAG run
LINES = 60

RUN_FIRST_TRY = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone

    from airflow_provider_composer_pod.compat import dag_bag, dag_test_date

    dag = dag_bag(sys.argv[1]).dags[sys.argv[2]]
    dag.test(**dag_test_date(dag, datetime(2024, 1, 1, tzinfo=timezone.utc)))
    """
)


def times_logged(log: str, line: str) -> int:
    """How often the pod's ``line`` is in the task log (KPO prefixes it differently across versions)."""
    prefix = r"(\[base\] |PodManager\S*\s+|\{pod_manager\.py:\d+\} \w+ - |^)"
    return len(re.findall(prefix + re.escape(line) + r"(\s+\[[\w.]+\] loc=\S+)?$", log, re.MULTILINE))


def test_a_retry_after_a_sigkilled_worker_reattaches_to_the_running_pod(
    k8s_emulator: Any, run_dag: Any, airflow_db: str, tmp_path: Path
) -> None:
    script = tmp_path / "first_try.py"
    script.write_text(RUN_FIRST_TRY)
    output = (tmp_path / "first_try.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, str(script), airflow_db, DAG_ID], cwd=str(tmp_path), stdout=output, stderr=subprocess.STDOUT
    )
    try:
        name = wait_for(
            lambda: created_pods(k8s_emulator) and created_pods(k8s_emulator)[0].body["metadata"]["name"], 60,
            "the first try to create its pod",
        )  # fmt: skip
        wait_for(lambda: "line-5\n" in _log_or_empty(k8s_emulator, name), 30, "the pod to print a few lines")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        output.close()
    assert worker.returncode == -signal.SIGKILL
    assert (k8s_emulator.pod(name, NAMESPACE) or {}).get("status", {}).get("phase") == "Running", (
        "the pod ended before the retry began: lengthen it"
    )

    dag = dag_bag(airflow_db).dags[DAG_ID]
    result = run_dag(DAG_ID, **dag_test_date(dag, START))

    assert result.state == "success", result.log
    assert [r.body["metadata"]["name"] for r in created_pods(k8s_emulator)] == [name], [
        r.body["metadata"]["labels"] for r in created_pods(k8s_emulator)
    ]
    assert f"Found matching pod {name}" in result.log
    assert [times_logged(result.log, f"line-{i}") for i in range(1, LINES + 1)] == [1] * LINES
    assert k8s_emulator.requests(method="DELETE", path_contains=f"/pods/{name}")
    assert k8s_emulator.list("pods", NAMESPACE) == []


def _log_or_empty(emulator: Any, name: str) -> str:
    try:
        return emulator.pod_log(name, namespace=NAMESPACE)
    except KeyError:
        return ""
