"""Create-or-replace, get and delete Secrets and ConfigMaps through the Kubernetes API, or say how gcloud does it.

Composer 1 and 2's path; Composer 3's goes through the Composer API (``hooks/user_workloads``). On a 403 the error
gives the exact gcloud command with a rendered manifest's path. Values never reach an exception message or a log line.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Optional

from airflow_provider_composer_pod.errors import ComposerPodObjectError

_GCLOUD = {
    "Secret": ("user-workloads-secrets", "--secret-file-path"),
    "ConfigMap": ("user-workloads-config-maps", "--config-map-file-path"),
}


def gcloud_command(kind: str, path: str) -> str:
    noun, flag = _GCLOUD[kind]
    environment = os.environ.get("COMPOSER_ENVIRONMENT", "ENVIRONMENT")
    location = os.environ.get("COMPOSER_LOCATION", "LOCATION")
    return f"gcloud composer environments {noun} create --environment {environment} --location {location} {flag} {path}"


def write_private(path: str, text: str) -> None:
    """Write a file that is 0600 from the start: a rendered Secret is as sensitive as its values."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _write_private(manifest: Any) -> str:
    path = os.path.join(tempfile.mkdtemp(prefix="composer-pod-"), f"{manifest.name}.yaml")
    write_private(path, manifest.to_yaml())
    return path


def _use_gcloud(manifest: Any, why: str) -> ComposerPodObjectError:
    path = _write_private(manifest)
    return ComposerPodObjectError(
        f"{why} Create the {manifest.kind} with gcloud instead (the manifest is at {path}, readable only by you; "
        f"delete it afterwards): {gcloud_command(manifest.kind, path)} "
        f"(use 'update' instead of 'create' if {manifest.name} already exists)."
    )


def _api(client: Any, kind: str, verb: str) -> Any:
    return getattr(client, f"{verb}_namespaced_{'secret' if kind == 'Secret' else 'config_map'}")


def apply_manifest(hook: Any, manifest: Any) -> str:
    """Create the object, or replace it when it exists; returns ``"created"`` or ``"replaced"``."""
    from kubernetes.client.exceptions import ApiException

    namespace = manifest.namespace or hook.get_namespace()
    body = manifest.to_body(namespace=namespace)
    client = hook.core_v1_client
    try:
        try:
            _api(client, manifest.kind, "create")(namespace, body)
            return "created"
        except ApiException as error:
            if error.status != 409:
                raise
        _api(client, manifest.kind, "replace")(manifest.name, namespace, body)
        return "replaced"
    except ApiException as error:
        if error.status == 403:
            raise _use_gcloud(
                manifest, f"Forbidden (403): these credentials may not write {manifest.kind}s in {namespace}."
            ) from None
        if error.status == 404:  # the namespace (the object itself would have been created)
            raise ComposerPodObjectError(
                f"Namespace {namespace} does not exist, so {manifest.kind} {manifest.name} cannot be written there. "
                "Create the namespace, or use the environment's ('composer-user-workloads' on Composer 2 and 3)."
            ) from None
        if error.status in (400, 422):
            raise ComposerPodObjectError(
                f"The Kubernetes API refused {manifest.kind} {manifest.name} in {namespace} ({error.status}): "
                f"{_status_message(error)}"
            ) from None
        raise


def _status_message(error: Any) -> str:
    """The Status message of an API error; never its body, which may quote the object's values."""
    import json

    try:
        return str(json.loads(error.body or "{}").get("message") or error.reason)
    except (TypeError, ValueError, AttributeError):
        return str(error.reason)


def read_object(hook: Any, kind: str, name: str, namespace: Optional[str] = None) -> Any:
    """The Secret or ConfigMap, or None when it does not exist; a Secret's values are registered with the masker."""
    return read_with(hook.core_v1_client, kind, name, namespace or hook.get_namespace())


def read_with(client: Any, kind: str, name: str, namespace: str) -> Any:
    """:func:`read_object` with a CoreV1Api client."""
    from kubernetes.client.exceptions import ApiException

    from airflow_provider_composer_pod.workloads.masking import mask_secret_data

    try:
        obj = _api(client, kind, "read")(name, namespace)
    except ApiException as error:
        if error.status == 404:
            return None
        raise
    if kind == "Secret":
        mask_secret_data(obj.data)
    return obj


def delete_object(hook: Any, kind: str, name: str, namespace: Optional[str] = None) -> bool:
    """Delete it; False when it did not exist."""
    from kubernetes.client.exceptions import ApiException

    try:
        _api(hook.core_v1_client, kind, "delete")(name, namespace or hook.get_namespace())
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True
