"""Kubernetes Secrets as KPO takes them, checked against Kubernetes' own rules before a pod is ever built.

The builders return the provider's ``Secret`` (from ``compat``), so their results go straight into ``secrets=[...]``
of ``ComposerPodOperator`` or plain KPO. A value containing Jinja (``{{ ... }}``) is let through unchecked, because
only its rendered form can be judged: call :func:`validate_rendered` after rendering.

The naming rules live in :mod:`airflow_provider_composer_pod.workloads.names`.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional

from airflow_provider_composer_pod.compat import Secret, k8s
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.workloads.names import (
    KeyPaths,
    validate_env_name,
    validate_item_path,
    validate_key,
    validate_mount_path,
    validate_object_name,
)


def key_to_paths(items: KeyPaths, parameter: str = "items", rendered: bool = False) -> List[k8s.V1KeyToPath]:
    """``{"key": "path"}`` or ``["key", ...]`` as the ``V1KeyToPath`` list a Secret or ConfigMap volume takes."""
    if items is None:
        return []
    if isinstance(items, str):
        raise ComposerPodInputError(
            parameter, items, "items must be a mapping key -> path or a list of keys", f"pass [{items!r}]"
        )
    pairs = list(items.items()) if isinstance(items, Mapping) else [(key, key) for key in items]
    result = []
    for key, path in pairs:
        validate_key(key, f"{parameter} key", rendered=rendered)
        validate_item_path(path, f"{parameter}[{key!r}]", rendered=rendered)
        result.append(k8s.V1KeyToPath(key=key, path=path))
    return result


def secret_env(secret: str, key: str, env_name: str) -> Secret:
    """One key of a Secret as one environment variable, named exactly ``env_name``.

    KPO's ``Secret`` upper-cases the variable name (which would also break a Jinja ``env_name``); Kubernetes allows
    any case, so the name is kept as given.
    """
    validate_object_name(secret, "secret")
    validate_key(key, "key")
    validate_env_name(env_name, "env_name")
    result = Secret("env", env_name, secret, key)
    result.deploy_target = env_name
    return result


def secret_env_from(secret: str) -> Secret:
    """Every key of a Secret as an environment variable of the same name (the pod's ``envFrom``)."""
    validate_object_name(secret, "secret")
    return Secret("env", None, secret)


def secret_volume(secret: str, mount_path: str, key: Optional[str] = None, items: KeyPaths = None) -> Secret:
    """A Secret mounted as files under ``mount_path``: every key, one ``key``, or the ``items`` chosen.

    KPO's ``Secret`` ignores ``key`` for volumes and mounts every key; here ``key`` mounts only that key, as the file
    ``mount_path/key``. ``items`` (a key -> relative path mapping, or a list of keys) is the general form.
    """
    validate_object_name(secret, "secret")
    validate_mount_path(mount_path, "mount_path")
    if key is not None and items is not None:
        raise ComposerPodInputError(
            "key", key, "key and items both choose the keys to mount", f"pass items={{{key!r}: {key!r}, ...}} alone"
        )
    if key is not None:
        validate_key(key, "key")
        items = [key]
    return Secret("volume", mount_path, secret, key, items=key_to_paths(items) or None)


def _validate_secret(secret: Any, parameter: str) -> None:
    validate_object_name(secret.secret, f"{parameter}.secret", rendered=True)
    if secret.key is not None:
        validate_key(secret.key, f"{parameter}.key", rendered=True)
    if secret.deploy_type == "env" and secret.deploy_target is not None:
        validate_env_name(secret.deploy_target, f"{parameter}.deploy_target", rendered=True)
    if secret.deploy_type == "volume":
        validate_mount_path(secret.deploy_target, f"{parameter}.deploy_target", rendered=True)
        _validate_items(getattr(secret, "items", None), f"{parameter}.items")


def _validate_items(items: Optional[Iterable[Any]], parameter: str) -> None:
    for item in items or ():
        validate_key(item.key, f"{parameter} key", rendered=True)
        validate_item_path(item.path, f"{parameter}[{item.key!r}]", rendered=True)


def _validate_volume(volume: k8s.V1Volume, parameter: str) -> None:
    if volume.config_map is not None:
        validate_object_name(volume.config_map.name, f"{parameter}.config_map.name", "ConfigMap", rendered=True)
        _validate_items(volume.config_map.items, f"{parameter}.config_map.items")
    if volume.secret is not None:
        validate_object_name(volume.secret.secret_name, f"{parameter}.secret.secret_name", rendered=True)
        _validate_items(volume.secret.items, f"{parameter}.secret.items")


def _validate_env_from(source: k8s.V1EnvFromSource, parameter: str) -> None:
    if source.config_map_ref is not None:
        validate_object_name(source.config_map_ref.name, f"{parameter}.config_map_ref.name", "ConfigMap", True)
    if source.secret_ref is not None:
        validate_object_name(source.secret_ref.name, f"{parameter}.secret_ref.name", "Secret", True)


def validate_rendered(*items: Any, parameter: str = "secrets") -> None:
    """Check again, after Jinja rendering, what the builders let through: call it from ``execute``.

    Takes ``Secret`` objects, ``V1EnvFromSource``, ``V1Volume``, ``V1VolumeMount`` and ``(volume, volume_mount)``
    pairs such as ``ConfigMapVolume``; anything else is left to KPO.
    """
    for index, item in enumerate(items):
        where = f"{parameter}[{index}]"
        if isinstance(item, Secret):
            _validate_secret(item, where)
        elif isinstance(item, k8s.V1EnvFromSource):
            _validate_env_from(item, where)
        elif isinstance(item, k8s.V1Volume):
            _validate_volume(item, where)
        elif isinstance(item, k8s.V1VolumeMount):
            validate_mount_path(item.mount_path, f"{where}.mount_path", rendered=True)
        elif isinstance(item, tuple) and len(item) == 2:
            validate_rendered(*item, parameter=where)
