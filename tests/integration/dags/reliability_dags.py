"""DAGs for the reliability tests: each pod's behaviour comes from the emulator scenario the test registers for its
image (``reliability/<what>``)."""

from __future__ import annotations

import json
import os
import traceback
from datetime import datetime, timedelta
from typing import Any

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator, k8s
from airflow_provider_composer_pod.workloads.secrets import secret_env

START = datetime(2024, 1, 1)

with DAG(dag_id="reliability_numbered_lines", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(task_id="numbered-lines", image="reliability/numbered-lines", cmds=["numbered-lines"])

with DAG(dag_id="reliability_long_running", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(task_id="long-running", image="reliability/long-running", cmds=["sleep", "600"])

with DAG(dag_id="reliability_execution_timeout", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="times-out",
        image="reliability/long-running",
        cmds=["sleep", "600"],
        execution_timeout=timedelta(seconds=3),
        on_finish_action="keep_pod",  # kept when finished; a timed-out pod has not finished
    )


def record_exception(context: Any) -> None:
    """on_failure_callback: keep the task's exception where the test can read it ($RELIABILITY_EXCEPTION_FILE)."""
    path = os.environ.get("RELIABILITY_EXCEPTION_FILE")
    exception = context.get("exception")
    if not path or exception is None:
        return
    trace = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"type": type(exception).__name__, "str": str(exception), "traceback": trace}, handle)


with DAG(dag_id="reliability_failure", start_date=START, schedule=None, catchup=False):
    # Prints numbered lines and its Secret's value, writes a termination message and fails (the test's scenario).
    ComposerPodOperator(
        task_id="fails",
        image="reliability/fails",
        cmds=["fails"],
        secrets=[secret_env("reliability-secret", "token", "TOKEN")],
        container_resources=k8s.V1ResourceRequirements(
            requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "500m", "memory": "1Gi"}
        ),
        failure_log_lines=5,
        on_failure_callback=record_exception,
    )

with DAG(dag_id="reliability_deadline", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="past-deadline",
        image="reliability/long-running",
        cmds=["sleep", "600"],
        # spec.activeDeadlineSeconds through full_pod_spec: the argument arrived only in provider 7.5.0.
        full_pod_spec=k8s.V1Pod(
            metadata=k8s.V1ObjectMeta(name="past-deadline"),
            spec=k8s.V1PodSpec(containers=[], active_deadline_seconds=1),
        ),
        on_failure_callback=record_exception,
    )

with DAG(dag_id="reliability_disrupted", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="disrupted",
        image="reliability/disrupted",
        cmds=["sleep", "600"],
        on_failure_callback=record_exception,
    )

with DAG(dag_id="reliability_hanging_follow", start_date=START, schedule=None, catchup=False):
    hanging = ComposerPodOperator(task_id="hanging-follow", image="reliability/numbered-lines", cmds=["numbered-lines"])
    hanging.log_idle_timeout = 1.0  # seconds without output before the container's state is read

with DAG(dag_id="reliability_killed", start_date=START, schedule=None, catchup=False):
    # Reads a Secret before its pod is created (the pre-flight), so a test can kill the task mid pre-flight.
    ComposerPodOperator(
        task_id="killed",
        image="reliability/long-running",
        cmds=["sleep", "600"],
        secrets=[secret_env("reliability-secret", "token", "TOKEN")],
    )
