"""Issue 19, item 1: the retry bound holds across nested calls, a repeated 500 is an answer, and a kill ends a wait."""

from __future__ import annotations

import logging
import signal
from typing import Any, Iterator, List

import pytest
from kubernetes.client.exceptions import ApiException

from airflow_provider_composer_pod.compat import task_terminated
from airflow_provider_composer_pod.kube.retries import IDENTICAL_ANSWERS, Outage, RetryPolicy, call_with_retries
from airflow_provider_composer_pod.kube.waits import allow_waits, stop_waits, wait
from tests.unit.test_retries import FakeTime, failing


def server_error(status: int, body: str) -> ApiException:
    error = ApiException(status=status, reason="x")
    error.body = body
    return error


@pytest.fixture(autouse=True)
def _waits_allowed() -> Iterator[None]:
    allow_waits()
    yield
    allow_waits()


def test_a_nested_calls_success_does_not_restart_the_outer_calls_clock() -> None:
    time = FakeTime()
    outage = Outage()
    policy = RetryPolicy(timeout=10, initial_delay=1.0)
    looked: List[int] = []

    def create() -> Any:  # as a create does: each attempt looks for its pod first (a call that succeeds), then fails
        looked.append(call_with_retries(lambda: 1, policy, outage=outage, sleep=time.sleep, clock=time.clock))
        raise server_error(503, f"busy {len(looked)}")

    with pytest.raises(ApiException):
        call_with_retries(create, policy, outage=outage, sleep=time.sleep, clock=time.clock)

    assert sum(time.sleeps) == pytest.approx(10.0)  # the budget, not more
    assert len(looked) == len(time.sleeps) + 1


def test_the_same_500_answer_ends_the_retrying(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()
    caplog.set_level(logging.WARNING, logger="airflow_provider_composer_pod.kube.retries")
    answer = '{"kind":"Status","message":"spec.containers[0].resources: Invalid value: \\"4Gi\\""}'

    with pytest.raises(ApiException):
        call_with_retries(
            failing([server_error(500, answer)] * 100),
            RetryPolicy(),
            what="POST /p",
            sleep=time.sleep,
            clock=time.clock,
        )

    assert len(time.sleeps) == IDENTICAL_ANSWERS - 1
    last = caplog.records[-1].getMessage()
    assert last.startswith(f"Kubernetes API POST /p answered HTTP 500 x with the same body {IDENTICAL_ANSWERS} times")
    assert 'spec.containers[0].resources: Invalid value: "4Gi"' in last


@pytest.mark.parametrize(
    "errors",
    [
        pytest.param(
            [server_error(500, f"leader changed {i}") for i in range(IDENTICAL_ANSWERS)], id="500-bodies-differ"
        ),
        pytest.param([server_error(503, "busy")] * IDENTICAL_ANSWERS, id="503-is-an-outage"),
        pytest.param(
            [server_error(500, "same")] * (IDENTICAL_ANSWERS - 1)
            + [server_error(503, "busy")]
            + [server_error(500, "same")],
            id="a-different-answer-restarts-the-count",
        ),
    ],
)
def test_other_repeated_failures_are_ridden_out(errors: List[BaseException]) -> None:
    time = FakeTime()

    assert call_with_retries(failing(errors), RetryPolicy(), sleep=time.sleep, clock=time.clock) == "ok"


def test_a_stopped_wait_raises_airflows_termination() -> None:
    stop_waits()

    with pytest.raises(type(task_terminated(""))) as info:
        wait(3600)

    assert "Task killed while waiting to retry" in str(info.value)


def test_a_signal_handler_that_only_calls_on_kill_breaks_the_wait() -> None:
    # Airflow 3's SIGTERM handler calls on_kill and returns; on_kill stops the waits. SIGALRM stands in for SIGTERM.
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: stop_waits())
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(type(task_terminated(""))):
            call_with_retries(failing([server_error(503, "busy")] * 100), RetryPolicy(timeout=3600, initial_delay=600))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
