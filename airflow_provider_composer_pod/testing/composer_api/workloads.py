"""What the emulator holds: each kind's objects by name, the checks the API makes on them, and list pages.

Plain data, no HTTP: ``server`` routes requests here, ``sync`` mirrors writes into the Kubernetes emulator.
Secret values are stored as the API takes them (base64), and every answer clears them, as Get does on the real
API ("Values of the "data" field in the response are cleared", v1 proto); whether Create/Update/List answers
clear them too is UNCONFIRMED, and clearing them everywhere keeps values out of every answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from airflow_provider_composer_pod.testing.apiserver.validation import CONFIG_KEY_MSG, SUBDOMAIN_MSG, subdomain_errors
from airflow_provider_composer_pod.testing.composer_api import faults

DEFAULT_PAGE_SIZE = 50  # the real default is UNCONFIRMED
MAX_PAGE_SIZE = 1000
MAX_DATA_BYTES = 1024 * 1024  # Kubernetes' 1 MiB per object; whether Composer checks it first is UNCONFIRMED


@dataclass(frozen=True)
class Kind:
    collection: str  # userWorkloadsSecrets
    label: str  # "User workloads Secret", in messages
    k8s_resource: str  # the emulator's Kubernetes resource it syncs to
    iam: str  # composer.userworkloadssecrets
    secret: bool


KINDS: Dict[str, Kind] = {
    "userWorkloadsSecrets": Kind(
        "userWorkloadsSecrets", "User workloads Secret", "secrets", "composer.userworkloadssecrets", True
    ),
    "userWorkloadsConfigMaps": Kind(
        "userWorkloadsConfigMaps", "User workloads ConfigMap", "configmaps", "composer.userworkloadsconfigmaps", False
    ),
}


class Workloads:
    """One environment's user-workloads objects: ``{collection: {name: data}}``, guarded by one lock."""

    def __init__(self, environment_name: str) -> None:
        self.environment_name = environment_name
        self.objects: Dict[str, Dict[str, Dict[str, str]]] = {name: {} for name in KINDS}
        self.lock = threading.Lock()

    def full_name(self, kind: Kind, name: str) -> str:
        return f"{self.environment_name}/{kind.collection}/{name}"

    def answer(self, kind: Kind, name: str, data: Dict[str, str]) -> Dict[str, Any]:
        shown = {key: "" for key in data} if kind.secret else dict(data)
        return {"name": self.full_name(kind, name), "data": shown}

    # ------------------------------------------------------------------------------------------------ checks
    def check_body(self, kind: Kind, body: Any, url_name: Optional[str]) -> Tuple[str, Dict[str, str]]:
        """The object's short name and data from a create/update body; 400 for anything the API would refuse."""
        if not isinstance(body, dict):
            raise faults.invalid(f"Invalid JSON payload received: the body must be a {kind.label} object.")
        full = body.get("name")
        prefix = f"{self.environment_name}/{kind.collection}/"
        if not isinstance(full, str) or not full.startswith(prefix):
            raise faults.invalid(f"{kind.label} name must be of the form '{prefix}{{name}}', got {full!r}.")
        name = full[len(prefix) :]
        if url_name is not None and name != url_name:
            raise faults.invalid(f"{kind.label} name in the body ({name!r}) does not match the URL ({url_name!r}).")
        self.check_name(kind, name)
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise faults.invalid(f"Invalid value at 'data': a {kind.label}'s data must be a map of strings.")
        total = 0
        for key, value in data.items():
            if not key or len(key) > 253 or key in (".", "..") or key.startswith("..") or not _key_ok(key):
                raise faults.invalid(f"Invalid data key {key!r} of {kind.label} '{name}': {CONFIG_KEY_MSG}.")
            if not isinstance(value, str):
                raise faults.invalid(f"Invalid value at 'data[{key}]': a {kind.label}'s values must be strings.")
            total += len(key) + len(_decoded(kind, name, key, value) if kind.secret else value.encode("utf-8"))
        if total > MAX_DATA_BYTES:
            raise faults.invalid(f"{kind.label} '{name}' is {total} bytes; the limit is {MAX_DATA_BYTES}.")
        return name, dict(data)

    def check_name(self, kind: Kind, name: str) -> None:
        if subdomain_errors("name", name):
            raise faults.invalid(f"Invalid {kind.label} name {name!r}: {SUBDOMAIN_MSG}.")

    # ------------------------------------------------------------------------------------------------ pages
    def page(self, kind: Kind, page_size: Optional[str], page_token: Optional[str]) -> Dict[str, Any]:
        size = _page_size(page_size)
        after = _token_after(kind, page_token) if page_token else ""
        with self.lock:
            names = sorted(name for name in self.objects[kind.collection] if name > after)
            items = [self.answer(kind, name, self.objects[kind.collection][name]) for name in names[:size]]
        result: Dict[str, Any] = {}
        # proto3 JSON leaves out empty fields: an empty list and the last page's token are absent.
        if items:
            result[kind.collection] = items
        if len(names) > size:
            result["nextPageToken"] = _token(kind, names[size - 1])
        return result


def _key_ok(key: str) -> bool:
    return all(ch.isascii() and (ch.isalnum() or ch in "-._") for ch in key)


def _decoded(kind: Kind, name: str, key: str, value: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        # The message never repeats the value: it is a Secret's.
        raise faults.invalid(
            f"Invalid value at 'data[{key}]' of {kind.label} '{name}': values must be base64-encoded strings."
        ) from None


def _page_size(raw: Optional[str]) -> int:
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(str(raw))
    except ValueError:
        raise faults.invalid(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"") from None
    if size < 0:
        raise faults.invalid(f"page_size must not be negative, got {size}.")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _token(kind: Kind, last: str) -> str:
    raw = json.dumps({"k": kind.collection, "a": last}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _token_after(kind: Kind, token: str) -> str:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if decoded["k"] == kind.collection and isinstance(decoded["a"], str):
            return str(decoded["a"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise faults.invalid("Invalid page token.")
