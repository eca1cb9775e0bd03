"""One trigger's view of one pod in the shared pod watch (``pod_watch``): its latest state, and a wait for the next."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, Optional, Protocol

from airflow_provider_composer_pod.startup.story import is_scheduled


class _Watch(Protocol):  # pod_watch.NamespaceWatch, which imports this module
    def unsubscribe(self, subscription: PodSubscription) -> None: ...


class PodSubscription:
    """One trigger's view of one pod: the latest state, when it changed, and when the watch first saw it scheduled
    and started (``observed``, wall-clock seconds; only from live watch events, never from a list)."""

    __slots__ = ("name", "_watch", "pod", "known", "observed", "error", "_changed", "_waiter")

    def __init__(self, watch: _Watch, name: str) -> None:
        self.name = name
        self._watch: Optional[_Watch] = watch
        self.pod: Optional[Dict[str, Any]] = None
        self.known = False  # whether any state (including "deleted") has arrived
        self.observed: Dict[str, float] = {}
        self.error: Optional[Exception] = None
        # A flag and a bare future while waiting, not an Event and a task per wait: one per waiting pod, thousands.
        self._changed = False
        self._waiter: Optional[asyncio.Future] = None

    def deliver(self, pod: Optional[Dict[str, Any]], live: bool) -> None:
        self.known = True
        self.pod = pod
        if pod is not None and live:
            now = time.time()
            if is_scheduled(pod):
                self.observed.setdefault("scheduled", now)
            if ((pod.get("status") or {}).get("phase") or "Pending") not in ("Pending", "Unknown"):
                self.observed.setdefault("started", now)
        self._set_changed()

    def fail(self, error: Exception) -> None:
        self.error = error
        self._set_changed()

    def _set_changed(self) -> None:
        self._changed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    async def wait_changed(self, timeout: float) -> bool:
        """Wait until the state changes (True) or ``timeout`` seconds pass (False).

        A bare future awaited directly, not ``asyncio.wait_for``, which before Python 3.12 can lose a cancellation
        that arrives as the wait ends (a killed task's trigger would then wait on); a cancellation cancels the
        future and is raised here."""
        if not self._changed:
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(max(timeout, 0.0), _time_out, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
        if not self._changed:
            return False
        self._changed = False
        return True

    def close(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.unsubscribe(self)


def _time_out(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(False)
