"""What the connection's Test button says: one clear yes or no, with the fix."""

from __future__ import annotations

import os
from typing import Any, Tuple

from airflow_provider_composer_pod.wording import counted

_TIMEOUT_SECONDS = 10


def check_connection(hook: Any) -> Tuple[bool, str]:
    """``hook``: a ComposerPodHook."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import HTTPError

    hook.resolve_config_source()
    path = hook.config_file or hook._get_field("kube_config_path")
    if path and not os.path.exists(path):
        return False, (
            f"Kube config file {path} does not exist. Set 'Kube config path' to a readable kube config "
            f"(on Cloud Composer: /home/airflow/composer_kube_config)."
        )
    namespace = hook.get_namespace()
    try:
        client = hook.core_v1_client
    except (ConfigException, OSError, ValueError) as error:
        return False, f"Cannot load the Kubernetes config ({hook.resolve_config_source()}): {error}"
    server = client.api_client.configuration.host
    try:
        try:
            client.read_namespace(namespace, _request_timeout=_TIMEOUT_SECONDS)
        except ApiException as error:
            if error.status == 404:
                return False, (
                    f"Namespace {namespace!r} does not exist on {server}. Create it, or set the connection's "
                    f"namespace (Composer 2 and 3 run user pods in composer-user-workloads)."
                )
            if error.status != 403:  # reading namespaces is often forbidden while listing pods is allowed
                raise
        pods = client.list_namespaced_pod(namespace, _request_timeout=_TIMEOUT_SECONDS)
    except ApiException as error:
        if error.status == 401:
            return False, (
                f"Unauthorized (401): {server} rejected the credentials from {hook.resolve_config_source()}. "
                f"Refresh the kube config or its token."
            )
        if error.status == 403:
            return False, (
                f"Forbidden (403): these credentials may not list pods in namespace {namespace!r} on {server}. "
                f"Grant the account RBAC access to pods there, or use another namespace."
            )
        return False, f"The Kubernetes API at {server} answered {error.status} {error.reason}."
    except HTTPError as error:
        return False, f"Unreachable: cannot connect to the Kubernetes API at {server} ({_root_cause(error)})."
    return True, f"OK: {counted(len(pods.items), 'pod')} visible in namespace {namespace} on {server}."


def _root_cause(error: BaseException) -> str:
    cause: object = error
    while getattr(cause, "reason", None) is not None:
        cause = cause.reason  # type: ignore[attr-defined]
    text = str(cause)
    return "connection refused" if "Connection refused" in text else text
