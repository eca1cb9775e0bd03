"""The store's versions: never changed in place, so history and watchers can hold them; listeners share one copy."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from airflow_provider_composer_pod.testing.apiserver.clone import clone
from airflow_provider_composer_pod.testing.apiserver.resources import NAMESPACES, PODS
from airflow_provider_composer_pod.testing.apiserver.store import Store, namespace_object

NS = "versions"


def _store_with_pod() -> Store:
    store = Store()
    store.create(NAMESPACES, None, namespace_object(NS))
    store.create(PODS, NS, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "base", "image": "bash"}]}})
    return store


def test_status_writes_and_binding_leave_earlier_versions_as_they_were() -> None:
    store = _store_with_pod()
    as_written = [clone(event.obj) for event in store.history]

    store.set_status(PODS, NS, "p", {"phase": "Pending"})
    as_written.append(clone(store.history[-1].obj))
    store.bind(NS, "p", "node-1")
    store.set_status(PODS, NS, "p", {"phase": "Running"})

    assert [event.obj for event in list(store.history)[:3]] == as_written
    assert "nodeName" not in store.history[2].obj["spec"]
    assert store.history[3].obj["spec"]["nodeName"] == "node-1"
    assert store.history[3].old["status"] == {"phase": "Pending"}  # the bound version it replaced
    latest = store.get(PODS, NS, "p")
    assert latest["status"] == {"phase": "Running"}
    assert latest["metadata"]["resourceVersion"] == str(store.rv)


def test_a_status_write_keeps_the_caller_s_status_apart() -> None:
    store = _store_with_pod()
    status: Dict[str, Any] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}

    assert store.set_status(PODS, NS, "p", status) is True
    status["conditions"][0]["status"] = "False"

    assert store.get(PODS, NS, "p")["status"]["conditions"][0]["status"] == "True"
    assert store.set_status(PODS, NS, "p", store.get(PODS, NS, "p")["status"]) is False  # unchanged: no write
    assert store.set_status(PODS, NS, "gone", status) is False


def test_listeners_share_one_copy_of_each_write_apart_from_the_store() -> None:
    store = _store_with_pod()
    received: List[List[Optional[Dict[str, Any]]]] = [[], []]
    for seen in received:
        store.listeners.append(lambda type_, resource, obj, old, seen=seen: seen.extend([obj, old]))

    store.set_status(PODS, NS, "p", {"phase": "Pending"})

    first, second = received
    assert first[0] is second[0]
    assert first[1] is second[1]
    assert first[0] == store.history[-1].obj
    assert first[0] is not store.history[-1].obj
    assert first[1] == store.history[-1].old
    assert first[1] is not store.history[-1].old
