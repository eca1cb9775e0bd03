"""Fault injection as clients experience it: refused connections, error bursts, broken streams, slow logs."""

from __future__ import annotations

import errno
import json
import socket
import time
from typing import Any, Iterator, List

import pytest
import urllib3
from kubernetes.client.rest import ApiException

NS = "composer-user-workloads"


def _drain(chunks: Iterator[bytes], into: List[bytes]) -> None:
    for chunk in chunks:
        into.append(chunk)


def test_refused_connections_then_recovery(k8s_emulator: Any, core: Any) -> None:
    k8s_emulator.faults.refuse_connections(0.5)

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", k8s_emulator.port), timeout=1)
    time.sleep(0.8)
    namespaces = core.list_namespace()

    assert len(namespaces.items) >= 3


def test_refused_connections_surface_as_errno_in_kubernetes_client(k8s_emulator: Any, core: Any) -> None:
    core.api_client.rest_client.pool_manager.connection_pool_kw["retries"] = False
    k8s_emulator.faults.refuse_connections(0.4)

    with pytest.raises(urllib3.exceptions.HTTPError) as info:
        core.list_namespace(_request_timeout=1)

    assert "Connection refused" in str(info.value) or getattr(info.value, "errno", None) == errno.ECONNREFUSED


@pytest.mark.parametrize(
    ("status", "reason"),
    [pytest.param(500, "InternalError", id="500"), pytest.param(504, "Timeout", id="504")],
)
def test_error_bursts_for_matching_requests(k8s_emulator: Any, core: Any, status: int, reason: str) -> None:
    rule = k8s_emulator.faults.fail_requests(count=2, status=status, method="GET", path=r"/namespaces$")
    errors = []

    for _ in range(2):
        with pytest.raises(ApiException) as info:
            core.list_namespace()
        errors.append(info.value)
    core.list_namespace()
    core.list_namespaced_pod(NS)

    assert [e.status for e in errors] == [status, status]
    assert json.loads(errors[0].body)["reason"] == reason
    assert rule.hits == 2
    assert rule.remaining == 0


@pytest.mark.parametrize(
    ("status", "reason"),
    [pytest.param(429, "TooManyRequests", id="429"), pytest.param(503, "ServiceUnavailable", id="503")],
)
def test_retry_after_bursts_are_retried_by_urllib3(k8s_emulator: Any, core: Any, status: int, reason: str) -> None:
    k8s_emulator.faults.fail_requests(count=2, status=status, path=r"/namespaces$", retry_after=0)
    raw = urllib3.PoolManager(retries=False).request(
        "GET", k8s_emulator.url + "/api/v1/namespaces", headers={"Authorization": "Bearer " + k8s_emulator.token}
    )

    namespaces = core.list_namespace()

    assert raw.status == status
    assert raw.headers["Retry-After"] == "0"
    assert json.loads(raw.data)["reason"] == reason
    assert json.loads(raw.data)["details"]["retryAfterSeconds"] == 0
    assert namespaces.items
    assert [r.status for r in k8s_emulator.requests(path="/api/v1/namespaces")] == [status, status, 200]


def test_cut_watch_stream_breaks_chunked_transfer(k8s_emulator: Any, core: Any) -> None:
    for index in range(3):
        core.create_namespaced_config_map(NS, {"metadata": {"name": f"cut-{index}"}})
    k8s_emulator.faults.cut_streams("watch", after_items=2)
    http = urllib3.PoolManager()

    response = http.request(
        "GET",
        k8s_emulator.url + f"/api/v1/namespaces/{NS}/configmaps?watch=true",
        headers={"Authorization": "Bearer " + k8s_emulator.token},
        preload_content=False,
    )
    received: List[bytes] = []
    with pytest.raises(urllib3.exceptions.ProtocolError):
        _drain(response.stream(64), received)

    events = [json.loads(line) for line in b"".join(received).decode().splitlines() if line]
    assert [e["object"]["metadata"]["name"] for e in events] == ["cut-0", "cut-1"]


def test_cut_log_stream_mid_way(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("cutlog", "seq 50"))
    k8s_emulator.wait_for_pod("cutlog")
    k8s_emulator.faults.cut_streams("log", after_bytes=20)

    response = core.read_namespaced_pod_log("cutlog", NS, follow=True, _preload_content=False)
    received: List[bytes] = []
    with pytest.raises(urllib3.exceptions.ProtocolError):
        _drain(response.stream(8), received)

    assert b"".join(received) == b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n1"[:20]


def test_cut_active_streams_on_demand(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("longlog", "echo start; sleep 30"))
    k8s_emulator.wait_for_pod("longlog", phases=("Running",))
    response = core.read_namespaced_pod_log("longlog", NS, follow=True, _preload_content=False)
    chunks = response.stream(amt=None)
    first = next(chunks)

    cut = k8s_emulator.faults.cut_active_streams("log")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        _drain(chunks, [])

    assert first == b"start\n"
    assert cut == 1


def test_slow_logs(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("slow", "seq 5"))
    k8s_emulator.wait_for_pod("slow")
    k8s_emulator.faults.slow_logs(0.1, pod="slow")

    started = time.monotonic()
    body = core.read_namespaced_pod_log("slow", NS, _preload_content=False).data

    assert body == b"1\n2\n3\n4\n5\n"
    assert time.monotonic() - started >= 0.45


def test_expired_resource_version_makes_kubernetes_watch_raise_410(k8s_emulator: Any, core: Any) -> None:
    from kubernetes import watch

    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    core.create_namespaced_config_map(NS, {"metadata": {"name": "after-rv"}})
    k8s_emulator.expire_resource_versions()

    with pytest.raises(ApiException) as info:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2):
            pass

    assert info.value.status == 410


def test_outage_on_a_create_that_was_served(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    rule = k8s_emulator.faults.outage_on(0.5, method="POST", path=r"/pods$", serve=True)

    with pytest.raises(urllib3.exceptions.ProtocolError):
        core.create_namespaced_pod(NS, make_pod("served", "echo hi"))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", k8s_emulator.port), timeout=1)
    time.sleep(0.7)

    assert rule.used == 1
    assert k8s_emulator.pod("served", NS) is not None  # done, though the client never heard
    (post,) = k8s_emulator.requests(method="POST")
    assert (post.status, post.dropped) == (201, True)
    assert core.list_namespaced_pod(NS).items


def test_outage_on_a_request_that_was_not_served(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.faults.outage_on(0.3, method="POST", path=r"/pods$")

    with pytest.raises(urllib3.exceptions.ProtocolError):
        core.create_namespaced_pod(NS, make_pod("unserved", "echo hi"))
    time.sleep(0.5)

    assert k8s_emulator.pod("unserved", NS) is None
    (post,) = k8s_emulator.requests(method="POST")
    assert (post.status, post.dropped) == (0, True)


def test_outage_on_a_pod_in_a_given_phase(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(image="busybox", pull_delay=0.5)
    core.create_namespaced_pod(NS, make_pod("phased", "echo hi"))
    rule = k8s_emulator.faults.outage_on(0, method="GET", path=r"/pods/phased$", phase="Succeeded")
    core.api_client.rest_client.pool_manager.connection_pool_kw["retries"] = False  # urllib3 would re-send a GET

    core.read_namespaced_pod("phased", NS)  # Pending: no match
    k8s_emulator.wait_for_pod("phased", NS)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        core.read_namespaced_pod("phased", NS)
    pod = core.read_namespaced_pod("phased", NS)  # the rule was used once; no outage (0 s)

    assert rule.used == 1
    assert pod.status.phase == "Succeeded"


def test_drop_responses(k8s_emulator: Any, core: Any) -> None:
    k8s_emulator.faults.drop_responses(count=2, method="GET", path=r"/namespaces$")
    core.api_client.rest_client.pool_manager.connection_pool_kw["retries"] = False  # urllib3 would re-send a GET

    for _ in range(2):
        with pytest.raises(urllib3.exceptions.ProtocolError):
            core.list_namespace(_request_timeout=2)
    namespaces = core.list_namespace()

    assert namespaces.items
    assert [(r.status, r.dropped) for r in k8s_emulator.requests(path="/api/v1/namespaces")] == [
        (200, True),
        (200, True),
        (200, False),
    ]
