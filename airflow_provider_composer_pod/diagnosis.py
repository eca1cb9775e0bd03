"""Say in one line why a pod failed, from its container states, so the failure e-mail is useful on its own."""

from __future__ import annotations

from typing import Any, Optional


def _attr(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def describe_failure(remote_pod: Any, base_container: str) -> Optional[str]:
    """``container base exited with code 3 (Error)``, plus the termination message and the pod's own reason."""
    status = _attr(remote_pod, "status")
    if status is None:
        return None
    parts = []
    for container in _attr(status, "container_statuses") or []:
        if _attr(container, "name") != base_container:
            continue
        terminated = _attr(_attr(container, "state"), "terminated")
        waiting = _attr(_attr(container, "state"), "waiting")
        if terminated is not None:
            parts.append(
                f"container {base_container} exited with code {_attr(terminated, 'exit_code')} "
                f"({_attr(terminated, 'reason') or 'no reason given'})"
            )
            message = (_attr(terminated, "message") or "").strip()
            if message:
                parts.append(f"termination message: {message}")
        elif waiting is not None:
            parts.append(f"container {base_container} never started: {_attr(waiting, 'reason')}")
    pod_reason = _attr(status, "reason")
    if pod_reason:
        parts.append(f"pod {_attr(status, 'phase')}: {pod_reason} {(_attr(status, 'message') or '').strip()}".strip())
    return "; ".join(parts) or None
