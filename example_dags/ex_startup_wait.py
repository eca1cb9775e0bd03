"""Free the worker while the pod starts: ``startup_wait="defer"``.

On Composer the slow part of a pod task is often before its container runs: an Autopilot scale-up, a large image
pull. With ``startup_wait="defer"`` the task hands that wait to the triggerer (one shared pod watch per namespace,
no polling) and comes back to a worker once the pod runs, to stream its logs and finish as usual. The task log then
tells the startup, e.g. "Pod startup: scheduled after 41.2 s (TriggeredScaleUp), image pulled in 12.3 s, started
after 55.0 s." Needs a triggerer, as every deferrable task does (Composer runs one when you set its count above 0).
"""

from __future__ import annotations

from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator

with DAG(
    dag_id="composer_pod_ex_startup_wait",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["example", "composer-pod"],
) as dag:
    ComposerPodOperator(
        task_id="ex-startup-wait",
        image="marketplace.gcr.io/google/ubuntu2204",
        cmds=["bash", "-c", "echo 'started after the worker was freed'; sleep 1; echo done"],
        startup_wait="defer",
    )
