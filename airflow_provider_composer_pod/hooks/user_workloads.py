"""Composer 3: the hook's Secrets and ConfigMaps as the environment's user workloads, through the Composer API.

Composer 3's cluster takes no Secret or ConfigMap writes from the environment's credentials; the Composer API
manages them and syncs them into ``composer-user-workloads``. Same calls as :mod:`~.workloads.objects` (the
Kubernetes-API path of generations 1 and 2), so ``ComposerPodHook`` picks one module by generation. Secret values are
registered with the secrets masker before any request and are never kept, logged or put in a message.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from airflow_provider_composer_pod.environment import USER_WORKLOADS_NAMESPACE
from airflow_provider_composer_pod.errors import ComposerPodInputError, ComposerPodObjectError
from airflow_provider_composer_pod.workloads.masking import mask_secret

_METHOD = {"Secret": "secret", "ConfigMap": "config_map"}


def composer_client(connection: Any) -> Any:
    """A ``ComposerEnvironmentClient`` for the connection's environment (ADC unless the client is told otherwise)."""
    from airflow_provider_composer_pod.composer_api import ComposerApiInputError, ComposerEnvironmentClient

    try:
        return ComposerEnvironmentClient(connection.environment_ref(), endpoint=connection.composer_api_endpoint())
    except ComposerApiInputError as error:
        raise ComposerPodInputError.from_message(str(error)) from None


def _call(kind: str, verb: str, connection: Any, *args: Any) -> Any:
    """One client call; its errors become ours, worded by the client (permission, gcloud equivalent, fix)."""
    from airflow_provider_composer_pod.composer_api import ComposerApiError, ComposerApiInputError

    client = composer_client(connection)
    try:
        return getattr(client, f"{verb}_{_METHOD[kind]}")(*args)
    except ComposerApiInputError as error:
        raise ComposerPodInputError.from_message(str(error)) from None
    except ComposerApiError as error:
        raise ComposerPodObjectError(str(error)) from None
    finally:
        client.close()


def _check_namespace(kind: str, name: str, namespace: Optional[str]) -> None:
    if namespace not in (None, "", USER_WORKLOADS_NAMESPACE):
        raise ComposerPodInputError(
            f"{kind} {name!r} namespace",
            namespace,
            f"Cloud Composer 3 keeps user-workloads {kind}s in {USER_WORKLOADS_NAMESPACE} only",
            f"drop the namespace or use {USER_WORKLOADS_NAMESPACE}",
        )


def _plain_data(manifest: Any) -> Dict[str, str]:
    """The manifest's values as the client takes them (text); Composer 3 has no binary data or Secret types."""
    where = f"{manifest.kind} {manifest.name!r}"
    if manifest.kind == "ConfigMap":
        if manifest.binary_data:
            raise ComposerPodInputError(
                f"{where} binaryData",
                sorted(manifest.binary_data),
                "Cloud Composer 3's user-workloads ConfigMaps hold text values only",
                "put text in data, or the file in a Secret",
            )
        return dict(manifest.data)
    if manifest.type not in (None, "", "Opaque"):
        raise ComposerPodInputError(
            f"{where} type",
            manifest.type,
            "Cloud Composer 3's user-workloads Secrets are Opaque",
            "drop the type",
        )
    data = {}
    for key, value in manifest.data.items():
        try:
            data[key] = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ComposerPodInputError(
                f"{where} data[{key!r}]",
                None,
                "the Composer API client takes text values, and this one is not UTF-8",
                "store the value base64-encoded as text and decode it in the container",
                hide_value=True,
            ) from None
        mask_secret(value)
    return data


def apply_manifest(hook: Any, manifest: Any) -> str:
    """Create the user workload, or replace it when it exists; returns ``"created"`` or ``"replaced"``."""
    _check_namespace(manifest.kind, manifest.name, manifest.namespace)
    data = _plain_data(manifest)
    return str(_call(manifest.kind, "apply", hook.composer_connection, manifest.name, data))


def read_object(hook: Any, kind: str, name: str, namespace: Optional[str] = None) -> Any:
    """The ``UserWorkload`` (a Secret's key names, no values), or None when it does not exist."""
    _check_namespace(kind, name, namespace)
    return _call(kind, "get", hook.composer_connection, name)


def delete_object(hook: Any, kind: str, name: str, namespace: Optional[str] = None) -> bool:
    """Delete it; False when it did not exist."""
    _check_namespace(kind, name, namespace)
    return bool(_call(kind, "delete", hook.composer_connection, name))


def composer_keys(connection: Any) -> Callable[[str, str], Optional[List[str]]]:
    """The pre-flight's second opinion on Composer 3: ``read(kind, name)`` gives a user workload's key names (None
    when it does not exist) and raises PermissionError, with the client's one-line answer, when it cannot tell."""
    from airflow_provider_composer_pod.composer_api import ComposerApiError, ComposerApiInputError

    def read(kind: str, name: str) -> Optional[List[str]]:
        try:
            client = composer_client(connection)
        except ComposerPodInputError as error:  # which environment cannot be told
            raise PermissionError(str(error)) from None
        try:
            found = getattr(client, f"get_{_METHOD[kind]}")(name)
        except (ComposerApiError, ComposerApiInputError) as error:
            raise PermissionError(str(error)) from None
        finally:
            client.close()
        return None if found is None else list(found.keys)

    return read
