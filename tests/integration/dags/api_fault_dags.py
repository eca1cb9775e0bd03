"""DAGs for the API-fault tests (retries, idempotent create, reattach after a worker crash): small retry budgets."""

from __future__ import annotations

from datetime import datetime, timezone

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
# Tests scale the 30 s outages down to about a second; the budget bounds a test that goes wrong.
BUDGET = 20

with DAG(dag_id="faults_echo", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="echoes",
        image="faults/echo",
        cmds=["bash", "-c", "echo first; echo second"],
        api_retry_timeout=BUDGET,
    )

with DAG(dag_id="faults_xcom", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="pushes",
        image="faults/echo",
        cmds=["bash", "-c", "mkdir -p /airflow/xcom && echo '{\"rows\": 7}' > /airflow/xcom/return.json"],
        do_xcom_push=True,
        api_retry_timeout=BUDGET,
    )

# No api_retry_timeout argument: the connection's extra, else the default, applies.
with DAG(dag_id="faults_connection_budget", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(task_id="connection-budget", image="faults/echo", cmds=["echo", "x"])

# A worker crash mid-run: the pod prints numbered lines for a while, so the retry finds it still running.
with DAG(dag_id="faults_worker_crash", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="outlives-its-worker",
        image="faults/numbered",
        cmds=["bash", "-c", "for i in $(seq 1 60); do echo line-$i; sleep 0.2; done"],
        api_retry_timeout=BUDGET,
    )
