"""The retry primitive: what is transient, how long it waits, when it gives up, and what it logs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, List

import pytest
import urllib3.exceptions as u3
from kubernetes.client.exceptions import ApiException
from kubernetes_asyncio.client.exceptions import ApiException as AsyncApiException

from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.kube.retries import (
    DEFAULT_API_RETRY_TIMEOUT,
    Outage,
    RetryPolicy,
    acall_with_retries,
    call_with_retries,
    never_delivered,
    retry_after,
    retry_policy,
    transient_reason,
)


def api_error(status: int, retry_after_header: Any = None) -> ApiException:
    error = ApiException(status=status, reason={429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "x"))
    error.headers = {"Retry-After": retry_after_header} if retry_after_header is not None else {}
    return error


REFUSED = u3.MaxRetryError(None, "/api/v1/pods", u3.NewConnectionError(None, "[Errno 111] Connection refused"))


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(api_error(500), "HTTP 500 x", id="500"),
        pytest.param(api_error(502), "HTTP 502 x", id="502"),
        pytest.param(api_error(503), "HTTP 503 Service Unavailable", id="503"),
        pytest.param(api_error(504), "HTTP 504 x", id="504"),
        pytest.param(api_error(429), "HTTP 429 Too Many Requests", id="429"),
        pytest.param(
            AsyncApiException(status=503, reason="Service Unavailable"), "HTTP 503 Service Unavailable", id="async-503"
        ),  # fmt: skip
        pytest.param(REFUSED, "connection refused", id="refused"),
        pytest.param(u3.ProtocolError("Connection aborted.", ConnectionResetError()), "connection dropped", id="reset"),
        pytest.param(u3.ReadTimeoutError(None, "/", "read timed out"), "read timed out", id="read-timeout"),
        pytest.param(u3.ConnectTimeoutError(), "connect timed out", id="connect-timeout"),
        pytest.param(ConnectionRefusedError(), "connection refused", id="socket-refused"),
        pytest.param(
            ApiException(status=0, reason="Handshake status 503 Service Unavailable -+-+- {...}"),
            "Handshake status 503 Service Unavailable",
            id="exec-handshake",
        ),  # fmt: skip
    ],
)
def test_transient_failures(error: BaseException, reason: str) -> None:
    assert transient_reason(error) == reason


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(api_error(400), id="400"),
        pytest.param(api_error(401), id="401"),
        pytest.param(api_error(403), id="403"),
        pytest.param(api_error(404), id="404"),
        pytest.param(api_error(409), id="409"),
        pytest.param(api_error(422), id="422"),
        pytest.param(AsyncApiException(status=404, reason="Not Found"), id="async-404"),
        pytest.param(u3.SSLError("certificate verify failed"), id="tls"),
        pytest.param(ApiException(status=0, reason="SSLError certificate verify failed"), id="exec-tls"),
        pytest.param(ValueError("bad"), id="value-error"),
        pytest.param(AttributeError("x"), id="attribute-error"),
    ],
)
def test_everything_else_fails_at_once(error: BaseException) -> None:
    assert transient_reason(error) is None


def test_a_websocket_failure_hidden_by_the_client_is_still_seen() -> None:
    """kubernetes 29+ turns a failed exec handshake into AttributeError ('NoneType' has no 'decode')."""

    def client_call() -> None:
        try:
            raise ApiException(status=0, reason="Handshake status 500 Internal Server Error")
        except ApiException as error:
            error.body.decode("utf-8")  # what the client does

    with pytest.raises(AttributeError) as hidden:
        client_call()

    assert transient_reason(hidden.value) == "Handshake status 500 Internal Server Error"


def test_only_undelivered_requests_count_as_never_delivered() -> None:
    assert never_delivered(REFUSED)
    assert never_delivered(api_error(429))
    assert not never_delivered(api_error(503))
    assert not never_delivered(u3.ProtocolError("Connection aborted.", ConnectionResetError()))
    assert not never_delivered(u3.ReadTimeoutError(None, "/", "read timed out"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [pytest.param("3", 3.0, id="seconds"), pytest.param("0", 0.0, id="zero"), pytest.param("soon", None, id="bad")],
)
def test_retry_after_header(header: str, expected: Any) -> None:
    assert retry_after(api_error(429, header)) == expected


@pytest.mark.parametrize(
    ("value", "timeout"),
    [
        pytest.param(None, DEFAULT_API_RETRY_TIMEOUT, id="unset"),
        pytest.param(0, 0.0, id="off"),
        pytest.param("120", 120.0, id="string"),
        pytest.param(2.5, 2.5, id="float"),
        pytest.param(3600, 3600.0, id="max"),
    ],
)
def test_retry_policy_from_user_values(value: Any, timeout: float) -> None:
    assert retry_policy(value).timeout == timeout


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(-1, id="negative"),
        pytest.param(3601, id="too-long"),
        pytest.param("soon", id="word"),
        pytest.param(True, id="bool"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="inf"),
        pytest.param([30], id="list"),
    ],
)
def test_bad_retry_timeouts_are_named(value: Any) -> None:
    with pytest.raises(ComposerPodInputError) as info:
        retry_policy(value)

    assert info.value.parameter == "api_retry_timeout"
    assert "from 0 (no retries) to 3600" in str(info.value)


class FakeTime:
    """A clock that only moves when slept on, so tests see every wait without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: List[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def failing(errors: List[BaseException], result: Any = "ok") -> Callable[[], Any]:
    pending = list(errors)

    def call() -> Any:
        if pending:
            raise pending.pop(0)
        return result

    return call


def test_transient_failures_are_retried_with_growing_jittered_waits(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()
    caplog.set_level(logging.WARNING, logger="airflow_provider_composer_pod.kube.retries")
    policy = RetryPolicy(timeout=60, initial_delay=1.0, max_delay=4.0)

    result = call_with_retries(
        failing([api_error(503)] * 4), policy, what="GET /x", sleep=time.sleep, clock=time.clock, rng=lambda: 1.0
    )

    assert result == "ok"
    assert time.sleeps == [1.0, 2.0, 4.0, 4.0]  # doubling, capped at max_delay
    retries = [r.getMessage() for r in caplog.records]
    assert len(retries) == 4  # one line per retry
    assert retries[0] == (
        "Kubernetes API GET /x failed (HTTP 503 Service Unavailable); retry 1 in 1.0 s "
        "(60 s of api_retry_timeout=60 left)."
    )


def test_jitter_keeps_each_wait_between_half_and_all_of_its_step() -> None:
    policy = RetryPolicy(initial_delay=2.0)

    assert policy.backoff(1, rng=lambda: 0.0) == 1.0
    assert policy.backoff(1, rng=lambda: 0.999) == pytest.approx(2.0, abs=0.01)
    assert policy.backoff(3, rng=lambda: 0.0) == 4.0


def test_retry_after_is_waited_out() -> None:
    time = FakeTime()

    call_with_retries(failing([api_error(429, "7")]), RetryPolicy(timeout=60), sleep=time.sleep, clock=time.clock)

    assert time.sleeps == [7.0]


def test_client_errors_are_not_retried() -> None:
    time = FakeTime()
    calls: List[int] = []

    def forbidden() -> None:
        calls.append(1)
        raise api_error(403)

    with pytest.raises(ApiException) as info:
        call_with_retries(forbidden, RetryPolicy(), sleep=time.sleep, clock=time.clock)

    assert info.value.status == 403
    assert calls == [1]
    assert time.sleeps == []


def test_gives_up_when_the_outage_outlasts_the_budget(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()
    caplog.set_level(logging.WARNING, logger="airflow_provider_composer_pod.kube.retries")

    with pytest.raises(u3.MaxRetryError):
        call_with_retries(
            failing([REFUSED] * 100), RetryPolicy(timeout=10, initial_delay=1.0), sleep=time.sleep, clock=time.clock
        )

    assert sum(time.sleeps) == pytest.approx(10.0)  # the last wait is cut to what is left of the budget
    assert "giving up after 10 s of failures (api_retry_timeout=10)" in caplog.records[-1].getMessage()


def test_no_budget_means_no_retries() -> None:
    time = FakeTime()

    with pytest.raises(ApiException):
        call_with_retries(failing([api_error(503)]), RetryPolicy(timeout=0), sleep=time.sleep, clock=time.clock)

    assert time.sleeps == []


def test_an_outage_is_shared_so_callers_retrying_on_their_own_do_not_multiply_the_budget() -> None:
    time = FakeTime()
    outage = Outage()
    policy = RetryPolicy(timeout=10, initial_delay=1.0)
    always_refused = failing([REFUSED] * 100)

    with pytest.raises(u3.MaxRetryError):
        call_with_retries(always_refused, policy, outage=outage, sleep=time.sleep, clock=time.clock)
    waited = len(time.sleeps)
    with pytest.raises(u3.MaxRetryError):  # an outer retry (KPO's tenacity) calls again: one attempt, no wait
        call_with_retries(always_refused, policy, outage=outage, sleep=time.sleep, clock=time.clock)

    assert len(time.sleeps) == waited
    # and a success ends the outage: the next failure has the whole budget again
    call_with_retries(lambda: "ok", policy, outage=outage, sleep=time.sleep, clock=time.clock)
    assert call_with_retries(failing([REFUSED]), policy, outage=outage, sleep=time.sleep, clock=time.clock) == "ok"
    assert len(time.sleeps) == waited + 1


def test_retryable_narrows_what_is_retried() -> None:
    time = FakeTime()
    dropped = u3.ProtocolError("Connection aborted.", ConnectionResetError())

    with pytest.raises(u3.ProtocolError):
        call_with_retries(failing([dropped]), RetryPolicy(), retryable=never_delivered, sleep=time.sleep)
    assert call_with_retries(failing([REFUSED]), RetryPolicy(), retryable=never_delivered, sleep=time.sleep) == "ok"


def test_async_entry_point(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="airflow_provider_composer_pod.kube.retries")
    errors: List[BaseException] = [AsyncApiException(status=502, reason="Bad Gateway"), asyncio.TimeoutError()]

    async def call() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    policy = RetryPolicy(timeout=5, initial_delay=0.01)

    assert asyncio.run(acall_with_retries(call, policy, what="GET /y")) == "ok"
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        "Kubernetes API GET /y failed (HTTP 502 Bad Gateway)",
        "Kubernetes API GET /y failed (timed out)",
    ]


def test_async_client_errors_fail_at_once() -> None:
    calls: List[int] = []

    async def call() -> None:
        calls.append(1)
        raise AsyncApiException(status=404, reason="Not Found")

    with pytest.raises(AsyncApiException):
        asyncio.run(acall_with_retries(call, RetryPolicy(timeout=5, initial_delay=0.01)))
    assert calls == [1]
