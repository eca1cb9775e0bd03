"""``startup/events``: each line a pod watch streams, decoded into only what the watch reads, keeps all of it.

The lines come from the emulator's watch over HTTP, for pods that go through every state the watch tells apart: waiting
for a node, pulling, failing to pull, running, finished, deleted; and from the API's ERROR and BOOKMARK events.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import json
from typing import Any, Dict, List

import pytest

from airflow_provider_composer_pod.startup import events
from airflow_provider_composer_pod.startup.pod_watch import POD_SELECTOR
from airflow_provider_composer_pod.startup.story import trimmed
from tests.conftest import wait_for


def _pod(name: str, **spec: Any) -> Dict[str, Any]:
    container = {
        "name": "base",
        "image": f"busybox:{name}",
        "command": ["sh", "-c", "echo hi"],
        "env": [{"name": f"E{i}", "value": "v" * 40} for i in range(8)],
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}},
    }
    return {
        "metadata": {"name": name, "labels": {POD_SELECTOR.split("=")[0]: "True"}, "annotations": {"a": "b" * 300}},
        "spec": {"containers": [container], "initContainers": [dict(container, name="init")], **spec},
    }


def _watch_lines(core: Any, namespace: str, since: str) -> List[bytes]:
    """Every event since ``since``, as the API streams them (a watch from a resourceVersion replays its history)."""
    response = core.list_namespaced_pod(
        namespace,
        watch=True,
        allow_watch_bookmarks=True,
        resource_version=since,
        timeout_seconds=1,
        _preload_content=False,
    )
    try:
        return [line for line in response.read().split(b"\n") if line.strip()]
    finally:
        response.release_conn()


def test_every_line_of_a_watch_decodes_to_the_same_trimmed_pod(k8s_emulator: Any, core: Any) -> None:
    namespace = "composer-user-workloads"
    k8s_emulator.scenario(pod_name="waits", unschedulable_for=1.0, scale_up=True, run_duration=0.5)
    k8s_emulator.scenario(pod_name="pulls", pull_error="ErrImagePull", pull_error_for=1.0, run_duration=0.5)
    k8s_emulator.scenario(pod_name="fails", exit_code=3, run_duration=0.5)
    since = core.list_namespaced_pod(namespace).metadata.resource_version
    for name in ("waits", "pulls", "fails"):
        core.create_namespaced_pod(namespace, _pod(name))
    wait_for(
        lambda: all(p.status.phase in ("Succeeded", "Failed") for p in core.list_namespaced_pod(namespace).items),
        timeout=20,
        what="every pod finished",
    )
    core.delete_namespaced_pod("fails", namespace)

    lines = _watch_lines(core, namespace, since)

    kinds = [json.loads(line)["type"] for line in lines]
    assert {"ADDED", "MODIFIED", "DELETED"} <= set(kinds), kinds
    for line in lines:
        whole, read = json.loads(line), events.watch_event(line)
        assert read["type"] == whole["type"]
        assert read["object"]["metadata"]["resourceVersion"] == whole["object"]["metadata"]["resourceVersion"]
        assert trimmed(read["object"]) == trimmed(whole["object"])
        if whole["type"] != "BOOKMARK" and events._decode is not json.loads:  # msgspec: the rest was skipped
            assert len(json.dumps(read)) < len(json.dumps(whole)) / 2


@pytest.mark.parametrize(
    "line",
    [
        b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","code":410,'
        b'"reason":"Expired","message":"too old resource version: 1 (5)"}}',
        b'{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"77",'
        b'"annotations":{"k8s.io/initial-events-end":"true"}}}}',
        # A shape the schema does not expect (a container status not an object): decoded whole, as json does.
        b'{"type":"ADDED","object":{"metadata":{"name":"x","resourceVersion":"3"},"status":{"containerStatuses":["?"]}}}',
        b'{"type":"MODIFIED","object":{"metadata":{"name":"x"},"spec":null,"status":{"containerStatuses":null}}}',
    ],
)
def test_api_events_keep_what_the_watch_reads(line: bytes) -> None:
    whole, read = json.loads(line), events.watch_event(line)
    obj = whole["object"]
    assert read["type"] == whole["type"]
    for key in ("code", "message"):
        assert read["object"].get(key) == obj.get(key)
    assert (read["object"].get("metadata") or {}).get("resourceVersion") == (obj.get("metadata") or {}).get(
        "resourceVersion"
    )
    if whole["type"] in ("ADDED", "MODIFIED"):
        assert trimmed(read["object"]) == trimmed(obj)


def test_without_msgspec_the_watch_decodes_with_json(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_msgspec(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "msgspec":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_msgspec)
    try:
        reloaded = importlib.reload(events)
        assert reloaded._decode is json.loads
        line = _pod_line()
        assert reloaded.watch_event(line) == json.loads(line)
    finally:
        monkeypatch.undo()
        importlib.reload(events)
    if importlib.util.find_spec("msgspec"):  # Airflow 3 requires it: the dev venv has it
        assert events._decode is not json.loads


def _pod_line() -> bytes:
    return json.dumps({"type": "ADDED", "object": _pod("p")}).encode()
