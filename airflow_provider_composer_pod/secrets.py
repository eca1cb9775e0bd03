"""Kept for DAGs written before 0.2: the module is :mod:`airflow_provider_composer_pod.workloads.secrets`."""

from airflow_provider_composer_pod.workloads.secrets import *  # noqa: F403
