"""``meta.k8s.io/v1 Table`` responses so ``kubectl get`` prints the same columns as against a real cluster."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from airflow_provider_composer_pod.testing import clock

Column = Tuple[str, str, str, int]  # name, type, format, priority
Obj = Dict[str, Any]


def _age(obj: Obj) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    return clock.age(clock.parse_rfc3339_ns(created))


def pod_status_reason(pod: Obj) -> str:
    """The STATUS column, following kubectl's ``printPod``."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    spec = pod.get("spec") or {}
    init_statuses = status.get("initContainerStatuses") or []
    initializing = False
    for index, container in enumerate(init_statuses):
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        initializing = True
        if terminated:
            reason = "Init:" + (terminated.get("reason") or f"ExitCode:{terminated.get('exitCode', 0)}")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(spec.get('initContainers') or [])}"
        break
    if not initializing:
        has_running = False
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated"):
                terminated = state["terminated"]
                reason = terminated.get("reason") or f"ExitCode:{terminated.get('exitCode', 0)}"
            elif state.get("running") and container.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            reason = "Running" if ready else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod_row(pod: Obj) -> List[Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or [])
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
    status = pod.get("status") or {}
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        pod_status_reason(pod),
        restarts,
        _age(pod),
        status.get("podIP") or "<none>",
        (pod.get("spec") or {}).get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _event_row(event: Obj) -> List[Any]:
    involved = event.get("involvedObject") or {}
    last = (
        event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get("creationTimestamp")
    )
    seen = clock.age(clock.parse_rfc3339_ns(last)) if last else "<unknown>"
    return [
        seen,
        event.get("type", ""),
        event.get("reason", ""),
        "{}/{}".format((involved.get("kind") or "").lower(), involved.get("name", "")),
        event.get("message", ""),
    ]


def _config_count(obj: Obj) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


TABLES: Dict[str, Tuple[List[Column], Callable[[Obj], List[Any]]]] = {
    "pods": (
        [
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Status", "string", "", 0),
            ("Restarts", "string", "", 0),
            ("Age", "string", "", 0),
            ("IP", "string", "", 1),
            ("Node", "string", "", 1),
            ("Nominated Node", "string", "", 1),
            ("Readiness Gates", "string", "", 1),
        ],
        _pod_row,
    ),
    "secrets": (
        [("Name", "string", "name", 0), ("Type", "string", "", 0), ("Data", "string", "", 0), ("Age", "string", "", 0)],
        lambda o: [o["metadata"]["name"], o.get("type", ""), len(o.get("data") or {}), _age(o)],
    ),
    "configmaps": (
        [("Name", "string", "name", 0), ("Data", "string", "", 0), ("Age", "string", "", 0)],
        lambda o: [o["metadata"]["name"], _config_count(o), _age(o)],
    ),
    "namespaces": (
        [("Name", "string", "name", 0), ("Status", "string", "", 0), ("Age", "string", "", 0)],
        lambda o: [o["metadata"]["name"], (o.get("status") or {}).get("phase", ""), _age(o)],
    ),
    "serviceaccounts": (
        [("Name", "string", "name", 0), ("Secrets", "string", "", 0), ("Age", "string", "", 0)],
        lambda o: [o["metadata"]["name"], len(o.get("secrets") or []), _age(o)],
    ),
    "deployments": (
        [
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Up-to-date", "string", "", 0),
            ("Available", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        lambda o: [
            o["metadata"]["name"],
            "{}/{}".format((o.get("status") or {}).get("readyReplicas", 0), (o.get("spec") or {}).get("replicas", 0)),
            (o.get("status") or {}).get("updatedReplicas", 0),
            (o.get("status") or {}).get("availableReplicas", 0),
            _age(o),
        ],
    ),
    "events": (
        [
            ("Last Seen", "string", "", 0),
            ("Type", "string", "", 0),
            ("Reason", "string", "", 0),
            ("Object", "string", "", 0),
            ("Message", "string", "", 0),
        ],
        _event_row,
    ),
}


def to_table(resource: str, items: List[Obj], resource_version: str) -> Obj:
    columns, row = TABLES.get(
        resource,
        (
            [("Name", "string", "name", 0), ("Created At", "date", "", 0)],
            lambda o: [o["metadata"]["name"], o["metadata"].get("creationTimestamp")],
        ),
    )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [
            {"name": name, "type": type_, "format": fmt, "description": name, "priority": priority}
            for name, type_, fmt, priority in columns
        ],
        "rows": [
            {
                "cells": row(item),
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": item.get("metadata") or {},
                },
            }
            for item in items
        ],
    }
