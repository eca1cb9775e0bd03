"""What happened while a pod started, and what to do when it could not: plain words from its status and events.

Pure functions over the API's JSON shapes (camelCase dicts, as a watch or ``_preload_content=False`` returns them),
so the triggerer, the worker and tests share them without Airflow. Three questions:

- :func:`classify`: has the pod left Pending, and if not, is it in a state that waiting will not fix?
- :func:`describe_startup`: "scheduled after 41.2 s (TriggeredScaleUp), image pulled in 12.3 s, started after 55.0 s".
- :func:`startup_advice`: why it did not start, with the fix that applies on Composer.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from sys import intern
from typing import Any, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.fields import attr_path
from airflow_provider_composer_pod.startup.wait import CONFIG_ERROR

PENDING = "pending"
STARTED = "started"  # Running: containers are up
FINISHED = "finished"  # Succeeded or Failed before anyone saw it run
CANNOT_START = "cannot_start"  # a waiting reason that waiting will not fix
DELETED = "deleted"
TIMEOUT = "timeout"

IMAGE_PULL_REASONS = ("ErrImagePull", "ImagePullBackOff")
FATAL_IMAGE_REASONS = ("InvalidImageName", "ErrImageNeverPull")
# Pull errors that a retry can fix (the same list KPO 10.x uses): those keep the pod waiting.
_TRANSIENT_PULL = (
    "pull qps exceeded",
    "rate limit",
    "too many requests",
    "quota exceeded",
    "temporarily unavailable",
    "timeout",
    "account limit",
    "bad gateway",
    "service unavailable",
    "gateway timeout",
)
_SCALE_UP = "TriggeredScaleUp"
_NO_SCALE_UP = ("NotTriggerScaleUp", "FailedScaleUp")
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_time(value: Any) -> Optional[float]:
    """RFC 3339 (``metav1.Time`` or ``MicroTime``) to epoch seconds; None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", text)
    if match is None:
        return None
    base, fraction, zone = match.groups()
    try:
        moment = datetime.datetime.fromisoformat(base + (zone or "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() + (float(fraction) if fraction else 0.0)


def go_duration(text: str) -> Optional[float]:
    """``1m2.5s``, ``12.3s``, ``803ms``: Go's ``time.Duration`` as the kubelet prints it, in seconds."""
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _container_statuses(pod: Any) -> List[Dict[str, Any]]:
    status = attr_path(pod, "status") or {}
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def waiting_problem(pod: Any) -> Optional[Tuple[str, str, str]]:
    """``(container, reason, message)`` for the first container stuck in a state that waiting will not fix."""
    for container in _container_statuses(pod):
        waiting = attr_path(container, "state", "waiting") or {}
        reason, message = waiting.get("reason") or "", waiting.get("message") or ""
        if reason == CONFIG_ERROR or reason in FATAL_IMAGE_REASONS:
            return container.get("name", "?"), reason, message
        if reason in IMAGE_PULL_REASONS and not any(p in message.lower() for p in _TRANSIENT_PULL):
            return container.get("name", "?"), reason, message
    return None


def classify(pod: Optional[Dict[str, Any]]) -> Tuple[str, Optional[str]]:
    """Where the pod's start stands: one of the constants above, with the reason for ``cannot_start``."""
    if pod is None:
        return DELETED, None
    phase = attr_path(pod, "status", "phase") or "Pending"
    if phase == "Running":
        return STARTED, None
    if phase in ("Succeeded", "Failed"):
        return FINISHED, phase
    problem = waiting_problem(pod)
    if problem is not None:
        return CANNOT_START, problem[1]
    return PENDING, None


_OUTCOMES = {
    STARTED: "is running",
    FINISHED: "finished ({reason}) before it was seen running",
    CANNOT_START: "cannot start: a container waits in {reason}, which waiting will not fix",
    DELETED: "was deleted while it was starting",
    TIMEOUT: "was still Pending at the startup deadline",
}


def describe_outcome(state: str, reason: Optional[str], waited: float) -> str:
    """How a startup wait ended, in words, for the trigger's log line (not ``cannot_start after 0.0 s``)."""
    what = _OUTCOMES.get(state, state).format(reason=reason or "an unknown state")
    if waited < 0.05:
        return f"{what} (already when the trigger began watching)"
    return f"{what} (seen after the trigger watched for {waited:.1f} s)"


def is_scheduled(pod: Any) -> bool:
    conditions = attr_path(pod, "status", "conditions") or []
    return any(c.get("type") == "PodScheduled" and c.get("status") == "True" for c in conditions)


def trimmed(pod: Dict[str, Any], shared: Optional[Dict[Any, Any]] = None) -> Dict[str, Any]:
    """What the story, the advice and the fail-fast read of a pod; a watch cache and a trigger event keep only this.

    A watch keeps a copy of every pod in its namespace while thousands wait through a scale-up, and makes a new one
    for each event: the copy keeps only the fields read here (of the conditions, PodScheduled). Given ``shared`` (the
    watch's, see :func:`_one_of`), the copy of a pod waiting for a node shares its spec and status with the equal ones
    of other pods (those of one task, and those that began waiting in the same second, are equal), and its metadata's
    strings but the name (``sys.intern``): each decoded pod brings its own copies of them. Fewer objects per copy
    also mean less work for the garbage collector, which walks all of them. Nothing changes a copy once made."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    containers = [
        {key: c[key] for key in ("name", "image", "resources") if key in c}
        for c in (attr_path(pod, "spec", "containers") or [])
    ]
    kept: Dict[str, Any] = {key: status[key] for key in ("phase", "reason", "message") if key in status}
    scheduled = [c for c in status.get("conditions") or () if c.get("type") == "PodScheduled"]
    if scheduled:
        kept["conditions"] = scheduled
    for key in ("initContainerStatuses", "containerStatuses"):
        if key in status:
            kept[key] = [{k: c[k] for k in ("name", "image", "state") if k in c} for c in status[key] or ()]
    metadata = {key: meta[key] for key in _KEPT_METADATA if key in meta}
    # A pod with container statuses is pulling, creating or running: its wait is about to end, its copy to be
    # replaced, and sharing its status would cost the triggerer as much again as decoding it.
    if shared is None or "containerStatuses" in kept:
        return {"metadata": metadata, "spec": {"containers": containers}, "status": kept}
    return {
        "metadata": _interned(metadata, unique=meta.get("name")),
        "spec": _one_of({"containers": containers}, shared),
        "status": _one_of(kept, shared),
    }


# Not the uid or resourceVersion: nothing reads them here (the watch takes its resourceVersion from the event).
_KEPT_METADATA = ("name", "namespace", "creationTimestamp", "deletionTimestamp")

_SHARED_MAX = 1024  # distinct specs and statuses a watch keeps for sharing; it starts over past this


def _one_of(value: Any, shared: Dict[Any, Any]) -> Any:
    """``value`` (JSON data), or the equal value already in ``shared``, where ``value`` is kept if it is new."""
    key = _frozen(value)
    kept = shared.get(key)
    if kept is None:
        if len(shared) >= _SHARED_MAX:
            shared.clear()
        kept = shared[key] = value
    return kept


def _frozen(value: Any) -> Any:
    """A hashable form of JSON data, equal only for equal data (``True``, ``1`` and ``1.0`` are told apart)."""
    kind = type(value)
    if kind is dict:
        return (dict, tuple((k, _frozen(v)) for k, v in value.items()))
    if kind is list:
        return (list, tuple(_frozen(v) for v in value))
    return value if kind is str else (kind, value)


def _interned(value: Dict[str, Any], unique: Optional[str]) -> Dict[str, Any]:
    """A flat dict of strings with its keys and values interned, but the value ``unique``."""
    return {intern(k): (v if type(v) is not str or v == unique else intern(v)) for k, v in value.items()}


# ------------------------------------------------------------------------------------------------------- events
def _event_time(event: Dict[str, Any]) -> Optional[float]:
    for key in ("eventTime", "firstTimestamp", "lastTimestamp"):
        moment = parse_time(event.get(key))
        if moment is not None:
            return moment
    return parse_time(attr_path(event, "series", "lastObservedTime"))


def _count(event: Dict[str, Any]) -> int:
    return int(attr_path(event, "series", "count") or event.get("count") or 1)


def _created_ns(event: Dict[str, Any]) -> float:
    """When the event was first recorded: client-go names events ``<object>.<hex UnixNano>``; the timestamps of
    kubelet events are whole seconds, so the name orders them better."""
    suffix = (attr_path(event, "metadata", "name") or "").rpartition(".")[2]
    try:
        return float(int(suffix, 16))
    except ValueError:
        return (_event_time(event) or 0.0) * 1e9


def _ordered(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return sorted(events, key=_created_ns)


def _first(events: List[Dict[str, Any]], *reasons: str) -> Optional[Dict[str, Any]]:
    return next((e for e in _ordered(events) if e.get("reason") in reasons), None)


def _pull_seconds(message: str) -> Optional[float]:
    match = re.search(r'Successfully pulled image "[^"]*" in ((?:\d+(?:\.\d+)?(?:h|ms|us|µs|ns|m|s))+)', message)
    return go_duration(match.group(1)) if match else None


@dataclass
class StartupStory:
    """``summary`` is one line for the task log; ``details`` are the events that explain it."""

    summary: str
    details: List[str] = field(default_factory=list)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.1f} s"


def describe_startup(
    pod: Dict[str, Any],
    events: List[Dict[str, Any]],
    *,
    created_at: Optional[float] = None,
    observed: Optional[Dict[str, float]] = None,
) -> StartupStory:
    """Phase timings from the pod's creation, with the events behind a slow phase.

    ``created_at`` (the worker's clock when it created the pod) and ``observed`` (when a watch first saw the pod
    ``scheduled`` and ``started``) are sub-second; the API's own timestamps are whole seconds except the scheduler's.
    """
    observed = observed or {}
    start = created_at or parse_time(attr_path(pod, "metadata", "creationTimestamp"))
    parts: List[str] = []
    scheduled_event = _first(events, "Scheduled")
    scheduled = observed.get("scheduled") or (_event_time(scheduled_event) if scheduled_event else None)
    if scheduled is None:
        for condition in attr_path(pod, "status", "conditions") or []:
            if condition.get("type") == "PodScheduled" and condition.get("status") == "True":
                scheduled = parse_time(condition.get("lastTransitionTime"))
    if scheduled is not None and start is not None:
        why = _SCALE_UP if _first(events, _SCALE_UP) else ""
        if not why and _first(events, "FailedScheduling"):
            why = "after FailedScheduling"
        parts.append(f"scheduled after {_seconds(scheduled - start)}" + (f" ({why})" if why else ""))
    pulls = [e for e in _ordered(events) if e.get("reason") == "Pulled"]
    for pull in pulls:
        message = pull.get("message") or ""
        seconds = _pull_seconds(message)
        image = re.search(r'image "([^"]+)"', message)
        which = f"image {image.group(1)}" if image and len(pulls) > 1 else "image"
        if seconds is not None:
            parts.append(f"{which} pulled in {_seconds(seconds)}")
        elif "already present" in message:
            parts.append(f"{which} already on the node")
    started = observed.get("started")
    if started is None:
        stamps = [
            parse_time(
                attr_path(c, "state", "running", "startedAt") or attr_path(c, "state", "terminated", "startedAt")
            )
            for c in attr_path(pod, "status", "containerStatuses") or []
        ]
        known = [s for s in stamps if s is not None]
        started = min(known) if known else None
    if started is not None and start is not None:
        if scheduled is not None:  # the API's startedAt is whole seconds; no container starts before it is scheduled
            started = max(started, scheduled)
        parts.append(f"started after {_seconds(started - start)}")
    summary = "Pod startup: " + (", ".join(parts) if parts else "no timings known") + "."
    return StartupStory(summary, _explaining_events(events))


def _explaining_events(events: List[Dict[str, Any]]) -> List[str]:
    """Warnings and autoscaler events, once each (repeats show as a count)."""
    lines: List[str] = []
    for event in _ordered(events):
        reason = event.get("reason") or ""
        if event.get("type") != "Warning" and reason not in (_SCALE_UP, *_NO_SCALE_UP):
            continue
        count = _count(event)
        times = f" (x{count})" if count > 1 else ""
        lines.append(f"{reason}{times}: {_shorten(event.get('message') or '')}")
    return lines


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------------------------------------- advice
def _requests(pod: Dict[str, Any]) -> str:
    shown = []
    for container in attr_path(pod, "spec", "containers") or []:
        requests = attr_path(container, "resources", "requests") or {}
        if requests:
            values = ", ".join(f"{key}={value}" for key, value in sorted(requests.items()))
            shown.append(f"{container.get('name')}: {values}")
    return "; ".join(shown) or "none set"


def _image_of(pod: Dict[str, Any], container: str) -> str:
    for spec in attr_path(pod, "spec", "containers") or []:
        if spec.get("name") == container:
            return str(spec.get("image") or "?")
    for status in _container_statuses(pod):
        if status.get("name") == container:
            return str(status.get("image") or "?")
    return "?"


def startup_advice(
    outcome: str,
    pod: Optional[Dict[str, Any]],
    events: List[Dict[str, Any]],
    *,
    timeout: float,
    waited: Optional[float] = None,
) -> str:
    """Why the pod did not start, and the Composer-specific fix, for the task's failure message."""
    name = attr_path(pod, "metadata", "name") or "?"
    if outcome == DELETED or pod is None:
        return f"Pod {name} was deleted while it was starting, by something other than this task."
    problem = waiting_problem(pod)
    if problem is not None:
        container, reason, message = problem
        if reason == CONFIG_ERROR:
            return (
                f"Pod {name} cannot start: container {container} waits in {CONFIG_ERROR} ({_shorten(message)}). "
                "A Secret or ConfigMap it uses, or a key in one, is missing: create it in the pod's namespace "
                "(on Composer 3 through the environment's user-workloads Secrets and ConfigMaps), or fix the name."
            )
        image = _image_of(pod, container)
        registry = (
            " The image is in Artifact Registry: the environment's service account needs "
            "roles/artifactregistry.reader on that repository (and the repository must be in a region the "
            "cluster can reach)."
            if "-docker.pkg.dev/" in image or image.startswith("gcr.io/") or ".gcr.io/" in image
            else " A private registry needs an imagePullSecret in the pod's namespace."
        )
        return (
            f"Pod {name} cannot start: the image {image} of container {container} cannot be pulled "
            f"({reason}: {_shorten(message)}). Check the image name and tag.{registry}"
        )
    lead = f"Pod {name} was still Pending after {timeout if waited is None else waited:.0f} s"
    lead += f" (startup_timeout_seconds={timeout:g})"
    scale_up, no_scale_up = _first(events, _SCALE_UP), _first(events, *_NO_SCALE_UP)
    failed_scheduling = _first(events, "FailedScheduling")
    if not is_scheduled(pod):
        if no_scale_up is not None or (failed_scheduling is not None and scale_up is None):
            said = no_scale_up or failed_scheduling or {}
            return (
                f"{lead}: no node can hold it and no scale-up can add one ({said.get('reason')}: "
                f"{_shorten(said.get('message') or '')}). The pod's requests ({_requests(pod)}) are too big for "
                "the compute class or node pool: lower them, or choose a compute class that offers them "
                "(nodeSelector cloud.google.com/compute-class on Composer 2 and 3)."
            )
        if scale_up is not None:
            return (
                f"{lead}: a scale-up was still in progress "
                f"(TriggeredScaleUp: {_shorten(scale_up.get('message') or '')}). "
                "Autopilot can take several minutes to add a node, longer for large or GPU machines: raise "
                "startup_timeout_seconds."
            )
        return f"{lead}: it was never scheduled. Raise startup_timeout_seconds if the cluster is only slow."
    pulling, pulled = _first(events, "Pulling"), _first(events, "Pulled")
    if pulling is not None and pulled is None:
        return (
            f"{lead}: its image was still being pulled. Large images take minutes to pull: raise "
            "startup_timeout_seconds, or make the image smaller (Composer caches nothing between nodes)."
        )
    return f"{lead}. Raise startup_timeout_seconds if the pod is only slow; its events say more (kubectl describe pod)."
