from __future__ import annotations

import logging

import pytest
from kubernetes.client.exceptions import ApiException

from airflow_provider_composer_pod import Secret, k8s
from airflow_provider_composer_pod.validation.preflight import (
    ComposerPodPreflightError,
    Reference,
    check_references,
    pod_references,
    secret_keys_used,
)


def _pod(**container: object) -> k8s.V1Pod:
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="p", namespace="ns"),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", image="ubuntu", **container)]),
    )


def test_guide_secrets_are_found_as_references():
    pod = _pod()
    pod = Secret("env", "SQL_CONN", "airflow-secrets", "sql_alchemy_conn").attach_to_pod(pod)
    pod = Secret("volume", "/var/secrets/google", "service-account", "service-account.json").attach_to_pod(pod)

    refs = pod_references(pod)

    assert [(r.kind, r.name, r.key) for r in refs] == [
        ("Secret", "airflow-secrets", "sql_alchemy_conn"),
        # KPO mounts the whole Secret for a volume (its key is not used), so only the Secret must exist.
        ("Secret", "service-account", None),
    ]
    assert refs[0].used_by == "env SQL_CONN of container base"


def test_config_maps_env_from_and_optional_refs():
    pod = _pod(
        env_from=[
            k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name="settings")),
            k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name="maybe", optional=True)),
        ],
        env=[
            k8s.V1EnvVar(
                name="MODE",
                value_from=k8s.V1EnvVarSource(
                    config_map_key_ref=k8s.V1ConfigMapKeySelector(name="settings", key="mode")
                ),
            )
        ],
    )
    pod.spec.volumes = [
        k8s.V1Volume(
            name="cfg",
            config_map=k8s.V1ConfigMapVolumeSource(name="files", items=[k8s.V1KeyToPath(key="a.ini", path="a.ini")]),
        )
    ]

    refs = pod_references(pod)

    assert [(r.kind, r.name, r.key) for r in refs] == [
        ("ConfigMap", "settings", "mode"),
        ("ConfigMap", "settings", None),
        ("ConfigMap", "files", "a.ini"),
    ]


class _Objects:
    """A stand-in for the API: the objects that exist, by (kind, name), and every read made."""

    def __init__(self, objects: dict, forbidden: tuple = ()) -> None:
        self.objects = objects
        self.forbidden = forbidden
        self.reads: list = []

    def __call__(self, kind: str, name: str, namespace: str):
        self.reads.append((kind, name, namespace))
        if (kind, name) in self.forbidden:
            raise ApiException(status=403, reason="Forbidden")
        return self.objects.get((kind, name))


REF_ENV = Reference("Secret", "airflow-secrets", "sql_alchemy_conn", "env SQL_CONN of container base")
REF_VOLUME = Reference("Secret", "airflow-secrets", None, "volume secrets")


def test_missing_secret_names_object_and_fix():
    read = _Objects({})

    with pytest.raises(ComposerPodPreflightError) as raised:
        check_references(read, "composer-user-workloads", [REF_ENV, REF_VOLUME], 2, logging.getLogger())

    message = str(raised.value)
    assert "Secret 'airflow-secrets' (used by env SQL_CONN of container base) does not exist in namespace" in message
    assert "kubectl create secret generic airflow-secrets --from-literal sql_alchemy_conn=VALUE" in message
    assert read.reads == [("Secret", "airflow-secrets", "composer-user-workloads")]  # read once


def test_missing_key_lists_existing_keys_and_patch_command():
    read = _Objects({("Secret", "airflow-secrets"): ["other"]})

    with pytest.raises(
        ComposerPodPreflightError, match=r"has no key 'sql_alchemy_conn' .*it has: other\)\. Add it: kubectl patch"
    ):
        check_references(read, "ns", [REF_ENV], 2, logging.getLogger())


def test_composer_3_fix_is_gcloud(monkeypatch):
    monkeypatch.setenv("COMPOSER_ENVIRONMENT", "prod")
    monkeypatch.setenv("COMPOSER_LOCATION", "europe-west1")

    with pytest.raises(ComposerPodPreflightError) as raised:
        check_references(_Objects({}), "composer-user-workloads", [REF_ENV], 3, logging.getLogger())

    assert (
        "gcloud composer environments user-workloads-secrets create --environment prod --location europe-west1 "
        "--secret-file-path airflow-secrets.yaml" in str(raised.value)
    )


def test_forbidden_read_skips_with_one_info_line(caplog):
    caplog.set_level(logging.INFO)
    read = _Objects({}, forbidden=(("Secret", "airflow-secrets"),))

    check_references(read, "ns", [REF_ENV, REF_VOLUME], 2, logging.getLogger("preflight-test"))

    assert len(read.reads) == 1
    assert caplog.text.count("not allowed to read Secret airflow-secrets") == 1


def test_present_objects_pass():
    read = _Objects({("Secret", "airflow-secrets"): ["sql_alchemy_conn"]})

    check_references(read, "ns", [REF_ENV, REF_VOLUME], 2, logging.getLogger())


def test_other_api_errors_propagate():
    def read(kind, name, namespace):
        raise ApiException(status=500, reason="boom")

    with pytest.raises(ApiException):
        check_references(read, "ns", [REF_ENV], 2, logging.getLogger())


def test_secret_keys_used_are_the_keys_the_pod_reads_optional_ones_included():
    # The values a resumed try registers with the masker: only the keys used, all keys where the pod takes them all.
    def key_ref(env: str, secret: str, key: str, optional: bool = False) -> k8s.V1EnvVar:
        selector = k8s.V1SecretKeySelector(name=secret, key=key, optional=optional)
        return k8s.V1EnvVar(name=env, value_from=k8s.V1EnvVarSource(secret_key_ref=selector))

    pod = _pod(
        env=[key_ref("A", "app", "a"), key_ref("B", "app", "b"), key_ref("C", "maybe", "c", optional=True)],
        env_from=[k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name="whole", optional=True))],
    )
    pod.spec.volumes = [
        k8s.V1Volume(
            name="one", secret=k8s.V1SecretVolumeSource(secret_name="files", items=[k8s.V1KeyToPath(key="k", path="k")])
        ),
        k8s.V1Volume(name="all", secret=k8s.V1SecretVolumeSource(secret_name="app")),  # the whole Secret after all
        k8s.V1Volume(name="cfg", config_map=k8s.V1ConfigMapVolumeSource(name="not-a-secret")),
    ]

    assert secret_keys_used(pod) == {"app": None, "maybe": {"c"}, "whole": None, "files": {"k"}}
    assert secret_keys_used(pod.to_dict()) == secret_keys_used(pod)
    assert [r.name for r in pod_references(pod) if r.kind == "Secret"] == ["app", "app", "files", "app"]
