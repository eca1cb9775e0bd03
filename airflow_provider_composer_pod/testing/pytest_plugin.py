"""The pytest plugin's entry point (``composer_pod_emulator``); the plugins live in :mod:`.harness.pytest_plugin`
(the Kubernetes API emulator) and :mod:`.composer_api.fixtures` (the Composer API emulator).

Installed distributions register this module path, so it stays; pytest collects the names re-exported here.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_composer_pod.testing.composer_api import fixtures as _composer_api
from airflow_provider_composer_pod.testing.composer_api.fixtures import composer_api_emulator, composer_api_target
from airflow_provider_composer_pod.testing.harness import pytest_plugin as _harness
from airflow_provider_composer_pod.testing.harness.pytest_plugin import (
    _k8s_emulator_session,
    k8s_api,
    k8s_emulator,
    k8s_namespace,
    pytest_collection_modifyitems,
    pytest_configure,
)


def pytest_addoption(parser: Any) -> None:
    _harness.pytest_addoption(parser)
    _composer_api.add_options(parser)


__all__ = [
    "_k8s_emulator_session",
    "composer_api_emulator",
    "composer_api_target",
    "k8s_api",
    "k8s_emulator",
    "k8s_namespace",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
]
