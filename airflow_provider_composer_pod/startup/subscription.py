"""One trigger's view of one pod in the shared pod watch (``pod_watch``): its latest state, and a wait for its start."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, Optional, Protocol

from airflow_provider_composer_pod.startup.alarms import Alarms
from airflow_provider_composer_pod.startup.story import PENDING, classify, is_scheduled

# A wake-up up to this late (seconds) is not worth another alarm: each wait of a subscription asks for the same
# deadline, read from two clocks.
_SLACK = 0.01


class _Watch(Protocol):  # pod_watch.NamespaceWatch, which imports this module
    alarms: Alarms

    def unsubscribe(self, subscription: PodSubscription) -> None: ...


class PodSubscription:
    """One trigger's view of one pod: the latest state, when it changed, and when the watch first saw it scheduled
    and started (``observed``, wall-clock seconds; only from live watch events, never from a list)."""

    __slots__ = (
        "name",
        "_watch",
        "_alarms",
        "pod",
        "known",
        "_observed",
        "error",
        "_changed",
        "_waiter",
        "_wake_at",
        "_alarm_at",
    )

    def __init__(self, watch: _Watch, name: str) -> None:
        self.name = name
        self._watch: Optional[_Watch] = watch
        self._alarms = watch.alarms
        self.pod: Optional[Dict[str, Any]] = None
        self.known = False  # whether any state (including "deleted") has arrived
        self._observed: Optional[Dict[str, float]] = None  # made at the first observation
        self.error: Optional[Exception] = None
        # Thousands wait at once: a flag, a bare future while waiting, and the watch's shared alarms for the time-out
        # (not an Event, a task or a timer per wait).
        self._changed = False
        self._waiter: Optional[asyncio.Future[bool]] = None
        self._wake_at: Optional[float] = None  # the waiter's time-out (loop clock)
        self._alarm_at: Optional[float] = None  # the alarm set for this subscription, if any

    @property
    def closed(self) -> bool:
        return self._watch is None

    @property
    def observed(self) -> Dict[str, float]:
        return dict(self._observed or {})

    def _observe(self, what: str, now: float) -> None:
        if self._observed is None:
            self._observed = {}
        self._observed.setdefault(what, now)

    def deliver(self, pod: Optional[Dict[str, Any]], live: bool) -> None:
        first, self.known = not self.known, True
        self.pod = pod
        if pod is not None and live:
            now = time.time()
            if is_scheduled(pod):
                self._observe("scheduled", now)
            if ((pod.get("status") or {}).get("phase") or "Pending") not in ("Pending", "Unknown"):
                self._observe("started", now)
        # The wait acts on the first news and on a state that ends it: a pod still starting (scheduled, pulling,
        # creating) updates the state without waking the waiter, several times for each of thousands of pods.
        if first or classify(pod)[0] != PENDING:
            self._set_changed()

    def fail(self, error: Exception) -> None:
        self.error = error
        self._set_changed()

    def _set_changed(self) -> None:
        if not self._settle(True):
            self._changed = True  # for the next wait

    def _settle(self, result: bool) -> bool:
        """The waiting future gets ``result``; False if nothing waits."""
        waiter, self._waiter, self._wake_at = self._waiter, None, None
        if waiter is None or waiter.done():
            return False
        waiter.set_result(result)
        return True

    def changed(self, timeout: float) -> asyncio.Future[bool]:
        """A future that becomes True at the first news of the pod, when its start ends the wait (running,
        finished, cannot start, deleted) or the watch fails, at once if that happened since the last wait; or False
        when ``timeout`` seconds pass.

        Await it directly, not through ``asyncio.wait_for``, which before Python 3.12 can lose a cancellation that
        arrives as the wait ends (a killed task's trigger would then wait on): cancelling the awaiting task cancels
        the future and raises there."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        if self._changed:
            self._changed = False
            waiter.set_result(True)
            return waiter
        self._waiter = waiter
        self._wake_at = when = loop.time() + max(timeout, 0.0)
        if self._alarm_at is None or when < self._alarm_at - _SLACK:
            self._alarm_at = when
            self._alarms.set(when, self)
        return waiter

    def alarm(self, when: float, now: float) -> Optional[float]:
        if when != self._alarm_at:  # an earlier alarm replaced this one
            return None
        self._alarm_at = None
        if self._wake_at is None:  # not waiting
            return None
        if self._wake_at > now + _SLACK:  # a later wait's time-out: ring again then
            self._alarm_at = self._wake_at
            return self._wake_at
        self._settle(False)
        return None

    def close(self) -> None:
        self._wake_at, self._waiter = None, None
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.unsubscribe(self)
