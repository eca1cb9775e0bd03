"""``ComposerPodStartupTrigger``: waits only while the pod starts, then hands the task back to a worker.

Used by ``ComposerPodOperator(startup_wait="defer")`` on every provider version (4.x has no trigger of its own). It
subscribes to the event loop's shared pod watch of the namespace
(:mod:`~airflow_provider_composer_pod.startup.pod_watch`)
and fires once the pod runs, has already finished, cannot start, is deleted, or the startup timeout passes. The
worker then streams the logs and finishes the task exactly as the synchronous path does.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Dict, Optional, Set

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_composer_pod.compat import triggerer
from airflow_provider_composer_pod.kube.cluster import ClusterConnection, delete_pod
from airflow_provider_composer_pod.startup.deadline import expire, within
from airflow_provider_composer_pod.startup.pod_watch import PodWatchRefusedError
from airflow_provider_composer_pod.startup.story import describe_outcome
from airflow_provider_composer_pod.startup.watch import wait_for_start

_DEFERRED = "deferred"
# The kill paths' work while it runs (the event loop keeps only weak references to tasks).
_KILL_WORK: Set[asyncio.Future[Any]] = set()


class ComposerPodStartupTrigger(BaseTrigger):
    """Fires when the pod leaves Pending, cannot start, or ``startup_timeout`` seconds after ``created_at``.

    :param pod_name: the pod to wait for.
    :param pod_namespace: its namespace.
    :param cluster: how to reach the cluster, resolved on the worker (``ClusterConnection.to_dict()``).
    :param startup_timeout: seconds from ``created_at`` before the event says ``timeout``.
    :param created_at: when the worker created the pod (epoch seconds); the story's timings start there.
    :param on_kill_action: ``delete_pod`` or ``keep_pod``: what a user's kill of the deferred task does to the pod.
    :param termination_grace_period: grace period for that deletion (None: the pod's own).
    :param execution_deadline: when the task's ``execution_timeout`` passes (epoch seconds; None: never). Then the
        pod is deleted as ``on_kill_action`` says and the event says ``execution_timeout``.
    """

    def __init__(
        self,
        pod_name: str,
        pod_namespace: str,
        cluster: Dict[str, Any],
        startup_timeout: float,
        created_at: float,
        on_kill_action: str = "delete_pod",
        termination_grace_period: Optional[int] = None,
        execution_deadline: Optional[float] = None,
    ) -> None:
        super().__init__()
        self.pod_name = pod_name
        self.pod_namespace = pod_namespace
        self.cluster = cluster
        self.startup_timeout = startup_timeout
        self.created_at = created_at
        self.on_kill_action = on_kill_action
        self.termination_grace_period = termination_grace_period
        self.execution_deadline = execution_deadline
        self._fired = False

    def serialize(self) -> tuple:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "pod_name": self.pod_name,
                "pod_namespace": self.pod_namespace,
                "cluster": self.cluster,
                "startup_timeout": self.startup_timeout,
                "created_at": self.created_at,
                "on_kill_action": self.on_kill_action,
                "termination_grace_period": self.termination_grace_period,
                "execution_deadline": self.execution_deadline,
            },
        )

    @property
    def connection(self) -> ClusterConnection:
        return ClusterConnection.from_dict(self.cluster)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline = self.created_at + self.startup_timeout
        waiting = wait_for_start(self.connection, self.pod_namespace, self.pod_name, deadline=deadline)
        try:
            if self.execution_deadline is None:  # one frame less for each of thousands of waiting pods
                in_time, outcome = True, await waiting
            else:
                in_time, outcome = await within(waiting, self.execution_deadline)
        except PodWatchRefusedError as error:  # the worker fails the task with this message; its cleanup runs
            self._fired = True
            event = {"status": "error", "name": self.pod_name, "namespace": self.pod_namespace, "message": str(error)}
            yield TriggerEvent({**event, "created_at": self.created_at})
            return
        self._fired = True
        if not in_time:
            doing = "waiting for its pod to start"
            yield TriggerEvent(
                await expire(self, self.connection, self.on_kill_action, self.termination_grace_period, doing)
            )
            return
        said = describe_outcome(outcome.state, outcome.reason, outcome.waited)
        self.log.info("Pod %s/%s %s.", self.pod_namespace, self.pod_name, said)
        yield TriggerEvent(outcome.payload(self.pod_name, self.pod_namespace, self.created_at))

    async def on_kill(self) -> None:
        """Airflow 3.3+: a user killed the deferred task."""
        if not self._fired:
            await to_the_end(
                delete_killed_pod(self, self.connection, self.on_kill_action, self.termination_grace_period)
            )

    async def cleanup(self) -> None:
        if not self._fired:
            grace = self.termination_grace_period
            await to_the_end(delete_if_task_killed(self, self.connection, self.on_kill_action, grace))


async def to_the_end(work: Awaitable[None]) -> None:
    """Run a kill's ``work`` (a pod's delete) to its end even if the calling task is cancelled meanwhile.

    The triggerer cancels a killed trigger's task again on every sync until the task has ended (Airflow 3.3 while
    ``on_kill()`` runs, Airflow 2 while ``cleanup()`` runs); a cancellation that lands before the delete's request
    is sent would leave the pod running. The work runs in a task of its own, shielded; a cancellation of the caller
    is raised once the work is done. Should the caller be abandoned meanwhile, the work still finishes.
    """
    task = asyncio.ensure_future(work)
    _KILL_WORK.add(task)
    task.add_done_callback(_KILL_WORK.discard)
    cancelled: Optional[asyncio.CancelledError] = None
    while True:
        try:
            await asyncio.shield(task)
            break
        except asyncio.CancelledError as error:
            if task.done():  # the work itself was cancelled (the event loop is closing), or just ended
                raise
            cancelled = error
    if cancelled is not None:
        raise cancelled


async def delete_killed_pod(trigger: Any, connection: ClusterConnection, action: str, grace: Optional[int]) -> None:
    """Delete the trigger's pod after a user killed its task, unless ``action`` is ``keep_pod``."""
    if action != "delete_pod":
        trigger.log.info("The task was killed; on_kill_action=%s keeps pod %s.", action, trigger.pod_name)
        return
    trigger.log.info("The task was killed: deleting pod %s/%s.", trigger.pod_namespace, trigger.pod_name)
    try:
        await delete_pod(connection, trigger.pod_namespace, trigger.pod_name, grace)
    except Exception:
        trigger.log.exception("Deleting pod %s/%s failed", trigger.pod_namespace, trigger.pod_name)


async def delete_if_task_killed(trigger: Any, connection: ClusterConnection, action: str, grace: Optional[int]) -> None:
    """Before Airflow 3.3 a trigger's ``cleanup()`` is the only hook on a kill; it also runs on a triggerer restart,
    which leaves the task deferred and its pod running. So delete only when the task is no longer deferred."""
    if action != "delete_pod" or triggerer.trigger_has_on_kill():
        return
    try:
        state = await triggerer.task_state(trigger.task_instance)
    except Exception:
        trigger.log.warning("Could not read the task's state; leaving pod %s alone.", trigger.pod_name, exc_info=True)
        return
    if str(getattr(state, "value", state)).lower() != _DEFERRED:
        await delete_killed_pod(trigger, connection, action, grace)
