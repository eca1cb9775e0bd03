"""The subset of kube-apiserver validation that tests trip over, with the real field paths and messages."""

from __future__ import annotations

import re
from typing import Any, Dict, List

from airflow_provider_composer_pod.testing.apiserver.errors import (
    field_duplicate,
    field_invalid,
    field_not_found,
    field_required,
)

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
_LABEL_RE = re.compile("^" + _DNS1123_LABEL + "$")
_SUBDOMAIN_RE = re.compile("^" + _DNS1123_SUBDOMAIN + "$")
_CONFIG_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
_ENV_NAME_RE = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_QUALIFIED_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    f"and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{_DNS1123_SUBDOMAIN}')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    f"with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{_DNS1123_LABEL}')"
)
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME', "
    " or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
ENV_NAME_MSG = (
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must "
    "not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
    "'[-._a-zA-Z][-._a-zA-Z0-9]*')"
)


def subdomain_errors(field: str, value: Any) -> List[Dict[str, str]]:
    if not value:
        return [field_required(field, "name or generateName is required")]
    errors = []
    if len(value) > 253:
        errors.append(field_invalid(field, value, "must be no more than 253 characters"))
    if not _SUBDOMAIN_RE.match(value):
        errors.append(field_invalid(field, value, SUBDOMAIN_MSG))
    return errors


def label_name_errors(field: str, value: Any) -> List[Dict[str, str]]:
    if not value:
        return [field_required(field)]
    errors = []
    if len(value) > 63:
        errors.append(field_invalid(field, value, "must be no more than 63 characters"))
    if not _LABEL_RE.match(value):
        errors.append(field_invalid(field, value, LABEL_MSG))
    return errors


def metadata_errors(obj: Dict[str, Any], name_check: str = "subdomain") -> List[Dict[str, str]]:
    """Name plus label keys and values, the checks every kind shares."""
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    errors = (
        label_name_errors("metadata.name", name) if name_check == "label" else subdomain_errors("metadata.name", name)
    )
    for key, value in (meta.get("labels") or {}).items():
        bare = key.split("/")[-1]
        if not _QUALIFIED_NAME_RE.match(bare) or len(bare) > 63:
            errors.append(
                field_invalid(
                    "metadata.labels",
                    key,
                    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                )
            )
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE_RE.match(value):
            errors.append(
                field_invalid(
                    "metadata.labels",
                    value,
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                )
            )
    return errors


_SUFFIXES = {"": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_SUFFIXES.update({f"{p}i": 1024.0**n for n, p in enumerate("KMGTPE", start=1)})
_QUANTITY_PARTS = re.compile(r"^([+-]?[0-9.]+)([eE][-+]?[0-9]+|[a-zA-Z]*)$")


def _quantity(value: Any) -> Any:
    """A decoded quantity's size (decoding has checked its form), or None for a form this emulator does not size."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _QUANTITY_PARTS.match(str(value))
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        return float(number + suffix) if suffix[:1] in ("e", "E") else float(number) * _SUFFIXES[suffix]
    except (KeyError, ValueError):
        return None


def _resources_errors(path: str, resources: Dict[str, Any]) -> List[Dict[str, str]]:
    """``ValidateResourceRequirements``: no negative quantity, and no request above its limit."""
    errors = []
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for kind, quantities in (("limits", limits), ("requests", requests)):
        for name, value in quantities.items():
            size = _quantity(value)
            if size is not None and size < 0:
                errors.append(field_invalid(f"{path}.{kind}[{name}]", value, "must be greater than or equal to 0"))
    for name, value in requests.items():
        request, limit = _quantity(value), _quantity(limits.get(name)) if name in limits else None
        if request is not None and limit is not None and request > limit:
            errors.append(
                field_invalid(
                    path + ".requests", value, f"must be less than or equal to {name} limit of {limits[name]}"
                )
            )
    return errors


def _container_errors(path: str, container: Dict[str, Any], volumes: List[str]) -> List[Dict[str, str]]:
    errors = label_name_errors(path + ".name", container.get("name"))
    errors.extend(_resources_errors(path + ".resources", container.get("resources") or {}))
    if not container.get("image"):
        errors.append(field_required(path + ".image"))
    for i, env in enumerate(container.get("env") or []):
        name = env.get("name")
        if not name:
            errors.append(field_required(f"{path}.env[{i}].name"))
        elif not _ENV_NAME_RE.match(name):
            errors.append(field_invalid(f"{path}.env[{i}].name", name, ENV_NAME_MSG))
    for i, mount in enumerate(container.get("volumeMounts") or []):
        if not mount.get("name"):
            errors.append(field_required(f"{path}.volumeMounts[{i}].name"))
        elif mount["name"] not in volumes:
            errors.append(field_not_found(f"{path}.volumeMounts[{i}].name", mount["name"]))
        if not mount.get("mountPath"):
            errors.append(field_required(f"{path}.volumeMounts[{i}].mountPath"))
    return errors


def pod_errors(pod: Dict[str, Any]) -> List[Dict[str, str]]:
    """Errors ``ValidatePodCreate`` would report for the fields the emulator understands."""
    errors = metadata_errors(pod)
    spec = pod.get("spec") or {}
    volumes = [v.get("name") for v in spec.get("volumes") or []]
    seen_volumes = set()
    for i, name in enumerate(volumes):
        errors.extend(label_name_errors(f"spec.volumes[{i}].name", name))
        if name in seen_volumes:
            errors.append(field_duplicate(f"spec.volumes[{i}].name", name))
        seen_volumes.add(name)
    containers = spec.get("containers") or []
    if not containers:
        errors.append(field_required("spec.containers"))
    seen = set()
    for kind in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(kind) or []):
            path = f"spec.{kind}[{i}]"
            errors.extend(_container_errors(path, container, volumes))
            if container.get("name") in seen:
                errors.append(field_duplicate(path + ".name", container.get("name")))
            seen.add(container.get("name"))
    policy = spec.get("restartPolicy")
    if policy not in (None, "Always", "OnFailure", "Never"):
        errors.append(
            {
                "reason": "FieldValueNotSupported",
                "message": f'Unsupported value: "{policy}": supported values: "Always", "OnFailure", "Never"',
                "field": "spec.restartPolicy",
            }
        )
    return errors


def key_errors(obj: Dict[str, Any], fields: List[str]) -> List[Dict[str, str]]:
    """Secret/ConfigMap keys; base64 payloads are checked while decoding, as the real server does."""
    errors: List[Dict[str, str]] = []
    for name in fields:
        for key in obj.get(name) or {}:
            if not _CONFIG_KEY_RE.match(key):
                errors.append(field_invalid(f"{name}[{key}]", key, CONFIG_KEY_MSG))
    return errors
