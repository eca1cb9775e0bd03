"""Load the emulator's pytest plugin when it is not registered through the installed entry point yet."""

from __future__ import annotations

import sys
from typing import Any, Dict

import pytest

_MODULE = "airflow_provider_composer_pod.testing.pytest_plugin"


def _plugin_registered() -> bool:
    if _MODULE in sys.modules:
        return True
    try:
        from importlib.metadata import entry_points
    except ImportError:  # pragma: no cover - Python < 3.8
        return False
    eps: Any = entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
    return any(ep.name == "composer_pod_emulator" for ep in group)


if not _plugin_registered():
    from airflow_provider_composer_pod.testing.pytest_plugin import (
        _k8s_emulator_session,
        k8s_api,
        k8s_emulator,
        k8s_namespace,
        pytest_addoption,
        pytest_collection_modifyitems,
        pytest_configure,
    )

    # Names a conftest defines are what pytest registers; keep the re-exports referenced.
    _REEXPORTED = (
        _k8s_emulator_session,
        k8s_api,
        k8s_emulator,
        k8s_namespace,
        pytest_addoption,
        pytest_collection_modifyitems,
        pytest_configure,
    )


def _busybox_pod(name: str, script: str, **spec: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "emulator-test"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "busybox:1.36", "command": ["sh", "-c", script]}],
        },
    }
    body["spec"].update(spec)
    return body


@pytest.fixture
def make_pod() -> Any:
    """Build a one-container pod body running ``sh -c SCRIPT`` (extra kwargs go into ``spec``)."""
    return _busybox_pod
