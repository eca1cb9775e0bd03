"""The pytest fixture's wiring and the ``composer-pod emulator`` command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from typing import Any

import pytest
import yaml
from kubernetes import client, config

from tests.conftest import wait_for

NS = "composer-user-workloads"


def test_fixture_sets_kubeconfig_and_airflow_connection(k8s_emulator: Any) -> None:
    connection = json.loads(os.environ["AIRFLOW_CONN_KUBERNETES_DEFAULT"])

    assert os.environ["KUBECONFIG"] == k8s_emulator.kubeconfig_path
    assert connection == {
        "conn_type": "kubernetes",
        "extra": {
            "kube_config_path": k8s_emulator.kubeconfig_path,
            "namespace": NS,
            # cncf-kubernetes 4.x reads only the prefixed names
            "extra__kubernetes__kube_config_path": k8s_emulator.kubeconfig_path,
            "extra__kubernetes__namespace": NS,
        },
    }
    kubeconfig = yaml.safe_load(open(k8s_emulator.kubeconfig_path))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == k8s_emulator.url
    assert kubeconfig["users"][0]["user"]["token"] == k8s_emulator.token


def test_reset_gives_fresh_state(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("stale", "sleep 30"))
    k8s_emulator.scenario(image="*", exit_code=9)
    k8s_emulator.deny("list", "pods")
    k8s_emulator.faults.fail_requests(5)

    k8s_emulator.reset()

    assert core.list_namespaced_pod(NS).items == []
    assert k8s_emulator.scenarios() == []
    assert k8s_emulator.requests(method="POST") == []
    assert [r.path for r in k8s_emulator.requests()] == [f"/api/v1/namespaces/{NS}/pods"]


def test_kubernetes_default_connection_works_through_airflow_hook(k8s_emulator: Any) -> None:
    hook_module = pytest.importorskip("airflow.providers.cncf.kubernetes.hooks.kubernetes")
    k8s_emulator.create_config_map("via-hook", {"k": "v"}, namespace=NS)

    hook = hook_module.KubernetesHook(conn_id="kubernetes_default")
    names = [cm.metadata.name for cm in hook.core_v1_client.list_namespaced_config_map(NS).items]

    assert hook.get_namespace() == NS
    assert "via-hook" in names


def test_cli_prints_kubeconfig_and_stops_on_sigint(tmp_path: Any) -> None:
    kubeconfig = str(tmp_path / "kubeconfig.yaml")
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_composer_pod.testing.harness.cli", "--kubeconfig", kubeconfig],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        api = client.CoreV1Api(config.new_client_from_config(kubeconfig))
        names = [n.metadata.name for n in api.list_namespace().items]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)

    assert first == f"export KUBECONFIG={kubeconfig}\n"
    assert "default" in names
    assert code == 0


def _serve(kubeconfig: str, *flags: str) -> Any:
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_composer_pod.testing.harness.cli", "--kubeconfig", kubeconfig, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline() == f"export KUBECONFIG={kubeconfig}\n"  # type: ignore[union-attr]
    return proc


def _stop(proc: Any) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    return err


@pytest.mark.skipif(shutil.which("perl") is None, reason="the guide's bpi(2000) runs on the host's perl")
def test_cli_runs_the_guides_perl_example_and_has_its_secrets(tmp_path: Any) -> None:
    kubeconfig = str(tmp_path / "kubeconfig.yaml")
    proc = _serve(kubeconfig)
    try:
        api = client.CoreV1Api(config.new_client_from_config(kubeconfig))
        pod = {  # the guide's ex-all-configs container, as ComposerPodOperator sends it
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "ex-all-configs"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "base",
                        "image": "perl:5.34.0",
                        "command": ["perl"],
                        "args": ["-Mbignum=bpi", "-wle", "print bpi(2000)"],
                    }
                ],
            },
        }
        api.create_namespaced_pod(NS, pod)
        phase = wait_for(
            lambda: (
                api.read_namespaced_pod("ex-all-configs", NS).status.phase in ("Succeeded", "Failed")
                and api.read_namespaced_pod("ex-all-configs", NS).status.phase
            ),
            120,
            "the perl pod to end",
        )
        log = api.read_namespaced_pod_log("ex-all-configs", NS, container="base")
        secrets = {s.metadata.name for s in api.list_namespaced_secret(NS).items}
    finally:
        err = _stop(proc)

    assert phase == "Succeeded", log
    assert "3.14159265358979323846264338327950288419716939937510" in log
    assert "perl: not found" not in log
    assert {"airflow-secrets", "service-account"} <= secrets
    assert "Prepared the guide's examples" in err


def test_cli_no_guide_starts_empty(tmp_path: Any) -> None:
    kubeconfig = str(tmp_path / "kubeconfig.yaml")
    proc = _serve(kubeconfig, "--no-guide")
    try:
        api = client.CoreV1Api(config.new_client_from_config(kubeconfig))
        secrets = api.list_namespaced_secret(NS).items
    finally:
        err = _stop(proc)

    assert secrets == []
    assert "Prepared" not in err
