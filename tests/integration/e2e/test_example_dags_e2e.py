"""The guide's examples, and the behaviours around them, end to end: dag.test() against the emulator."""

from __future__ import annotations

import inspect
import shutil
from datetime import datetime, timezone

import pytest

from airflow_provider_composer_pod.compat import AIRFLOW_3, KubernetesPodOperator
from airflow_provider_composer_pod.testing.harness.guide import prepare_guide_examples
from tests.integration.conftest import created_pods, delete_once_a_pod_is_created, pod_logged

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"


def _only_pod_name(emulator) -> str:
    (created,) = created_pods(emulator, acted_on=False)
    return created.body["metadata"]["name"]


def test_minimum_example_runs_with_composer_defaults(k8s_emulator, run_dag):
    result = run_dag("composer_pod_ex_minimum")

    assert result.state == "success"
    (created,) = created_pods(k8s_emulator, acted_on=False)
    assert created.path == f"/api/v1/namespaces/{NAMESPACE}/pods"
    assert created.body["metadata"]["name"].startswith("pod-ex-minimum-")
    assert created.body["spec"]["containers"][0]["image"] == "marketplace.gcr.io/google/ubuntu2204"
    assert "Kubernetes config: connection 'kubernetes_default'; not on Cloud Composer." in result.log
    # deleted afterwards: on_finish_action defaults to delete_pod
    assert k8s_emulator.requests(method="DELETE", path_contains=created.body["metadata"]["name"])


@pytest.mark.skipif(shutil.which("perl") is None, reason="the guide's bpi(2000) runs on the host's perl")
def test_all_configs_example_prints_pi(k8s_emulator, run_dag):
    prepare_guide_examples(k8s_emulator)

    result = run_dag("composer_pod_ex_all_configs")

    assert result.state == "success"
    assert "3.14159265358979323846264338327950288419716939937510" in result.log
    body = created_pods(k8s_emulator, acted_on=False)[0].body
    container = body["spec"]["containers"][0]
    assert body["metadata"]["labels"]["pod-label"] == "label-name"
    assert body["metadata"]["annotations"] == {"key1": "value1"}
    assert container["resources"]["requests"] == {"cpu": "1000m", "memory": "10G", "ephemeral-storage": "10G"}
    assert {"name": "EXAMPLE_VAR", "value": "/example/value"} in container["env"]


def test_templates_example_renders_ds_and_variable(k8s_emulator, run_dag, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_MY_VALUE", "example_value")

    result = run_dag("composer_pod_ex_kube_templates")

    assert result.state == "success"
    container = created_pods(k8s_emulator, acted_on=False)[0].body["spec"]["containers"][0]
    ds = result.dag_run.logical_date.strftime("%Y-%m-%d")
    assert container["args"] == [ds]
    assert {"name": "MY_VALUE", "value": "example_value"} in container["env"]
    assert pod_logged(result.log, ds)


def _dated_run(**dates):
    """dag.test() keywords: a logical date (Airflow 2 calls it execution_date) and, on Airflow 3, run_after."""
    from airflow import DAG

    parameters = inspect.signature(DAG.test).parameters
    if "logical_date" not in parameters:
        return {"execution_date": dates["logical_date"]}
    return dates


def test_templates_example_renders_the_logical_date_where_the_run_has_one(k8s_emulator, run_dag, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_MY_VALUE", "example_value")
    logical_date = datetime(2024, 3, 5, 12, tzinfo=timezone.utc)
    run_after = datetime(2024, 6, 7, 12, tzinfo=timezone.utc)

    result = run_dag("composer_pod_ex_kube_templates", **_dated_run(logical_date=logical_date, run_after=run_after))

    assert result.state == "success", result.log[-3000:]
    assert created_pods(k8s_emulator, acted_on=False)[0].body["spec"]["containers"][0]["args"] == ["2024-03-05"]


@pytest.mark.skipif(not AIRFLOW_3, reason="Airflow 2's runs always have a logical date (execution_date)")
def test_templates_example_runs_without_a_logical_date(k8s_emulator, run_dag, monkeypatch):
    # A manual trigger on Airflow 3 (UI, `airflow dags trigger`): no logical date, so no {{ ds }}; the run's date.
    monkeypatch.setenv("AIRFLOW_VAR_MY_VALUE", "example_value")
    run_after = datetime(2024, 6, 7, 12, tzinfo=timezone.utc)

    result = run_dag("composer_pod_ex_kube_templates", logical_date=None, run_after=run_after)

    assert result.state == "success", result.log[-3000:]
    assert result.dag_run.logical_date is None
    assert created_pods(k8s_emulator, acted_on=False)[0].body["spec"]["containers"][0]["args"] == ["2024-06-07"]
    assert pod_logged(result.log, "2024-06-07")


def test_templates_example_fails_before_any_pod_without_the_variable(k8s_emulator, run_dag):
    result = run_dag("composer_pod_ex_kube_templates")

    assert result.state == "failed"
    assert "my_value" in result.log
    assert created_pods(k8s_emulator, acted_on=False) == []


def test_secrets_example_uses_env_and_volume(k8s_emulator, run_dag):
    k8s_emulator.create_secret("airflow-secrets", {"sql_alchemy_conn": "test_value"}, NAMESPACE)
    k8s_emulator.create_secret("service-account", {"service-account.json": '{"type": "service_account"}'}, NAMESPACE)
    k8s_emulator.scenario(image="marketplace.gcr.io/google/ubuntu2204", run_duration=0.5)

    result = run_dag("composer_pod_ex_kube_secrets")

    assert result.state == "success"
    body = created_pods(k8s_emulator, acted_on=False)[0].body
    container = body["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["SQL_CONN"]["valueFrom"]["secretKeyRef"] == {"name": "airflow-secrets", "key": "sql_alchemy_conn"}
    assert any(v.get("secret", {}).get("secretName") == "service-account" for v in body["spec"]["volumes"])
    assert any(m["mountPath"] == "/var/secrets/google" for m in container["volumeMounts"])
    # The pre-flight read both Secrets before creating the pod.
    reads = [r.path for r in k8s_emulator.requests(method="GET", path_contains="/secrets/")]
    assert f"/api/v1/namespaces/{NAMESPACE}/secrets/airflow-secrets" in reads
    assert f"/api/v1/namespaces/{NAMESPACE}/secrets/service-account" in reads


def test_secret_reaches_the_container(k8s_emulator, run_dag):
    k8s_emulator.create_secret("airflow-secrets", {"sql_alchemy_conn": "test_value"}, NAMESPACE)
    k8s_emulator.create_secret("service-account", {"service-account.json": "{}"}, NAMESPACE)
    seen = {}

    def entrypoint(ctx):
        seen["env"] = ctx.env.get("SQL_CONN")
        seen["file"] = ctx.read_file("/var/secrets/google/service-account.json")
        return 0

    k8s_emulator.scenario(image="marketplace.gcr.io/google/ubuntu2204", entrypoint=entrypoint)

    assert run_dag("composer_pod_ex_kube_secrets").state == "success"
    assert seen == {"env": "test_value", "file": "{}"}


def test_missing_secret_fails_before_any_pod(k8s_emulator, run_dag):
    result = run_dag("composer_pod_ex_kube_secrets")

    assert result.state == "failed"
    assert "Secret 'airflow-secrets' (used by env SQL_CONN of container base) does not exist" in result.log
    assert "kubectl create secret generic airflow-secrets --from-literal sql_alchemy_conn=VALUE" in result.log
    assert created_pods(k8s_emulator, acted_on=False) == []


def test_non_zero_exit_fails_the_task_with_the_exit_code(k8s_emulator, run_dag):
    result = run_dag("e2e_exit_code")

    assert result.state == "failed"
    assert pod_logged(result.log, "before")
    assert not pod_logged(result.log, "after")
    assert "container base exited with code 3 (Error). Pod fails-" in result.log
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1


def test_xcom_through_the_sidecar(k8s_emulator, run_dag):
    result = run_dag("e2e_xcom")

    assert result.state == "success"
    body = created_pods(k8s_emulator, acted_on=False)[0].body
    assert [c["name"] for c in body["spec"]["containers"]] == ["base", "airflow-xcom-sidecar"]
    assert k8s_emulator.requests(path_contains="/exec")
    assert result.dag_run.get_task_instance("pushes").xcom_pull(task_ids="pushes") == {"rows": 42}


def test_config_map_through_env_from(k8s_emulator, run_dag):
    k8s_emulator.create_config_map("settings", {"MODE": "fast", "REGION": "eu"}, NAMESPACE)

    result = run_dag("e2e_config_map")

    assert result.state == "success"
    assert pod_logged(result.log, "mode=fast region=eu")


def test_keep_pod_leaves_the_pod(k8s_emulator, run_dag):
    result = run_dag("e2e_keep_pod")

    assert result.state == "success"
    name = _only_pod_name(k8s_emulator)
    assert k8s_emulator.requests(method="DELETE") == []
    assert k8s_emulator.pod(name, NAMESPACE)["status"]["phase"] == "Succeeded"


def test_secret_deleted_after_preflight_fails_fast_and_deletes_the_pod(k8s_emulator, run_dag):
    k8s_emulator.create_secret("airflow-secrets", {"sql_alchemy_conn": "test_value"}, NAMESPACE)
    k8s_emulator.create_secret("service-account", {"service-account.json": "{}"}, NAMESPACE)
    k8s_emulator.scenario(image="marketplace.gcr.io/google/ubuntu2204", schedule_delay=1.0)

    deleter = delete_once_a_pod_is_created(k8s_emulator, "secrets", "airflow-secrets", NAMESPACE)
    result = run_dag("composer_pod_ex_kube_secrets")
    deleter.join()

    assert result.state == "failed"
    assert "The pod cannot start, it waits in CreateContainerConfigError:" in result.log
    assert "Secret 'airflow-secrets' (used by env SQL_CONN of container base) does not exist" in result.log
    assert "took too long to start" not in result.log  # failed on the state, not on KPO's startup timeout
    name = _only_pod_name(k8s_emulator)
    assert k8s_emulator.requests(method="DELETE", path_contains=name)


def test_config_maps_argument_as_env_and_as_files(k8s_emulator, run_dag):
    k8s_emulator.create_config_map("settings", {"MODE": "fast"}, NAMESPACE)
    k8s_emulator.create_config_map("files", {"app.ini": "[app]\nkey=value"}, NAMESPACE)

    result = run_dag("e2e_config_maps_argument")

    assert result.state == "success", result.log[-2000:]
    spec = created_pods(k8s_emulator, acted_on=False)[0].body["spec"]
    container = spec["containers"][0]
    assert {"configMapRef": {"name": "settings"}} in container["envFrom"]  # the rendered name
    (volume,) = [v for v in spec["volumes"] if "configMap" in v]
    assert volume["configMap"]["name"] == "files"
    assert {"name": volume["name"], "mountPath": "/etc/files"} in [
        {k: m[k] for k in ("name", "mountPath")} for m in container["volumeMounts"]
    ]
    assert pod_logged(result.log, "mode=fast")
    assert pod_logged(result.log, "key=value")


def test_rendered_value_autopilot_would_reject_fails_before_any_pod(k8s_emulator, run_dag):
    result = run_dag("e2e_rejected_after_rendering")

    assert result.state == "failed"
    if "container_resources" in KubernetesPodOperator.template_fields:
        assert "resources.requests.memory=200Gi exceeds the Autopilot general-purpose maximum of 110Gi" in result.log
    else:  # cncf-kubernetes 4.4 does not render container_resources: the pod would carry the raw template
        assert (
            "memory='{{ params.memory }}' is not a Kubernetes quantity but a Jinja template left unrendered"
            in result.log
        )
    assert k8s_emulator.requests(method="POST") == []
