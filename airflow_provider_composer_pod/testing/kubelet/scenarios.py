"""Scenarios: how the simulated scheduler, image puller and kubelet treat matching pods and containers.

A scenario matches by image (``fnmatch`` pattern; ``"busybox"`` also matches ``busybox:1.36`` and
``docker.io/library/busybox``), by pod name pattern and/or by container name pattern. All matching scenarios apply,
later ones overriding earlier ones field by field; unset fields (``None``) leave the default.
All durations are *simulated* seconds, multiplied by the emulator's ``time_scale``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

_DEFAULTS: Dict[str, Any] = {
    "schedule_delay": 0.05,
    "unschedulable_for": 0.0,
    "scale_up": True,
    "pull_delay": 0.05,
    "pull_error": None,
    "pull_error_for": None,
    "start_delay": 0.02,
    "exit_code": None,
    "oom_kill_after": None,
    "termination_message": None,
    "run_duration": None,
    "evict_after": None,
    "preempt_after": None,
    "entrypoint": None,
    "runtime": None,
    "logs": None,
    "image_present": False,
    "config_retry_interval": 0.2,
}


@dataclass
class PodScenario:
    """One rule. Pod-level fields use the pod name or any container image to match; container fields use that
    container's image and name.

    :param schedule_delay: seconds from creation to ``Scheduled``.
    :param unschedulable_for: seconds of ``FailedScheduling`` before ``TriggeredScaleUp`` and scheduling
        (``math.inf``: never scheduled).
    :param scale_up: ``False``: the cluster autoscaler says ``NotTriggerScaleUp`` (no node group fits the pod)
        instead of ``TriggeredScaleUp``.
    :param pull_delay: seconds between ``Pulling`` and ``Pulled``.
    :param pull_error: e.g. ``"manifest unknown"``: pulls fail with ``ErrImagePull`` then ``ImagePullBackOff``.
    :param pull_error_for: seconds until pulls succeed again (``None``: fail forever).
    :param start_delay: seconds between ``Created`` and ``Started``.
    :param exit_code: replace the command's exit code.
    :param oom_kill_after: seconds after start when the container is OOMKilled (exit 137) if still running, or at
        exit if it ends sooner.
    :param termination_message: the message shown in ``state.terminated.message``.
    :param run_duration: keep the container running at least this long.
    :param evict_after: seconds after creation when the kubelet evicts the pod (before or during the run).
    :param preempt_after: seconds after creation when the scheduler preempts the pod (it is then deleted).
    :param entrypoint: ``callable(ContainerContext) -> int | None`` (sync or async) replacing the command.
    :param runtime: ``"builtin"`` or ``"host"`` for matching containers.
    :param logs: lines the container prints (stdout) before its command runs.
    :param image_present: emit ``Pulled: Container image … already present on machine`` without pulling.
    """

    image: Optional[str] = None
    pod_name: Optional[str] = None
    container: Optional[str] = None
    namespace: Optional[str] = None
    schedule_delay: Optional[float] = None
    unschedulable_for: Optional[float] = None
    scale_up: Optional[bool] = None
    pull_delay: Optional[float] = None
    pull_error: Optional[str] = None
    pull_error_for: Optional[float] = None
    start_delay: Optional[float] = None
    exit_code: Optional[int] = None
    oom_kill_after: Optional[float] = None
    termination_message: Optional[str] = None
    run_duration: Optional[float] = None
    evict_after: Optional[float] = None
    preempt_after: Optional[float] = None
    entrypoint: Optional[Callable[..., Any]] = None
    runtime: Optional[str] = None
    logs: Optional[List[str]] = None
    image_present: Optional[bool] = None
    config_retry_interval: Optional[float] = None


def image_matches(pattern: str, image: str) -> bool:
    candidates = {image, image.split("@")[0]}
    for candidate in list(candidates):
        name = candidate.rsplit(":", 1)[0] if ":" in candidate.rsplit("/", 1)[-1] else candidate
        candidates.add(name)
        for prefix in ("docker.io/library/", "docker.io/", "library/"):
            if name.startswith(prefix):
                candidates.add(name[len(prefix) :])
    return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)


class Settings:
    """Merged view of defaults plus every matching scenario, read with attribute access."""

    def __init__(self, values: Dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - only for type checkers
        raise AttributeError(name)


def resolve(
    scenarios: List[PodScenario],
    pod: Dict[str, Any],
    container: Optional[Dict[str, Any]] = None,
) -> Settings:
    """Settings for a pod (``container=None``) or one of its containers."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    images = [c.get("image", "") for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])]
    values = dict(_DEFAULTS)
    for scenario in scenarios:
        if scenario.pod_name and not fnmatch.fnmatchcase(meta.get("name", ""), scenario.pod_name):
            continue
        if scenario.namespace and scenario.namespace != meta.get("namespace"):
            continue
        if container is not None:
            if scenario.image and not image_matches(scenario.image, container.get("image", "")):
                continue
            if scenario.container and not fnmatch.fnmatchcase(container.get("name", ""), scenario.container):
                continue
        elif scenario.image and not any(image_matches(scenario.image, i) for i in images):
            continue
        for field in dataclasses.fields(scenario):
            if field.name in ("image", "pod_name", "container", "namespace"):
                continue
            value = getattr(scenario, field.name)
            if value is not None:
                values[field.name] = value
    return Settings(values)
