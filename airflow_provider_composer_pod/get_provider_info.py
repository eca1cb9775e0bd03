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
        # triggers.pod (deferrable=True) is left out: it exists only on providers 5.2+, and every module listed here
        # must import on every supported provider.
        "triggers": [
            {
                "integration-name": "Cloud Composer Pod",
                "python-modules": ["airflow_provider_composer_pod.triggers.startup"],
            }
        ],
        # Airflow 3's UI builds the form from conn-fields / ui-field-behaviour, Airflow 2's from the hook's
        # get_connection_form_widgets / get_ui_field_behaviour; tests/unit/hooks/test_connection_form.py keeps
        # the two equal.
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_composer_pod.hooks.composer_pod.ComposerPodHook",
                "hook-name": "Cloud Composer Pod",
                "connection-type": "composer_pod",
                "conn-fields": {
                    "kube_config_path": {
                        "label": "Kube config path",
                        "schema": {"type": ["string", "null"], "default": "/home/airflow/composer_kube_config"},
                    },
                    "namespace": {
                        "label": "Namespace",
                        "schema": {"type": ["string", "null"], "default": "composer-user-workloads"},
                    },
                    "in_cluster": {"label": "In cluster configuration", "schema": {"type": ["boolean", "null"]}},
                    # Airflow 3 shows placeholders for standard fields only, so a placeholder that says more than
                    # the default is repeated as the field's description (helper text under the field).
                    "cluster_context": {
                        "label": "Cluster context",
                        "description": "the kube config's current context",
                        "schema": {"type": ["string", "null"]},
                    },
                    "composer_generation": {
                        "label": "Composer generation",
                        "description": "auto, 1, 2 or 3",
                        "schema": {"type": ["string", "null"], "default": "auto"},
                    },
                    "disable_verify_ssl": {
                        "label": "Disable SSL verification",
                        "schema": {"type": ["boolean", "null"]},
                    },
                    "strict_validation": {"label": "Strict Autopilot checks", "schema": {"type": ["boolean", "null"]}},
                    "pod_bursting": {
                        "label": "Autopilot Pod bursting",
                        "description": "the cluster supports Pod bursting (GKE 1.30.2-gke.1394000+, cgroupv2)",
                        "schema": {"type": ["boolean", "null"]},
                    },
                    "api_retry_timeout": {
                        "label": "API retry timeout (s)",
                        "description": "seconds of Kubernetes API outage a task rides out (default 300; 0: none)",
                        "schema": {"type": ["string", "null"]},
                    },
                    # Composer 3's user-workloads Secrets and ConfigMaps go through the Composer API; on a worker
                    # these default to the variables Composer sets.
                    "project": {
                        "label": "Composer 3: project",
                        "description": "GCP_PROJECT on Composer",
                        "schema": {"type": ["string", "null"]},
                    },
                    "location": {
                        "label": "Composer 3: location",
                        "description": "COMPOSER_LOCATION on Composer",
                        "schema": {"type": ["string", "null"]},
                    },
                    "environment": {
                        "label": "Composer 3: environment",
                        "description": "COMPOSER_ENVIRONMENT on Composer",
                        "schema": {"type": ["string", "null"]},
                    },
                    "composer_api_endpoint": {
                        "label": "Composer 3: Composer API endpoint",
                        "description": "https://composer.googleapis.com unless a private or test endpoint",
                        "schema": {"type": ["string", "null"]},
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["host", "schema", "login", "password", "port"],
                    "relabeling": {
                        "extra": "Extra (JSON; other KubernetesHook extras such as xcom_sidecar_container_image)"
                    },
                    "placeholders": {
                        "kube_config_path": "/home/airflow/composer_kube_config",
                        "namespace": "composer-user-workloads",
                        "cluster_context": "the kube config's current context",
                        "composer_generation": "auto, 1, 2 or 3",
                        "api_retry_timeout": "300",
                        "project": "GCP_PROJECT on Composer",
                        "location": "COMPOSER_LOCATION on Composer",
                        "environment": "COMPOSER_ENVIRONMENT on Composer",
                        "composer_api_endpoint": "https://composer.googleapis.com",
                        "extra": '{"xcom_sidecar_container_image": "alpine"}',
                    },
                },
            }
        ],
    }
