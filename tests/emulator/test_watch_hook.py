"""The API server's ``on_watch_event_written`` hook: each object event a watch stream wrote whole, in order."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

import urllib3

from airflow_provider_composer_pod.testing.apiserver.server import ApiServer

NS = "composer-user-workloads"


def _raw_watch(k8s_emulator: Any, path: str) -> bytes:
    """The stream's bytes, whether it ends cleanly or is cut."""
    response = urllib3.PoolManager().request(
        "GET",
        k8s_emulator.url + path,
        headers={"Authorization": f"Bearer {k8s_emulator.token}"},
        preload_content=False,
        timeout=10.0,
    )
    received: List[bytes] = []
    try:
        for chunk in response.stream(64):
            received.append(chunk)
    except urllib3.exceptions.ProtocolError:
        pass
    return b"".join(received)


def _watch_with_hook(k8s_emulator: Any, path: str) -> Tuple[bytes, List[Tuple[str, str]]]:
    seen: List[Tuple[str, str]] = []

    def written(type_: str, obj: Dict[str, Any]) -> None:
        seen.append((type_, obj["metadata"]["name"]))

    k8s_emulator.api.on_watch_event_written = written
    try:
        return _raw_watch(k8s_emulator, path), seen
    finally:
        k8s_emulator.api.on_watch_event_written = None


def _create_three(core: Any, prefix: str) -> str:
    """Three ConfigMaps, one changed and one deleted; returns the resourceVersion before them."""
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    for index in range(3):
        core.create_namespaced_config_map(NS, {"metadata": {"name": f"{prefix}-{index}"}})
    core.patch_namespaced_config_map(f"{prefix}-1", NS, {"data": {"a": "b"}})
    core.delete_namespaced_config_map(f"{prefix}-2", NS)
    return str(rv)


def test_the_hook_sees_every_object_event_written_in_order(k8s_emulator: Any, core: Any) -> None:
    rv = _create_three(core, "hooked")
    k8s_emulator.bookmark_interval = 0.2
    try:
        stream, seen = _watch_with_hook(
            k8s_emulator,
            f"/api/v1/namespaces/{NS}/configmaps?watch=true&resourceVersion={rv}&allowWatchBookmarks=true"
            "&timeoutSeconds=1",
        )
    finally:
        k8s_emulator.bookmark_interval = 1.0

    events = [json.loads(line) for line in stream.decode().splitlines() if line]
    assert any(e["type"] == "BOOKMARK" for e in events)
    written = [(e["type"], e["object"]["metadata"]["name"]) for e in events if e["type"] != "BOOKMARK"]
    assert written == [
        ("ADDED", "hooked-0"),
        ("ADDED", "hooked-1"),
        ("ADDED", "hooked-2"),
        ("MODIFIED", "hooked-1"),
        ("DELETED", "hooked-2"),
    ]
    assert seen == written


def test_the_hook_is_called_after_a_line_is_written_whole(k8s_emulator: Any, core: Any) -> None:
    rv = _create_three(core, "halfway")
    path = f"/api/v1/namespaces/{NS}/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1"
    lines = _raw_watch(k8s_emulator, path).splitlines(keepends=True)
    k8s_emulator.faults.cut_streams("watch", after_bytes=len(lines[0]) + len(lines[1]) + 10)

    stream, seen = _watch_with_hook(k8s_emulator, path)

    assert stream == lines[0] + lines[1] + lines[2][:10]
    assert seen == [("ADDED", "halfway-0"), ("ADDED", "halfway-1")]


def test_the_hook_is_unset_by_default(k8s_emulator: Any) -> None:
    assert ApiServer.on_watch_event_written is None
    assert k8s_emulator.api.on_watch_event_written is None
