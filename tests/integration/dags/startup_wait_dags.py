"""DAGs for startup_wait="defer" and deferrable=True end to end: each task defers while its pod starts."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator
from airflow_provider_composer_pod.compat import KPO_ARGUMENTS

START = datetime(2024, 1, 1)

with DAG(dag_id="e2e_defer_xcom", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="deferred-pushes",
        image="bash",
        cmds=[
            "bash",
            "-c",
            "echo first line; mkdir -p /airflow/xcom && echo '{\"rows\": 7}' > /airflow/xcom/return.json",
        ],
        do_xcom_push=True,
        startup_wait="defer",
    )

with DAG(dag_id="e2e_defer_fails", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="deferred-fails",
        image="bash",
        cmds=["bash", "-c", "echo before; exit 4"],
        startup_wait="defer",
    )

with DAG(dag_id="e2e_defer_bad_image", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="deferred-bad-image",
        image="europe-west1-docker.pkg.dev/my-project/my-repo/missing:1.0",
        cmds=["echo", "never"],
        startup_wait="defer",
    )

with DAG(dag_id="e2e_defer_timeout", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="deferred-timeout",
        image="bash",
        cmds=["echo", "never"],
        startup_wait="defer",
        startup_timeout_seconds=3,
    )

with DAG(dag_id="e2e_defer_missing_secret_later", start_date=START, schedule=None, catchup=False):
    from airflow_provider_composer_pod import Secret

    ComposerPodOperator(
        task_id="deferred-secret",
        image="bash",
        cmds=["bash", "-c", "echo $TOKEN"],
        secrets=[Secret("env", "TOKEN", "late-secret", "token")],
        startup_wait="defer",
    )

with DAG(dag_id="e2e_defer_execution_timeout", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="deferred-times-out",
        image="bash",
        cmds=["echo", "never"],
        startup_wait="defer",
        startup_timeout_seconds=30,  # the execution_timeout must end the wait first
        execution_timeout=timedelta(seconds=3),
    )

if "deferrable" in KPO_ARGUMENTS:  # KPO's own deferrable mode: providers 5.2+
    with DAG(dag_id="e2e_full_deferral", start_date=START, schedule=None, catchup=False):
        ComposerPodOperator(
            task_id="fully-deferred",
            image="bash",
            cmds=["bash", "-c", "echo fully deferred"],
            deferrable=True,
        )

    with DAG(dag_id="e2e_full_deferral_bad_image", start_date=START, schedule=None, catchup=False):
        ComposerPodOperator(
            task_id="fully-deferred-bad-image",
            image="europe-west1-docker.pkg.dev/my-project/my-repo/missing:1.0",
            cmds=["echo", "never"],
            deferrable=True,
        )

    with DAG(dag_id="e2e_full_deferral_execution_timeout", start_date=START, schedule=None, catchup=False):
        ComposerPodOperator(
            task_id="fully-deferred-times-out",
            image="bash",
            cmds=["sleep", "30"],  # the execution_timeout must end it first
            deferrable=True,
            execution_timeout=timedelta(seconds=4),
        )

if "on_kill_action" in KPO_ARGUMENTS:  # providers 10.15+
    with DAG(dag_id="e2e_full_deferral_execution_timeout_keep", start_date=START, schedule=None, catchup=False):
        ComposerPodOperator(
            task_id="fully-deferred-times-out-kept",
            image="bash",
            cmds=["sleep", "30"],  # the execution_timeout must end it first
            deferrable=True,
            execution_timeout=timedelta(seconds=4),
            on_kill_action="keep_pod",
        )

# One startup budget: a pod that is never scheduled releases the worker at startup_timeout_seconds, in both modes.
BUDGET_SECONDS = 6

for _mode in ("block", "defer"):
    with DAG(dag_id=f"e2e_budget_{_mode}", start_date=START, schedule=None, catchup=False):
        ComposerPodOperator(
            task_id=f"budget-{_mode}",
            image="bash",
            cmds=["echo", "never"],
            startup_wait=_mode,
            startup_timeout_seconds=BUDGET_SECONDS,
        )
