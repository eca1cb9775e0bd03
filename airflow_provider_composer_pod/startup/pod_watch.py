"""One pod watch per (cluster, namespace), shared by every trigger of the event loop that waits for a pod there.

A triggerer runs all its triggers in one event loop. Stock KubernetesPodTrigger polls the API for each pod every few
seconds; here the first trigger waiting in a namespace opens one watch (list, then ``watch`` from the list's
``resourceVersion`` with bookmarks), later triggers subscribe to it, and each subscriber hears only about its own pod.

- **The first list** is served from the API server's watch cache (``resourceVersion=0``): one request per namespace,
  however many pods, paged only if the server pages it.
- **410 Gone** (the watch's resourceVersion was compacted away): list again (consistently), hand every subscriber the
  pod's current state (or "deleted"), and watch from the new list.
- **Dropped connections and errors**: reconnect from the last resourceVersion, with exponential backoff and full
  jitter; a 401 reloads the credentials first.
- **Cancellation**: a subscriber that goes away (its trigger was cancelled) unsubscribes in a ``finally``; the last one
  to leave closes the watch and its API client.
- **No blocking I/O in the loop**: the kube config arrives as data from the worker; loading it (which may write
  certificate files) runs in a thread, and everything else is aiohttp through ``kubernetes_asyncio``.

Events are JSON dicts, not client models: deserialising every MODIFIED pod into models would cost the triggerer more
CPU than the rest of the watch together. Each is decoded into only the fields the watch reads (``events``).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.kube.backoff import Backoff
from airflow_provider_composer_pod.kube.cluster import (
    ApiStatusError,
    ClusterConnection,
    read_body,
    read_json,
)
from airflow_provider_composer_pod.kube.json_list import list_items
from airflow_provider_composer_pod.kube.retries import is_api_exception
from airflow_provider_composer_pod.startup.alarms import Alarms
from airflow_provider_composer_pod.startup.clients import ApiClients, Lease
from airflow_provider_composer_pod.startup.events import watch_event
from airflow_provider_composer_pod.startup.story import trimmed
from airflow_provider_composer_pod.startup.subscription import PodSubscription

log = logging.getLogger(__name__)

# Every pod KubernetesPodOperator creates carries this label (all provider versions); the watch sees only those.
POD_SELECTOR = "kubernetes_pod_operator=True"


class PodWatchRefusedError(Exception):
    """The API refused to list or watch the namespace's pods (400, 403, 404): retrying cannot fix it."""

    def __init__(self, namespace: str, error: BaseException) -> None:
        super().__init__(
            f"The Kubernetes API refused to list and watch pods in namespace {namespace!r} ({error}); this is not "
            f"retried. The kube config's identity needs get, list and watch on pods in {namespace!r}, and the "
            "namespace must exist."
        )
        self.status = getattr(error, "status", None)


_REFUSED = frozenset({400, 403, 404})


def server_status(error: BaseException) -> Optional[int]:
    """The HTTP status the API server answered with, if ``error`` is such an answer. Not aiohttp's own errors: one
    that could not parse a response (a connection cut mid-header) carries a 400 of its own, and is retried."""
    if isinstance(error, ApiStatusError) or is_api_exception(error):
        return getattr(error, "status", None)
    return None


class _Expired(Exception):
    """410 Gone: the resourceVersion is too old; list again."""


@dataclass
class WatchSettings:
    watch_timeout: int = 290  # server-side timeoutSeconds; the watch then resumes from its last resourceVersion
    list_limit: int = 500
    absent_grace: float = 5.0  # a new subscriber's pod not heard of after this long is read once
    backoff_initial: float = 0.5
    backoff_cap: float = 30.0


@dataclass
class WatchStats:
    lists: int = 0
    watches: int = 0
    expired: int = 0
    errors: int = 0
    events: int = 0
    reads: int = 0
    last_error: Optional[str] = None
    delays: List[float] = field(default_factory=list)


class NamespaceWatch:
    """The shared watch of one namespace; create it through :func:`pod_watches`."""

    def __init__(
        self, registry: PodWatchRegistry, connection: ClusterConnection, namespace: str, settings: WatchSettings
    ) -> None:
        self.registry = registry
        self.connection = connection
        self.namespace = namespace
        self.key: Tuple[str, str] = (connection.key, namespace)
        self.settings = settings
        # Each pod's subscription; a second one for the same pod (rare: a trigger made again while the first still
        # runs) waits in ``_also``, so that thousands of pods do not each cost a list.
        self.subscribers: Dict[str, PodSubscription] = {}
        self._also: Dict[str, List[PodSubscription]] = {}
        self.pods: Dict[str, Dict[str, Any]] = {}
        self.shared: Dict[Any, Any] = {}  # the parts the pods' copies share (``story.trimmed``)
        self.resource_version: Optional[str] = None
        self.synced = False
        self.stats = WatchStats()
        self._lease: Optional[Lease] = None  # its client is shared with the cluster's other namespace watches
        self._pending_reads: Dict[str, asyncio.TimerHandle] = {}
        self.alarms = Alarms()  # the subscribers' time-outs, on one timer
        self._task: asyncio.Task = asyncio.ensure_future(self._run())

    # ----------------------------------------------------------------------------------------- subscribers
    def subscribe(self, name: str) -> PodSubscription:
        subscription = PodSubscription(self, name)
        if name in self.subscribers:
            self._also.setdefault(name, []).append(subscription)
        else:
            self.subscribers[name] = subscription
        if name in self.pods:
            subscription.deliver(self.pods[name], live=False)
        elif self.synced:  # created just now (its ADDED is on the way), or gone: read it if the watch stays silent
            self._schedule_read(name)
        return subscription

    def unsubscribe(self, subscription: PodSubscription) -> None:
        name, also = subscription.name, self._also.get(subscription.name, [])
        if subscription in also:
            also.remove(subscription)
        elif self.subscribers.get(name) is subscription:
            if also:
                self.subscribers[name] = also.pop(0)
            else:
                del self.subscribers[name]
        if not also:
            self._also.pop(name, None)
        if name not in self.subscribers:
            handle = self._pending_reads.pop(name, None)
            if handle is not None:
                handle.cancel()
        if not self.subscribers:
            self.close()
        elif len(self.alarms) > 2 * len(self.subscribers) + 64:  # mostly the alarms of subscribers gone
            self.alarms.drop(lambda sleeper: not sleeper.closed)

    def close(self) -> None:
        self.registry.forget(self)
        self.alarms.close()
        for handle in self._pending_reads.values():
            handle.cancel()
        self._pending_reads.clear()
        if not self._task.done():
            self._task.cancel()

    def _deliver(self, name: str, pod: Optional[Dict[str, Any]], live: bool) -> None:
        handle = self._pending_reads.pop(name, None)
        if handle is not None:
            handle.cancel()
        for subscription in self._subscriptions(name):
            subscription.deliver(pod, live)

    def _subscriptions(self, name: str) -> List[PodSubscription]:
        first = self.subscribers.get(name)
        return [] if first is None else [first, *self._also.get(name, ())]

    def _schedule_read(self, name: str) -> None:
        if name in self._pending_reads:
            return
        loop = asyncio.get_running_loop()
        self._pending_reads[name] = loop.call_later(
            self.settings.absent_grace, lambda: asyncio.ensure_future(self._read_one(name))
        )

    async def _read_one(self, name: str) -> None:
        self._pending_reads.pop(name, None)
        if name in self.pods or name not in self.subscribers or self._lease is None:
            return
        self.stats.reads += 1
        try:
            response = await self._core().read_namespaced_pod(name, self.namespace, _preload_content=False)
            pod = await read_json(response)
        except ApiStatusError as error:
            if error.status == 404 and name not in self.pods:
                self._deliver(name, None, live=False)
            return
        except Exception:  # the watch will tell
            log.debug("Reading pod %s/%s failed", self.namespace, name, exc_info=True)
            return
        if name not in self.pods:
            self._deliver(name, trimmed(pod, self.shared), live=False)

    # --------------------------------------------------------------------------------------------- the loop
    async def _run(self) -> None:
        backoff = Backoff(self.settings.backoff_initial, self.settings.backoff_cap)
        try:
            while True:
                try:
                    if self._lease is None:
                        self._lease = await self.registry.clients.acquire(self.connection)
                    if self.resource_version is None:
                        await self._relist()
                    opened, events = time.monotonic(), self.stats.events
                    await self._watch()
                    if events == self.stats.events and time.monotonic() - opened < 1.0:
                        # closed at once with nothing said: do not hammer a server that keeps hanging up
                        await asyncio.sleep(backoff.next_delay())
                    else:
                        backoff.reset()
                except asyncio.CancelledError:
                    raise
                except _Expired:
                    self.stats.expired += 1
                    log.info("Pod watch of %s: resourceVersion expired (410 Gone); listing again.", self.namespace)
                    self.resource_version = None
                except Exception as error:
                    self.stats.errors += 1
                    self.stats.last_error = repr(error)
                    status = server_status(error)
                    if status in _REFUSED:
                        self._refused(PodWatchRefusedError(self.namespace, error))
                        return
                    if status == 401 and self._lease is not None:
                        expired, self._lease = self._lease, None
                        await self.registry.clients.release(expired, renew=True)  # credentials expired: load again
                    delay = backoff.next_delay()
                    self.stats.delays.append(delay)
                    log.warning("Pod watch of %s failed (%s); reconnecting in %.1f s.", self.namespace, error, delay)
                    await asyncio.sleep(delay)
        finally:
            last, self._lease = self._lease, None
            await self.registry.clients.release(last)

    def _refused(self, error: PodWatchRefusedError) -> None:
        """Every subscriber fails at once; the next subscriber starts a new watch."""
        log.error("%s", error)
        self.registry.forget(self)
        for name in list(self.subscribers):
            for subscription in self._subscriptions(name):
                subscription.fail(error)

    def _core(self) -> Any:
        from kubernetes_asyncio.client import CoreV1Api

        if self._lease is None:
            raise RuntimeError(f"The pod watch of {self.namespace} has no API client")  # released: closing
        return CoreV1Api(self._lease.api)

    async def _relist(self) -> None:
        # The first list asks for any resourceVersion ("0"), as client-go's reflector does: the API server answers it
        # from its watch cache, which does not page it (one request however many pods) and spares etcd; the watch
        # from its resourceVersion then brings everything up to date. Such a list may be a little behind, so a
        # subscriber's pod missing from it is read, not reported deleted. A list after 410 Gone is consistent.
        cached = not self.synced
        pods: Dict[str, Dict[str, Any]] = {}
        token: Optional[str] = None
        while True:
            kwargs: Dict[str, Any] = {"label_selector": POD_SELECTOR, "limit": self.settings.list_limit}
            if token:
                kwargs["_continue"] = token
            elif cached:
                kwargs["resource_version"] = "0"
            self.stats.lists += 1
            try:
                raw = await read_body(
                    await self._core().list_namespaced_pod(self.namespace, _preload_content=False, **kwargs)
                )
            except ApiStatusError as error:
                if error.status == 410 and token:  # the continue token expired: start the list over
                    pods, token = {}, None
                    continue
                raise
            head: Dict[str, Any] = {}
            for item in list_items(raw, head):  # one pod at a time: only the trimmed copies stay
                pods[item["metadata"]["name"]] = trimmed(item, self.shared)
            del raw
            token = (head.get("metadata") or {}).get("continue")
            if not token:
                break
        self.pods = pods
        self.resource_version = (head.get("metadata") or {}).get("resourceVersion")
        self.synced = True
        for name in list(self.subscribers):
            if name in pods or not cached:
                self._deliver(name, pods.get(name), live=False)
            else:
                self._schedule_read(name)

    async def _watch(self) -> None:
        timeout = self.settings.watch_timeout
        self.stats.watches += 1
        response = await self._core().list_namespaced_pod(
            self.namespace,
            label_selector=POD_SELECTOR,
            watch=True,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout,
            _preload_content=False,
            _request_timeout=timeout + 30,
        )
        try:
            if response.status >= 400:
                raise ApiStatusError(response.status, (await response.read()).decode("utf-8", "replace"))
            buffer = b""
            async for chunk in response.content.iter_any():
                lines = (buffer + chunk).split(b"\n")
                buffer = lines.pop()
                for line in lines:
                    if line.strip():
                        self._on_event(watch_event(line))
        finally:
            response.release()

    def _on_event(self, event: Dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise _Expired()
            raise ApiStatusError(int(obj.get("code") or 500), str(obj.get("message")))
        metadata = obj.get("metadata") or {}
        if metadata.get("resourceVersion"):
            self.resource_version = metadata["resourceVersion"]
        if kind == "BOOKMARK":
            return
        self.stats.events += 1
        name = metadata.get("name")
        if not name:
            return
        if kind == "DELETED":
            self.pods.pop(name, None)
            self._deliver(name, None, live=True)
            return
        pod = trimmed(obj, self.shared)
        self.pods[name] = pod
        self._deliver(name, pod, live=True)


class PodWatchRegistry:
    """The watches of one event loop, by (cluster key, namespace)."""

    def __init__(self, settings: Optional[WatchSettings] = None) -> None:
        self.settings = settings or WatchSettings()
        self.watches: Dict[Tuple[str, str], NamespaceWatch] = {}
        self.clients = ApiClients()
        self._in_namespace: Dict[str, List[NamespaceWatch]] = {}

    def subscribe(self, connection: ClusterConnection, namespace: str, name: str) -> PodSubscription:
        # Triggers that reach the same cluster as the same user share the namespace's watch. Each trigger brings its
        # own copy of the kube config: comparing it with the watches' is cheaper than hashing it into ``key``.
        watches = self._in_namespace.setdefault(namespace, [])
        watch = next((w for w in watches if w.connection == connection), None)
        if watch is None:
            watch = NamespaceWatch(self, connection, namespace, self.settings)
            self.watches[watch.key] = watch
            watches.append(watch)
        return watch.subscribe(name)

    def forget(self, watch: NamespaceWatch) -> None:
        if self.watches.get(watch.key) is watch:
            del self.watches[watch.key]
        watches = self._in_namespace.get(watch.namespace, [])
        if watch in watches:
            watches.remove(watch)
        if not watches:
            self._in_namespace.pop(watch.namespace, None)


_REGISTRIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def pod_watches() -> PodWatchRegistry:
    """The running event loop's registry (a triggerer has one loop; ``dag.test()`` makes one per trigger)."""
    loop = asyncio.get_running_loop()
    registry = _REGISTRIES.get(loop)
    if registry is None:
        registry = _REGISTRIES[loop] = PodWatchRegistry()
    return registry
