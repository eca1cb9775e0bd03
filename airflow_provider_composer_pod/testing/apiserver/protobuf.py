"""The Kubernetes protobuf bodies kubectl sends, read for the kinds it creates that way here: Secret and ConfigMap.

kubectl (1.32) sends ``kubectl create secret|configmap`` as ``application/vnd.kubernetes.protobuf`` whatever the
server's discovery says. The body is the magic ``k8s\\0`` then a ``runtime.Unknown`` whose ``raw`` is the object in
the generated protobuf of ``k8s.io/api`` (field numbers from ``generated.proto``). Only the fields the emulator
keeps are read; the result is the object as JSON would have given it. Other kinds answer 415 with a hint to send
JSON (``kubectl create -f`` and ``kubectl apply`` do).
"""

from __future__ import annotations

import base64
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

MAGIC = b"k8s\x00"
HINT = (
    "the emulator reads application/vnd.kubernetes.protobuf for Secrets and ConfigMaps only: send JSON, e.g. "
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


READERS: Dict[str, Callable[[bytes], Dict[str, Any]]] = {"Secret": _secret, "ConfigMap": _config_map}


def decode(raw: bytes) -> Optional[Dict[str, Any]]:
    """The object in a protobuf body, as JSON would give it; None for a kind this module does not read."""
    if not raw.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic number")
    unknown: Dict[int, List[Any]] = {}
    for number, value in _fields(raw[len(MAGIC) :]):
        unknown.setdefault(number, []).append(value)
    type_meta = {number: _text(value) for number, value in _fields((unknown.get(1) or [b""])[0])}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    reader = READERS.get(kind) if api_version == "v1" else None
    if reader is None:
        return None
    return {"apiVersion": api_version, "kind": kind, **reader(bytes((unknown.get(2) or [b""])[0]))}


__all__ = ["HINT", "MAGIC", "ProtobufError", "READERS", "decode"]
