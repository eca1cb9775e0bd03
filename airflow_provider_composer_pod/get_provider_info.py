"""Provider registration for ``ProvidersManager``; a plain literal that imports nothing heavy."""

from __future__ import annotations

from typing import Any, Dict

from airflow_provider_composer_pod import __version__


def get_provider_info() -> Dict[str, Any]:
    return {
        "package-name": "airflow-provider-composer-pod",
        "name": "Cloud Composer Pod",
        "description": "KubernetesPodOperator for Cloud Composer, with Composer-aware defaults and pre-flight checks.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Cloud Composer Pod",
                "external-doc-url": "https://cloud.google.com/composer/docs/composer-3/use-kubernetes-pod-operator",
                "tags": ["gcp"],
            }
        ],
        "operators": [
            {
                "integration-name": "Cloud Composer Pod",
                "python-modules": ["airflow_provider_composer_pod.operators.composer_pod"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Cloud Composer Pod",
                "python-modules": ["airflow_provider_composer_pod.hooks.composer_pod"],
            }
        ],
    }
