"""The worker's side of ``startup_wait="defer"`` and of ``deferrable=True``: build the trigger, read its event.

The operator calls these from its seams (``await_pod_start``, ``defer``, the resume method); they hold everything that
is not a seam, so the operator stays a thin shell. Everything here runs on a worker, where reading the kube config
file or a connection is fine: the triggerer then gets data, and reads nothing itself.
"""

from __future__ import annotations

import importlib.util
import json
import time
from typing import Any, Dict, List, Optional

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.startup.story import (
    CANNOT_START,
    DELETED,
    PENDING,
    TIMEOUT,
    classify,
    describe_startup,
    startup_advice,
    trimmed,
)

STARTUP_WAITS = ("block", "defer")
# The operator method a task resumes in after ComposerPodStartupTrigger fired.
RESUME_METHOD = "execute_after_startup"
_FAILED = (CANNOT_START, DELETED, TIMEOUT, "error")
# The key under which newer KPO (10.25.0) passes its trigger the task's execution_timeout deadline.
KPO_DEADLINE = "_execution_deadline"


def check_startup_wait(value: Any, deferrable: Any) -> None:
    """At construction: a clear error for a value that is not one of ``STARTUP_WAITS``, or for both modes at once."""
    if value not in STARTUP_WAITS:
        raise ComposerPodInputError(
            "startup_wait",
            value,
            "must be 'block' (the worker waits while the pod starts) or 'defer' (the triggerer waits, the worker "
            "slot is free)",
            "use startup_wait='block' or startup_wait='defer'",
        )
    if value == "defer" and deferrable is True:
        raise ComposerPodInputError(
            "startup_wait",
            value,
            "deferrable=True already frees the worker for the whole run, startup included",
            "keep deferrable=True, or use startup_wait='defer' with deferrable=False to stream logs on a worker",
        )


def require_async_client() -> None:
    """Before any pod exists: the triggerer needs kubernetes_asyncio, which cncf-kubernetes 4.x does not install."""
    if importlib.util.find_spec("kubernetes_asyncio") is None:
        raise ComposerPodInputError(
            "startup_wait",
            "defer",
            f"needs the kubernetes_asyncio package, which apache-airflow-providers-cncf-kubernetes "
            f"{compat.PROVIDER_VERSION} does not install",
            "pip install 'airflow-provider-composer-pod[defer]' on the workers and the triggerer, or use "
            "startup_wait='block'",
        )


# ---------------------------------------------------------------------------------------------- connection
def async_hook_kwargs(connection: Any) -> Dict[str, Any]:
    """What ``AsyncComposerPodHook`` needs (as ``ComposerPodHook.async_hook()`` builds it), as trigger arguments."""
    extras = connection.resolved_extras()
    config = compat.async_hook_config(extras)
    return {**config, "resolved_extras": extras, "composer_generation": connection.composer_generation}


# -------------------------------------------------------------------------------------------------- triggers
def startup_trigger(task: Any, pod: Any, created_at: Optional[float]) -> Any:
    """``ComposerPodStartupTrigger`` for ``pod``, with everything it needs resolved here."""
    from airflow_provider_composer_pod.triggers.startup import ComposerPodStartupTrigger

    return ComposerPodStartupTrigger(
        pod_name=pod.metadata.name,
        pod_namespace=pod.metadata.namespace,
        cluster=task.composer_connection.cluster().to_dict(),
        startup_timeout=float(task.startup_timeout_seconds),
        created_at=created_at or time.time(),
        on_kill_action=compat.on_kill_action(task),
        termination_grace_period=task.termination_grace_period,
        execution_deadline=task.run_state.execution_deadline,
    )


def full_deferral_trigger(task: Any, stock: Any) -> Any:
    """KPO's own trigger, rebuilt as ``ComposerPodTrigger`` from the arguments it serializes."""
    from airflow_provider_composer_pod.triggers.pod import ComposerPodTrigger

    _, kwargs = stock.serialize()
    deadline = task.run_state.execution_deadline
    extra = kwargs.get("trigger_kwargs") or {}
    if KPO_DEADLINE in extra:
        # Newer KPO (10.25.0 does) hands its trigger its own execution_timeout deadline, in whole seconds (up to 1 s
        # before ours), and ends the task there as a "timeout": KPO's cleanup then deletes the pod per
        # on_finish_action, whatever on_kill_action says. One deadline only: ours, which follows on_kill_action.
        kwargs["trigger_kwargs"] = {key: value for key, value in extra.items() if key != KPO_DEADLINE}
        deadline = float(extra[KPO_DEADLINE]) if deadline is None else deadline
    return ComposerPodTrigger(
        **kwargs,
        cluster=task.composer_connection.cluster().to_dict(),
        hook_kwargs=async_hook_kwargs(task.composer_connection),
        execution_deadline=deadline,
    )


# ------------------------------------------------------------------------------------------------ the event
def pod_events(client: Any, namespace: str, name: str) -> List[Dict[str, Any]]:
    """The pod's events as the API sends them (dicts), for the story; an empty list if they cannot be read."""
    try:
        response = client.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={name}", _preload_content=False
        )
        return list(json.loads(response.data).get("items") or [])
    except Exception:  # the story is a courtesy; the task goes on without it
        return []


def startup_event(task: Any, pod: Any, *, gave_up: bool) -> Dict[str, Any]:
    """The blocking wait's outcome as the event ComposerPodStartupTrigger fires, once KPO's own wait has ended.

    ``gave_up``: KPO's wait raised. A pod still Pending then timed out; one that cannot start says why.
    """
    name, namespace = pod.metadata.name, pod.metadata.namespace
    created_at = task.run_state.created_at
    event: Dict[str, Any] = {"name": name, "namespace": namespace, "created_at": created_at}
    try:
        response = task.client.read_namespaced_pod(name, namespace, _preload_content=False)
        remote: Optional[Dict[str, Any]] = json.loads(response.data)
    except Exception as error:  # the story is a courtesy; only a pod that is gone says something
        if getattr(error, "status", None) != 404:
            return {**event, "status": "unknown"}
        remote = None
    status = classify(remote)[0]
    if gave_up and status == PENDING:
        status = TIMEOUT
    if created_at is not None:
        event["waited"] = time.time() - created_at
    return {**event, "status": status, "pod": None if remote is None else trimmed(remote)}


def report_startup(task: Any, event: Dict[str, Any]) -> Optional[str]:
    """Log how the pod started; for a pod that did not, return the failure message (advice included)."""
    name, namespace = event["name"], event["namespace"]
    events = pod_events(task.client, namespace, name)
    pod = event.get("pod")
    status = event.get("status")
    if pod is not None:
        story = describe_startup(pod, events, created_at=event.get("created_at"), observed=event.get("observed"))
        task.log.info("%s", story.summary)
        for line in story.details:
            task.log.info("  %s", line)
    if status not in _FAILED:
        return None
    if status == "error":
        return f"Waiting for pod {name} to start failed: {event.get('message')}"
    return startup_advice(status, pod, events, timeout=float(task.startup_timeout_seconds), waited=event.get("waited"))


def is_stock_trigger(trigger: Any) -> bool:
    """KPO's own KubernetesPodTrigger (not a subclass: those belong to someone else)."""
    return type(trigger).__name__ == "KubernetesPodTrigger" and type(trigger) is compat.KubernetesPodTrigger
