"""Decoding a body as the API server does: a field of the wrong JSON type is a 400 BadRequest, before validation.

kube-apiserver decodes a body into its Go types first. A string where a list is expected (``"command": "echo hi"``)
or an object expected and something else given (``"resources": "4Gi"``) never reaches validation: the answer is
400 with the decoder's words, e.g. ``Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string
into Go struct field Container.spec.containers.command of type []string``. A quantity that does not parse fails
the same way (``quantities must match the regular expression ...``). Checking this here keeps a client's mistake
from becoming a 500 or from crashing the kubelet's runtimes, which assume the types the API guarantees.

Only the fields the emulator reads are typed; everything else is kept as sent.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Tuple, Union

from airflow_provider_composer_pod.testing.apiserver.errors import ApiError, bad_request

QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY = re.compile(QUANTITY_PATTERN)

# A type: a Go scalar name, "quantity", ("[]", element), ("map", value) or ("struct", Go name, {json field: type}).
Type = Union[str, Tuple[Any, ...]]
_STRINGS: Type = ("[]", "string")
_STRING_MAP: Type = ("map", "string")
_QUANTITIES: Type = ("map", "quantity")

OBJECT_META: Type = (
    "struct",
    "ObjectMeta",
    {
        "name": "string",
        "generateName": "string",
        "namespace": "string",
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "finalizers": _STRINGS,
    },
)
_ENV_VAR: Type = (
    "struct",
    "EnvVar",
    {"name": "string", "value": "string", "valueFrom": ("struct", "EnvVarSource", {})},
)
_CONTAINER: Type = (
    "struct",
    "Container",
    {
        "name": "string",
        "image": "string",
        "command": _STRINGS,
        "args": _STRINGS,
        "workingDir": "string",
        "imagePullPolicy": "string",
        "env": ("[]", _ENV_VAR),
        "envFrom": ("[]", ("struct", "EnvFromSource", {"prefix": "string"})),
        "ports": (
            "[]",
            ("struct", "ContainerPort", {"name": "string", "containerPort": "int32", "protocol": "string"}),
        ),
        "resources": ("struct", "ResourceRequirements", {"requests": _QUANTITIES, "limits": _QUANTITIES}),
        "volumeMounts": (
            "[]",
            (
                "struct",
                "VolumeMount",
                {"name": "string", "mountPath": "string", "subPath": "string", "readOnly": "bool"},
            ),
        ),
    },
)
POD: Type = (
    "struct",
    "Pod",
    {
        "metadata": OBJECT_META,
        "spec": (
            "struct",
            "PodSpec",
            {
                "containers": ("[]", _CONTAINER),
                "initContainers": ("[]", _CONTAINER),
                "volumes": ("[]", ("struct", "Volume", {"name": "string"})),
                "nodeSelector": _STRING_MAP,
                "serviceAccountName": "string",
                "restartPolicy": "string",
                "hostNetwork": "bool",
                "activeDeadlineSeconds": "int64",
                "terminationGracePeriodSeconds": "int64",
                "imagePullSecrets": ("[]", ("struct", "LocalObjectReference", {"name": "string"})),
                "tolerations": (
                    "[]",
                    (
                        "struct",
                        "Toleration",
                        {
                            "key": "string",
                            "operator": "string",
                            "value": "string",
                            "effect": "string",
                            "tolerationSeconds": "int64",
                        },
                    ),
                ),
                "affinity": ("struct", "Affinity", {}),
            },
        ),
    },
)
_GENERIC: Type = ("struct", "Object", {"metadata": OBJECT_META})


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _go_name(kind: Type) -> str:
    if isinstance(kind, str):
        return "resource.Quantity" if kind == "quantity" else kind
    if kind[0] == "[]":
        return "[]" + _go_name(kind[1])
    if kind[0] == "map":
        return "map[string]" + _go_name(kind[1])
    return "v1." + kind[1]


def _mismatch(kind: Type, value: Any) -> bool:
    if isinstance(kind, str):
        if kind == "string":
            return not isinstance(value, str)
        if kind == "bool":
            return not isinstance(value, bool)
        if kind == "quantity":
            return False  # a quantity's own parser answers (below)
        return isinstance(value, bool) or not isinstance(value, int)  # int32, int64
    return not isinstance(value, list if kind[0] == "[]" else dict)


def _first_error(kind: Type, value: Any, struct: str, path: str) -> Optional[str]:
    if value is None:
        return None  # null leaves a field unset
    if kind == "quantity":
        text = value if isinstance(value, str) else None if isinstance(value, (int, float)) else str(value)
        if text is not None and not _QUANTITY.match(text):
            return f"quantities must match the regular expression '{QUANTITY_PATTERN}'"
        return None
    if _mismatch(kind, value):
        return (
            f"json: cannot unmarshal {_json_kind(value)} into Go struct field {struct}.{path} of type {_go_name(kind)}"
        )
    if isinstance(kind, str):
        return None
    items = list(value.items()) if kind[0] in ("map", "struct") else [(None, item) for item in value]
    for key, item in items:
        if kind[0] == "struct":
            if key not in kind[2]:
                continue
            error = _first_error(kind[2][key], item, kind[1], f"{path}.{key}" if path else str(key))
        else:
            error = _first_error(kind[1], item, struct, path)
        if error is not None:
            return error
    return None


def decode_error(kind: str, body: Any) -> Optional[ApiError]:
    """The 400 the API server answers when ``body`` cannot be decoded as a ``kind``, or None."""
    if not isinstance(body, dict):
        return bad_request(
            f'{kind} in version "v1" cannot be handled as a {kind}: json: cannot unmarshal {_json_kind(body)} into '
            f"Go value of type v1.{kind}"
        )
    error = _first_error(POD if kind == "Pod" else _GENERIC, body, kind, "")
    if error is None:
        return None
    return bad_request(f'{kind} in version "v1" cannot be handled as a {kind}: {error}')


__all__ = ["QUANTITY_PATTERN", "decode_error"]
