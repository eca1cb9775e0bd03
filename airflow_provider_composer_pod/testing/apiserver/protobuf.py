"""The Kubernetes protobuf bodies kubectl sends, read for the kinds it creates that way: Secret, ConfigMap, Deployment.

kubectl (1.32) sends ``kubectl create secret|configmap|deployment`` as ``application/vnd.kubernetes.protobuf``
whatever the server's discovery says. The body is the magic ``k8s\\0`` then a ``runtime.Unknown`` whose ``raw`` is
the object in the generated protobuf of ``k8s.io/api`` (field numbers from ``generated.proto``). Only the fields the
emulator keeps are read (unknown ones skipped); the result is the object as JSON would have given it. Other kinds
answer 415 with a hint to send JSON (``kubectl create -f`` and ``kubectl apply`` do).
"""

from __future__ import annotations

import base64
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

MAGIC = b"k8s\x00"
HINT = (
    "the emulator reads application/vnd.kubernetes.protobuf for Secrets, ConfigMaps and Deployments only: send JSON, "
    "e.g. "
    "kubectl create -f FILE or kubectl apply -f FILE"
)


class ProtobufError(ValueError):
    pass


def _varint(data: bytes, at: int) -> Tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes) -> Iterator[Tuple[int, Any]]:
    """(field number, value) pairs: an int for varints, bytes for length-delimited fields; fixed sizes skipped."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
            yield number, value
        elif wire == 2:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise ProtobufError("truncated field")
            yield number, data[at : at + size]
            at += size
        elif wire in (1, 5):
            at += 8 if wire == 1 else 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")


def _text(value: Any) -> str:
    return bytes(value).decode("utf-8")


def _entry(value: bytes) -> Tuple[str, bytes]:
    parts = dict(_fields(value))
    return _text(parts.get(1, b"")), bytes(parts.get(2, b""))


def _object_meta(data: bytes) -> Dict[str, Any]:
    meta: Dict[str, Any] = {}
    names = {1: "name", 2: "generateName", 3: "namespace"}
    for number, value in _fields(data):
        if number in names:
            if value:  # protobuf carries unset strings as empty ones
                meta[names[number]] = _text(value)
        elif number in (11, 12):
            key, item = _entry(value)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = _text(item)
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(value))
    return meta


def _secret(data: bytes) -> Dict[str, Any]:
    obj: Dict[str, Any] = {}
    for number, value in _fields(data):
        if number == 1:
            obj["metadata"] = _object_meta(value)
        elif number in (2, 4):  # data (bytes, base64 in JSON), stringData
            key, item = _entry(value)
            shown = base64.b64encode(item).decode("ascii") if number == 2 else _text(item)
            obj.setdefault("data" if number == 2 else "stringData", {})[key] = shown
        elif number == 3:
            obj["type"] = _text(value)
        elif number == 5:
            obj["immutable"] = bool(value)
    return obj


def _config_map(data: bytes) -> Dict[str, Any]:
    obj: Dict[str, Any] = {}
    for number, value in _fields(data):
        if number == 1:
            obj["metadata"] = _object_meta(value)
        elif number in (2, 3):  # data, binaryData (base64 in JSON)
            key, item = _entry(value)
            shown = _text(item) if number == 2 else base64.b64encode(item).decode("ascii")
            obj.setdefault("data" if number == 2 else "binaryData", {})[key] = shown
        elif number == 4:
            obj["immutable"] = bool(value)
    return obj


def _strings(data: bytes, names: Dict[int, str]) -> Dict[str, Any]:
    """The non-empty string fields of a message, by JSON name."""
    return {names[number]: _text(value) for number, value in _fields(data) if number in names and value}


def _label_selector(data: bytes) -> Dict[str, Any]:
    selector: Dict[str, Any] = {}
    for number, value in _fields(data):
        if number == 1:
            key, item = _entry(value)
            selector.setdefault("matchLabels", {})[key] = _text(item)
    return selector


def _resources(data: bytes) -> Dict[str, Any]:
    resources: Dict[str, Any] = {}
    for number, value in _fields(data):
        if number in (1, 2):  # limits, requests: map<string, Quantity{string = 1}>
            key, item = _entry(value)
            quantity = _strings(item, {1: "string"}).get("string", "")
            resources.setdefault("limits" if number == 1 else "requests", {})[key] = quantity
    return resources


def _container(data: bytes) -> Dict[str, Any]:
    container = _strings(data, {1: "name", 2: "image", 5: "workingDir", 14: "imagePullPolicy"})
    for number, value in _fields(data):
        if number in (3, 4):
            container.setdefault("command" if number == 3 else "args", []).append(_text(value))
        elif number == 6:  # ContainerPort: name 1, containerPort 3, protocol 4
            port: Dict[str, Any] = _strings(value, {1: "name", 4: "protocol"})
            port.update(("containerPort", item) for field, item in _fields(value) if field == 3)
            container.setdefault("ports", []).append(port)
        elif number == 8:
            container["resources"] = _resources(value)
    return container


def _pod_template(data: bytes) -> Dict[str, Any]:
    template: Dict[str, Any] = {}
    for number, value in _fields(data):
        if number == 1:
            template["metadata"] = _object_meta(value)
        elif number == 2:  # PodSpec: containers 2
            containers = [_container(item) for field, item in _fields(value) if field == 2]
            template["spec"] = {"containers": containers}
    return template


def _deployment(data: bytes) -> Dict[str, Any]:
    obj: Dict[str, Any] = {}
    for number, value in _fields(data):
        if number == 1:
            obj["metadata"] = _object_meta(value)
        elif number == 2:
            spec: Dict[str, Any] = {}
            for field, item in _fields(value):
                if field == 1:
                    spec["replicas"] = item
                elif field == 2:
                    spec["selector"] = _label_selector(item)
                elif field == 3:
                    spec["template"] = _pod_template(item)
                elif field == 4:  # DeploymentStrategy: type 1 (rollingUpdate is left to defaulting)
                    spec["strategy"] = _strings(item, {1: "type"})
            obj["spec"] = spec
    return obj


READERS: Dict[Tuple[str, str], Callable[[bytes], Dict[str, Any]]] = {
    ("v1", "Secret"): _secret,
    ("v1", "ConfigMap"): _config_map,
    ("apps/v1", "Deployment"): _deployment,
}


def decode(raw: bytes) -> Optional[Dict[str, Any]]:
    """The object in a protobuf body, as JSON would give it; None for a kind this module does not read."""
    if not raw.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic number")
    unknown: Dict[int, List[Any]] = {}
    for number, value in _fields(raw[len(MAGIC) :]):
        unknown.setdefault(number, []).append(value)
    type_meta = {number: _text(value) for number, value in _fields((unknown.get(1) or [b""])[0])}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    reader = READERS.get((api_version, kind))
    if reader is None:
        return None
    return {"apiVersion": api_version, "kind": kind, **reader(bytes((unknown.get(2) or [b""])[0]))}


__all__ = ["HINT", "MAGIC", "ProtobufError", "READERS", "decode"]
