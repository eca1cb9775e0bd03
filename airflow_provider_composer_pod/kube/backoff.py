"""One backoff for every retry loop: API calls (:mod:`.retries`), log follows (:mod:`.log_stream`) and the shared pod
watch (:mod:`~airflow_provider_composer_pod.startup.pod_watch`).

Exponential steps, capped, with "equal jitter" (AWS's "Exponential Backoff And Jitter"): each delay is between half
and all of its step, so retries spread out but never collapse to zero.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable


def backoff_delay(attempt: int, initial: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """The delay before retry number ``attempt`` (1 for the first): half to all of ``initial * 2**(attempt-1)``."""
    step = min(cap, initial * 2 ** min(max(attempt - 1, 0), 30))
    return step / 2 + rng() * step / 2


@dataclass
class Backoff:
    """A run of failures: each ``next_delay()`` is the next retry's delay; ``reset()`` after a success."""

    initial: float = 0.5
    cap: float = 30.0
    attempt: int = 0

    def next_delay(self) -> float:
        self.attempt += 1
        return backoff_delay(self.attempt, self.initial, self.cap)

    def reset(self) -> None:
        self.attempt = 0
