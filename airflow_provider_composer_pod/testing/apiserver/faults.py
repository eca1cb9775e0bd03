"""Fault injection for reliability tests: outages, error bursts, broken streams, expired versions, slow logs.

Rules are thread-safe so tests can arm them from their own thread while the server runs in its loop.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

from airflow_provider_composer_pod.testing.apiserver import errors


@dataclass
class FailureRule:
    """Answer the next ``count`` matching requests with an error Status instead of serving them."""

    count: int
    status: int = 500
    method: Optional[str] = None
    path: Optional[str] = None
    retry_after: Optional[int] = None
    message: Optional[str] = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or re.search(self.path, path) is not None
        )

    def error(self) -> errors.ApiError:
        if self.status == 429:
            return errors.too_many_requests(self.retry_after if self.retry_after is not None else 1)
        if self.status == 503:
            error = errors.service_unavailable(self.message or "the server is currently unable to handle the request")
        elif self.status == 504:
            error = errors.ApiError(
                504, "Timeout", self.message or "Timeout: request did not complete within the allowed duration"
            )
        elif self.status == 500:
            error = errors.internal_error(self.message or "injected fault")
        else:
            error = errors.ApiError(self.status, "InternalError", self.message or "injected fault")
        if self.retry_after is not None:
            error.headers["Retry-After"] = str(self.retry_after)
            error.details = dict(error.details or {}, retryAfterSeconds=self.retry_after)
        return error

    @property
    def remaining(self) -> int:
        return self.count - self.hits


@dataclass
class StreamCut:
    """Break matching watch or log streams after N events/lines or bytes (without the closing chunk)."""

    kind: str
    path: Optional[str] = None
    after_items: Optional[int] = None
    after_bytes: Optional[int] = None
    count: int = 1
    used: int = 0

    def matches(self, kind: str, path: str) -> bool:
        return (
            self.kind == kind
            and self.used < self.count
            and (self.path is None or re.search(self.path, path) is not None)
        )


@dataclass
class OutageRule:
    """At the next ``count`` matching requests, drop the connection unanswered, then refuse connections for ``seconds``.

    With ``serve`` the server first does what the request asks (a create creates) and only its answer is lost, as
    when a load balancer or the network drops a connection mid-request; without, the request is not acted on.
    ``phase`` narrows matching to requests about a pod (named in the path) that is in that phase.
    """

    seconds: float
    method: Optional[str] = None
    path: Optional[str] = None
    phase: Optional[str] = None
    serve: bool = False
    count: int = 1
    used: int = 0

    def matches(self, method: str, path: str, phase: Callable[[], Optional[str]]) -> bool:
        return (
            self.used < self.count
            and (self.method is None or self.method.upper() == method)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.phase is None or phase() == self.phase)
        )


@dataclass
class SlowLogs:
    delay: float
    pod: Optional[str] = None
    container: Optional[str] = None


@dataclass
class FaultInjector:
    """Arm faults with the methods below; :meth:`clear` disarms everything (the fixture does it per test)."""

    refuse_hook: Optional[Callable[[float, bool], None]] = None
    compact_hook: Optional[Callable[[bool], int]] = None
    cut_hook: Optional[Callable[[str], int]] = None
    failures: List[FailureRule] = field(default_factory=list)
    cuts: List[StreamCut] = field(default_factory=list)
    slow: List[SlowLogs] = field(default_factory=list)
    outages: List[OutageRule] = field(default_factory=list)
    hanging_follows: bool = False
    _lock: Any = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self.failures = []
            self.cuts = []
            self.slow = []
            self.outages = []
            self.hanging_follows = False

    # --------------------------------------------------------------------------------------------- arming
    def refuse_connections(self, seconds: float, drop_existing: bool = True) -> None:
        """Close the listening socket for ``seconds`` (clients get ECONNREFUSED), then listen on the same port."""
        assert self.refuse_hook is not None, "emulator not started"
        self.refuse_hook(seconds, drop_existing)

    def outage_on(
        self,
        seconds: float,
        method: Optional[str] = None,
        path: Optional[str] = None,
        phase: Optional[str] = None,
        serve: bool = False,
        count: int = 1,
    ) -> OutageRule:
        """Begin an outage at a matching request (see :class:`OutageRule`): it is dropped unanswered (acted on first
        if ``serve``), and connections are refused for ``seconds`` (0: only the drop)."""
        rule = OutageRule(seconds, method, path, phase, serve, count)
        with self._lock:
            self.outages.append(rule)
        return rule

    def drop_responses(self, count: int = 1, method: Optional[str] = None, path: Optional[str] = None) -> OutageRule:
        """Act on the next ``count`` matching requests but drop their connections instead of answering."""
        return self.outage_on(0.0, method, path, serve=True, count=count)

    def fail_requests(
        self,
        count: int = 1,
        status: int = 500,
        method: Optional[str] = None,
        path: Optional[str] = None,
        retry_after: Optional[int] = None,
        message: Optional[str] = None,
    ) -> FailureRule:
        """Answer the next ``count`` requests matching ``method`` and the ``path`` regex with ``status``."""
        rule = FailureRule(count, status, method, path, retry_after, message)
        with self._lock:
            self.failures.append(rule)
        return rule

    def cut_streams(
        self,
        kind: str = "watch",
        after_items: Optional[int] = None,
        after_bytes: Optional[int] = None,
        path: Optional[str] = None,
        count: int = 1,
    ) -> StreamCut:
        """Break the next ``count`` ``watch``/``log`` streams after ``after_items`` events/lines or bytes."""
        if kind not in ("watch", "log"):
            raise ValueError(f"kind must be 'watch' or 'log', got {kind!r}")
        rule = StreamCut(kind, path, after_items, after_bytes, count)
        with self._lock:
            self.cuts.append(rule)
        return rule

    def cut_active_streams(self, kind: str = "watch") -> int:
        """Break every open stream of ``kind`` now; returns how many were cut."""
        assert self.cut_hook is not None, "emulator not started"
        return self.cut_hook(kind)

    def slow_logs(self, delay: float, pod: Optional[str] = None, container: Optional[str] = None) -> SlowLogs:
        """Delay every log line served for matching pods (fnmatch) by ``delay`` real seconds."""
        rule = SlowLogs(delay, pod, container)
        with self._lock:
            self.slow.append(rule)
        return rule

    def hang_log_follows(self, hang: bool = True) -> None:
        """Keep ``follow`` log streams open after the container has ended (the kubelet bug apache/airflow#23497):
        the client gets every line but never the end of the response."""
        with self._lock:
            self.hanging_follows = hang

    def expire_resource_versions(self, close_watches: bool = False) -> int:
        """Compact the history: older resourceVersions now answer 410 Expired. Returns the new floor."""
        assert self.compact_hook is not None, "emulator not started"
        return self.compact_hook(close_watches)

    # ------------------------------------------------------------------------------------- server side
    def take_failure(self, method: str, path: str) -> Optional[errors.ApiError]:
        with self._lock:
            for rule in self.failures:
                if rule.remaining > 0 and rule.matches(method, path):
                    rule.hits += 1
                    return rule.error()
        return None

    def take_outage(self, method: str, path: str, phase: Callable[[], Optional[str]]) -> Optional[OutageRule]:
        with self._lock:
            for rule in self.outages:
                if rule.matches(method, path, phase):
                    rule.used += 1
                    return rule
        return None

    def take_cut(self, kind: str, path: str) -> Optional[StreamCut]:
        with self._lock:
            for rule in self.cuts:
                if rule.matches(kind, path):
                    rule.used += 1
                    return rule
        return None

    def log_delay(self, pod: str, container: str) -> float:
        with self._lock:
            delays = [
                r.delay
                for r in self.slow
                if (r.pod is None or fnmatch.fnmatchcase(pod, r.pod))
                and (r.container is None or fnmatch.fnmatchcase(container, r.container))
            ]
        return max(delays) if delays else 0.0
