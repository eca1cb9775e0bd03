"""What the kubelet resolves before starting a container: environment variables and volume contents.

Errors carry the kubelet's own wording so tests can assert on them: env references produce
``CreateContainerConfigError`` messages, volume references produce ``FailedMount`` messages.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.testing.apiserver.resources import CONFIG_MAPS, SECRETS
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store

_VAR_REF = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")
_FIELD_REF = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def expand(text: str, env: Dict[str, str]) -> str:
    """Kubernetes ``$(VAR)`` expansion in command, args and env values (``$$`` escapes)."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return _VAR_REF.sub(replace, text)


def _decoded(obj: Obj, kind: str) -> Dict[str, str]:
    if kind == "Secret":
        return {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (obj.get("data") or {}).items()}
    data = dict(obj.get("data") or {})
    for key, value in (obj.get("binaryData") or {}).items():
        data[key] = base64.b64decode(value).decode("utf-8", "replace")
    return data


def _lookup(store: Store, kind: str, namespace: str, name: str) -> Optional[Dict[str, str]]:
    obj = store.find(SECRETS if kind == "Secret" else CONFIG_MAPS, namespace, name)
    return None if obj is None else _decoded(obj, kind)


def field_ref(pod: Obj, path: str) -> str:
    meta = pod.get("metadata") or {}
    match = _FIELD_REF.match(path)
    if match:
        return (meta.get(match.group(1)) or {}).get(match.group(2), "")
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": (pod.get("spec") or {}).get("nodeName"),
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName"),
        "status.podIP": (pod.get("status") or {}).get("podIP"),
        "status.hostIP": (pod.get("status") or {}).get("hostIP"),
    }
    return simple.get(path) or ""


def container_env(store: Store, pod: Obj, container: Dict[str, Any]) -> Tuple[Dict[str, str], Optional[str]]:
    """(environment, error); the error is the ``CreateContainerConfigError`` message."""
    namespace = pod["metadata"]["namespace"]
    env: Dict[str, str] = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": pod["metadata"]["name"],
    }
    if (pod.get("spec") or {}).get("enableServiceLinks", True) is not False:
        env.update(
            {
                "KUBERNETES_SERVICE_HOST": "10.0.0.1",
                "KUBERNETES_SERVICE_PORT": "443",
                "KUBERNETES_SERVICE_PORT_HTTPS": "443",
                "KUBERNETES_PORT": "tcp://10.0.0.1:443",
            }
        )
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        for ref, kind in _refs(source, "secretRef", "configMapRef"):
            data, problem = _referenced(store, kind, namespace, ref)
            if problem is not None:
                return env, problem
            for name, value in (data or {}).items():
                env[prefix + name] = value
    for item in container.get("env") or []:
        name = item.get("name", "")
        if "value" in item and item["value"] is not None:
            env[name] = expand(str(item["value"]), env)
            continue
        source = item.get("valueFrom") or {}
        if not source:
            env[name] = ""
            continue
        for ref, kind in _refs(source, "secretKeyRef", "configMapKeyRef"):
            data, problem = _referenced(store, kind, namespace, ref)
            if problem is not None:
                return env, problem
            if data is None:
                break
            if ref.get("key") not in data:
                if ref.get("optional"):
                    break
                return env, "couldn't find key {} in {} {}/{}".format(ref.get("key"), kind, namespace, ref.get("name"))
            env[name] = data[ref["key"]]
        if source.get("fieldRef"):
            env[name] = field_ref(pod, source["fieldRef"].get("fieldPath", ""))
        if source.get("resourceFieldRef"):
            env[name] = "0"
    return env, None


def _refs(source: Dict[str, Any], secret_key: str, config_map_key: str) -> List[Tuple[Dict[str, Any], str]]:
    """The Secret and ConfigMap references of an ``envFrom`` or ``valueFrom`` entry."""
    pairs = ((secret_key, "Secret"), (config_map_key, "ConfigMap"))
    return [(source[key], kind) for key, kind in pairs if source.get(key)]


def _referenced(
    store: Any, kind: str, namespace: str, ref: Dict[str, Any]
) -> Tuple[Optional[Dict[str, str]], Optional[str]]:
    """The referenced object's data; None for an optional one that is missing; the kubelet's error for the rest."""
    data = _lookup(store, kind, namespace, ref.get("name", ""))
    if data is None and not ref.get("optional"):
        return None, '{} "{}" not found'.format(kind.lower(), ref.get("name", ""))
    return data, None


def _project(
    name: str, data: Dict[str, str], items: Any, kind: str, volume: str
) -> Tuple[Dict[str, bytes], Optional[str]]:
    if not items:
        return {k: v.encode() for k, v in data.items()}, None
    files: Dict[str, bytes] = {}
    for item in items:
        if item.get("key") not in data:
            return files, 'MountVolume.SetUp failed for volume "{}" : {} references non-existent config key: {}'.format(
                volume,
                kind.lower(),
                item.get("key"),
            )
        files[item.get("path") or item["key"]] = data[item["key"]].encode()
    return files, None


def volume_files(store: Store, pod: Obj) -> Tuple[Dict[str, Dict[str, bytes]], Optional[str]]:
    """Volume name -> files to materialise (emptyDir: none); error is the ``FailedMount`` event message."""
    namespace = pod["metadata"]["namespace"]
    result: Dict[str, Dict[str, bytes]] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = volume.get("name", "")
        files: Dict[str, bytes] = {}
        sources = []
        if volume.get("secret"):
            ref = volume["secret"]
            sources.append(("Secret", ref.get("secretName", ""), ref.get("items"), ref.get("optional")))
        if volume.get("configMap"):
            ref = volume["configMap"]
            sources.append(("ConfigMap", ref.get("name", ""), ref.get("items"), ref.get("optional")))
        for projected in (volume.get("projected") or {}).get("sources") or []:
            if projected.get("secret"):
                ref = projected["secret"]
                sources.append(("Secret", ref.get("name", ""), ref.get("items"), ref.get("optional")))
            if projected.get("configMap"):
                ref = projected["configMap"]
                sources.append(("ConfigMap", ref.get("name", ""), ref.get("items"), ref.get("optional")))
            if projected.get("serviceAccountToken"):
                files[projected["serviceAccountToken"].get("path", "token")] = b"emulator-service-account-token"
        for kind, ref_name, items, optional in sources:
            data = _lookup(store, kind, namespace, ref_name)
            if data is None:
                if optional:
                    continue
                return result, f'MountVolume.SetUp failed for volume "{name}" : {kind.lower()} "{ref_name}" not found'
            projected_files, error = _project(ref_name, data, items, kind, name)
            if error:
                return result, error
            files.update(projected_files)
        for item in (volume.get("downwardAPI") or {}).get("items") or []:
            if item.get("fieldRef"):
                files[item.get("path", "")] = field_ref(pod, item["fieldRef"].get("fieldPath", "")).encode()
        result[name] = files
    return result, None
