"""Composer 3 end to end: a Secret written through the hook on the Composer API, synced into the cluster, used by a
``ComposerPodOperator`` task as an env var and as a volume (``dag.test()``); and a missing Secret, with the
Kubernetes API refusing to read Secrets, caught before any pod through the Composer API.

The DAGs are the secret canary's (tests/integration/dags/canary_secret_dags.py): Secret ``canary-secret``, key
``sql_alchemy_conn``, printed by the container as ``env=...`` and ``file=...``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any, Callable, List
from uuid import uuid4

import pytest

from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.testing.composer_api.fixtures import ENVIRONMENT, LOCATION, PROJECT
from airflow_provider_composer_pod.workloads.manifest_sources import secret_manifest
from tests.integration.conftest import created_pods, pod_logged
from tests.integration.e2e.test_secret_canary import _files_containing, _redact, _rendered_fields, _xcoms

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"
SECRET = "canary-secret"
KEY = "sql_alchemy_conn"
MOUNTED_FILE = f"/var/secrets/canary/{KEY}"
SECRET_PATH = f"/v1/projects/{PROJECT}/locations/{LOCATION}/environments/{ENVIRONMENT}/userWorkloadsSecrets/{SECRET}"


@pytest.fixture
def canary() -> str:
    value = f"c3-canary-{uuid4().hex}"
    assert _redact(value) == value  # not yet known to the masker
    return value


def _synced(k8s_emulator: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = k8s_emulator.get("secrets", SECRET, NAMESPACE)  # None until synced
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"Secret {SECRET} never appeared in {NAMESPACE}")


def test_secret_from_the_composer_api_is_used_as_env_and_volume(
    composer3: Any,
    k8s_emulator: Any,
    run_dag: Callable[..., Any],
    canary: str,
    capfd: pytest.CaptureFixture,
) -> None:
    composer3.sync_delay = 0.5
    hook = ComposerPodHook(conn_id="kubernetes_default")

    outcome = hook.create_or_replace_secret(secret_manifest(SECRET, literals={KEY: canary}))
    assert _redact(canary) == "***"  # registered with the masker by the time the request went out
    written = capfd.readouterr()
    synced = _synced(k8s_emulator)
    result = run_dag("canary_secret_paths")

    assert outcome == "created"
    assert synced["data"] == {KEY: base64.b64encode(canary.encode()).decode()}
    assert [(r.method, r.body["data"]) for r in composer3.requests if r.method == "POST"] == [
        ("POST", {KEY: "<value>"})
    ]
    assert result.state == "success", result.log[-2000:]
    pod = created_pods(k8s_emulator, acted_on=False)[0].body["metadata"]["name"]
    assert k8s_emulator.read_file(pod, "base", MOUNTED_FILE) == canary
    assert f"env={canary}\nfile={canary}\n" in k8s_emulator.pod_log(pod)
    # The value: in the container's own output only, which the masker hides; nowhere else.
    task_log = _redact(result.log)
    assert pod_logged(task_log, "env=***")
    assert pod_logged(task_log, "file=***")
    assert canary not in task_log
    container_lines = ("[base] ", "pod_manager")  # older providers log the bare line through PodManager
    assert all(any(mark in line for mark in container_lines) for line in result.log.splitlines() if canary in line)
    assert canary not in written.out + written.err
    (ti,) = result.dag_run.get_task_instances()
    assert canary not in json.dumps(_rendered_fields(ti), default=str)
    xcoms = _xcoms(result.dag_run)
    assert ("prints-secret", "return_value", {"rows": 1}) in xcoms
    assert not [key for _, key, value in xcoms if canary in json.dumps(value, default=str)]
    assert _files_containing(os.environ["AIRFLOW_HOME"], canary) == []


def test_missing_secret_with_kubernetes_reads_forbidden_fails_before_any_pod(
    composer3: Any, k8s_emulator: Any, run_dag: Callable[..., Any]
) -> None:
    k8s_emulator.deny("get", "secrets")

    result = run_dag("canary_secret_paths")

    assert result.state == "failed"
    assert created_pods(k8s_emulator, acted_on=False) == []
    assert f"Secret '{SECRET}' (used by env SQL_CONN of container base) does not exist" in result.log
    assert "gcloud composer environments user-workloads-secrets create" in result.log
    assert [r.method for r in k8s_emulator.requests(path_contains=f"/secrets/{SECRET}")] == ["GET"]  # the 403
    assert [(r.method, r.path) for r in composer3.requests] == [("GET", SECRET_PATH)]  # asked once


def test_forbidden_by_both_apis_skips_the_check_with_one_info_line(
    composer3: Any, k8s_emulator: Any, run_dag: Callable[..., Any], canary: str
) -> None:
    ComposerPodHook(conn_id="kubernetes_default").create_or_replace_secret(
        secret_manifest(SECRET, literals={KEY: canary})
    )
    _synced(k8s_emulator)
    k8s_emulator.deny("get", "secrets")
    composer3.deny("composer.userworkloadssecrets.get")

    result = run_dag("canary_secret_paths")

    lines: List[str] = [line for line in result.log.splitlines() if f"not allowed to read Secret {SECRET}" in line]
    assert len(lines) == 1, lines
    assert "nor through the Composer API" in lines[0]
    assert "composer.userworkloadssecrets.get" in lines[0]
    assert result.state == "success", result.log[-2000:]  # the check was skipped, and the pod used the Secret
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert canary not in _redact(result.log)
