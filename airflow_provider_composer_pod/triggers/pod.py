"""``ComposerPodTrigger``: KubernetesPodTrigger for ``deferrable=True``, with the startup on the shared watch.

``ComposerPodOperator(deferrable=True)`` runs KubernetesPodOperator's own deferrable path; when KPO defers with its
stock trigger, the operator hands this subclass the same arguments instead (see the operator's ``defer``). It keeps
the parent's promises (its events, its log handling, its completion wait) and changes two things: the wait for the
pod to leave Pending goes through the event loop's shared namespace watch instead of a poll per pod, with
Composer-specific advice when the pod cannot start; and its async hook is built from the connection the worker
resolved, so the triggerer looks nothing up. Only on providers that have a KubernetesPodTrigger (5.2.0+).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, AsyncGenerator, AsyncIterator, Dict, Optional

from airflow.triggers.base import TriggerEvent

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import PROVIDER_VERSION, KubernetesPodTrigger, hook_connection_kwargs
from airflow_provider_composer_pod.kube.cluster import ClusterConnection, close_quietly, list_pod_events, new_api_client
from airflow_provider_composer_pod.startup.deadline import expire, within
from airflow_provider_composer_pod.startup.pod_watch import PodWatchRefusedError
from airflow_provider_composer_pod.startup.story import CANNOT_START, DELETED, TIMEOUT, startup_advice
from airflow_provider_composer_pod.startup.watch import wait_for_start
from airflow_provider_composer_pod.triggers.startup import delete_if_task_killed, delete_killed_pod, to_the_end
from airflow_provider_composer_pod.validation.preflight import secret_keys_used
from airflow_provider_composer_pod.workloads.masking import amask_secret_data

if KubernetesPodTrigger is None:  # pragma: no cover - providers before 5.2 have no deferrable mode to extend
    raise ImportError(
        f"ComposerPodTrigger needs apache-airflow-providers-cncf-kubernetes>=5.2.0; this environment has "
        f"{PROVIDER_VERSION}. Use ComposerPodOperator(startup_wait='defer') instead."
    )

_NOT_STARTING = (CANNOT_START, DELETED, TIMEOUT)


async def register_pod_secrets(connection: ClusterConnection, namespace: str, name: str) -> None:
    """The values of the Secret keys the pod uses, read with the async client and registered with the masker.

    Only where the triggerer logs the container's lines; the worker hands no values over (the trigger's arguments
    are stored in the metadata database). A Secret that is gone or unreadable (403) is skipped, as the pre-flight
    skips it.
    """
    from kubernetes_asyncio.client import CoreV1Api

    api = await new_api_client(connection)
    try:
        core = CoreV1Api(api)
        try:
            pod = await core.read_namespaced_pod(name, namespace)
        except Exception as error:
            if getattr(error, "status", None) == 404:  # gone: no line of it will be logged; the parent says so
                return
            raise
        for secret, keys in secret_keys_used(pod).items():
            try:
                data = (await core.read_namespaced_secret(secret, namespace)).data
            except Exception as error:
                if getattr(error, "status", None) not in (403, 404):
                    raise
                continue
            await amask_secret_data(data, keys)
    finally:
        await close_quietly(api)


class ComposerPodTrigger(KubernetesPodTrigger):  # type: ignore[misc,valid-type]
    """KubernetesPodTrigger plus ``cluster`` (for the shared watch) and the async hook's resolved connection.

    :param cluster: ``ClusterConnection.to_dict()`` from the worker.
    :param hook_kwargs: keyword arguments for :class:`.AsyncComposerPodHook` (resolved extras, ``config_dict``).
    :param execution_deadline: when the task's ``execution_timeout`` passes (epoch seconds; None: never). Then the
        pod is deleted as ``on_kill_action`` says, and the event says ``execution_timeout``.

    All other arguments are the installed KubernetesPodTrigger's.
    """

    def __init__(
        self,
        *args: Any,
        cluster: Dict[str, Any],
        hook_kwargs: Optional[Dict[str, Any]] = None,
        execution_deadline: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cluster = cluster
        self.hook_kwargs = dict(hook_kwargs or {})
        self.execution_deadline = execution_deadline
        # "starting" while our startup wait runs, "fired" once it fired an event itself, else the parent's run.
        self._startup_phase = ""

    def serialize(self) -> tuple:
        _, kwargs = super().serialize()
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                **kwargs,
                "cluster": self.cluster,
                "hook_kwargs": self.hook_kwargs,
                "execution_deadline": self.execution_deadline,
            },
        )

    @cached_property
    def hook(self) -> Any:
        from airflow_provider_composer_pod.hooks.async_composer_pod import AsyncComposerPodHook

        return AsyncComposerPodHook(**hook_connection_kwargs(None), **self.hook_kwargs)

    def _get_async_hook(self) -> Any:  # providers 5.2 to 6.x ask for the hook through this method
        return self.hook

    async def run(self) -> AsyncIterator[TriggerEvent]:
        events = self._events()
        try:
            while True:
                try:
                    in_time, event = await within(events.__anext__(), self.execution_deadline)
                except StopAsyncIteration:
                    return
                if not in_time:
                    doing = "waiting for its pod to " + ("start" if self._startup_phase == "starting" else "finish")
                    self._startup_phase = "fired"
                    action = compat.on_kill_action(self)
                    yield TriggerEvent(await expire(self, self._connection(), action, self._grace(), doing))
                    return
                yield event
        finally:
            await events.aclose()

    async def _events(self) -> AsyncGenerator[TriggerEvent, None]:
        if not compat.trigger_redeferred(self):  # the first deferral, not a logging_interval one: the pod may start
            deadline = self.trigger_start_time.timestamp() + float(self.startup_timeout)
            connection = ClusterConnection.from_dict(self.cluster)
            self._startup_phase = "starting"
            try:
                outcome = await wait_for_start(connection, self.pod_namespace, self.pod_name, deadline=deadline)
            except PodWatchRefusedError as error:
                self._startup_phase = "fired"
                yield self._not_starting("error", str(error))
                return
            self._startup_phase = ""
            if outcome.state in _NOT_STARTING:
                self._startup_phase = "fired"
                try:
                    events = await list_pod_events(connection, self.pod_namespace, self.pod_name)
                except Exception:
                    self.log.warning("Could not read the events of pod %s", self.pod_name, exc_info=True)
                    events = []
                message = startup_advice(
                    outcome.state, outcome.pod, events, timeout=float(self.startup_timeout), waited=outcome.waited
                )
                yield self._not_starting(outcome.state, message)
                return
        if getattr(self, "get_logs", False) and getattr(self, "logging_interval", None):
            # The parent logs the container's lines here, in the triggerer, which never ran the pre-flight.
            await register_pod_secrets(self._connection(), self.pod_namespace, self.pod_name)
        async for event in super().run():
            yield event

    def _not_starting(self, state: str, message: str) -> TriggerEvent:
        # "timeout" on every provider: KPO then fails the task and deletes the pod per on_finish_action, without
        # waiting for a completion that a pod stuck before its start never reaches.
        return TriggerEvent(
            {
                "status": "timeout",
                "name": self.pod_name,
                "namespace": self.pod_namespace,
                "message": message,
                "composer_startup": state,
                **compat.trigger_event_extras(self),
            }
        )

    # A kill while our startup wait runs is ours to handle (the parent's handlers expect its own run); after it, the
    # parent's. Once we fired, the worker's KPO cleans up per on_finish_action. Either runs to its end even when the
    # triggerer cancels the trigger again meanwhile (``to_the_end``).
    async def on_kill(self) -> None:
        if self._startup_phase == "starting":
            await to_the_end(delete_killed_pod(self, self._connection(), compat.on_kill_action(self), self._grace()))
        elif self._startup_phase != "fired":
            await to_the_end(super().on_kill())

    async def cleanup(self) -> None:
        if self._startup_phase == "starting":
            action = compat.on_kill_action(self)
            await to_the_end(delete_if_task_killed(self, self._connection(), action, self._grace()))
        elif self._startup_phase != "fired":
            await to_the_end(super().cleanup())

    def _connection(self) -> ClusterConnection:
        return ClusterConnection.from_dict(self.cluster)

    def _grace(self) -> Optional[int]:
        return compat.termination_grace_period(self)
