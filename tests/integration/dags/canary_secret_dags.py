"""DAGs for the secret canary test (tests/integration/e2e/test_secret_canary.py).

Each pod reads the Secret ``canary-secret`` (created by the test with a fresh value) as an env var and as a mounted
file, and prints it. A failing task's exception is written (``str``, ``repr`` and traceback) to the file named by
``$CANARY_EXCEPTION_FILE``, so the test can grep the exception object itself and not only its logged form.
"""

from __future__ import annotations

import json
import os
import traceback
from datetime import datetime
from typing import Any

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator
from airflow_provider_composer_pod.compat import KPO_ARGUMENTS
from airflow_provider_composer_pod.workloads.secrets import secret_env, secret_volume

START = datetime(2024, 1, 1)
SECRET = "canary-secret"
KEY = "sql_alchemy_conn"
MOUNT = "/var/secrets/canary"


def _canary_secrets() -> list:
    return [secret_env(SECRET, KEY, "SQL_CONN"), secret_volume(SECRET, MOUNT, key=KEY)]


def record_exception(context: Any) -> None:
    """on_failure_callback: keep the task's exception where the test can read it."""
    path = os.environ.get("CANARY_EXCEPTION_FILE")
    exception = context.get("exception")
    if not path or exception is None:
        return
    trace = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"str": str(exception), "repr": repr(exception), "traceback": trace}, handle)


with DAG(dag_id="canary_secret_paths", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="prints-secret",
        image="bash",
        cmds=[
            "bash",
            "-c",
            f"echo env=$SQL_CONN && echo file=$(cat {MOUNT}/{KEY}) && "
            "mkdir -p /airflow/xcom && echo '{\"rows\": 1}' > /airflow/xcom/return.json",
        ],
        secrets=_canary_secrets(),
        env_vars={"NOT_SECRET": "{{ ds }}"},
        do_xcom_push=True,
        on_finish_action="keep_pod",  # so the test can read the mounted file and the raw container log afterwards
    )

with DAG(dag_id="canary_secret_fails", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="prints-secret-then-fails",
        image="bash",
        cmds=["bash", "-c", f"echo leaked=$SQL_CONN && cat {MOUNT}/{KEY} && exit 1"],
        secrets=_canary_secrets(),
        on_finish_action="keep_pod",  # so the test can read the raw container log afterwards
        on_failure_callback=record_exception,
        retries=0,
    )

with DAG(dag_id="canary_secret_fails_fallback_to_logs", start_date=START, schedule=None, catchup=False):
    # Kubernetes' FallbackToLogsOnError makes the last log lines the container's termination message. The argument
    # arrived in provider 7.4.0; older providers get the file-only task (the test skips there).
    fallback = {}
    if "termination_message_policy" in KPO_ARGUMENTS:
        fallback = {"termination_message_policy": "FallbackToLogsOnError"}
    ComposerPodOperator(
        task_id="prints-secret-then-fails",
        image="bash",
        cmds=["bash", "-c", "echo leaked=$SQL_CONN && exit 1"],
        secrets=_canary_secrets(),
        **fallback,
        on_failure_callback=record_exception,
        retries=0,
    )


# Resumed in another process (tests/integration/e2e/test_secret_resume.py): the container prints the Secret at once,
# and again after a pause, so that its lines are written by the resumed worker and, with deferrable=True and a
# logging_interval, by the triggerer as well.
_PRINT_TWICE = ["bash", "-c", "echo env=$SQL_CONN && sleep 2 && echo again=$SQL_CONN"]

with DAG(dag_id="canary_secret_startup_defer", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="prints-secret",
        image="bash",
        cmds=_PRINT_TWICE,
        secrets=_canary_secrets(),
        startup_wait="defer",
        on_finish_action="keep_pod",  # the test reads the raw container log afterwards
    )

if "deferrable" in KPO_ARGUMENTS:
    with DAG(dag_id="canary_secret_deferrable", start_date=START, schedule=None, catchup=False):
        ComposerPodOperator(
            task_id="prints-secret",
            image="bash",
            cmds=_PRINT_TWICE,
            secrets=_canary_secrets(),
            deferrable=True,
            poll_interval=1,
            on_finish_action="keep_pod",
            **({"logging_interval": 1} if "logging_interval" in KPO_ARGUMENTS else {}),
        )

with DAG(dag_id="canary_secret_reattach", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="prints-secret",
        image="bash",
        cmds=["bash", "-c", "echo env=$SQL_CONN; for i in $(seq 1 50); do echo line-$i; sleep 0.5; done"],
        secrets=_canary_secrets(),
    )
