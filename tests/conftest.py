from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

# Tests never read a real cluster's config or a Composer worker's environment unless they set it themselves.
for _name in (
    "KUBECONFIG",
    "COMPOSER_ENVIRONMENT",
    "COMPOSER_VERSION",
    "COMPOSER_POD_GENERATION",
    "GCP_PROJECT",
    "COMPOSER_LOCATION",
    "COMPOSER_POD_COMPOSER_API_ENDPOINT",
    "COMPOSER_POD_COMPOSER_API_TOKEN",
):
    os.environ.pop(_name, None)
# A throwaway Airflow home, set before anything imports Airflow, so tests never touch ~/airflow.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="composer-pod-airflow-home-")
atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], True)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
# End-to-end tests copy the DAGs they run here (Airflow 3 runs only DAGs from a configured bundle).
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(os.environ["AIRFLOW_HOME"], "dags")

OFFLINE_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "offline", "cluster": {"server": "http://127.0.0.1:9"}}],
    "users": [{"name": "offline", "user": {"token": "offline"}}],
    "contexts": [{"name": "offline", "context": {"cluster": "offline", "user": "offline"}}],
    "current-context": "offline",
}


@pytest.fixture
def offline_kubeconfig(tmp_path: Path) -> str:
    """A kube config that loads but points at a closed port: for building pods without a cluster."""
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(OFFLINE_KUBECONFIG))
    return str(path)


@pytest.fixture
def kubernetes_connection(monkeypatch: pytest.MonkeyPatch):
    """Set ``kubernetes_default`` through an ``AIRFLOW_CONN_*`` variable, so no metadata database is needed."""

    def _set(conn_id: str = "kubernetes_default", conn_type: str = "kubernetes", **extra: object) -> None:
        value = json.dumps({"conn_type": conn_type, "extra": extra})
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value)

    return _set


@pytest.fixture
def log_text(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture):
    """Everything our code logged, once: Airflow 3 logs through structlog to stdout, Airflow 2 through logging (which
    its handlers also print), so a record already printed is not counted twice."""
    import logging

    caplog.set_level(logging.INFO)

    def _read() -> str:
        captured = capsys.readouterr()
        text = merged_log(captured.out + captured.err, caplog.records)
        caplog.clear()  # each read returns what was logged since the last one
        return text

    return _read


@pytest.fixture
def core(k8s_emulator: Any) -> Iterator[Any]:
    """A ``CoreV1Api`` bound to the emulator."""
    from kubernetes import client

    api_client = k8s_emulator.kubernetes_client()
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


def merged_log(printed: str, records: list) -> str:
    """What was printed, plus "<logger> <message>" for each log record that no printed line ends with."""
    import re

    def printed_as_a_line(message: str) -> bool:
        # A log line: something (time, level, logger) before the message. A line that is only the message, indented,
        # is part of another message (a failure quoting the container's last lines), not this record printed.
        for match in re.finditer(re.escape(message) + r"(\s+\[[\w.]+\] loc=\S+)?$", printed, re.MULTILINE):
            if printed[printed.rfind("\n", 0, match.start()) + 1 : match.start()].strip():
                return True
        return False

    unprinted = [f"{r.name} {r.getMessage()}" for r in records if not printed_as_a_line(r.getMessage())]
    return "\n".join([printed, *unprinted])


def wait_for(condition: Callable[[], Any], timeout: float = 5.0, what: str = "the condition") -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
