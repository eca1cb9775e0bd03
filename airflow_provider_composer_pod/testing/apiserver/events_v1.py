"""The events.k8s.io/v1 view of core/v1 Events, as the API server converts them."""

from __future__ import annotations

from typing import Any, Dict

from airflow_provider_composer_pod.testing.apiserver.clone import clone

Obj = Dict[str, Any]


def to_events_v1(event: Obj) -> Obj:
    """core/v1 Event -> events.k8s.io/v1 Event, the conversion the API server applies."""
    out: Obj = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": clone(event.get("metadata") or {}),
        "eventTime": event.get("eventTime"),
        "reportingController": event.get("reportingComponent") or (event.get("source") or {}).get("component", ""),
        "reportingInstance": event.get("reportingInstance") or (event.get("source") or {}).get("host", ""),
        "action": event.get("action", ""),
        "reason": event.get("reason", ""),
        "regarding": clone(event.get("involvedObject") or {}),
        "note": event.get("message", ""),
        "type": event.get("type", ""),
    }
    if event.get("series"):
        out["series"] = clone(event["series"])
    if event.get("source"):
        out["deprecatedSource"] = clone(event["source"])
    if event.get("firstTimestamp"):
        out["deprecatedFirstTimestamp"] = event["firstTimestamp"]
    if event.get("lastTimestamp"):
        out["deprecatedLastTimestamp"] = event["lastTimestamp"]
    if event.get("count"):
        out["deprecatedCount"] = event["count"]
    return out
