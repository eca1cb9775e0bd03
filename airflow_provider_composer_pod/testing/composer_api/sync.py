"""The link to the Kubernetes emulator: Composer's sync of user workloads into ``composer-user-workloads``.

On a real environment a Secret or ConfigMap written through the Composer API shows up in the cluster some time
later (the mechanism and the delay are UNCONFIRMED, research section 6); here one thread applies each change
``delay`` seconds after it was accepted, in the order they were accepted.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.testing.apiserver.resources import CORE

log = logging.getLogger(__name__)
NAMESPACE = "composer-user-workloads"
Change = Callable[[], None]


class KubernetesSync:
    """Applies writes to a Kubernetes emulator (``KubernetesEmulator``, or a bare ``Store`` used from one thread)."""

    def __init__(self, kube: Any, delay: Callable[[], float], namespace: str = NAMESPACE) -> None:
        self.kube = kube
        self.delay = delay
        self.namespace = namespace
        self._queue: List[Tuple[float, int, Change]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()  # for a bare Store, which has no loop of its own

    def start(self) -> None:
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="composer-api-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._queue.clear()
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def pending(self) -> int:
        with self._wake:
            return len(self._queue)

    def put(self, resource: str, name: str, data: Dict[str, str]) -> None:
        body: Dict[str, Any] = {"metadata": {"name": name, "namespace": self.namespace}, "data": dict(data)}
        if resource == "secrets":
            body["type"] = "Opaque"
        self._schedule(lambda: self._on_store(_put, CORE[resource], self.namespace, name, body))

    def delete(self, resource: str, name: str) -> None:
        self._schedule(lambda: self._on_store(_delete, CORE[resource], self.namespace, name))

    def flush(self) -> None:
        """Apply every pending change now (tests that do not care about the delay)."""
        with self._wake:
            due, self._queue = self._queue, []
        for _, _, change in sorted(due):
            self._apply(change)

    # ------------------------------------------------------------------------------------------------ inside
    def _schedule(self, change: Change) -> None:
        delay = self.delay()
        if delay <= 0:
            self.flush()  # keep the order: anything still waiting goes first
            self._apply(change)
            return
        with self._wake:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), change))
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                if self._stopped:
                    return
                if not self._queue:
                    self._wake.wait()
                    continue
                wait = self._queue[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                _, _, change = heapq.heappop(self._queue)
            self._apply(change)

    def _apply(self, change: Change) -> None:
        try:
            change()
        except Exception:
            log.exception("composer API emulator: syncing a change into the Kubernetes emulator failed")

    def _on_store(self, func: Callable[..., None], *args: Any) -> None:
        call = getattr(self.kube, "call", None)
        if call is not None:
            call(lambda: func(self.kube.store, *args))
            return
        with self._lock:
            func(self.kube, *args)


def _put(store: Any, resource: Any, namespace: str, name: str, body: Dict[str, Any]) -> None:
    if store.find(resource, namespace, name) is None:
        store.create(resource, namespace, body)
    else:
        store.update(resource, namespace, name, body, check_rv=False)


def _delete(store: Any, resource: Any, namespace: str, name: str) -> None:
    if store.find(resource, namespace, name) is not None:
        store.delete(resource, namespace, name)
