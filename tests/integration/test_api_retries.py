"""ComposerPodHook's clients against the emulator: every call retries transient faults, creates are never doubled.

Scenario 3 of issue 8 (watches) for the watches our hooks open: a watch's opening is retried like any call, a 410
Expired goes straight back to the watcher (which must list again), and a watch that breaks mid-way is the reader's to
resume (this layer retries openings, not streams).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
import urllib3
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from airflow_provider_composer_pod.compat import AsyncKubernetesHook
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook

NAMESPACE = "composer-user-workloads"
OUTAGE = 0.6


def pod_body(name: str, **labels: str) -> Dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "base", "image": "bash", "command": ["sleep", "30"]}]},
    }


OURS = {"dag_id": "d", "task_id": "t", "run_id": "r", "try_number": "1", "kubernetes_pod_operator": "True"}


@pytest.fixture
def hook(k8s_emulator: Any) -> ComposerPodHook:
    return ComposerPodHook(conn_id="kubernetes_default", api_retry_timeout=10)


@pytest.fixture
def retry_log(log_text: Any):
    """The retry lines logged so far (the hooks log through Airflow: structlog on Airflow 3, logging on 2)."""
    seen: List[str] = []

    def lines() -> List[str]:
        pattern = r"Kubernetes API [A-Z]+ /\S+ failed .*?(?: left\)\.|giving up.*?\)\.)"  # not the raw template
        seen.extend(re.findall(pattern, log_text()))
        return list(seen)

    return lines


def created(emulator: Any) -> List[Any]:
    return [r for r in emulator.requests(method="POST", path_contains="/pods") if r.status == 201]


def test_refused_connections_are_ridden_out(k8s_emulator, hook, retry_log):
    k8s_emulator.faults.refuse_connections(OUTAGE)

    pods = hook.core_v1_client.list_namespaced_pod(NAMESPACE)

    assert pods.items == []
    assert retry_log()
    assert all("failed (connection refused); retry" in line for line in retry_log())


def test_client_errors_fail_at_once(k8s_emulator, hook, retry_log):
    with pytest.raises(ApiException) as info:
        hook.core_v1_client.read_namespaced_pod("missing", NAMESPACE)

    assert info.value.status == 404
    assert len(k8s_emulator.requests(path_contains="/pods/missing")) == 1
    assert retry_log() == []


def test_the_connection_extra_sets_the_budget(k8s_emulator, kubernetes_connection, retry_log):
    kubernetes_connection(kube_config_path=k8s_emulator.kubeconfig_path, api_retry_timeout="0")
    k8s_emulator.faults.fail_requests(count=1, status=503)
    hook = ComposerPodHook(conn_id="kubernetes_default")

    with pytest.raises(ApiException):
        hook.core_v1_client.list_namespaced_pod(NAMESPACE)

    assert hook.retry_policy.timeout == 0
    assert retry_log() == []


def test_the_argument_wins_over_the_connection_extra(k8s_emulator, kubernetes_connection):
    kubernetes_connection(kube_config_path=k8s_emulator.kubeconfig_path, api_retry_timeout="0")

    assert ComposerPodHook(conn_id="kubernetes_default", api_retry_timeout=45).retry_policy.timeout == 45


def test_the_test_button_does_not_retry(k8s_emulator, hook, retry_log):
    hook.core_v1_client.list_namespaced_pod(NAMESPACE)  # a client built with retries already
    k8s_emulator.faults.refuse_connections(30)

    ok, message = hook.test_connection()

    assert not ok
    assert message.startswith("Unreachable")
    assert retry_log() == []


# ---------------------------------------------------------------------------------------------- idempotent create
def test_a_create_whose_answer_is_lost_is_adopted(k8s_emulator, hook, retry_log):
    k8s_emulator.faults.outage_on(OUTAGE, method="POST", path=r"/pods$", serve=True)

    pod = hook.core_v1_client.create_namespaced_pod(NAMESPACE, pod_body("p1", **OURS))

    assert pod.metadata.name == "p1"
    assert pod.metadata.uid == k8s_emulator.pod("p1")["metadata"]["uid"]
    assert len(k8s_emulator.requests(method="POST")) == 1
    assert any(line.startswith("Kubernetes API POST") for line in retry_log())


def test_a_create_that_failed_with_500_is_sent_again_once(k8s_emulator, hook):
    k8s_emulator.faults.fail_requests(count=2, status=500, method="POST", path=r"/pods$")

    hook.core_v1_client.create_namespaced_pod(NAMESPACE, pod_body("p1", **OURS))

    assert [r.status for r in k8s_emulator.requests(method="POST")] == [500, 500, 201]
    # before each new attempt the pod was looked for by the try's labels
    looks = k8s_emulator.requests(method="GET", path=f"/api/v1/namespaces/{NAMESPACE}/pods")
    assert len(looks) == 2
    assert looks[0].query["labelSelector"] == (
        "dag_id=d,task_id=t,run_id=r,try_number=1,!map_index,kubernetes_pod_operator=True"
    )


def test_a_mapped_task_is_told_apart_by_its_map_index(k8s_emulator, hook):
    k8s_emulator.faults.drop_responses(method="POST", path=r"/pods$")

    pod = hook.core_v1_client.create_namespaced_pod(NAMESPACE, pod_body("p1", **OURS, map_index="3"))

    assert pod.metadata.labels["map_index"] == "3"
    looks = k8s_emulator.requests(method="GET", path=f"/api/v1/namespaces/{NAMESPACE}/pods")
    assert "map_index=3" in looks[0].query["labelSelector"]


def test_a_pod_with_the_same_name_but_not_our_labels_is_never_adopted(k8s_emulator, hook):
    k8s_emulator.create("pods", pod_body("p1", owner="someone-else"), NAMESPACE)
    k8s_emulator.faults.fail_requests(count=1, status=504, method="POST", path=r"/pods$")

    with pytest.raises(ApiException) as info:
        hook.core_v1_client.create_namespaced_pod(NAMESPACE, pod_body("p1", **OURS))

    assert info.value.status == 409
    assert k8s_emulator.pod("p1")["metadata"]["labels"] == {"owner": "someone-else"}


def test_a_previous_trys_pod_is_not_adopted(k8s_emulator, hook):
    k8s_emulator.create("pods", pod_body("p1-try1", **dict(OURS, try_number="1")), NAMESPACE)
    k8s_emulator.faults.fail_requests(count=1, status=503, method="POST", path=r"/pods$")

    pod = hook.core_v1_client.create_namespaced_pod(NAMESPACE, pod_body("p1-try2", **dict(OURS, try_number="2")))

    assert pod.metadata.name == "p1-try2"
    assert sorted(p["metadata"]["name"] for p in k8s_emulator.list("pods", NAMESPACE)) == ["p1-try1", "p1-try2"]


def test_a_create_without_labels_is_sent_again_only_when_it_never_arrived(k8s_emulator, hook):
    k8s_emulator.faults.drop_responses(method="POST", path=r"/configmaps$")

    with pytest.raises(urllib3.exceptions.ProtocolError):
        hook.core_v1_client.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": "cm"}})

    assert len(k8s_emulator.requests(method="POST")) == 1


# ----------------------------------------------------------------------------------------------------- streams
def test_a_log_follow_is_retried_while_opening_only(k8s_emulator, hook, retry_log):
    client = hook.core_v1_client
    body = pod_body("logs", **OURS)
    body["spec"]["containers"][0]["command"] = ["bash", "-c", "echo a; echo b; sleep 30"]
    client.create_namespaced_pod(NAMESPACE, body)
    k8s_emulator.wait_for_pod("logs", phases=("Running",))
    k8s_emulator.faults.fail_requests(count=2, status=503, path=r"/log$")
    k8s_emulator.faults.cut_streams("log", after_items=1)

    response = client.read_namespaced_pod_log("logs", NAMESPACE, follow=True, _preload_content=False)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        for _ in response.stream(amt=None):
            pass

    assert [r.status for r in k8s_emulator.requests(path_contains="/log")] == [503, 503, 200]
    assert len(retry_log()) == 2


def test_a_watch_is_retried_while_opening(k8s_emulator, hook):
    client = hook.core_v1_client
    k8s_emulator.faults.fail_requests(count=2, status=500, path=r"/configmaps$")
    k8s_emulator.create_config_map("seen", {}, NAMESPACE)

    events = list(watch.Watch().stream(client.list_namespaced_config_map, NAMESPACE, timeout_seconds=1))

    assert [e["object"].metadata.name for e in events] == ["seen"]
    assert [r.status for r in k8s_emulator.requests(path_contains="/configmaps")] == [500, 500, 200]


def test_an_expired_resource_version_goes_straight_back_to_the_watcher(k8s_emulator, hook, retry_log):
    client = hook.core_v1_client
    version = client.list_namespaced_config_map(NAMESPACE).metadata.resource_version
    k8s_emulator.create_config_map("after", {}, NAMESPACE)
    k8s_emulator.expire_resource_versions()

    with pytest.raises(ApiException) as info:
        for _ in watch.Watch().stream(
            client.list_namespaced_config_map, NAMESPACE, resource_version=version, timeout_seconds=1
        ):
            pass

    assert info.value.status == 410
    assert len(k8s_emulator.requests(path_contains="/configmaps", is_watch=True)) == 1
    assert retry_log() == []


def test_a_dropped_watch_is_the_readers_to_resume(k8s_emulator, hook):
    client = hook.core_v1_client
    for index in range(3):
        k8s_emulator.create_config_map(f"cm-{index}", {}, NAMESPACE)
    k8s_emulator.faults.cut_streams("watch", after_items=2)
    seen: List[str] = []

    def read() -> None:
        for event in watch.Watch().stream(client.list_namespaced_config_map, NAMESPACE, timeout_seconds=5):
            seen.append(event["object"].metadata.name)

    with pytest.raises(urllib3.exceptions.ProtocolError):
        read()

    assert seen == ["cm-0", "cm-1"]
    assert len(k8s_emulator.requests(path_contains="/configmaps", is_watch=True)) == 1


# -------------------------------------------------------------------------------------------------------- async
needs_async_hook = pytest.mark.skipif(AsyncKubernetesHook is None, reason="provider 4.x has no async hook")


@needs_async_hook
async def test_the_async_hooks_client_rides_out_errors_and_refusals(k8s_emulator, hook, retry_log):
    from kubernetes_asyncio.client import CoreV1Api

    k8s_emulator.create("pods", pod_body("p"), NAMESPACE)
    async_hook = hook.async_hook()
    k8s_emulator.faults.fail_requests(count=2, status=503, method="GET", path=r"/pods/p$")

    async with async_hook.get_conn() as api_client:
        pod = await CoreV1Api(api_client).read_namespaced_pod("p", NAMESPACE)
        k8s_emulator.faults.refuse_connections(OUTAGE)
        pods = await CoreV1Api(api_client).list_namespaced_pod(NAMESPACE)

    assert pod.metadata.name == "p"
    assert len(pods.items) == 1
    assert async_hook.retry_policy.timeout == 10  # the worker's budget travels with the resolved connection
    reasons = [line.split("failed (")[1].split(")")[0] for line in retry_log()]
    assert reasons[:2] == ["HTTP 503 Service Unavailable"] * 2
    assert "connection refused" in reasons[2:]


@needs_async_hook
async def test_the_async_hooks_watch_is_retried_while_opening(k8s_emulator, hook):
    from kubernetes_asyncio import watch as async_watch
    from kubernetes_asyncio.client import CoreV1Api

    k8s_emulator.create_config_map("seen", {}, NAMESPACE)
    k8s_emulator.faults.fail_requests(count=2, status=502, path=r"/configmaps$")

    async with hook.async_hook().get_conn() as api_client:
        stream = async_watch.Watch().stream(CoreV1Api(api_client).list_namespaced_config_map, NAMESPACE,
                                            timeout_seconds=1)  # fmt: skip
        names = [event["object"].metadata.name async for event in stream]

    assert names == ["seen"]
    assert [r.status for r in k8s_emulator.requests(path_contains="/configmaps")] == [502, 502, 200]


@needs_async_hook
async def test_the_async_hook_never_sends_a_create_twice_that_may_have_arrived(k8s_emulator, hook):
    import aiohttp
    from kubernetes_asyncio.client import CoreV1Api

    k8s_emulator.faults.drop_responses(method="POST", path=r"/pods$")

    async with hook.async_hook().get_conn() as api_client:
        with pytest.raises(aiohttp.ClientError):
            await CoreV1Api(api_client).create_namespaced_pod(NAMESPACE, pod_body("p"))

    assert len(k8s_emulator.requests(method="POST")) == 1
