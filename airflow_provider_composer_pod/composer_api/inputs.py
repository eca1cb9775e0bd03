"""Input checks made before any request, so bad input changes nothing: names, keys, values, sizes.

Nothing here ever puts a Secret's value into a message.
"""

from __future__ import annotations

import base64
import re
import reprlib
from typing import Any, Dict, Mapping, Optional

from airflow_provider_composer_pod.composer_api.errors import ComposerApiInputError
from airflow_provider_composer_pod.composer_api.kinds import Kind

# The object becomes a Kubernetes Secret/ConfigMap, whose name "must be a valid DNS subdomain name"
# (kubernetes.io, research section 5). What the Composer API itself accepts is UNCONFIRMED; Terraform's provider is
# stricter (<= 63 characters, no dots), so a name that passes here may still get a 400 from the API.
_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
MAX_NAME = 253
# apimachinery IsConfigMapKey: `[-._a-zA-Z0-9]+`, at most 253 characters, not "." or ".." or starting with "..".
_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
# "Individual Secrets are limited to 1MiB" / "The data stored in a ConfigMap cannot exceed 1 MiB" (kubernetes.io).
# How Composer counts (decoded bytes or base64 text) is UNCONFIRMED; we count keys plus decoded values, in UTF-8.
MAX_DATA_BYTES = 1024 * 1024


def check_name(kind: Kind, name: Any) -> str:
    if not isinstance(name, str):
        raise ComposerApiInputError(
            f"name must be a string naming the {kind.label}, got {type(name).__name__}; pass a name such as "
            f"'my-{kind.label.lower()}'"
        )
    if not name or len(name) > MAX_NAME or not _SUBDOMAIN.match(name):
        raise ComposerApiInputError(
            f"name {name!r} is not a valid {kind.label} name: it must be a DNS subdomain (lowercase letters, digits, "
            f"'-' and '.', starting and ending with a letter or digit, at most {MAX_NAME} characters); rename it, "
            f"e.g. {_suggest(name)!r}"
        )
    return name


def _suggest(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")[:63].strip("-.")
    return cleaned or "my-object"


def check_data(kind: Kind, data: Any) -> Dict[str, str]:
    """``data`` as a plain dict after every check; messages name keys and types, never a Secret's values."""
    if not isinstance(data, Mapping):
        raise ComposerApiInputError(
            f"data of {kind.label} must be a mapping of key to string value, got {type(data).__name__}; pass a dict"
        )
    total = 0
    checked: Dict[str, str] = {}
    for key, value in data.items():
        _check_key(kind, key)
        if not isinstance(value, str):
            shown = "a value" if kind.key == "secret" else reprlib.repr(value)
            raise ComposerApiInputError(
                f"data[{key!r}] of {kind.label} must be a string, got {type(value).__name__} ({shown}); convert it "
                "with str() or json.dumps() first"
            )
        total += len(key.encode("utf-8")) + len(value.encode("utf-8"))
        checked[key] = value
    if total > MAX_DATA_BYTES:
        raise ComposerApiInputError(
            f"data of {kind.label} is {total} bytes, over the Kubernetes limit of {MAX_DATA_BYTES} bytes (1 MiB) for "
            f"one {kind.label}; split it across several objects or mount the file from elsewhere"
        )
    return checked


def _check_key(kind: Kind, key: Any) -> None:
    if not isinstance(key, str):
        raise ComposerApiInputError(
            f"data key {key!r} of {kind.label} must be a string, got {type(key).__name__}; convert the key with str()"
        )
    if not key or len(key) > MAX_NAME or not _KEY.match(key) or key in (".", "..") or key.startswith(".."):
        raise ComposerApiInputError(
            f"data key {key!r} of {kind.label} is not a valid key: keys are 1-{MAX_NAME} of letters, digits, '-', "
            "'_' and '.', and not '.', '..' or starting with '..'; rename the key"
        )


def check_page_size(page_size: Optional[int]) -> Optional[int]:
    if page_size is None:
        return None
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ComposerApiInputError(
            f"page_size {page_size!r} must be a positive integer or None (the server's default); pass e.g. 100"
        )
    return page_size


def encode_data(kind: Kind, data: Mapping[str, str]) -> Dict[str, str]:
    """What the API takes in ``data``: base64 text for a Secret ("values ... have to be base64-encoded strings",
    the v1 proto), the plain strings for a ConfigMap."""
    if kind.key != "secret":
        return dict(data)
    return {key: base64.b64encode(value.encode("utf-8")).decode("ascii") for key, value in data.items()}
