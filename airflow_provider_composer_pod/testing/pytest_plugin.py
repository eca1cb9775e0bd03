"""The pytest plugin's entry point (``composer_pod_emulator``); the plugin lives in :mod:`.harness.pytest_plugin`.

Installed distributions register this module path, so it stays; pytest collects the names re-exported here.
"""

from __future__ import annotations

from airflow_provider_composer_pod.testing.harness.pytest_plugin import (
    _k8s_emulator_session,
    k8s_api,
    k8s_emulator,
    k8s_namespace,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
)

__all__ = [
    "_k8s_emulator_session",
    "k8s_api",
    "k8s_emulator",
    "k8s_namespace",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
]
