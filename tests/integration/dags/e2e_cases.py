"""DAGs for the end-to-end tests: each shows one behaviour of ComposerPodOperator on the emulator."""

from __future__ import annotations

from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator, k8s

START = datetime(2024, 1, 1)

with DAG(dag_id="e2e_exit_code", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(task_id="fails", image="bash", cmds=["bash", "-c", "set -e; echo before; exit 3; echo after"])

with DAG(dag_id="e2e_xcom", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="pushes",
        image="bash",
        cmds=["bash", "-c", "mkdir -p /airflow/xcom && echo '{\"rows\": 42}' > /airflow/xcom/return.json"],
        do_xcom_push=True,
    )

with DAG(dag_id="e2e_config_map", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(
        task_id="reads-config",
        image="bash",
        cmds=["bash", "-c", "echo mode=$MODE region=$REGION"],
        env_from=[k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name="settings"))],
    )

with DAG(dag_id="e2e_keep_pod", start_date=START, schedule=None, catchup=False):
    ComposerPodOperator(task_id="kept", image="bash", cmds=["echo", "kept"], on_finish_action="keep_pod")

with DAG(dag_id="e2e_config_maps_argument", start_date=START, schedule=None, catchup=False):
    from airflow_provider_composer_pod.workloads.config_maps import config_map_volume

    ComposerPodOperator(
        task_id="uses-config-maps",
        image="bash",
        cmds=["bash", "-c", "echo mode=$MODE && cat /etc/files/app.ini"],
        config_maps=["{{ 'settings' }}", config_map_volume("files", "/etc/files")],
    )

with DAG(
    dag_id="e2e_rejected_after_rendering",
    start_date=START,
    schedule=None,
    catchup=False,
    params={"memory": "200Gi"},
):
    ComposerPodOperator(
        task_id="too-big-once-rendered",
        image="bash",
        cmds=["echo", "never runs"],
        composer_generation=2,
        container_resources=k8s.V1ResourceRequirements(requests={"cpu": "1", "memory": "{{ params.memory }}"}),
    )
