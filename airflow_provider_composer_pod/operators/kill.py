"""A kill of the task, handled off the signal handler's back.

Airflow calls ``on_kill`` from its SIGTERM handler, which runs in the main thread at whatever point that thread was
interrupted. A lock the interrupted code holds cannot be taken again there: structlog's write lock, the client's
connection pool, the retries' outage, the waits' event are plain ``threading.Lock`` objects, so logging or calling
the API from the handler at the wrong moment waits forever (in CI, a task killed during a retry wait never ended).
So the kill's work runs in a thread of its own; the handler waits for it ``HANDLER_WAIT_SECONDS``, which is all it
takes unless such a lock is held, then returns so that the interrupted code can let the lock go and the thread can
finish. A task process ends with ``os._exit`` (Airflow 2's without running exit handlers), which waits for no
thread: the task's ``execute`` joins the thread on its way out (``kills_handled``), and so does the exit otherwise.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from typing import Callable, Iterator, List

from airflow_provider_composer_pod.kube.waits import allow_waits, stop_waits

HANDLER_WAIT_SECONDS = 5.0
_threads: List[threading.Thread] = []  # this process's kills still to be joined


@contextlib.contextmanager
def kills_handled() -> Iterator[None]:
    """Around a task's ``execute``: retry waits start allowed (a process that ran a killed task before, as
    ``dag.test()`` does, starts this one afresh), and a kill's thread has ended before ``execute`` does (the
    thread's work is bounded by the API retry policy)."""
    allow_waits()
    try:
        yield
    finally:
        while _threads:
            _threads.pop().join()


def off_the_handler(work: Callable[[], None]) -> None:
    """Break every retry wait, then run ``work``: in a thread, waited for a few seconds (its error is raised here
    if it ended with one by then)."""
    errors: List[BaseException] = []

    def run() -> None:
        try:
            stop_waits()
            work()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, name="composer-pod-kill")
    _threads.append(thread)
    thread.start()
    thread.join(HANDLER_WAIT_SECONDS)
    if thread.is_alive():
        atexit.register(thread.join)
    elif errors:
        raise errors[0]
