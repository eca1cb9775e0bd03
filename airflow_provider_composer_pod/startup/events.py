"""A watch event's line decoded into only what the watch reads.

Each event of a pod watch carries the whole pod (2 to 5 KB of JSON), of which the watch keeps a few fields
(``story.trimmed``). Where msgspec is installed (Airflow 3 requires it; Airflow 2.11 has it through Flask-Session),
the line is decoded against a schema of those fields: the rest is skipped, not built into dicts and thrown away, which
is most of the triggerer's CPU per event. Elsewhere, and for a line the schema does not fit, ``json.loads``. Either
way the result is a dict shaped like the event, and ``trimmed`` of it is the same.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, TypedDict


class _Metadata(TypedDict, total=False):
    name: Any
    namespace: Any
    creationTimestamp: Any
    deletionTimestamp: Any
    resourceVersion: Any


class _Container(TypedDict, total=False):
    name: Any
    image: Any
    resources: Any


class _Spec(TypedDict, total=False):
    containers: Optional[List[_Container]]


class _ContainerStatus(TypedDict, total=False):
    name: Any
    image: Any
    state: Any


class _Status(TypedDict, total=False):
    phase: Any
    reason: Any
    message: Any
    conditions: Any
    initContainerStatuses: Optional[List[_ContainerStatus]]
    containerStatuses: Optional[List[_ContainerStatus]]


class _Object(TypedDict, total=False):
    metadata: Optional[_Metadata]
    spec: Optional[_Spec]
    status: Optional[_Status]
    code: Any  # an ERROR event's object is a Status: its code and message
    message: Any


class _Event(TypedDict, total=False):
    type: Any
    object: Optional[_Object]


def _decoder() -> Optional[Callable[[bytes], Any]]:
    try:
        import msgspec
    except ImportError:
        return None
    errors = (msgspec.DecodeError, msgspec.ValidationError)
    try:  # a msgspec that cannot read the schema, or reads a key as required, is not used
        decode = msgspec.json.Decoder(_Event).decode
        decode(b'{"object":{"metadata":{}}}')
    except Exception:
        return None

    def decode_or_json(line: bytes) -> Any:
        try:
            return decode(line)
        except errors:
            return json.loads(line)

    return decode_or_json


_decode = _decoder() or json.loads


def watch_event(line: bytes) -> Dict[str, Any]:
    """One line of a watch's response: its ``type`` and the parts of its ``object`` the watch reads."""
    return _decode(line)
