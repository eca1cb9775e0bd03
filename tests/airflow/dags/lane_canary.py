"""The canary: a container prints the Secret it gets, in each of the three ways a task waits for its pod.

The lane creates the Secret ``lane-canary`` with a value made for the run; the value must appear as ``***`` in every
log and nowhere raw under the Airflow home (the metadata database included).
"""

from __future__ import annotations

from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator, Secret

CANARY = Secret(deploy_type="env", deploy_target="CANARY", secret="lane-canary", key="value")
PRINT = ["sh", "-c", 'echo "the value is $CANARY"']

with DAG(dag_id="lane_canary", start_date=datetime(2024, 1, 1), schedule=None, catchup=False) as dag:
    ComposerPodOperator(task_id="blocking", image="busybox", cmds=PRINT, secrets=[CANARY])
    ComposerPodOperator(task_id="startup-defer", image="busybox", cmds=PRINT, secrets=[CANARY], startup_wait="defer")
    ComposerPodOperator(task_id="deferrable", image="busybox", cmds=PRINT, secrets=[CANARY], deferrable=True)
