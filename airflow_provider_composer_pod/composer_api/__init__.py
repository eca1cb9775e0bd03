"""A client for Cloud Composer's user-workloads Secrets and ConfigMaps (Composer API v1): plain, no Airflow.

On Composer 3 the Kubernetes API cannot create Secrets or ConfigMaps; the environment's Composer API does, and
Composer syncs them into the ``composer-user-workloads`` namespace. ``google.auth`` is imported only when a client
needs Application Default Credentials.
"""

from __future__ import annotations

from airflow_provider_composer_pod.composer_api.client import ComposerEnvironmentClient, UserWorkload
from airflow_provider_composer_pod.composer_api.errors import ComposerApiError, ComposerApiInputError
from airflow_provider_composer_pod.composer_api.target import EnvironmentRef, detect_environment, resolve_endpoint

__all__ = [
    "ComposerApiError",
    "ComposerApiInputError",
    "ComposerEnvironmentClient",
    "EnvironmentRef",
    "UserWorkload",
    "detect_environment",
    "resolve_endpoint",
]
