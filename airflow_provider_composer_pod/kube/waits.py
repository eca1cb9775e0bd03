"""The waits between retries, which a kill of the task breaks at once.

Airflow stops a task with SIGTERM. Airflow 2's handler calls ``on_kill`` and raises ``AirflowTaskTerminated``, which
ends a ``time.sleep`` there and then; Airflow 3's handler only calls ``on_kill`` and returns, so a plain sleep (and
the retry loop around it) would go on for the rest of ``api_retry_timeout``. Every retry wait we own waits on one
:class:`threading.Event` instead: ``on_kill`` calls :func:`stop_waits` (from the signal handler, in the thread that
waits), the wait wakes, and :func:`wait` raises Airflow's ``AirflowTaskTerminated``, as Airflow 2's handler does.

One task runs per worker process, so the event is the process's; ``execute`` calls :func:`allow_waits` at its start
so that a process that runs several tasks one after another (``dag.test()``) starts each one afresh.
"""

from __future__ import annotations

import threading

from airflow_provider_composer_pod.compat import task_terminated

_stopped = threading.Event()


def stop_waits() -> None:
    """Break every retry wait of this process now, and every later one at its start."""
    _stopped.set()


def allow_waits() -> None:
    _stopped.clear()


def waits_stopped() -> bool:
    return _stopped.is_set()


def wait(seconds: float) -> None:
    """Sleep ``seconds`` unless the task is killed first; then raise Airflow's ``AirflowTaskTerminated``."""
    if _stopped.wait(max(0.0, seconds)):
        raise task_terminated("Task killed while waiting to retry a Kubernetes API call; the retries stop here.")


__all__ = ["allow_waits", "stop_waits", "wait", "waits_stopped"]
