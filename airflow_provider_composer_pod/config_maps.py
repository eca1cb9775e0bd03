"""Kept for DAGs written before 0.2: the module is :mod:`airflow_provider_composer_pod.workloads.config_maps`."""

from airflow_provider_composer_pod.workloads.config_maps import *  # noqa: F403
