# A DAG written the way Composer's docs and samples wrote KubernetesPodOperator tasks for provider 4.x images
# (Airflow 2.1 to 2.4): the kubernetes_pod module, the core Secret class, a resources dict, is_delete_operator_pod
# and node_selectors, with the kube config path in the kubernetes_default connection (prefixed extras, as the 4.x
# form saved them). Kept as the era wrote it, except `schedule=None` for the removed `schedule_interval`.
# tests/integration/e2e/test_legacy_dags.py turns it into a ComposerPodOperator DAG by changing only the imports
# and the class name, and runs that on every matrix cell.
import datetime

from airflow import models
from airflow.kubernetes.secret import Secret
from airflow.providers.cncf.kubernetes.operators.kubernetes_pod import KubernetesPodOperator

secret_env = Secret(
    deploy_type="env",
    deploy_target="SQL_CONN",
    secret="airflow-secrets",
    key="sql_alchemy_conn",
)

with models.DAG(
    dag_id="legacy_kubernetes_pod_era",
    schedule=None,
    start_date=datetime.datetime(2022, 1, 1),
) as dag:
    kubernetes_legacy_pod = KubernetesPodOperator(
        task_id="ex-legacy-pod",
        name="ex-legacy-pod",
        namespace="composer-user-workloads",
        image="bash",
        cmds=["bash", "-c", "echo conn=$SQL_CONN"],
        secrets=[secret_env],
        resources={"limit_memory": "250M", "limit_cpu": "100m"},
        is_delete_operator_pod=False,
        node_selectors={"cloud.google.com/compute-class": "Scale-Out"},
    )
