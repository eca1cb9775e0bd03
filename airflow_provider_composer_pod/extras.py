"""Connection extras, read the same way on every provider version and for both connection types.

Provider 4.4 reads only ``extra__kubernetes__``-prefixed keys and 5.0+ reads both (unprefixed first); Airflow 2's UI
saved ``extra__<conn_type>__`` keys for years. We read the unprefixed key, then the ``kubernetes`` prefix, then the
``composer_pod`` prefix, and treat an empty value as unset. Only named fields are read, never the whole dict.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

CONNECTION_TYPES = ("kubernetes", "composer_pod")

# The extras that KubernetesHook and ComposerPodHook understand.
FIELDS = (
    "in_cluster",
    "kube_config_path",
    "kube_config",
    "namespace",
    "cluster_context",
    "disable_verify_ssl",
    "disable_tcp_keepalive",
    "xcom_sidecar_container_image",
    "xcom_sidecar_container_resources",
    "xcom_sidecar_container_security_context",
    "composer_generation",
    "strict_validation",
    "pod_bursting",
    "api_retry_timeout",
    # Composer 3: the environment whose user-workloads Secrets and ConfigMaps the Composer API manages
    "project",
    "location",
    "environment",
    "composer_api_endpoint",
)


def extra_field(extras: Mapping[str, Any], name: str) -> Optional[Any]:
    for key in (name, *(f"extra__{conn_type}__{name}" for conn_type in CONNECTION_TYPES)):
        value = extras.get(key)
        if value not in (None, ""):
            return value
    return None


def normalized_extras(extras: Mapping[str, Any]) -> dict:
    """The known fields under their unprefixed names, e.g. to hand a resolved connection to a trigger."""
    return {name: value for name in FIELDS if (value := extra_field(extras, name)) is not None}


def as_bool(value: Any) -> Optional[bool]:
    """Extras saved by a UI form may be ``"true"``/``"false"`` strings."""
    if value is None or isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")
