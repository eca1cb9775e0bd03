"""Wait, in a trigger, until a pod leaves Pending: through the event loop's shared namespace watch, never by polling."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from airflow_provider_composer_pod.startup.pod_watch import ClusterConnection, PodWatchRegistry, pod_watches
from airflow_provider_composer_pod.startup.story import PENDING, TIMEOUT, classify


@dataclass
class StartupOutcome:
    """How the wait ended: ``state`` is one of startup_story's STARTED, FINISHED, CANNOT_START, DELETED, TIMEOUT."""

    state: str
    reason: Optional[str]
    pod: Optional[Dict[str, Any]]
    observed: Dict[str, float] = field(default_factory=dict)
    waited: float = 0.0

    def payload(self, name: str, namespace: str, created_at: Optional[float]) -> Dict[str, Any]:
        """The trigger event's payload: JSON only, as Airflow stores it."""
        return {
            "status": self.state,
            "name": name,
            "namespace": namespace,
            "reason": self.reason,
            "pod": self.pod,
            "observed": self.observed,
            "waited": round(self.waited, 3),
            "created_at": created_at,
        }


async def wait_for_start(
    connection: ClusterConnection,
    namespace: str,
    name: str,
    *,
    deadline: float,
    registry: Optional[PodWatchRegistry] = None,
) -> StartupOutcome:
    """Until the pod runs, finishes, is deleted or cannot start, or the wall clock passes ``deadline``.

    Raises ``PodWatchRefusedError`` at once if the API refuses the namespace's watch (400, 403, 404).

    Cancelling the caller unsubscribes (the watch closes when nobody else waits in the namespace).
    """
    began = time.time()
    subscription = (registry or pod_watches()).subscribe(connection, namespace, name)
    try:
        while True:
            if subscription.error is not None:
                raise subscription.error
            if subscription.known:
                state, reason = classify(subscription.pod)
                if state != PENDING:
                    return StartupOutcome(state, reason, subscription.pod, subscription.observed, time.time() - began)
            remaining = deadline - time.time()
            if remaining <= 0:
                return StartupOutcome(TIMEOUT, None, subscription.pod, subscription.observed, time.time() - began)
            await subscription.changed(remaining)
    finally:
        subscription.close()
