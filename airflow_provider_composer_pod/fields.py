"""Read a field of a Kubernetes object, whichever form it comes in: a ``kubernetes`` client model (snake_case
attributes), its ``to_dict()`` (snake_case keys) or the API's JSON (camelCase keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional


def attr(obj: Any, snake: str, camel: Optional[str] = None) -> Any:
    """``obj.snake``, or ``obj[snake]`` (else ``obj[camel]``) for a mapping; None when ``obj`` is None or lacks it."""
    if obj is None:
        return None
    if isinstance(obj, (dict, Mapping)):  # dict first: this runs on every DAG parse
        value = obj.get(snake)
        if value is None and camel is not None:
            value = obj.get(camel)
        return value
    return getattr(obj, snake, None)


def attr_path(obj: Any, *names: str) -> Any:
    """``attr`` down a path of plain names: ``attr_path(pod, "status", "phase")``."""
    for name in names:
        obj = attr(obj, name)
    return obj
