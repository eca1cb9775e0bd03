"""operators/kill: the kill's work in its own thread, waited for briefly by the handler and fully by execute."""

from __future__ import annotations

import threading
import time

import pytest

from airflow_provider_composer_pod.kube.waits import allow_waits, waits_stopped
from airflow_provider_composer_pod.operators import kill


@pytest.fixture(autouse=True)
def _a_process_no_kill_reached():
    yield
    with kill.kills_handled():  # joins what a test left, and allows the waits of the tests after it again
        pass
    allow_waits()


def test_a_kill_that_ends_quickly_is_done_when_on_kill_returns_and_its_error_is_raised():
    done = []
    kill.off_the_handler(lambda: done.append(threading.current_thread().name))

    assert done == ["composer-pod-kill"]
    assert waits_stopped()

    def fails() -> None:
        raise RuntimeError("the delete failed")

    with pytest.raises(RuntimeError, match="the delete failed"):
        kill.off_the_handler(fails)


def test_execute_ends_only_once_a_slow_kill_has(monkeypatch):
    monkeypatch.setattr(kill, "HANDLER_WAIT_SECONDS", 0.01)  # the handler gives up waiting at once
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.5)
        finished.set()

    with kill.kills_handled():
        assert not waits_stopped()  # a new execution's waits are allowed, whatever the process ran before
        kill.off_the_handler(slow)
        assert not finished.is_set()  # the handler returned before the kill's work was done

    assert finished.is_set()
    assert kill._threads == []
