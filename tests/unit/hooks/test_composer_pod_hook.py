from __future__ import annotations

import pytest

from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.hooks.connection import ComposerConnection


@pytest.fixture
def composer_kube_config(tmp_path, monkeypatch, offline_kubeconfig):
    """Stand in for /home/airflow/composer_kube_config, which only exists on Composer workers."""
    path = tmp_path / "composer_kube_config"
    path.write_text(open(offline_kubeconfig).read())
    monkeypatch.setattr(ComposerConnection, "composer_kube_config", str(path))
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
    monkeypatch.setattr(ComposerConnection, "composer_kube_config", str(tmp_path / "absent"))
    monkeypatch.setenv("KUBECONFIG", offline_kubeconfig)
    hook = ComposerPodHook(conn_id="kubernetes_default")

    # The kubernetes client reads KUBECONFIG when it is imported, as on a worker; here we check the choice and its line.
    hook.resolve_config_source()

    assert hook.config_file is None
    text = log_text()
    assert f"Kubernetes config: KUBECONFIG={offline_kubeconfig}; not on Cloud Composer." in text
    # ...and no other choice (however many handlers print the one line).
    for other in ("Kubernetes config: Composer kube config", "Kubernetes config: connection", "Kubernetes config: in-"):
        assert other not in text


def test_source_is_logged_once(composer_kube_config, log_text):
    hook = ComposerPodHook(conn_id="kubernetes_default")

    hook.get_conn()
    first = log_text()
    hook.get_conn()
    second = log_text()

    # Judged per call, not by counting printed lines: Airflow 2 may print one record through several handlers.
    assert "Kubernetes config:" in first
    assert "Kubernetes config:" not in second


def test_namespace_from_connection_else_generation(kubernetes_connection, monkeypatch):
    assert ComposerPodHook(conn_id="kubernetes_default", composer_generation=1).get_namespace() == "default"
    assert ComposerPodHook(conn_id="kubernetes_default").get_namespace() == "composer-user-workloads"

    kubernetes_connection(namespace="mine")

    assert ComposerPodHook(conn_id="kubernetes_default", composer_generation=1).get_namespace() == "mine"


def test_composer_pod_connection_type_extras_are_read(kubernetes_connection, offline_kubeconfig):
    kubernetes_connection(
        "composer_pod_default",
        conn_type="composer_pod",
        extra__composer_pod__kube_config_path=offline_kubeconfig,
        extra__composer_pod__namespace="team",
        composer_generation="1",
    )
    hook = ComposerPodHook()

    assert hook.conn_id == "composer_pod_default"
    assert hook.get_namespace() == "team"
    assert hook.composer_environment.generation == 1
    assert hook.get_conn().configuration.host == "http://127.0.0.1:9"


def test_missing_default_connection_means_defaults(monkeypatch, log_text):
    monkeypatch.delenv("AIRFLOW_CONN_KUBERNETES_DEFAULT", raising=False)
    hook = ComposerPodHook(conn_id="kubernetes_default")

    assert hook.get_namespace() == "composer-user-workloads"
    assert "Connection 'kubernetes_default' does not exist; using the defaults instead." in log_text()


def test_missing_named_connection_is_an_error():
    from airflow.exceptions import AirflowNotFoundException

    hook = ComposerPodHook(conn_id="no_such_connection")

    with pytest.raises(AirflowNotFoundException):
        hook.get_namespace()


def test_explicit_config_file_beats_in_cluster_connection(kubernetes_connection, offline_kubeconfig, log_text):
    kubernetes_connection(in_cluster=True)
    hook = ComposerPodHook(conn_id="kubernetes_default", config_file=offline_kubeconfig)

    client = hook.get_conn()

    assert client.configuration.host == "http://127.0.0.1:9"
    assert hook.is_in_cluster is False
    assert "in-cluster or inline kube config is ignored" in log_text()


def test_extras_reach_kubernetes_hook_under_both_names(kubernetes_connection):
    kubernetes_connection(extra__composer_pod__cluster_context="ctx", disable_verify_ssl="true")
    hook = ComposerPodHook(conn_id="kubernetes_default")

    assert hook.conn_extras["cluster_context"] == hook.conn_extras["extra__kubernetes__cluster_context"] == "ctx"
    assert hook.conn_extras["disable_verify_ssl"] == "true"


def test_no_connection_means_no_connection_on_every_provider(kubernetes_connection):
    # From provider 10.5 KubernetesHook turns conn_id=None into kubernetes_default; before, None meant none.
    kubernetes_connection(namespace="from-kubernetes-default")

    hook = ComposerPodHook(conn_id=None)

    assert hook.conn_id is None
    assert hook.get_namespace() == "composer-user-workloads"
