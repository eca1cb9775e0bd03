"""Watch semantics: resourceVersion resume, timeoutSeconds, bookmarks, selector transitions and 410 Expired."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Set

import pytest
import urllib3


def _raw_watch(k8s_emulator: Any, path: str, timeout: float = 10.0) -> List[Dict[str, Any]]:
    http = urllib3.PoolManager()
    response = http.request(
        "GET",
        k8s_emulator.url + path,
        headers={"Authorization": f"Bearer {k8s_emulator.token}"},
        preload_content=False,
        timeout=timeout,
    )
    assert response.status == 200
    lines = b"".join(response.stream(1024)).decode().splitlines()
    return [json.loads(line) for line in lines if line]


def _pod(name: str, **labels: str) -> Dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "base", "image": "busybox", "command": ["sleep", "60"]}]},
    }


def test_watch_from_resource_version_replays_only_later_changes(k8s_emulator: Any, core: Any) -> None:
    core.create_namespaced_pod("default", _pod("before"))
    rv = core.list_namespaced_pod("default").metadata.resource_version
    core.create_namespaced_pod("default", _pod("after"))
    core.delete_namespaced_pod("after", "default", grace_period_seconds=0)

    events = _raw_watch(
        k8s_emulator,
        f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1&fieldSelector=metadata.name%3Dafter",
    )

    assert [e["type"] for e in events] == ["ADDED", "DELETED"]
    assert events[0]["object"]["kind"] == "Pod"
    assert events[0]["object"]["metadata"]["name"] == "after"
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs)
    assert rvs[0] > int(rv)


def test_watch_without_resource_version_starts_with_synthetic_added(k8s_emulator: Any, core: Any) -> None:
    core.create_namespaced_pod("default", _pod("existing"))

    started = time.monotonic()
    events = _raw_watch(k8s_emulator, "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1")

    assert 0.9 < time.monotonic() - started < 3
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events][0] == ("ADDED", "existing")


def test_watch_bookmarks(k8s_emulator: Any, core: Any) -> None:
    k8s_emulator.bookmark_interval = 0.2
    try:
        events = _raw_watch(
            k8s_emulator,
            "/api/v1/namespaces/kube-system/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=1",
        )
    finally:
        k8s_emulator.bookmark_interval = 1.0

    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert len(bookmarks) >= 3
    assert bookmarks[0]["object"]["kind"] == "Pod"
    assert set(bookmarks[0]["object"]["metadata"]) == {"resourceVersion", "creationTimestamp"}


def test_send_initial_events_ends_with_marked_bookmark(k8s_emulator: Any, core: Any) -> None:
    core.create_namespaced_pod("default", _pod("initial"))

    events = _raw_watch(
        k8s_emulator,
        "/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
        "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1",
    )

    assert events[0]["type"] == "ADDED"
    assert events[1]["type"] == "BOOKMARK"
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watch_reports_objects_leaving_the_selector_as_deleted(k8s_emulator: Any, core: Any) -> None:
    core.create_namespaced_pod("default", _pod("mover", team="a"))
    rv = core.read_namespaced_pod("mover", "default").metadata.resource_version
    core.patch_namespaced_pod("mover", "default", {"metadata": {"labels": {"team": "b"}}})

    events = _raw_watch(
        k8s_emulator,
        f"/api/v1/namespaces/default/pods?watch=true&labelSelector=team%3Da&resourceVersion={rv}&timeoutSeconds=1",
    )

    assert [e["type"] for e in events] == ["DELETED"]


def test_watch_with_compacted_resource_version_gets_410_error_event(k8s_emulator: Any, core: Any) -> None:
    core.create_namespaced_pod("default", _pod("old"))
    old_rv = core.read_namespaced_pod("old", "default").metadata.resource_version
    core.patch_namespaced_pod("old", "default", {"metadata": {"labels": {"x": "1"}}})
    floor = k8s_emulator.expire_resource_versions()

    events = _raw_watch(k8s_emulator, f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={old_rv}")

    assert floor > int(old_rv)
    assert len(events) == 1
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old_rv}")


def test_list_with_exact_compacted_resource_version_is_http_410(k8s_emulator: Any, core: Any) -> None:
    from kubernetes.client.rest import ApiException

    core.create_namespaced_pod("default", _pod("listed"))
    rv = core.list_namespaced_pod("default").metadata.resource_version
    core.delete_namespaced_pod("listed", "default", grace_period_seconds=0)
    k8s_emulator.expire_resource_versions()

    with pytest.raises(ApiException) as info:
        core.list_namespaced_pod("default", resource_version=str(int(rv) - 1), resource_version_match="Exact")

    assert info.value.status == 410
    assert json.loads(info.value.body)["reason"] == "Expired"


def test_history_window_is_bounded(k8s_emulator: Any, core: Any) -> None:
    k8s_emulator.call(setattr, k8s_emulator.store, "history_size", 5)
    try:
        first_rv = core.create_namespaced_config_map(
            "default", {"metadata": {"name": "cm-0"}}
        ).metadata.resource_version
        for index in range(1, 8):
            core.create_namespaced_config_map("default", {"metadata": {"name": f"cm-{index}"}})
        events = _raw_watch(
            k8s_emulator, f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={first_rv}"
        )
    finally:
        k8s_emulator.call(setattr, k8s_emulator.store, "history_size", 1000)

    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410


def test_kubernetes_watch_stream_sees_pod_lifecycle(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    from kubernetes import watch

    created = core.create_namespaced_pod("default", make_pod("watched", "echo hi; sleep 0.2"))
    phases = []

    for event in watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        field_selector="metadata.name=watched",
        resource_version=created.metadata.resource_version,
        timeout_seconds=5,
    ):
        phases.append((event["type"], event["object"].status.phase))
        if event["object"].status.phase == "Succeeded":
            break

    assert phases[0] == ("MODIFIED", "Pending")
    assert phases[-1] == ("MODIFIED", "Succeeded")
    assert ("MODIFIED", "Running") in phases


async def test_kubernetes_asyncio_watch(k8s_emulator: Any, make_pod: Any) -> None:
    from kubernetes_asyncio import client, config, watch

    api_client = await config.new_client_from_config(k8s_emulator.kubeconfig_path)
    async with api_client:
        api = client.CoreV1Api(api_client)
        created = await api.create_namespaced_pod("default", make_pod("async-watched", "echo hi; sleep 0.2"))
        seen = []
        rv = str(int(created.metadata.resource_version) - 1)
        async with watch.Watch().stream(
            api.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=5
        ) as stream:
            async for event in stream:
                seen.append((event["type"], event["object"].status.phase))
                if event["object"].status.phase == "Succeeded":
                    break

    assert seen[0] == ("ADDED", "Pending")
    assert seen[-1] == ("MODIFIED", "Succeeded")


def test_a_client_leaving_a_watch_leaves_no_task_waiting(k8s_emulator: Any) -> None:
    import asyncio
    import socket
    from urllib.parse import urlparse

    def waiting_tasks() -> Set[Any]:
        return {task for task in asyncio.all_tasks() if not task.done() and task is not asyncio.current_task()}

    # Compare sets, not counts: a task left over from an earlier test may finish meanwhile.
    before = k8s_emulator.call(waiting_tasks)
    address = urlparse(k8s_emulator.url)
    client = socket.create_connection((address.hostname, address.port))
    request = (
        "GET /api/v1/namespaces/default/pods?watch=1&timeoutSeconds=60 HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\nAuthorization: Bearer {k8s_emulator.token}\r\n\r\n"
    )
    client.sendall(request.encode())
    assert client.recv(4096).startswith(b"HTTP/1.1 200")  # the watch is open, the server waits for changes
    deadline = time.monotonic() + 5
    while not k8s_emulator.call(waiting_tasks) - before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert k8s_emulator.call(waiting_tasks) - before

    client.close()  # the client hangs up mid-stream
    while k8s_emulator.call(waiting_tasks) - before and time.monotonic() < deadline:
        time.sleep(0.02)

    assert k8s_emulator.call(waiting_tasks) - before == set()
