"""The guide's Jinja task: ``{{ ds }}`` as an argument and the Airflow Variable ``my_value`` as an env var.

Create the Variable first (Admin > Variables, or ``airflow variables set my_value example_value``); without it the
task fails while rendering, before any pod is created.
"""

from __future__ import annotations

from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator

with DAG(
    dag_id="composer_pod_ex_kube_templates",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["example", "composer-pod"],
) as dag:
    kubernetes_template_ex = ComposerPodOperator(
        task_id="ex-kube-templates",
        name="ex-kube-templates",
        namespace="composer-user-workloads",
        image="bash",
        cmds=["echo"],
        # ds is the logical date as YYYY-MM-DD.
        arguments=["{{ ds }}"],
        env_vars={"MY_VALUE": "{{ var.value.my_value }}"},
        # config_file is not needed: /home/airflow/composer_kube_config is the default where it exists.
        kubernetes_conn_id="kubernetes_default",
    )
