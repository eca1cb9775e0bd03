"""Run as a script: a Task SDK supervisor as Airflow 3's LocalExecutor runs one, with a task that registers a Secret
value through our masking and logs a container line through KPO's ``PodManager`` and a line of ours. What it prints
is what the scheduler's output shows (``subprocess_logs_to_stdout=True``, through the logging ``import airflow``
configures, as in the scheduler)."""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any

import airflow  # noqa: F401  (configures this process's logging as the scheduler's)
import structlog
from airflow.sdk.execution_time.supervisor import WatchedSubprocess

OURS = "airflow_provider_composer_pod.operators.composer_pod"


def task(value: str) -> None:
    """The task process: the value registered as the operator registers a pod's Secret values, then the line."""
    from airflow.providers.cncf.kubernetes.utils.pod_manager import PodManager

    from airflow_provider_composer_pod.workloads.masking import mask_secret

    mask_secret(value)
    PodManager(kube_client=None).log.info(f"[base] the value is {value}")  # KPO's container line: structlog
    logging.getLogger(OURS).info("[%s] %s", "ours", f"the value is {value}")  # ours: logging


class Supervisor(WatchedSubprocess):
    def _handle_request(self, msg: Any, log: Any, req_id: int) -> None:
        pass

    def wait(self) -> int:
        while self._exit_code is None or self._open_sockets:
            self._service_subprocess(max_wait_time=1.0)
        return self._exit_code


if __name__ == "__main__":
    value = sys.argv[1]
    task_log_file = structlog.wrap_logger(structlog.ReturnLogger())  # the task's log file: not what is checked here
    process = Supervisor.start(
        target=lambda: task(value), logger=task_log_file, subprocess_logs_to_stdout=True, id=uuid.uuid4()
    )
    sys.exit(process.wait())
