"""pytest plugin (entry point ``composer_pod_emulator``): ``k8s_emulator``, ``k8s_api`` and ``k8s_namespace``.

One emulator serves the whole session; every test gets fresh state (``reset()``), ``KUBECONFIG`` pointing at it
and ``AIRFLOW_CONN_KUBERNETES_DEFAULT`` set to a JSON connection using that kubeconfig.

``--real-cluster`` (with ``$KUBECONFIG`` set) switches modes: contract tests written against ``k8s_api`` /
``k8s_namespace`` run against the real cluster, tests that need ``k8s_emulator`` skip, and tests marked
``real_cluster`` (real-cluster only) run. Without it, ``real_cluster`` tests skip with a reason.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator

import pytest

USER_NAMESPACE = "composer-user-workloads"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("composer-pod-emulator")
    group.addoption(
        "--real-cluster",
        action="store_true",
        default=False,
        help="run tests marked real_cluster against the cluster in $KUBECONFIG instead of the emulator",
    )
    group.addoption(
        "--k8s-emulator-time-scale",
        type=float,
        default=1.0,
        help="multiplier for the emulator's simulated durations (default 1.0)",
    )
    group.addoption(
        "--k8s-emulator-https",
        action="store_true",
        default=False,
        help="serve the session emulator over HTTPS",
    )


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        "real_cluster: runs only against a real cluster given via KUBECONFIG (opt-in with --real-cluster)",
    )


def _real_cluster_mode(config: Any) -> bool:
    return bool(config.getoption("--real-cluster", default=False)) and bool(os.environ.get("KUBECONFIG"))


def pytest_collection_modifyitems(config: Any, items: Any) -> None:
    if _real_cluster_mode(config):
        return
    reason = "needs --real-cluster and KUBECONFIG pointing at a real cluster"
    for item in items:
        if item.get_closest_marker("real_cluster") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def _k8s_emulator_session(request: Any) -> Iterator[Any]:
    from airflow_provider_composer_pod.testing.harness.emulator import KubernetesEmulator

    emulator = KubernetesEmulator(
        time_scale=request.config.getoption("--k8s-emulator-time-scale", default=1.0),
        https=request.config.getoption("--k8s-emulator-https", default=False),
        namespace=USER_NAMESPACE,
    )
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def k8s_emulator(request: Any, monkeypatch: Any) -> Iterator[Any]:
    """The session's emulator with fresh state, wired into ``KUBECONFIG`` and Airflow's default connection."""
    if _real_cluster_mode(request.config):
        pytest.skip("emulator-only test; --real-cluster runs only contract tests against the real cluster")
    emulator = request.getfixturevalue("_k8s_emulator_session")
    emulator.reset()
    monkeypatch.setenv("KUBECONFIG", emulator.kubeconfig_path)
    connection = {
        "conn_type": "kubernetes",
        # Both spellings: provider 4.x reads only the extra__kubernetes__ keys, later ones prefer the plain ones.
        "extra": {
            "kube_config_path": emulator.kubeconfig_path,
            "namespace": USER_NAMESPACE,
            "extra__kubernetes__kube_config_path": emulator.kubeconfig_path,
            "extra__kubernetes__namespace": USER_NAMESPACE,
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_KUBERNETES_DEFAULT", json.dumps(connection))
    yield emulator
    emulator.reset()


@pytest.fixture
def k8s_api(request: Any) -> Iterator[Any]:
    """``kubernetes.client.CoreV1Api`` against the emulator, or the real cluster under ``--real-cluster``.

    Contract tests using it must create uniquely named objects in ``k8s_namespace`` and clean them up.
    """
    from kubernetes import client, config

    if _real_cluster_mode(request.config):
        api_client = config.new_client_from_config(os.environ["KUBECONFIG"])
    else:
        emulator = request.getfixturevalue("k8s_emulator")
        api_client = config.new_client_from_config(emulator.kubeconfig_path)
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


@pytest.fixture
def k8s_namespace(request: Any) -> str:
    """Where contract tests create objects: ``$K8S_TEST_NAMESPACE`` (default ``default``) on a real cluster."""
    if _real_cluster_mode(request.config):
        return os.environ.get("K8S_TEST_NAMESPACE", "default")
    return "default"
