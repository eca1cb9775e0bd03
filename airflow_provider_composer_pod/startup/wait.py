"""Fail a starting pod at once on a state that waiting will not fix, inside KubernetesPodOperator's own startup wait."""

from __future__ import annotations

from typing import Any, Callable, ContextManager, Optional

from airflow_provider_composer_pod.fields import attr
from airflow_provider_composer_pod.kube.seams import wrapped

# A container that cannot be configured (missing Secret, ConfigMap or key) waits here until someone creates it.
CONFIG_ERROR = "CreateContainerConfigError"


def config_error(pod: Any) -> Optional[str]:
    """``container base: secret "x" not found`` when a container of the Pending ``pod`` (a client model, or the API's
    JSON as a trigger's event carries it) waits in CreateContainerConfigError, else None."""
    status = attr(pod, "status")
    if status is None or (attr(status, "phase") or "Pending") != "Pending":
        return None
    statuses = [
        *(attr(status, "init_container_statuses", "initContainerStatuses") or []),
        *(attr(status, "container_statuses", "containerStatuses") or []),
    ]
    for container in statuses:
        waiting = attr(attr(container, "state"), "waiting")
        if waiting is not None and attr(waiting, "reason") == CONFIG_ERROR:
            return f"container {attr(container, 'name')}: {attr(waiting, 'message') or CONFIG_ERROR}"
    return None


def failing_fast_on_config_error(manager: Any, on_config_error: Callable[[Any, str], None]) -> ContextManager[None]:
    """While KPO's startup wait runs: ``manager`` (a KPO PodManager of any provider version) calls
    ``on_config_error(pod, problem)``, which must raise, when the pod it reads waits in CreateContainerConfigError.

    Every provider's startup wait polls ``read_pod`` (4.x to 9.x in ``PodManager.await_pod_start``, 10.x in the
    shared ``await_pod_start``), so the wait keeps KPO's one budget and check interval, and a Secret deleted after the
    pre-flight fails the task within one check instead of at the startup timeout. Afterwards ``read_pod`` is KPO's
    again, so that its cleanup reads the pod as it always does.
    """

    def checking(read_pod: Callable[..., Any]) -> Callable[..., Any]:
        def read_and_check(pod: Any, *args: Any, **kwargs: Any) -> Any:
            remote = read_pod(pod, *args, **kwargs)
            problem = config_error(remote)
            if problem is not None:
                on_config_error(remote, problem)
            return remote

        return read_and_check

    return wrapped(manager, "read_pod", checking)
