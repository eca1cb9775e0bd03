"""The guide's Secrets task: one Secret as an env var, another mounted as a file.

Create the Secrets first, in the pods' namespace::

    kubectl create secret generic airflow-secrets \\
        --from-literal sql_alchemy_conn=test_value -n composer-user-workloads
    kubectl create secret generic service-account \\
        --from-file service-account.json=./key.json -n composer-user-workloads
"""

from __future__ import annotations

from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator, Secret

secret_env = Secret(
    # Expose the Secret's key sql_alchemy_conn as the env var SQL_CONN.
    deploy_type="env",
    deploy_target="SQL_CONN",
    secret="airflow-secrets",
    key="sql_alchemy_conn",
)
secret_volume = Secret(
    # Mount the key service-account.json of the Secret service-account under /var/secrets/google.
    deploy_type="volume",
    deploy_target="/var/secrets/google",
    secret="service-account",
    key="service-account.json",
)

with DAG(
    dag_id="composer_pod_ex_kube_secrets",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["example", "composer-pod"],
) as dag:
    kubernetes_secret_vars_ex = ComposerPodOperator(
        task_id="ex-kube-secrets",
        name="ex-kube-secrets",
        namespace="composer-user-workloads",
        image="marketplace.gcr.io/google/ubuntu2204",
        startup_timeout_seconds=300,
        secrets=[secret_env, secret_volume],
        cmds=["echo"],
        env_vars={
            "EXAMPLE_VAR": "/example/value",
            "GOOGLE_APPLICATION_CREDENTIALS": "/var/secrets/google/service-account.json",
        },
        # config_file is not needed: /home/airflow/composer_kube_config is the default where it exists.
        kubernetes_conn_id="kubernetes_default",
    )
