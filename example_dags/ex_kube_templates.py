"""The guide's Jinja task: the run's date as an argument and the Airflow Variable ``my_value`` as an env var.

The guide writes ``{{ ds }}``, the logical date as YYYY-MM-DD. On Airflow 3 a run triggered by hand (the UI's
Trigger button, ``airflow dags trigger``) has no logical date unless one is given, and ``{{ ds }}`` is then undefined:
the task fails while rendering. The argument below is the logical date where the run has one, else the date the run
was triggered for (``dag_run.run_after``, Airflow 3), the same string on Airflow 2 and 3.

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
        # The guide's {{ ds }}, also for runs without a logical date (see above).
        arguments=["{{ (dag_run.logical_date or dag_run.run_after) | ds }}"],
        env_vars={"MY_VALUE": "{{ var.value.my_value }}"},
        # config_file is not needed: /home/airflow/composer_kube_config is the default where it exists.
        kubernetes_conn_id="kubernetes_default",
    )
