"""Retrying Kubernetes API calls through transient failures, within a time the user bounds.

Transient means the API server could not be reached or could not answer for now: connection refused or reset, a
timeout, HTTP 500, 502, 503 or 504, and 429 (after its ``Retry-After``). Everything else (400, 401, 403, 404, 409,
422, a TLS failure) fails at once: waiting would not change the answer.

The bound is on the *outage*, not on each attempt: an :class:`Outage` counts from the first of a run of failures and
ends at the next success of a whole call, so a caller that retries on its own (KPO's tenacity decorators do) does not
multiply the time the user allowed, and the calls a call makes inside itself (a create's look-up for its pod) do not
restart the clock when they succeed. Each call is bounded by its own first failure as well. Each retry logs one line.

An HTTP 500 with the same body :data:`IDENTICAL_ANSWERS` times in a row for the same request is the server's answer
to that request, not an outage: the retrying stops there. (502, 503, 504 and 429 are what proxies and a busy or
upgrading API server answer, identically, for as long as an outage lasts; they are ridden out to the bound.) The
waits between attempts end at once when Airflow kills the task (:mod:`.waits`).

:func:`call_with_retries` and :func:`acall_with_retries` are the sync and async entry points; the API clients of
:mod:`~airflow_provider_composer_pod.kube.api_clients` use them for every call, and triggers or watches can use them
alone.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional, TypeVar

from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.kube.backoff import backoff_delay
from airflow_provider_composer_pod.kube.exhausted import GaveUp, mark, server_message
from airflow_provider_composer_pod.kube.waits import wait as interruptible_wait

T = TypeVar("T")
log = logging.getLogger(__name__)

# How long an API outage is ridden out by default: long enough for a GKE control-plane or node-pool upgrade's
# refused connections, short enough that a cluster that is really gone fails the task within minutes.
DEFAULT_API_RETRY_TIMEOUT = 300.0
MAX_API_RETRY_TIMEOUT = 3600.0
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# How many HTTP 500 answers with the same body in a row end the retrying of one request (about 4 to 8 s of backoff).
IDENTICAL_ANSWERS = 5
# A websocket (exec) failure reaches the caller as ApiException(status=0) carrying the socket error as its reason.
_TRANSIENT_SOCKET_WORDS = (
    "connection refused",
    "connection reset",
    "timed out",
    "handshake status 5",
    "handshake status 429",
)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to ride out an outage (``timeout`` seconds; 0 turns retries off) and how to space the attempts.

    ``request_timeout`` is the (connect, read) timeout given to calls that set none and read their whole answer, so a
    half-open connection cannot hang a call forever; streams (log follows, watches) keep their own.
    """

    timeout: float = DEFAULT_API_RETRY_TIMEOUT
    initial_delay: float = 0.5
    max_delay: float = 15.0
    request_timeout: Any = (30.0, 60.0)

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The delay before retry ``attempt`` (:func:`~.backoff.backoff_delay`)."""
        return backoff_delay(attempt, self.initial_delay, self.max_delay, rng)


NO_RETRIES = RetryPolicy(timeout=0.0)


def retry_policy(value: Any = None, parameter: str = "api_retry_timeout") -> RetryPolicy:
    """The policy for a user's ``api_retry_timeout`` (seconds, a number or numeric string; None: the default)."""
    if value is None or value == "":
        return RetryPolicy()
    seconds: Optional[float] = None
    if not isinstance(value, bool):
        try:
            seconds = float(value)
        except (TypeError, ValueError, OverflowError):
            seconds = None
    if seconds is None or not math.isfinite(seconds) or not 0 <= seconds <= MAX_API_RETRY_TIMEOUT:
        raise ComposerPodInputError(
            parameter,
            value,
            f"it is how many seconds of Kubernetes API failures a task rides out, a number from 0 (no retries) to "
            f"{MAX_API_RETRY_TIMEOUT:.0f}",
            f"pass a number of seconds such as {DEFAULT_API_RETRY_TIMEOUT:.0f} (the default), or leave it unset",
        )
    return RetryPolicy(timeout=seconds)


# ------------------------------------------------------------------------------------------------ classification
def _status(error: BaseException) -> Optional[int]:
    status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


def is_api_exception(error: BaseException) -> bool:
    """The sync and the async client's ApiException (two unrelated classes of the same shape), or a subclass."""
    return any(klass.__name__ == "ApiException" for klass in type(error).__mro__) and hasattr(error, "status")


def transient_reason(error: BaseException) -> Optional[str]:
    """A few words on why ``error`` is worth retrying (``"HTTP 503 Service Unavailable"``), or None if it is not."""
    if isinstance(error, AttributeError) and error.__context__ is not None and is_api_exception(error.__context__):
        # kubernetes 29+ decodes an ApiException's body, which a failed websocket handshake leaves None: the exec's
        # real error is the AttributeError's context.
        return transient_reason(error.__context__)
    if is_api_exception(error):
        status = _status(error)
        if status in TRANSIENT_STATUSES:
            return f"HTTP {status} {getattr(error, 'reason', '') or ''}".strip()
        reason = str(getattr(error, "reason", "") or "")
        if status == 0 and any(word in reason.lower() for word in _TRANSIENT_SOCKET_WORDS):
            return reason.split(" -+-+- ")[0][:120]  # websocket-client appends the headers and body
        return None
    return _connection_reason(error)


def _connection_reason(error: BaseException) -> Optional[str]:
    import urllib3.exceptions as u3

    if isinstance(error, u3.MaxRetryError) and error.reason is not None:
        return _connection_reason(error.reason)
    if isinstance(error, (u3.SSLError, u3.LocationValueError)):
        return None
    if isinstance(error, u3.NewConnectionError):
        return "connection refused" if "refused" in str(error).lower() else "cannot connect"
    if isinstance(error, u3.ConnectTimeoutError):
        return "connect timed out"
    if isinstance(error, u3.ReadTimeoutError):
        return "read timed out"
    if isinstance(error, u3.ProtocolError):
        return "connection dropped"
    if isinstance(error, (u3.TimeoutError, u3.ProxyError)):
        return type(error).__name__
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (ConnectionError, TimeoutError, asyncio.TimeoutError)):
        return "connection dropped" if isinstance(error, ConnectionError) else "timed out"
    return _aiohttp_reason(error)


def _aiohttp_reason(error: BaseException) -> Optional[str]:
    if not type(error).__module__.startswith("aiohttp"):
        return None
    import aiohttp

    if isinstance(error, (aiohttp.ClientSSLError, aiohttp.InvalidURL)):
        return None
    if isinstance(error, aiohttp.ClientConnectorError):
        refused = isinstance(getattr(error, "os_error", None), ConnectionRefusedError) or "refused" in str(error)
        return "connection refused" if refused else "cannot connect"
    if isinstance(error, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)):
        return "connection dropped"
    return None


def never_delivered(error: BaseException) -> bool:
    """Whether the server certainly did not act on the request: safe to send again even when it creates something."""
    import urllib3.exceptions as u3

    if isinstance(error, u3.MaxRetryError) and error.reason is not None:
        return never_delivered(error.reason)
    if is_api_exception(error):
        return _status(error) == 429
    if isinstance(error, (u3.NewConnectionError, u3.ConnectTimeoutError, ConnectionRefusedError)):
        return True
    if type(error).__module__.startswith("aiohttp"):
        import aiohttp

        return isinstance(error, aiohttp.ClientConnectorError)
    return False


def retry_after(error: BaseException) -> Optional[float]:
    """The seconds a 429 (or 503) asks the client to wait, from its ``Retry-After`` header."""
    if _status(error) not in (429, 503):
        return None
    headers = getattr(error, "headers", None) or {}
    try:
        value = headers.get("Retry-After")
        if value is None:
            value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
        return None if value is None else max(0.0, float(value))
    except (AttributeError, TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------------- the outage
class Outage:
    """A run of transient failures seen by one client; it starts at the first failure and ends at a success."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: Optional[float] = None
        self._calls = threading.local()  # how deep this thread is in calls that share the outage

    def failed(self, now: float) -> float:
        """Record a failure at ``now``; how long the outage has lasted."""
        with self._lock:
            if self._since is None:
                self._since = now
            return now - self._since

    def entered(self) -> None:
        self._calls.depth = getattr(self._calls, "depth", 0) + 1

    def left(self) -> None:
        self._calls.depth = max(getattr(self._calls, "depth", 1) - 1, 0)

    def ended(self) -> None:
        """A call succeeded: the outage is over, unless the call ran inside another that has not succeeded yet."""
        if getattr(self._calls, "depth", 0) > 1:
            return
        with self._lock:
            self._since = None


@dataclass
class _Attempts:
    policy: RetryPolicy
    what: str
    logger: Any
    outage: Outage
    clock: Callable[[], float]
    rng: Callable[[], float]
    retryable: Optional[Callable[[BaseException], bool]]
    count: int = 0
    first_failure: Optional[float] = None
    answer: Optional[tuple] = None
    same_answers: int = 0

    def next_delay(self, error: BaseException) -> Optional[float]:
        """Seconds to wait before the next attempt, or None to give up (``error`` is then re-raised)."""
        reason = transient_reason(error)
        if reason is None or (self.retryable is not None and not self.retryable(error)):
            return None
        self.count += 1
        now = self.clock()
        self.first_failure = now if self.first_failure is None else self.first_failure
        elapsed = max(self.outage.failed(now), now - self.first_failure)
        remaining = self.policy.timeout - elapsed
        if remaining <= 0:
            if self.policy.timeout > 0:
                self._mark(error, reason, elapsed, repeated=0)
                self.logger.warning(
                    "Kubernetes API %s failed (%s%s); giving up after %.0f s of failures (api_retry_timeout=%.0f).",
                    self.what,
                    reason,
                    _said(error),
                    elapsed,
                    self.policy.timeout,
                )
            return None
        if self._repeated(error):
            self._mark(error, reason, elapsed, repeated=self.same_answers)
            self.logger.warning(
                "Kubernetes API %s answered %s with the same body %d times in a row%s; giving up: a server that "
                "repeats its answer to a request is not in an outage (api_retry_timeout=%.0f was not used up).",
                self.what,
                reason,
                self.same_answers,
                _said(error),
                self.policy.timeout,
            )
            return None
        wait = retry_after(error)
        delay = min(remaining, wait if wait is not None else self.policy.backoff(self.count, self.rng))
        self.logger.warning(
            "Kubernetes API %s failed (%s); retry %d in %.1f s (%.0f s of api_retry_timeout=%.0f left).",
            self.what,
            reason,
            self.count,
            delay,
            remaining,
            self.policy.timeout,
        )
        return delay

    def _mark(self, error: BaseException, reason: str, seconds: float, repeated: int) -> None:
        said = server_message(error)
        mark(error, GaveUp(self.what, reason, said, seconds, self.count, self.policy.timeout, repeated))

    def _repeated(self, error: BaseException) -> bool:
        """Whether this is the :data:`IDENTICAL_ANSWERS`-th HTTP 500 in a row with the same body."""
        answer = (_status(error), str(getattr(error, "body", None) or ""))
        if answer[0] != 500:
            self.answer, self.same_answers = None, 0
            return False
        self.same_answers = self.same_answers + 1 if answer == self.answer else 1
        self.answer = answer
        return self.same_answers >= IDENTICAL_ANSWERS


def _said(error: BaseException) -> str:
    """What the API server said, quoted: ``: "..."``, or nothing."""
    said = server_message(error)
    return f": {said!r}" if said else ""


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str = "call",
    logger: Any = None,
    outage: Optional[Outage] = None,
    sleep: Callable[[float], None] = interruptible_wait,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    retryable: Optional[Callable[[BaseException], bool]] = None,
) -> T:
    """``call()``, again after each transient failure, until it succeeds or the outage has lasted ``policy.timeout``.

    ``retryable`` narrows which transient failures are retried (e.g. :func:`never_delivered` for a request that
    creates something). The last error is re-raised unchanged, so callers' own ``except`` clauses keep working.
    A kill of the task ends the wait between attempts (:func:`.waits.wait` raises Airflow's termination).
    """
    attempts = _Attempts(policy, what, logger or log, outage or Outage(), clock, rng, retryable)
    attempts.outage.entered()
    try:
        while True:
            try:
                result = call()
            except Exception as error:
                delay = attempts.next_delay(error)
                if delay is None:
                    raise
                sleep(delay)
                continue
            attempts.outage.ended()
            return result
    finally:
        attempts.outage.left()


async def acall_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str = "call",
    logger: Any = None,
    outage: Optional[Outage] = None,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    retryable: Optional[Callable[[BaseException], bool]] = None,
) -> T:
    """The async :func:`call_with_retries`: ``await call()`` until it succeeds or the outage outlasts the policy."""
    attempts = _Attempts(policy, what, logger or log, outage or Outage(), clock, rng, retryable)
    while True:
        try:
            result = await call()
        except Exception as error:
            delay = attempts.next_delay(error)
            if delay is None:
                raise
            await asyncio.sleep(delay)
            continue
        attempts.outage.ended()
        return result


__all__ = [
    "DEFAULT_API_RETRY_TIMEOUT",
    "IDENTICAL_ANSWERS",
    "MAX_API_RETRY_TIMEOUT",
    "NO_RETRIES",
    "Outage",
    "RetryPolicy",
    "acall_with_retries",
    "call_with_retries",
    "never_delivered",
    "retry_after",
    "retry_policy",
    "transient_reason",
]
