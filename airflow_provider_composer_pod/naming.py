"""Pod names derived from task ids, valid on every provider version."""

from __future__ import annotations

import hashlib
import re

# KPO appends "-" and an 8-character random suffix; 63 keeps the result a valid DNS-1123 label as well as subdomain.
_MAX_BASE_LENGTH = 63 - 9
_INVALID = re.compile(r"[^a-z0-9-]+")


def pod_name_from_task_id(task_id: str) -> str:
    """Lower-case, replace what DNS-1123 forbids with ``-``, trim, and keep it unique with a short hash when cut."""
    name = _INVALID.sub("-", task_id.lower()).strip("-")
    if not name:
        return "pod-" + hashlib.sha1(task_id.encode()).hexdigest()[:8]
    if len(name) > _MAX_BASE_LENGTH:
        digest = hashlib.sha1(task_id.encode()).hexdigest()[:8]
        name = name[: _MAX_BASE_LENGTH - 9].rstrip("-") + "-" + digest
    return name
