"""Composer 3: the hook's Secrets and ConfigMaps through the Composer API emulator, synced into the Kubernetes one."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from airflow_provider_composer_pod.errors import ComposerPodInputError, ComposerPodObjectError
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.testing.composer_api.fixtures import ENVIRONMENT, LOCATION, PROJECT
from airflow_provider_composer_pod.workloads.manifest_sources import config_map_manifest, secret_manifest
from airflow_provider_composer_pod.workloads.manifests import ConfigMapManifest, SecretManifest

NAMESPACE = "composer-user-workloads"
SECRETS = f"/v1/projects/{PROJECT}/locations/{LOCATION}/environments/{ENVIRONMENT}/userWorkloadsSecrets"


def wait_for(read: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = read()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not synced into the Kubernetes emulator in time")


def _kube_secret(k8s_emulator: Any, name: str) -> Any:
    return k8s_emulator.get("secrets", name, NAMESPACE)  # None until synced


def test_secret_round_trip_through_the_composer_api(composer3: Any, k8s_emulator: Any) -> None:
    composer3.sync_delay = 0.3
    hook = ComposerPodHook(conn_id="kubernetes_default")
    first = secret_manifest("airflow-secrets", literals={"sql_alchemy_conn": "c3-value-one"})
    second = secret_manifest(
        "airflow-secrets", literals={"sql_alchemy_conn": "c3-value-two", "extra": "c3-extra-value"}
    )

    assert hook.create_or_replace_secret(first) == "created"
    assert hook.create_or_replace_secret(second) == "replaced"

    synced = wait_for(lambda: (s := _kube_secret(k8s_emulator, "airflow-secrets")) and len(s["data"]) == 2 and s)
    assert sorted(synced["data"]) == ["extra", "sql_alchemy_conn"]
    found = hook.get_secret("airflow-secrets")
    assert (found.name, found.keys, found.data) == ("airflow-secrets", ("extra", "sql_alchemy_conn"), None)
    assert hook.delete_secret("airflow-secrets") is True
    assert hook.get_secret("airflow-secrets") is None
    assert hook.delete_secret("airflow-secrets") is False
    calls = [(r.method, r.path.split("?")[0]) for r in composer3.requests]
    assert calls[:3] == [("POST", SECRETS), ("POST", SECRETS), ("PUT", f"{SECRETS}/airflow-secrets")]
    assert all("c3-value" not in str(r.body) for r in composer3.requests)
    # Nothing was written through the Kubernetes API: Composer 3 does not take those writes.
    assert [r for r in k8s_emulator.requests(path_contains="/secrets") if r.method in ("POST", "PUT")] == []


def test_config_map_round_trip_keeps_its_data(composer3: Any, k8s_emulator: Any) -> None:
    hook = ComposerPodHook(conn_id="kubernetes_default")

    assert hook.create_or_replace_config_map(config_map_manifest("settings", literals={"MODE": "fast"})) == "created"

    assert hook.get_config_map("settings").data == {"MODE": "fast"}
    synced = wait_for(lambda: _kube_config_map(k8s_emulator, "settings"))
    assert synced["data"] == {"MODE": "fast"}
    assert hook.delete_config_map("settings") is True


def _kube_config_map(k8s_emulator: Any, name: str) -> Any:
    return k8s_emulator.get("configmaps", name, NAMESPACE)


def test_connection_fields_name_the_environment(composer3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("GCP_PROJECT", "COMPOSER_LOCATION", "COMPOSER_ENVIRONMENT"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv(
        "AIRFLOW_CONN_C3",
        json.dumps(
            {
                "conn_type": "composer_pod",
                "extra": {
                    "project": PROJECT,
                    "extra__composer_pod__location": LOCATION,
                    "environment": ENVIRONMENT,
                    "composer_api_endpoint": composer3.url,
                },
            }
        ),
    )
    monkeypatch.delenv("COMPOSER_POD_COMPOSER_API_ENDPOINT")

    hook = ComposerPodHook(conn_id="c3")

    assert hook.create_or_replace_secret(secret_manifest("from-fields", literals={"k": "c3-field-value"})) == "created"
    assert composer3.names() == ["from-fields"]


@pytest.mark.parametrize(
    ("manifest", "parameter"),
    [
        pytest.param(
            ConfigMapManifest("bin", binary_data={"blob": b"\x00\x01"}), "ConfigMap 'bin' binaryData", id="binary-data"
        ),
        pytest.param(
            SecretManifest("tls", data={"tls.crt": b"c3-tls"}, type="kubernetes.io/tls"),
            "Secret 'tls' type",
            id="type",
        ),
        pytest.param(SecretManifest("raw", data={"key": b"\xff\xfe"}), "Secret 'raw' data['key']", id="not-utf8"),
        pytest.param(
            SecretManifest("elsewhere", namespace="default", data={"k": b"c3-elsewhere-value"}),
            "Secret 'elsewhere' namespace",
            id="namespace",
        ),
    ],
)
def test_what_composer_3_cannot_take_is_refused_before_any_request(
    composer3: Any, manifest: Any, parameter: str
) -> None:
    hook = ComposerPodHook(conn_id="kubernetes_default")
    write = hook.create_or_replace_secret if manifest.kind == "Secret" else hook.create_or_replace_config_map

    with pytest.raises(ComposerPodInputError) as raised:
        write(manifest)

    assert str(raised.value).startswith(parameter)
    assert "\xff" not in str(raised.value)
    assert composer3.requests == []


def test_a_missing_environment_is_named_before_any_request(composer3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPOSER_LOCATION")
    monkeypatch.delenv("GCP_PROJECT")
    hook = ComposerPodHook(conn_id="kubernetes_default")

    with pytest.raises(ComposerPodInputError) as raised:
        hook.create_or_replace_secret(secret_manifest("s", literals={"k": "hidden-1"}))

    message = str(raised.value)
    assert "project" in message
    assert "location" in message
    assert "COMPOSER_LOCATION" in message
    assert "hidden-1" not in message
    assert composer3.requests == []


def test_a_denied_permission_names_it_and_the_gcloud_command(composer3: Any) -> None:
    composer3.deny("composer.userworkloadssecrets.create")
    hook = ComposerPodHook(conn_id="kubernetes_default")

    with pytest.raises(ComposerPodObjectError) as raised:
        hook.create_or_replace_secret(secret_manifest("denied", literals={"k": "denied-value-7"}))

    message = str(raised.value)
    assert "composer.userworkloadssecrets.create" in message
    assert "gcloud composer environments user-workloads-secrets" in message
    assert "denied-value-7" not in message
    assert "\n" not in message
    assert raised.value.__cause__ is None
