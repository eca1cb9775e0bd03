"""kubectl against the emulator: discovery, Table output, logs and exec (WebSocket v5).

kubectl (client-go) only sends bearer tokens over TLS, so these tests use an HTTPS emulator.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from typing import Any, List

import pytest

from airflow_provider_composer_pod.testing import KubernetesEmulator

NS = "composer-user-workloads"
KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


@pytest.fixture(scope="module")
def _tls_emulator() -> Any:
    with KubernetesEmulator(https=True, namespace=NS) as emulator:
        yield emulator


@pytest.fixture
def k8s_emulator(_tls_emulator: Any) -> Any:
    _tls_emulator.reset()
    return _tls_emulator


def _kubectl(k8s_emulator: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KUBECONFIG=k8s_emulator.kubeconfig_path, HOME=os.path.dirname(k8s_emulator.kubeconfig_path))
    command: List[str] = [KUBECTL or "kubectl", "--request-timeout=10s", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


def test_kubectl_get_logs_exec(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    body = make_pod("kubectl-pod", "echo hello from pod; sleep 30")
    core.create_namespaced_pod(NS, body)
    k8s_emulator.wait_for_pod("kubectl-pod", phases=("Running",))

    get = _kubectl(k8s_emulator, "get", "pods")
    logs = _kubectl(k8s_emulator, "logs", "kubectl-pod")
    exec_ = _kubectl(k8s_emulator, "exec", "kubectl-pod", "--", "sh", "-c", "echo inside $HOSTNAME; exit 3")

    assert get.returncode == 0, get.stderr
    header, row = get.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:4] == ["kubectl-pod", "1/1", "Running", "0"]
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout == "hello from pod\n"
    assert exec_.stdout == "inside kubectl-pod\n"
    assert exec_.returncode == 3, exec_.stderr
    assert "command terminated with exit code 3" in exec_.stderr
    exec_request = k8s_emulator.requests(path_contains="/exec")[-1]
    assert exec_request.status == 101
    assert exec_request.query["command"] == ["sh", "-c", "echo inside $HOSTNAME; exit 3"]


def test_kubectl_get_secrets_and_wide_pods(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.create_secret("db-creds", {"user": "u", "password": "p"})
    core.create_namespaced_pod(NS, make_pod("done-pod", "true"))
    k8s_emulator.wait_for_pod("done-pod")

    secrets = _kubectl(k8s_emulator, "get", "secrets")
    pods = _kubectl(k8s_emulator, "get", "pods", "-o", "wide")
    missing = _kubectl(k8s_emulator, "get", "pod", "nope")

    assert secrets.stdout.splitlines()[0].split() == ["NAME", "TYPE", "DATA", "AGE"]
    assert secrets.stdout.splitlines()[1].split()[:3] == ["db-creds", "Opaque", "2"]
    assert pods.stdout.splitlines()[1].split()[:3] == ["done-pod", "0/1", "Completed"]
    assert "NODE" in pods.stdout.splitlines()[0]
    assert missing.returncode == 1
    assert 'Error from server (NotFound): pods "nope" not found' in missing.stderr


def test_kubectl_create_secret_and_configmap_in_protobuf(k8s_emulator: Any) -> None:
    # kubectl 1.32 sends these as application/vnd.kubernetes.protobuf, whatever discovery says (issue 19).
    secret = _kubectl(
        k8s_emulator, "create", "secret", "generic", "db", "--from-literal", "user=u", "--from-literal", "pw=p w"
    )
    registry = _kubectl(
        k8s_emulator,
        "create",
        "secret",
        "docker-registry",
        "reg",
        "--docker-server=x.io",
        "--docker-username=u",
        "--docker-password=p",
    )
    config_map = _kubectl(k8s_emulator, "create", "configmap", "settings", "--from-literal", "mode=fast", "-n", NS)

    assert (secret.returncode, secret.stdout.strip()) == (0, "secret/db created"), secret.stderr
    assert registry.returncode == 0, registry.stderr
    assert config_map.returncode == 0, config_map.stderr
    posts = k8s_emulator.requests(method="POST", path_contains="/secrets")
    assert posts[0].content_type == "application/vnd.kubernetes.protobuf"
    stored = k8s_emulator.get("secrets", "db", NS)
    assert stored["data"] == {"user": base64.b64encode(b"u").decode(), "pw": base64.b64encode(b"p w").decode()}
    assert stored["type"] == "Opaque"
    assert k8s_emulator.get("secrets", "reg", NS)["type"] == "kubernetes.io/dockerconfigjson"
    assert k8s_emulator.get("configmaps", "settings", NS)["data"] == {"mode": "fast"}


def test_kubectl_create_deployment_in_protobuf(k8s_emulator: Any) -> None:
    # kubectl sends built-in kinds as protobuf; the emulator stores Deployments but runs no controller (issue 19).
    assert k8s_emulator.list("pods", NS) == []
    created = _kubectl(k8s_emulator, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", NS)
    again = _kubectl(k8s_emulator, "create", "deployment", "web", "--image=nginx:1.27", "-n", NS)
    listed = _kubectl(k8s_emulator, "get", "deployments", "-n", NS)
    stored = k8s_emulator.get("deployments", "web", NS)
    deleted = _kubectl(k8s_emulator, "delete", "deployment", "web", "-n", NS)

    assert (created.returncode, created.stdout.strip()) == (0, "deployment.apps/web created"), created.stderr
    post = k8s_emulator.requests(method="POST", path_contains="/deployments")[0]
    assert (post.path, post.content_type) == (
        f"/apis/apps/v1/namespaces/{NS}/deployments",
        "application/vnd.kubernetes.protobuf",
    )
    assert again.returncode == 1
    assert 'deployments.apps "web" already exists' in again.stderr
    assert listed.stdout.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert listed.stdout.splitlines()[1].split()[:2] == ["web", "0/2"]
    assert (deleted.returncode, deleted.stdout.strip()) == (0, 'deployment.apps "web" deleted'), deleted.stderr
    assert stored["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert stored["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx:1.27", "resources": {}}
    ]
    assert k8s_emulator.list("deployments", NS) == []
    assert k8s_emulator.list("pods", NS) == []  # no controller
