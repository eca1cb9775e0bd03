"""DAGs written for older provider generations, converted by changing only imports and class name, end to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

LEGACY = Path(__file__).parents[1] / "legacy"
NAMESPACE = "composer-user-workloads"

# The only edits a user makes: our import path for the operator and Secret, and the class name.
CONVERSIONS = [
    (
        r"from airflow\.providers\.cncf\.kubernetes\.operators\.(kubernetes_pod|pod) import KubernetesPodOperator",
        "from airflow_provider_composer_pod import ComposerPodOperator",
    ),
    (
        r"from airflow\.(kubernetes|providers\.cncf\.kubernetes)\.secret import Secret",
        "from airflow_provider_composer_pod import Secret",
    ),
    (r"\bKubernetesPodOperator\(", "ComposerPodOperator("),
]


def convert(source: str) -> str:
    for pattern, replacement in CONVERSIONS:
        source = re.sub(pattern, replacement, source)
    return source


def test_conversion_changes_only_imports_and_class_name():
    original = (LEGACY / "kubernetes_pod_era.py").read_text().splitlines()
    converted = convert("\n".join(original)).splitlines()

    changed = [(a, b) for a, b in zip(original, converted) if a != b]

    assert len(original) == len(converted)
    assert [b for _, b in changed] == [
        "from airflow_provider_composer_pod import Secret",
        "from airflow_provider_composer_pod import ComposerPodOperator",
        "    kubernetes_legacy_pod = ComposerPodOperator(",
    ]


@pytest.fixture
def legacy_dag(airflow_db):
    """The converted DAG in the session's DAG folder, named converted_<file>."""
    path = Path(airflow_db) / "converted_kubernetes_pod_era.py"
    path.write_text(convert((LEGACY / "kubernetes_pod_era.py").read_text()))
    yield "legacy_kubernetes_pod_era"
    path.unlink()


def test_kubernetes_pod_era_dag_runs_as_it_meant(k8s_emulator, run_dag, legacy_dag, kubernetes_connection):
    # The era's connection: prefixed extras only.
    kubernetes_connection(extra__kubernetes__kube_config_path=k8s_emulator.kubeconfig_path)
    k8s_emulator.create_secret("airflow-secrets", {"sql_alchemy_conn": "test_value"}, NAMESPACE)

    result = run_dag(legacy_dag)

    assert result.state == "success", result.log[-3000:]
    (created,) = [r for r in k8s_emulator.requests(method="POST") if r.path.endswith("/pods")]
    spec = created.body["spec"]
    container = spec["containers"][0]
    assert container["resources"]["limits"] == {"memory": "250M", "cpu": "100m"}  # the resources dict, converted
    assert spec["nodeSelector"] == {"cloud.google.com/compute-class": "Scale-Out"}  # node_selectors, renamed
    # The core-era Secret, as an env var: the container printed it (its own log; the task log masks the value).
    assert "conn=test_value" in k8s_emulator.pod_log(created.body["metadata"]["name"], namespace=NAMESPACE)
    assert k8s_emulator.requests(method="DELETE") == []  # is_delete_operator_pod=False kept the pod
