from __future__ import annotations

import pytest

from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook


@pytest.fixture
def composer_kube_config(tmp_path, monkeypatch, offline_kubeconfig):
    """Stand in for /home/airflow/composer_kube_config, which only exists on Composer workers."""
    path = tmp_path / "composer_kube_config"
    path.write_text(open(offline_kubeconfig).read())
    monkeypatch.setattr(ComposerPodHook, "composer_kube_config", str(path))
    return str(path)


def test_composer_kube_config_fills_the_gap(composer_kube_config, log_text):
    hook = ComposerPodHook(conn_id="kubernetes_default")

    hook.get_conn()

    assert hook.config_file == composer_kube_config
    assert f"Kubernetes config: Composer kube config {composer_kube_config}" in log_text()


def test_explicit_config_file_wins(composer_kube_config, offline_kubeconfig):
    hook = ComposerPodHook(conn_id="kubernetes_default", config_file=offline_kubeconfig)

    hook.get_conn()

    assert hook.config_file == offline_kubeconfig


def test_connection_kube_config_path_wins(composer_kube_config, offline_kubeconfig, kubernetes_connection, log_text):
    kubernetes_connection(kube_config_path=offline_kubeconfig)
    hook = ComposerPodHook(conn_id="kubernetes_default")

    hook.get_conn()

    assert hook.config_file is None
    assert "Kubernetes config: connection 'kubernetes_default'" in log_text()


def test_outside_composer_falls_back_to_kubeconfig_env(monkeypatch, offline_kubeconfig, tmp_path, log_text):
    monkeypatch.setattr(ComposerPodHook, "composer_kube_config", str(tmp_path / "absent"))
    monkeypatch.setenv("KUBECONFIG", offline_kubeconfig)
    hook = ComposerPodHook(conn_id="kubernetes_default")

    # The kubernetes client reads KUBECONFIG when it is imported, as on a worker; here we check the choice and its line.
    hook.resolve_config_source()

    assert hook.config_file is None
    text = log_text()
    assert text.count("Kubernetes config:") == 1
    assert f"KUBECONFIG={offline_kubeconfig}; not on Cloud Composer" in text


def test_source_is_logged_once(composer_kube_config, log_text):
    hook = ComposerPodHook(conn_id="kubernetes_default")

    hook.get_conn()
    hook.get_conn()

    assert log_text().count("Kubernetes config:") == 1


def test_namespace_from_connection_else_generation(kubernetes_connection, monkeypatch):
    assert ComposerPodHook(conn_id="kubernetes_default", composer_generation=1).get_namespace() == "default"
    assert ComposerPodHook(conn_id="kubernetes_default").get_namespace() == "composer-user-workloads"

    kubernetes_connection(namespace="mine")

    assert ComposerPodHook(conn_id="kubernetes_default", composer_generation=1).get_namespace() == "mine"
