"""Watch a starting pod for states that will never resolve by waiting, and fail at once instead of at the timeout."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

# A container that cannot be configured (missing Secret, ConfigMap or key) waits here until someone creates it.
CONFIG_ERROR = "CreateContainerConfigError"


def config_error(remote_pod: Any) -> Optional[str]:
    """``container base: secret "x" not found`` when a container waits in CreateContainerConfigError, else None."""
    status = remote_pod.status
    for container in [*(status.init_container_statuses or []), *(status.container_statuses or [])]:
        waiting = container.state.waiting if container.state else None
        if waiting is not None and waiting.reason == CONFIG_ERROR:
            return f"container {container.name}: {waiting.message or CONFIG_ERROR}"
    return None


def fail_fast_while_pending(
    client: Any,
    pod: Any,
    *,
    timeout: float,
    interval: float,
    on_config_error: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll while the pod is Pending (at most ``timeout``); ``on_config_error`` must raise."""
    deadline = clock() + timeout
    while True:
        remote = client.read_namespaced_pod(pod.metadata.name, pod.metadata.namespace)
        if (remote.status.phase or "Pending") != "Pending":
            return
        problem = config_error(remote)
        if problem is not None:
            on_config_error(problem)
        if clock() >= deadline:
            return  # KubernetesPodOperator's own wait reports the timeout
        sleep(interval)
