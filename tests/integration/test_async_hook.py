"""The async hook a trigger uses: built from the worker's hook, it reaches the cluster without looking anything up."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.compat import AsyncKubernetesHook
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook

pytestmark = pytest.mark.skipif(AsyncKubernetesHook is None, reason="provider 4.x has no async hook")

PROTOCOL = (  # KPO's PodOperatorHookProtocol
    "core_v1_client",
    "is_in_cluster",
    "get_pod",
    "get_namespace",
    "get_xcom_sidecar_container_image",
    "get_xcom_sidecar_container_resources",
)


async def test_async_hook_reads_a_pod_with_the_worker_resolved_connection(k8s_emulator, monkeypatch):
    from airflow.hooks.base import BaseHook

    k8s_emulator.create("pods", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "bash"}]}})
    worker_hook = ComposerPodHook(conn_id="kubernetes_default")  # the worker may look the connection up ...
    hook = worker_hook.async_hook()
    monkeypatch.delenv("AIRFLOW_CONN_KUBERNETES_DEFAULT")  # ... the triggerer never does
    monkeypatch.setattr(BaseHook, "get_connection", classmethod(lambda cls, conn_id: pytest.fail("looked up")))

    pod = await hook.get_pod("p", hook.get_namespace())

    # The worker's kube config, as a path (10.x reads kube_config_path) or read into config_dict (5.2 to 6.x).
    assert hook.resolved_extras.get("kube_config_path") == k8s_emulator.kubeconfig_path or (
        hook.config_dict["clusters"][0]["cluster"]["server"] == k8s_emulator.url
    )
    assert pod.metadata.name == "p"
    assert hook.get_namespace() == "composer-user-workloads"
    assert k8s_emulator.requests(method="GET", path_contains="/pods/p")


def test_both_hooks_satisfy_kpos_hook_protocol(k8s_emulator):
    from airflow.providers.cncf.kubernetes.hooks import kubernetes

    protocol = getattr(kubernetes, "PodOperatorHookProtocol", None)
    if protocol is None:
        pytest.skip("PodOperatorHookProtocol arrived in cncf-kubernetes 7.0")
    members = [name for name in vars(protocol) if not name.startswith("_")]
    worker_hook = ComposerPodHook(conn_id="kubernetes_default")

    assert set(PROTOCOL) <= set(members)
    for hook in (worker_hook, worker_hook.async_hook()):
        missing = [name for name in members if not hasattr(type(hook), name)]
        assert missing == [], type(hook).__name__


def test_operator_builds_its_hook_lazily_and_once():
    from airflow_provider_composer_pod import ComposerPodOperator

    op = ComposerPodOperator(task_id="t", image="bash")

    assert "hook" not in vars(op)
    assert op.hook is op.hook
