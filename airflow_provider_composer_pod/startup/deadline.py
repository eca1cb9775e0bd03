"""``execution_timeout`` while a task is deferred: the trigger enforces it and takes the pod with it (issue 8).

Airflow 3 does not enforce ``execution_timeout`` while a task is deferred (the Task SDK's "TODO: handle timeout in
case of deferral"), and Airflow 2 enforces it from the scheduler by cancelling the trigger, after which nobody deletes
the pod. So the worker hands the trigger the deadline (the task's start plus ``execution_timeout``); at the deadline
the trigger deletes the pod as ``on_kill_action`` says and fires an event that the worker turns into Airflow's
``AirflowTaskTimeout``. A deferral timeout a little later is passed to Airflow as well: if the triggerer is down at the
deadline, the task still resumes on a worker, in ``__fail__``, and the operator deletes the try's pod there.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, Awaitable, Dict, Optional, Tuple

EXECUTION_TIMEOUT = "execution_timeout"
# How long after the trigger's own deadline Airflow resumes the task anyway (a triggerer that is down).
BACKSTOP_SECONDS = 60.0


def execution_deadline(task: Any, context: Any) -> Optional[float]:
    """Epoch seconds at which the task's ``execution_timeout`` passes, counted from the task instance's start."""
    timeout = getattr(task, "execution_timeout", None)
    if not timeout:
        return None
    ti = (context.get("ti") or context.get("task_instance")) if context else None
    start = getattr(ti, "start_date", None)
    return (start.timestamp() if start is not None else time.time()) + timeout.total_seconds()


def backstop(deadline: Optional[float]) -> Optional[timedelta]:
    """The deferral timeout to give Airflow: ``BACKSTOP_SECONDS`` after the trigger's own deadline."""
    if deadline is None:
        return None
    return timedelta(seconds=max(0.0, deadline - time.time()) + BACKSTOP_SECONDS)


async def within(awaitable: Awaitable[Any], deadline: Optional[float]) -> Tuple[bool, Any]:
    """``(True, result)`` if ``awaitable`` finishes before ``deadline`` (epoch seconds); else ``(False, None)``,
    once the awaitable has been cancelled and has unwound.

    Not ``asyncio.wait_for``: that returns what a cancelled awaitable returns instead of raising, and
    KubernetesPodTrigger 5.x to 9.x answers a cancellation with an event of its own ("Pod execution was cancelled").
    """
    if deadline is None:
        return True, await awaitable
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.time()))
    except BaseException:  # we were cancelled: so is the awaitable
        task.cancel()
        raise
    if task in done:
        return True, task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)  # whatever it makes of the cancellation is not the answer
    return False, None


async def expire(trigger: Any, connection: Any, action: str, grace: Optional[int], doing: str) -> Dict[str, Any]:
    """At the deadline: delete the trigger's pod unless ``action`` is ``keep_pod``; the event for the worker."""
    from airflow_provider_composer_pod.kube.cluster import delete_pod  # the triggerer's side only

    name, namespace = trigger.pod_name, trigger.pod_namespace
    deleted = False
    if action == "delete_pod":
        try:
            await delete_pod(connection, namespace, name, grace)
            deleted = True
            outcome = f"pod {namespace}/{name} deleted (on_kill_action=delete_pod)"
        except Exception as error:
            trigger.log.exception("Deleting pod %s/%s failed", namespace, name)
            outcome = f"deleting pod {namespace}/{name} failed ({type(error).__name__}); the worker tries again"
    else:
        outcome = f"pod {namespace}/{name} kept (on_kill_action={action})"
    message = f"The task's execution_timeout passed while it was deferred ({doing}): {outcome}."
    trigger.log.error("%s", message)
    return {
        "status": EXECUTION_TIMEOUT,
        "name": name,
        "namespace": namespace,
        "message": message,
        "pod_deleted": deleted,
        "composer_execution_timeout": True,
    }


def timed_out(event: Any) -> Optional[str]:
    """The message of an event fired because ``execution_timeout`` passed in the trigger, else None."""
    if isinstance(event, dict) and event.get("composer_execution_timeout"):
        return str(event.get("message") or "The task's execution_timeout passed while it was deferred.")
    return None
