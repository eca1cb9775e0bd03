"""The pod watches of one cluster share one API client (``startup/clients.py``), over HTTP to the emulator."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, List, Tuple

import pytest

from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.kube.cluster import ClusterConnection
from airflow_provider_composer_pod.startup.clients import ApiClients
from airflow_provider_composer_pod.startup.pod_watch import POD_SELECTOR, PodWatchRegistry, WatchSettings
from airflow_provider_composer_pod.startup.watch import wait_for_start


@pytest.fixture
def connection(k8s_emulator: Any) -> ClusterConnection:
    return ClusterConnection.from_dict(
        ComposerPodHook(conn_id="kubernetes_default").composer_connection.cluster().to_dict()
    )


def _pod(name: str) -> Dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {POD_SELECTOR.split("=")[0]: "True"}},
        "spec": {"containers": [{"name": "base", "image": "busybox:1.36", "command": ["sleep", "5"]}]},
    }


def _closed(api: Any) -> bool:
    return bool(api.rest_client.pool_manager.closed)


async def test_watches_in_many_namespaces_share_one_client_without_a_cap_on_connections(k8s_emulator, connection):
    # More namespaces than the client's default pool (100 connections): each watch holds one while it streams.
    namespaces = [f"team-{i:03d}" for i in range(105)]
    k8s_emulator.scenario(pod_name="job", schedule_delay=5.0, run_duration=5)  # Pending while all watches stream
    for namespace in namespaces:
        k8s_emulator.create("namespaces", {"metadata": {"name": namespace}}, None)
        k8s_emulator.create("pods", _pod("job"), namespace)
    registry = PodWatchRegistry()
    seen: List[Tuple[int, int, int]] = []  # clients, watches using the first, watches streaming at the API server

    async def look() -> None:
        while not seen or (seen[-1][2] < len(namespaces) and seen[-1][1]):
            await asyncio.sleep(0.1)
            seen.append((len(registry.clients), registry.clients.users, len(k8s_emulator.api.active_streams["watch"])))

    looking = asyncio.ensure_future(look())
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            *(wait_for_start(connection, ns, "job", deadline=time.time() + 60, registry=registry) for ns in namespaces)
        ),
        timeout=90,
    )
    await looking

    assert {o.state for o in outcomes} == {"started"}
    assert seen[-1] == (1, len(namespaces), len(namespaces))  # one client; every namespace's watch streams at once
    await asyncio.sleep(0.5)  # the watches' tasks unwind; the emulator records a watch when it ends
    assert len(registry.clients) == 0
    watched = {r.path for r in k8s_emulator.requests(method="GET", is_watch=True)}
    assert watched >= {f"/api/v1/namespaces/{namespace}/pods" for namespace in namespaces}


async def test_a_client_closes_with_its_last_watch_and_a_renewal_loads_a_new_one(k8s_emulator, connection):
    clients = ApiClients()

    first, second = await asyncio.gather(clients.acquire(connection), clients.acquire(connection))
    assert first is second
    await clients.release(first, renew=True)  # a 401: the next watch gets newly loaded credentials
    renewed = await clients.acquire(connection)
    assert renewed is not first
    assert not _closed(first.api)  # the other watch still streams on it
    await clients.release(second)
    assert _closed(first.api)
    assert not _closed(renewed.api)
    await clients.release(renewed)
    assert _closed(renewed.api)
    assert len(clients) == 0


async def test_a_client_that_fails_to_load_is_not_kept():
    clients = ApiClients()
    broken = ClusterConnection(config_dict={"clusters": [], "contexts": [], "users": []}, context="missing")

    for _ in range(2):  # each attempt loads again
        with pytest.raises(Exception, match="missing|context"):
            await clients.acquire(broken)
        assert len(clients) == 0


async def test_two_triggers_of_one_pod_are_each_told_in_any_order_of_leaving(k8s_emulator, connection):
    # A trigger made again while the first still runs (a triggerer picking up a trigger it already holds): both
    # subscribe to the same pod; whichever leaves first, the other is still told, and the watch closes after both.
    namespace = "composer-user-workloads"
    k8s_emulator.scenario(pod_name="twice", schedule_delay=1.0, run_duration=5)
    k8s_emulator.create("pods", _pod("twice"), namespace)
    registry = PodWatchRegistry()
    for leaves_first in (0, 1):
        subscriptions = [registry.subscribe(connection, namespace, "twice") for _ in range(3)]
        subscriptions[leaves_first].close()
        staying = [s for s in subscriptions if not s.closed]
        await asyncio.wait_for(asyncio.gather(*(_told(s) for s in staying)), timeout=15)
        assert [s.pod["metadata"]["name"] for s in staying] == ["twice", "twice"]
        for subscription in staying:
            subscription.close()
        assert not registry.watches  # the last one out closed the watch
    started = await wait_for_start(connection, namespace, "twice", deadline=time.time() + 30, registry=registry)
    assert started.state == "started"
    assert set(started.observed) <= {"scheduled", "started"}
    assert not registry.watches


async def _told(subscription: Any) -> None:
    while not subscription.known:
        await subscription.changed(10)


async def test_a_response_that_is_not_http_is_retried_not_taken_for_a_refusal():
    # aiohttp gives a response it cannot parse a status of 400 of its own (seen once in the Python 3.8 matrix cell, a
    # stream with a request's bytes in it); only a status the API server answered with means "refused".
    answered = []

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        answered.append(True)
        writer.write(b"GET /api/v1/namesContent-Type: application/json\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = {
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    registry = PodWatchRegistry(WatchSettings(backoff_initial=0.05, backoff_cap=0.1))
    subscription = registry.subscribe(ClusterConnection(config_dict=config), "ns", "p")
    try:
        deadline = time.monotonic() + 10
        while len(answered) < 3 and subscription.error is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert subscription.error is None
        (watch,) = registry.watches.values()
        assert watch.stats.errors >= 2  # each answer an error of aiohttp's, and each retried
        assert "ClientResponseError" in str(watch.stats.last_error)
    finally:
        subscription.close()
        server.close()
        await server.wait_closed()
