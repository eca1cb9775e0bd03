"""The guide's minimal task: with ComposerPodOperator, ``task_id`` and ``image`` are all it takes.

Namespace, kube config, connection and startup timeout come from the Composer defaults (see docs/operator.md).
"""

from __future__ import annotations

from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator

with DAG(
    dag_id="composer_pod_ex_minimum",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["example", "composer-pod"],
) as dag:
    kubernetes_min_pod = ComposerPodOperator(
        task_id="pod-ex-minimum",
        image="marketplace.gcr.io/google/ubuntu2204",
        # The entrypoint; without it the image's own is used. Templated.
        cmds=["echo"],
    )
