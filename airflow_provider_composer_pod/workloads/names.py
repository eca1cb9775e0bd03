"""Kubernetes' naming rules (``k8s.io/apimachinery/pkg/util/validation``) as validators with errors for people.

Object names are DNS-1123 subdomains, data keys match ``[-._a-zA-Z0-9]+``, environment variable names match
``[-._a-zA-Z][-._a-zA-Z0-9]*``; none of the latter two may be ``.``, ``..`` or start with ``..``. A value containing
Jinja (``{{ ... }}``) is let through unless ``rendered=True``, because only its rendered form can be judged.
Pure: no Airflow and no Kubernetes client, so manifests and the CLI can use it cheaply.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional, Union

from airflow_provider_composer_pod.errors import ComposerPodInputError

MAX_NAME_LENGTH = 253  # DNS-1123 subdomain, and a Secret or ConfigMap key
MAX_LABEL_LENGTH = 63  # DNS-1123 label: namespaces and volume names

_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_JINJA = re.compile(r"\{\{|\{%")
_NOT_IN_NAME = re.compile(r"[^a-z0-9.-]+")

# ``items`` of a volume: a mapping key -> relative path, or a list of keys mounted under their own name.
KeyPaths = Union[Mapping[str, str], Iterable[str], None]


def is_templated(value: Any) -> bool:
    """Jinja is judged after rendering, so builders let it through."""
    return isinstance(value, str) and _JINJA.search(value) is not None


def _require_str(parameter: str, value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    raise ComposerPodInputError(parameter, value, f"{what} must be a string", f"pass {what} as a str")


def _check_unrendered(parameter: str, value: str, rendered: bool) -> bool:
    """True when the value is Jinja to skip now; after rendering, Jinja left over is an error of its own."""
    if not is_templated(value):
        return False
    if not rendered:
        return True
    raise ComposerPodInputError(
        parameter,
        value,
        "it still contains Jinja after rendering (KPO does not render Secret objects, mount paths or volume items)",
        "use a literal value here, or template a field that KPO renders",
    )


def _suggest_name(value: str) -> Optional[str]:
    candidate = _NOT_IN_NAME.sub("-", value.lower()).strip("-.")[:MAX_NAME_LENGTH].rstrip("-.")
    return candidate if candidate and _SUBDOMAIN.fullmatch(candidate) else None


def _chdir_rule(value: str) -> Optional[str]:
    if value in (".", ".."):
        return f"it must not be {value!r}"
    if value.startswith(".."):
        return "it must not start with '..'"
    return None


def validate_object_name(value: Any, parameter: str = "name", kind: str = "Secret", rendered: bool = False) -> None:
    """A Secret or ConfigMap name: DNS-1123 subdomain (lower-case alphanumerics, '-' and '.'), at most 253."""
    value = _require_str(parameter, value, f"a {kind} name")
    if _check_unrendered(parameter, value, rendered):
        return
    rule = (
        f"a {kind} name must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending "
        f"with a letter or digit, at most {MAX_NAME_LENGTH} characters"
    )
    if len(value) > MAX_NAME_LENGTH or not _SUBDOMAIN.fullmatch(value):
        suggestion = _suggest_name(value)
        fix = f"use a name such as {suggestion!r}" if suggestion else f"rename the {kind}, e.g. 'my-{kind.lower()}'"
        raise ComposerPodInputError(parameter, value, rule, fix)


def validate_namespace(value: Any, parameter: str = "namespace", rendered: bool = False) -> None:
    """A namespace is a DNS-1123 label: like a name, but at most 63 characters and without dots."""
    value = _require_str(parameter, value, "a namespace")
    if _check_unrendered(parameter, value, rendered):
        return
    if len(value) > MAX_LABEL_LENGTH or not _LABEL.fullmatch(value):
        raise ComposerPodInputError(
            parameter,
            value,
            "a namespace must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a "
            f"letter or digit, at most {MAX_LABEL_LENGTH} characters",
            "use the environment's namespace, e.g. 'composer-user-workloads', or leave it unset",
        )


def validate_key(value: Any, parameter: str = "key", rendered: bool = False) -> None:
    """A data key of a Secret or ConfigMap; it also becomes a file name when the object is mounted."""
    value = _require_str(parameter, value, "a key")
    if _check_unrendered(parameter, value, rendered):
        return
    rule = _chdir_rule(value)
    if rule is None and (len(value) > MAX_NAME_LENGTH or not _KEY.fullmatch(value)):
        rule = f"a key must consist of letters, digits, '-', '_' or '.' ([-._a-zA-Z0-9]+), at most {MAX_NAME_LENGTH}"
    if rule:
        raise ComposerPodInputError(parameter, value, rule, "use a key such as 'sql_alchemy_conn' or 'key.json'")


def validate_env_name(value: Any, parameter: str = "env_name", rendered: bool = False) -> None:
    """An environment variable name as the Kubernetes API accepts it (a C identifier, plus '-' and '.')."""
    value = _require_str(parameter, value, "an environment variable name")
    if _check_unrendered(parameter, value, rendered):
        return
    rule = _chdir_rule(value)
    if rule is None and not _ENV_NAME.fullmatch(value):
        rule = "an environment variable name must match [-._a-zA-Z][-._a-zA-Z0-9]* (no leading digit, no spaces)"
    if rule:
        raise ComposerPodInputError(parameter, value, rule, "use a name such as 'SQL_CONN'")


def _has_parent_reference(path: str) -> bool:
    return ".." in path.split("/")


def validate_mount_path(value: Any, parameter: str = "mount_path", rendered: bool = False) -> None:
    """Where a volume is mounted in the container: an absolute path that cannot climb out with '..'."""
    value = _require_str(parameter, value, "a mount path")
    if _check_unrendered(parameter, value, rendered):
        return
    if not value.startswith("/"):
        rule = "a mount path must be absolute"
    elif value.rstrip("/") == "":
        rule = "mounting over '/' would hide the whole container image"
    elif _has_parent_reference(value):
        rule = "a mount path must not contain a '..' element"
    elif ":" in value:
        rule = "a mount path must not contain ':'"
    elif any(ord(char) < 32 or ord(char) == 127 for char in value):
        rule = "a mount path must not contain control characters"
    else:
        return
    raise ComposerPodInputError(parameter, value, rule, "use an absolute directory such as '/var/secrets/google'")


def validate_item_path(value: Any, parameter: str = "items", rendered: bool = False) -> None:
    """A key's file name inside a mounted volume: relative, and not escaping the mount with '..'."""
    value = _require_str(parameter, value, "an item path")
    if _check_unrendered(parameter, value, rendered):
        return
    if not value:
        rule = "an item path must not be empty"
    elif value.startswith("/"):
        rule = "an item path must be relative to the mount path"
    elif _has_parent_reference(value) or value.startswith(".."):
        rule = "an item path must not contain a '..' element or start with '..'"
    elif ":" in value or any(ord(char) < 32 or ord(char) == 127 for char in value):
        rule = "an item path must not contain ':' or control characters"
    else:
        return
    raise ComposerPodInputError(parameter, value, rule, "use a relative file name such as 'service-account.json'")
