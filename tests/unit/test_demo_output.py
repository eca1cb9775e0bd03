"""``composer-pod demo``: a failed task's reason, read from ``airflow dags test``'s output (issue 19, item 5)."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.testing.demo.cli import failure_reason

# airflow dags test on Airflow 3.3 (structlog), a container that exits 3, abridged.
AIRFLOW_3_OUTPUT = """\
2026-12-05T03:55:07.288494Z [info     ] [base] about to fail  [PodManager] loc=pod_manager.py:508
2026-12-05T03:55:07.320493Z [error    ] Task failed with exception     [task] loc=task_runner.py:1651
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/airflow/sdk/execution_time/task_runner.py", line 1579, in _run_task
    result = _execute_task(context=context, ti=ti, log=log)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
airflow.sdk.exceptions.AirflowException: container base exited with code 3 (Error). Pod fails-x returned a failure.
Diagnosis: the command failed with exit code 3; the log lines below are the last it printed.
Last 1 log line of container base:
2026-12-05T03:55:07.322766Z [info     ] ::group::Post Execute          [task] loc=task_runner.py:1652
"""

# Airflow 2.11, a chained exception: the last one raised is the reason.
AIRFLOW_2_OUTPUT = """\
[2026-12-05T03:55:07.320+0000] {taskinstance.py:3311} ERROR - Task failed with exception
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/kubernetes/client/rest.py", line 238, in request
KeyError: 'name'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/airflow/models/taskinstance.py", line 768, in _execute_task
airflow.exceptions.AirflowException: Pod prints-x returned a failure.
[2026-12-05T03:55:07.330+0000] {taskinstance.py:1225} INFO - Marking task as FAILED.
"""


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        pytest.param(
            AIRFLOW_3_OUTPUT,
            "AirflowException: container base exited with code 3 (Error). Pod fails-x returned a failure.",
            id="airflow-3",
        ),
        pytest.param(AIRFLOW_2_OUTPUT, "AirflowException: Pod prints-x returned a failure.", id="airflow-2-chained"),
        pytest.param("[base] hello\nDagRun Finished: state=success\n", None, id="no-traceback"),
    ],
)
def test_failure_reason_is_the_exception_that_failed_the_task(output: str, reason: str) -> None:
    assert failure_reason(output) == reason
