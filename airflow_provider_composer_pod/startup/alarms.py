"""``Alarms``: the time-outs of thousands of waits on one timer of the event loop.

A subscription's wait (``subscription.py``) ends when its pod changes or its deadline passes. A timer per wait is an
event-loop ``TimerHandle`` with its arguments and context, about 370 bytes for every waiting pod, made again on every
wait; a shared watch's waits share one timer here, set for the earliest deadline, and a waiting pod costs one heap
entry. Deadlines are on the loop's clock (``loop.time()``).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Any, Callable, List, Optional, Protocol, Tuple

# The event loop may call a timer this much before its time (its clock's resolution); such entries are due.
_RESOLUTION = 0.001


class Sleeper(Protocol):
    def alarm(self, when: float, now: float) -> Optional[float]:
        """Called at ``now``, at or after the time ``when`` it was set for: act, and return a later time to be
        called again, or None."""
        ...


class Alarms:
    """Call each sleeper's ``alarm`` at the time it set, on one ``loop.call_at`` timer for all of them."""

    def __init__(self) -> None:
        self._heap: List[Tuple[float, int, Sleeper]] = []
        self._order = itertools.count()  # ties are called in the order they were set; sleepers never compared
        self._timer: Optional[asyncio.TimerHandle] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def __len__(self) -> int:
        return len(self._heap)

    def set(self, when: float, sleeper: Sleeper) -> None:
        """Call ``sleeper.alarm`` at ``when``. A sleeper that changes its mind says so from ``alarm`` (the entry
        cannot be taken back: a sleeper set twice is called twice)."""
        self._loop = asyncio.get_running_loop()
        heapq.heappush(self._heap, (when, next(self._order), sleeper))
        if self._timer is None or when < self._timer.when():
            self._arm()

    def drop(self, keep: Callable[[Any], bool]) -> None:
        """Forget the sleepers ``keep`` rejects (gone for good), so that they are not held until their time."""
        self._heap = [entry for entry in self._heap if keep(entry[2])]
        heapq.heapify(self._heap)
        self._arm()

    def close(self) -> None:
        self._heap.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._heap and self._loop is not None:
            self._timer = self._loop.call_at(self._heap[0][0], self._ring)

    def _ring(self) -> None:
        self._timer = None
        assert self._loop is not None  # set() set it
        now = self._loop.time()
        due = []
        while self._heap and self._heap[0][0] <= now + _RESOLUTION:
            when, _, sleeper = heapq.heappop(self._heap)
            due.append((when, sleeper))
        for when, sleeper in due:
            later = sleeper.alarm(when, now)
            if later is not None:
                heapq.heappush(self._heap, (later, next(self._order), sleeper))
        self._arm()
