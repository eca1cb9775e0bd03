"""Authentication (401), RBAC denials (403) and HTTPS with both Python clients."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from airflow_provider_composer_pod.testing import KubernetesEmulator


@pytest.mark.parametrize(
    "headers",
    [pytest.param({}, id="missing-token"), pytest.param({"Authorization": "Bearer wrong"}, id="wrong-token")],
)
def test_unauthenticated_requests_get_401_status(k8s_emulator: Any, headers: Any) -> None:
    response = urllib3.PoolManager().request(
        "GET", k8s_emulator.url + "/api/v1/namespaces/default/pods", headers=headers
    )

    assert response.status == 401
    assert json.loads(response.data) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    assert k8s_emulator.requests(path_contains="/pods")[-1].status == 401


@pytest.mark.parametrize(
    ("rule", "call", "message"),
    [
        pytest.param(
            ("create", "pods", "default"),
            lambda api: api.create_namespaced_pod(
                "default", {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
            ),
            'pods is forbidden: User "emulator-admin" '
            'cannot create resource "pods" in API group "" in the namespace "default"',
            id="create",
        ),
        pytest.param(
            ("get", "pods", None),
            lambda api: api.read_namespaced_pod("x", "default"),
            'pods "x" is forbidden: User "emulator-admin" '
            'cannot get resource "pods" in API group "" in the namespace "default"',
            id="get-named",
        ),
        pytest.param(
            ("list", "namespaces", None),
            lambda api: api.list_namespace(),
            'namespaces is forbidden: User "emulator-admin" '
            'cannot list resource "namespaces" in API group "" at the cluster scope',
            id="cluster-scope",
        ),
        pytest.param(
            ("get", "pods/log", None),
            lambda api: api.read_namespaced_pod_log("x", "default"),
            'pods "x" is forbidden: User "emulator-admin" '
            'cannot get resource "pods/log" in API group "" in the namespace "default"',
            id="subresource",
        ),
    ],
)
def test_rbac_denials_are_403_with_real_message(
    k8s_emulator: Any, core: Any, rule: Any, call: Any, message: str
) -> None:
    k8s_emulator.deny(*rule)

    with pytest.raises(ApiException) as info:
        call(core)

    body = json.loads(info.value.body)
    assert (info.value.status, body["reason"], body["message"]) == (403, "Forbidden", message)


@pytest.fixture(scope="module")
def https_emulator() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(https=True) as emulator:
        yield emulator


def test_https_with_sync_client(https_emulator: KubernetesEmulator) -> None:
    api = client.CoreV1Api(config.new_client_from_config(https_emulator.kubeconfig_path))

    names = [n.metadata.name for n in api.list_namespace().items]

    assert https_emulator.url.startswith("https://127.0.0.1:")
    assert "composer-user-workloads" in names
    assert https_emulator.requests(path="/api/v1/namespaces")[-1].status == 200


async def test_https_with_asyncio_client_and_exec(https_emulator: KubernetesEmulator) -> None:
    from kubernetes_asyncio import client as aclient
    from kubernetes_asyncio import config as aconfig

    api_client = await aconfig.new_client_from_config(https_emulator.kubeconfig_path)
    async with api_client:
        api = aclient.CoreV1Api(api_client)
        created = await api.create_namespaced_config_map("default", {"metadata": {"name": "tls"}, "data": {"a": "b"}})
        read = await api.read_namespaced_config_map("tls", "default")

    assert created.metadata.uid == read.metadata.uid
    assert read.data == {"a": "b"}


def test_https_rejects_clients_without_the_ca(https_emulator: KubernetesEmulator) -> None:
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        urllib3.PoolManager(cert_reqs="CERT_REQUIRED", retries=0).request("GET", https_emulator.url + "/version")
