"""The connection's Test button, against the emulator: one clear yes or no for each way it goes wrong."""

from __future__ import annotations

import json

import pytest
import yaml

from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook


def _hook(kubernetes_connection, **extra) -> ComposerPodHook:
    kubernetes_connection("composer_pod_default", conn_type="composer_pod", **extra)
    return ComposerPodHook()


def _pod(name: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "bash"}]}}


@pytest.mark.parametrize(
    ("names", "counted"),
    [
        pytest.param([], "0 pods", id="none"),
        pytest.param(["one"], "1 pod", id="one"),
        pytest.param(["one", "two"], "2 pods", id="two"),
    ],
)
def test_ok_counts_pods_in_namespace(k8s_emulator, kubernetes_connection, names, counted):
    for name in names:
        k8s_emulator.create("pods", _pod(name))
    hook = _hook(kubernetes_connection, kube_config_path=k8s_emulator.kubeconfig_path)

    ok, message = hook.test_connection()

    assert ok, message
    assert message == f"OK: {counted} visible in namespace composer-user-workloads on {k8s_emulator.url}."


def test_kube_config_missing(tmp_path, kubernetes_connection):
    hook = _hook(kubernetes_connection, kube_config_path=str(tmp_path / "nope"))

    ok, message = hook.test_connection()

    assert not ok
    assert message.startswith(f"Kube config file {tmp_path / 'nope'} does not exist.")


def test_unauthorized(k8s_emulator, kubernetes_connection, tmp_path):
    config = yaml.safe_load(open(k8s_emulator.kubeconfig_path))
    config["users"][0]["user"]["token"] = "wrong-token"
    path = tmp_path / "bad-token"
    path.write_text(json.dumps(config))
    hook = _hook(kubernetes_connection, kube_config_path=str(path))

    ok, message = hook.test_connection()

    assert not ok
    assert message.startswith(f"Unauthorized (401): {k8s_emulator.url} rejected the credentials")


def test_unreachable(kubernetes_connection, offline_kubeconfig):
    hook = _hook(kubernetes_connection, kube_config_path=offline_kubeconfig)

    ok, message = hook.test_connection()

    assert not ok
    assert message == "Unreachable: cannot connect to the Kubernetes API at http://127.0.0.1:9 (connection refused)."


def test_namespace_missing(k8s_emulator, kubernetes_connection):
    hook = _hook(kubernetes_connection, kube_config_path=k8s_emulator.kubeconfig_path, namespace="team-x")

    ok, message = hook.test_connection()

    assert not ok
    assert message.startswith(f"Namespace 'team-x' does not exist on {k8s_emulator.url}.")


def test_forbidden_namespace_read_still_lists_pods(k8s_emulator, kubernetes_connection):
    k8s_emulator.deny("get", "namespaces")
    hook = _hook(kubernetes_connection, kube_config_path=k8s_emulator.kubeconfig_path)

    ok, message = hook.test_connection()

    assert ok, message


def test_forbidden_pod_list(k8s_emulator, kubernetes_connection):
    k8s_emulator.deny("list", "pods")
    hook = _hook(kubernetes_connection, kube_config_path=k8s_emulator.kubeconfig_path)

    ok, message = hook.test_connection()

    assert not ok
    assert message.startswith("Forbidden (403): these credentials may not list pods in namespace")


def test_a_bad_api_retry_timeout_is_the_answer(k8s_emulator, kubernetes_connection):
    hook = _hook(kubernetes_connection, kube_config_path=k8s_emulator.kubeconfig_path, api_retry_timeout="soon")
    k8s_emulator.clear_requests()

    ok, message = hook.test_connection()

    assert not ok
    assert "connection 'composer_pod_default' extra api_retry_timeout" in message
    assert "'soon'" in message
    assert "a number from 0 (no retries) to 3600" in message
    assert k8s_emulator.requests() == []
