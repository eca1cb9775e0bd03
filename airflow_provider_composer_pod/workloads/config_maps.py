"""Kubernetes ConfigMaps as pod spec pieces KPO already accepts: ``env_from``, ``env_vars`` and volumes.

KPO has no ConfigMap object of its own (its ``configmaps=`` takes names for ``envFrom`` only), so these return
``k8s`` models. KPO renders Jinja in ConfigMap names inside ``env_from`` and ``volumes``, so a templated name is let
through here; mount paths and items are not rendered by KPO, and :func:`~.secrets.validate_rendered` says so.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, NamedTuple

from airflow_provider_composer_pod.compat import k8s
from airflow_provider_composer_pod.workloads.names import (
    KeyPaths,
    is_templated,
    validate_env_name,
    validate_key,
    validate_mount_path,
    validate_object_name,
)
from airflow_provider_composer_pod.workloads.secrets import key_to_paths

_NOT_IN_LABEL = re.compile(r"[^a-z0-9-]+")


class ConfigMapVolume(NamedTuple):
    """A ConfigMap volume and its mount: unpack it, or add ``.volume`` to ``volumes`` and ``.volume_mount`` to
    ``volume_mounts``."""

    volume: k8s.V1Volume
    volume_mount: k8s.V1VolumeMount


def _volume_name(config_map: str, mount_path: str) -> str:
    """Stable across retries and re-parses (unlike KPO's random Secret volume names), unique per mount path.

    A DNS-1123 label of at most 63 characters; a templated ConfigMap name contributes only to the hash.
    """
    digest = hashlib.sha1(f"{config_map}\0{mount_path}".encode()).hexdigest()[:8]
    readable = "" if is_templated(config_map) else _NOT_IN_LABEL.sub("-", config_map.lower()).strip("-")[:40]
    return f"configmap-{readable.rstrip('-')}-{digest}" if readable else f"configmap-{digest}"


def config_map_env_from(name: str) -> k8s.V1EnvFromSource:
    """Every key of a ConfigMap as an environment variable (what KPO's ``configmaps=[name]`` does, as an object)."""
    validate_object_name(name, "name", "ConfigMap")
    return k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name=name))


def config_map_env(config_map: str, key: str, env_name: str) -> k8s.V1EnvVar:
    """One key of a ConfigMap as one environment variable, for KPO's ``env_vars`` list."""
    validate_object_name(config_map, "config_map", "ConfigMap")
    validate_key(key, "key")
    validate_env_name(env_name, "env_name")
    return k8s.V1EnvVar(
        name=env_name,
        value_from=k8s.V1EnvVarSource(config_map_key_ref=k8s.V1ConfigMapKeySelector(name=config_map, key=key)),
    )


def config_map_volume(name: str, mount_path: str, items: KeyPaths = None) -> ConfigMapVolume:
    """A ConfigMap mounted read-only as files under ``mount_path``: every key, or the ``items`` chosen.

    ``items`` is a key -> relative path mapping, or a list of keys mounted under their own names.
    """
    validate_object_name(name, "name", "ConfigMap")
    validate_mount_path(mount_path, "mount_path")
    volume_name = _volume_name(name, mount_path)
    source = k8s.V1ConfigMapVolumeSource(name=name, items=key_to_paths(items) or None)
    return ConfigMapVolume(
        volume=k8s.V1Volume(name=volume_name, config_map=source),
        volume_mount=k8s.V1VolumeMount(name=volume_name, mount_path=mount_path, read_only=True),
    )


def attach_config_maps(pod: k8s.V1Pod, config_maps: Any, container_name: str) -> k8s.V1Pod:
    """Add the operator's rendered ``config_maps`` to ``pod``'s container: names as env_from, volumes as mounts."""
    if not config_maps:
        return pod
    container = next(c for c in pod.spec.containers if c.name == container_name)
    for item in config_maps:
        if isinstance(item, str):
            validate_object_name(item, "config_maps", kind="ConfigMap", rendered=True)
            container.env_from = [*(container.env_from or []), config_map_env_from(item)]
        elif isinstance(item, k8s.V1EnvFromSource):
            container.env_from = [*(container.env_from or []), item]
        else:  # a ConfigMapVolume (rendering may have turned it into a plain tuple)
            volume, mount = item
            validate_object_name(volume.config_map.name, "config_maps", kind="ConfigMap", rendered=True)
            validate_mount_path(mount.mount_path, "config_maps mount_path", rendered=True)
            pod.spec.volumes = [*(pod.spec.volumes or []), volume]
            container.volume_mounts = [*(container.volume_mounts or []), mount]
    return pod
