"""The guide's full-configuration task: computes 2,000 digits of pi with perl."""

from __future__ import annotations

from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator, k8s

with DAG(
    dag_id="composer_pod_ex_all_configs",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["example", "composer-pod"],
) as dag:
    kubernetes_full_pod = ComposerPodOperator(
        task_id="ex-all-configs",
        name="pi",
        namespace="composer-user-workloads",
        image="perl:5.34.0",
        cmds=["perl"],
        arguments=["-Mbignum=bpi", "-wle", "print bpi(2000)"],
        # Pod creation fails if a Secret listed here does not exist.
        secrets=[],
        labels={"pod-label": "label-name"},
        startup_timeout_seconds=600,
        env_vars={"EXAMPLE_VAR": "/example/value"},
        get_logs=True,
        image_pull_policy="Always",
        annotations={"key1": "value1"},
        # Autopilot sets limits equal to requests; the general-purpose class allows up to 110 GiB of memory.
        container_resources=k8s.V1ResourceRequirements(
            requests={"cpu": "1000m", "memory": "10G", "ephemeral-storage": "10G"},
            limits={"cpu": "1000m", "memory": "10G", "ephemeral-storage": "10G"},
        ),
        # config_file is not needed: /home/airflow/composer_kube_config is the default where it exists.
        do_xcom_push=False,
        volumes=[],
        volume_mounts=[],
        kubernetes_conn_id="kubernetes_default",
        # Composer 2 and 3 do not support pod affinity: use the GKE operators on another cluster for that.
        affinity={},
    )
