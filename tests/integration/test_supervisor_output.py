"""Airflow 3's LocalExecutor repeats every task log line on the scheduler's output, through a logger that does not
mask: a container line with a Secret's value must be masked before it leaves the task process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_composer_pod.compat import AIRFLOW_3

pytestmark = pytest.mark.skipif(not AIRFLOW_3, reason="the Task SDK supervisor is Airflow 3's")

SCRIPT = Path(__file__).with_name("local_executor_supervisor.py")
ROOT = Path(__file__).resolve().parents[2]


def test_container_line_with_a_secret_value_is_masked_on_the_supervisor_output() -> None:
    value = f"canary-{secrets.token_hex(12)}"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), value],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "[base] the value is ***" in output
    assert "[ours] the value is ***" in output
    assert value not in output
