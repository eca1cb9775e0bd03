"""Kept for DAGs written before 0.2: the module is :mod:`airflow_provider_composer_pod.workloads.manifests`."""

from airflow_provider_composer_pod.workloads.manifest_sources import *  # noqa: F403
from airflow_provider_composer_pod.workloads.manifests import *  # noqa: F403
