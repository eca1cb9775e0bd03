"""A kill whose signal interrupts code holding a lock that the kill needs still ends, and still deletes the pod.

Airflow calls ``on_kill`` from its SIGTERM handler, in the main thread, wherever that thread was. Here the thread is
inside a log handler that holds a plain ``threading.Lock`` (as structlog's writer does) when the SIGTERM arrives, and
the kill logs the pod it deletes: run in the handler itself, that log call would wait for the lock forever. The
script runs in its own process, so a hang is a timeout here, not a hung test run (CI met such a hang once).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from airflow_provider_composer_pod.startup.pod_watch import POD_SELECTOR

NS = "composer-user-workloads"
LABELS = {"dag_id": "d", "task_id": "killed-logging", "run_id": "r", "try_number": "1"}

SCRIPT = textwrap.dedent(
    """
    import logging, os, signal, sys, threading

    from kubernetes.client import models as k8s

    from airflow_provider_composer_pod import ComposerPodOperator

    op = ComposerPodOperator(task_id="killed-logging", image="bash", namespace=sys.argv[1])
    op.pod_request_obj = k8s.V1Pod(metadata=k8s.V1ObjectMeta(namespace=sys.argv[1], labels=eval(sys.argv[2])))
    op.client  # built before the kill, as a running task has it

    lock = threading.Lock()  # structlog's write lock is one of these: not reentrant

    class Writer(logging.Handler):
        def emit(self, record):
            with lock:
                if record.getMessage() == "the line being written when SIGTERM arrives":
                    os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here, the lock held
                print(record.getMessage(), flush=True)

    log = logging.getLogger("task")  # the task's logger, writing through the locked writer
    log.addHandler(Writer())
    log.setLevel(logging.INFO)
    log.propagate = False
    for cache in ("_cached_logger", "_log"):  # where op.log is cached: Airflow 3.3's DAG node, LoggingMixin before
        object.__setattr__(op, cache, log)
    assert op.log is log
    signal.signal(signal.SIGTERM, lambda *_: op.on_kill())  # as Airflow 3's task runner does
    op.log.warning("the line being written when SIGTERM arrives")
    with lock:  # one writer at a time: the kill's thread may be logging now (print is not atomic on Python 3.13)
        print("the interrupted code went on", flush=True)
    """
)


def test_a_kill_that_interrupts_a_lock_holder_ends_and_deletes_the_pod(k8s_emulator, tmp_path):
    pod = {
        "metadata": {"name": "killed-logging-pod", "labels": {**LABELS, POD_SELECTOR.split("=")[0]: "True"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "bash", "command": ["sleep", "600"]}],
        },
    }
    k8s_emulator.create("pods", pod, NS)
    script = tmp_path / "kill_in_handler.py"
    script.write_text(SCRIPT)

    done = subprocess.run(
        [sys.executable, str(script), NS, repr(LABELS)], capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "the interrupted code went on" in lines
    assert f"Deleted pod {NS}/killed-logging-pod: the task was killed." in lines, done.stdout + done.stderr
    (deleted,) = k8s_emulator.requests(method="DELETE")
    assert deleted.path == f"/api/v1/namespaces/{NS}/pods/killed-logging-pod"
