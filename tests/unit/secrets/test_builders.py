from __future__ import annotations

from typing import Any, Dict

import pytest
from kubernetes.client import ApiClient

from airflow_provider_composer_pod.compat import KubernetesPodOperator, Secret, k8s
from airflow_provider_composer_pod.workloads.config_maps import (
    ConfigMapVolume,
    config_map_env,
    config_map_env_from,
    config_map_volume,
)
from airflow_provider_composer_pod.workloads.secrets import secret_env, secret_env_from, secret_volume


def _pod() -> k8s.V1Pod:
    return k8s.V1Pod(spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", image="ubuntu")]))


def _spec(pod: k8s.V1Pod) -> Dict[str, Any]:
    return ApiClient().sanitize_for_serialization(pod)["spec"]


def test_secret_env_is_the_guides_sql_conn_variable() -> None:
    secret = secret_env("airflow-secrets", "sql_alchemy_conn", "SQL_CONN")

    spec = _spec(secret.attach_to_pod(_pod()))

    assert isinstance(secret, Secret)
    assert spec["containers"][0]["env"] == [
        {"name": "SQL_CONN", "valueFrom": {"secretKeyRef": {"name": "airflow-secrets", "key": "sql_alchemy_conn"}}}
    ]
    assert secret == Secret("env", "SQL_CONN", "airflow-secrets", "sql_alchemy_conn")


def test_secret_env_keeps_the_variable_name_as_given() -> None:
    spec = _spec(secret_env("s", "k", "lower_case").attach_to_pod(_pod()))

    assert spec["containers"][0]["env"][0]["name"] == "lower_case"


def test_secret_env_from_exposes_every_key() -> None:
    secret = secret_env_from("airflow-secrets")

    spec = _spec(secret.attach_to_pod(_pod()))

    assert secret == Secret("env", None, "airflow-secrets")
    assert spec["containers"][0]["envFrom"] == [{"secretRef": {"name": "airflow-secrets"}}]
    assert "env" not in spec["containers"][0]


def test_secret_volume_with_the_guides_key_mounts_only_that_file() -> None:
    secret = secret_volume("service-account", "/var/secrets/google", key="service-account.json")

    spec = _spec(secret.attach_to_pod(_pod()))

    (volume,) = spec["volumes"]
    (mount,) = spec["containers"][0]["volumeMounts"]
    assert volume["secret"] == {
        "secretName": "service-account",
        "items": [{"key": "service-account.json", "path": "service-account.json"}],
    }
    assert mount == {"name": volume["name"], "mountPath": "/var/secrets/google", "readOnly": True}


def test_secret_volume_without_key_mounts_every_key() -> None:
    spec = _spec(secret_volume("service-account", "/var/secrets/google").attach_to_pod(_pod()))

    assert spec["volumes"][0]["secret"] == {"secretName": "service-account"}


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param({"key.json": "gcp/key.json"}, [{"key": "key.json", "path": "gcp/key.json"}], id="mapping"),
        pytest.param(["a", "b"], [{"key": "a", "path": "a"}, {"key": "b", "path": "b"}], id="list-of-keys"),
    ],
)
def test_secret_volume_items_project_keys_to_paths(items: Any, expected: Any) -> None:
    spec = _spec(secret_volume("s", "/etc/s", items=items).attach_to_pod(_pod()))

    assert spec["volumes"][0]["secret"]["items"] == expected


def test_config_map_env_from_and_env() -> None:
    source = config_map_env_from("example-configmap")
    variable = config_map_env("example-configmap", "example_key", "EXAMPLE")

    assert source == k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name="example-configmap"))
    assert ApiClient().sanitize_for_serialization(variable) == {
        "name": "EXAMPLE",
        "valueFrom": {"configMapKeyRef": {"name": "example-configmap", "key": "example_key"}},
    }


def test_config_map_volume_pairs_a_volume_with_its_mount() -> None:
    result = config_map_volume("example-configmap", "/etc/config", items={"example_key": "example.conf"})

    volume, mount = result

    assert isinstance(result, ConfigMapVolume)
    assert (result.volume, result.volume_mount) == (volume, mount)
    assert mount.name == volume.name
    assert mount.mount_path == "/etc/config"
    assert mount.read_only is True
    assert volume.config_map.name == "example-configmap"
    assert volume.config_map.items == [k8s.V1KeyToPath(key="example_key", path="example.conf")]


@pytest.mark.parametrize(
    ("name", "mount_path"),
    [
        pytest.param("example-configmap", "/etc/config", id="plain"),
        pytest.param("a." * 120 + "b", "/etc/config", id="long-dotted-name"),
        pytest.param("{{ params.config_map }}", "/etc/config", id="jinja-name"),
    ],
)
def test_config_map_volume_names_are_stable_dns_labels(name: str, mount_path: str) -> None:
    first = config_map_volume(name, mount_path).volume.name
    again = config_map_volume(name, mount_path).volume.name
    elsewhere = config_map_volume(name, "/elsewhere").volume.name

    assert first == again
    assert first != elsewhere
    assert len(first) <= 63
    assert first.replace("-", "").isalnum()
    assert first[0].isalpha()
    assert first[-1].isalnum()


def test_everything_attaches_through_kpo(offline_kubeconfig: str, kubernetes_connection) -> None:
    kubernetes_connection()  # provider 6.x insists that kubernetes_default exists
    config_map = config_map_volume("example-configmap", "/etc/config")
    operator = KubernetesPodOperator(
        task_id="ex-kube-secrets",
        name="ex-kube-secrets",  # provider 4.4 requires a name
        image="ubuntu",
        namespace="composer-user-workloads",
        config_file=offline_kubeconfig,
        secrets=[
            secret_env("airflow-secrets", "sql_alchemy_conn", "SQL_CONN"),
            secret_volume("service-account", "/var/secrets/google", key="service-account.json"),
        ],
        env_from=[config_map_env_from("example-configmap")],
        env_vars=[config_map_env("example-configmap", "example_key", "EXAMPLE")],
        volumes=[config_map.volume],
        volume_mounts=[config_map.volume_mount],
    )

    container = _spec(operator.build_pod_request_obj())["containers"][0]

    assert [env["name"] for env in container["env"]] == ["EXAMPLE", "SQL_CONN"]
    assert container["envFrom"] == [{"configMapRef": {"name": "example-configmap"}}]
    assert [mount["mountPath"] for mount in container["volumeMounts"]] == ["/etc/config", "/var/secrets/google"]
