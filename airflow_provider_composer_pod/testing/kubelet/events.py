"""Event recording the way kubelet, scheduler and cluster-autoscaler do it (the events.k8s.io/v1 view: apiserver)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from airflow_provider_composer_pod.testing import clock
from airflow_provider_composer_pod.testing.apiserver.resources import EVENTS
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store

# Components that write new-style events (eventTime set, no first/lastTimestamp), as the scheduler does.
_NEW_STYLE = {"default-scheduler"}


class EventRecorder:
    """Creates core/v1 Events and aggregates repeats (same object, reason, message, source) into ``count``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._seen: Dict[Tuple[str, str, str, str, str], str] = {}

    def reset(self) -> None:
        self._seen.clear()
        self._last_suffix = 0

    def _name(self, pod_name: str, now: int) -> str:
        """``<pod>.<hex nanoseconds>`` like client-go, so name order is creation order."""
        suffix = max(now, getattr(self, "_last_suffix", 0) + 1)
        self._last_suffix = suffix
        return f"{pod_name}.{suffix:x}"

    def record(
        self,
        pod: Obj,
        reason: str,
        message: str,
        type_: str = "Normal",
        component: str = "kubelet",
        container: Optional[str] = None,
        host: Optional[str] = None,
        action: Optional[str] = None,
    ) -> Optional[Obj]:
        meta = pod["metadata"]
        namespace = meta["namespace"]
        if ("", namespace) not in self.store.objects["namespaces"]:
            return None
        field_path = f"spec.containers{{{container}}}" if container else None
        key = (meta["uid"], reason, message, component, field_path or "")
        now = clock.now_ns()
        existing_name = self._seen.get(key)
        if existing_name:
            existing = self.store.find(EVENTS, namespace, existing_name)
            if existing is not None:
                if existing.get("series") is not None or existing.get("count") is None:
                    series = existing.get("series") or {"count": 1}
                    existing["series"] = {"count": series["count"] + 1, "lastObservedTime": clock.rfc3339_micro(now)}
                else:
                    existing["count"] = existing.get("count", 1) + 1
                    existing["lastTimestamp"] = clock.rfc3339(now)
                return self.store.update(EVENTS, namespace, existing_name, existing, check_rv=False)
        involved: Dict[str, Any] = {
            "kind": pod.get("kind", "Pod"),
            "namespace": namespace,
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": "v1",
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        if field_path:
            involved["fieldPath"] = field_path
        event: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": self._name(meta["name"], now), "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": type_,
        }
        if component in _NEW_STYLE:
            event.update(
                {
                    "source": {},
                    "firstTimestamp": None,
                    "lastTimestamp": None,
                    "eventTime": clock.rfc3339_micro(now),
                    "action": action or "Scheduling",
                    "reportingComponent": component,
                    "reportingInstance": "{}-{}".format(component, host or "emulator-control-plane"),
                }
            )
        else:
            source: Dict[str, str] = {"component": component}
            if host:
                source["host"] = host
            event.update(
                {
                    "source": source,
                    "firstTimestamp": clock.rfc3339(now),
                    "lastTimestamp": clock.rfc3339(now),
                    "count": 1,
                    "eventTime": None,
                    "reportingComponent": component,
                    "reportingInstance": host or "",
                }
            )
        created = self.store.create(EVENTS, namespace, event)
        self._seen[key] = created["metadata"]["name"]
        return created
