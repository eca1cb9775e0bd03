"""Say in one line why a pod failed, from its container states, so the failure e-mail is useful on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence

from airflow_provider_composer_pod.fields import attr
from airflow_provider_composer_pod.wording import counted


def describe_failure(remote_pod: Any, base_container: str) -> Optional[str]:
    """``container base exited with code 3 (Error)``, plus the termination message and the pod's own reason."""
    status = attr(remote_pod, "status")
    if status is None:
        return None
    parts = []
    for container in attr(status, "container_statuses") or []:
        if attr(container, "name") != base_container:
            continue
        terminated = attr(attr(container, "state"), "terminated")
        waiting = attr(attr(container, "state"), "waiting")
        if terminated is not None:
            parts.append(
                f"container {base_container} exited with code {attr(terminated, 'exit_code')} "
                f"({attr(terminated, 'reason') or 'no reason given'})"
            )
            message = (attr(terminated, "message") or "").strip()
            if message:
                parts.append(f"termination message: {message}")
        elif waiting is not None:
            parts.append(f"container {base_container} never started: {attr(waiting, 'reason')}")
    pod_reason = attr(status, "reason")
    if pod_reason:
        parts.append(f"pod {attr(status, 'phase')}: {pod_reason} {(attr(status, 'message') or '').strip()}".strip())
    return "; ".join(parts) or None


# --------------------------------------------------------------------------------------------- the whole story
# What a failed task's exception carries (issue 8): the exit code and termination message (describe_failure), a
# diagnosis from the pod's container states, conditions and events, and the container's last log lines.

_EXIT_CODES = {
    126: "the command could not be executed (exit 126): check that `cmds` names an executable file in the image",
    127: "the command was not found (exit 127): check `cmds` / `arguments` and the image's PATH",
    137: "the container was killed with SIGKILL (exit 137): out of memory on the node, or stopped by force after a "
    "deletion's grace period",
    143: "the container was stopped with SIGTERM (exit 143): the pod was deleted, or its node drained, while it ran",
}
_PULL_ERRORS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")


@dataclass
class FailureFacts:
    """What is known about a failed pod: its latest state (None once deleted), its events and last log lines."""

    pod: Any
    deleted: bool = False
    events: List[Any] = field(default_factory=list)
    log_tail: Optional[List[str]] = None


def _base_status(pod: Any, base_container: str) -> Any:
    status = attr(pod, "status")
    for container in attr(status, "container_statuses") or []:
        if attr(container, "name") == base_container:
            return container
    return None


def _base_spec(pod: Any, base_container: str) -> Any:
    for container in attr(attr(pod, "spec"), "containers") or []:
        if attr(container, "name") == base_container:
            return container
    return None


def base_container_succeeded(pod: Any, base_container: str) -> bool:
    """The main container ended with exit code 0 (the pod itself may still run an xcom sidecar)."""
    terminated = attr(attr(_base_status(pod, base_container), "state"), "terminated")
    return terminated is not None and attr(terminated, "exit_code") == 0


def _event_message(events: Sequence[Any], *reasons: str) -> Optional[str]:
    """The latest event with one of ``reasons``: ``"<reason>: <message>"``."""
    found = [e for e in events if attr(e, "reason") in reasons]
    if not found:
        return None
    event = found[-1]
    return f"{attr(event, 'reason')}: {(attr(event, 'message') or '').strip()}"


def _memory_advice(pod: Any, base_container: str, generation: Optional[int]) -> str:
    """How much memory the container had, and how far Autopilot lets it go for the pod's compute class."""
    from airflow_provider_composer_pod.validation.quantities import format_bytes, try_parse
    from airflow_provider_composer_pod.validation.rules import GENERAL_PURPOSE, rule_book

    resources = attr(_base_spec(pod, base_container), "resources")
    limit = (attr(resources, "limits") or {}).get("memory") or (attr(resources, "requests") or {}).get("memory")
    had = f"its memory limit of {limit}" if limit else "no memory request or limit (the default applies)"
    advice = f"it used more memory than {had}. Raise the memory request and limit (`container_resources`)"
    book = rule_book()
    rules = book.generation(generation)
    autopilot = rules.autopilot if rules is not None else generation is None
    if not autopilot:
        return advice + " or lower the task's memory use"
    selector = dict(attr(attr(pod, "spec"), "node_selector") or {}).get(book.selector_key)
    compute_class = book.compute_class(selector or GENERAL_PURPOSE)
    maximum = compute_class.maximums.get("memory") if compute_class is not None else None
    if compute_class is None or maximum is None:
        return advice
    amount = try_parse(limit, "memory") if limit else None
    over = amount is not None and amount >= maximum.value
    advice += f"; Autopilot allows up to {format_bytes(maximum.value)} per pod for the {compute_class.name} class"
    if over:
        advice += ", which this pod already asks for: choose a compute class with more memory, or split the work"
    return f"{advice} ({maximum.citation})"


def diagnose(facts: FailureFacts, base_container: str, generation: Optional[int] = None) -> List[str]:
    """Why the pod failed, in the words of its container states, conditions and events, with what to do."""
    pod, events = facts.pod, facts.events
    status = attr(pod, "status")
    reason = attr(status, "reason")
    state = attr(_base_status(pod, base_container), "state")
    terminated, waiting = attr(state, "terminated"), attr(state, "waiting")
    exit_code = attr(terminated, "exit_code") if terminated is not None else None
    found: List[str] = []
    preempted = _event_message(events, "Preempted")
    conditions = attr(status, "conditions") or []
    if preempted is None and any(attr(c, "reason") == "PreemptionByScheduler" for c in conditions):
        preempted = "Preempted: the scheduler preempted the pod"
    if terminated is not None and attr(terminated, "reason") == "OOMKilled":
        found.append(f"out of memory (OOMKilled): {_memory_advice(pod, base_container, generation)}")
    if reason == "Evicted" or _event_message(events, "Evicted"):
        detail = (attr(status, "message") or "").strip() or _event_message(events, "Evicted") or ""
        found.append(
            f"the node evicted the pod ({detail.strip()}). Request what the task needs (memory, ephemeral-storage) so "
            "it is placed on a node where it fits; `retries` run it again"
        )
    if reason == "DeadlineExceeded":
        deadline = attr(attr(pod, "spec"), "active_deadline_seconds")
        shown = f"={deadline}" if deadline is not None else ""
        found.append(
            f"the pod ran longer than its active deadline (spec.activeDeadlineSeconds{shown}, "
            "`active_deadline_seconds`) and the kubelet stopped it: raise or remove the deadline"
        )
    if preempted is not None:
        found.append(
            f"the scheduler preempted the pod for a higher-priority one ({preempted}); nothing is wrong with the "
            "task itself, and `retries` run it again"
        )
    elif facts.deleted:
        killing = _event_message(events, "Killing")
        found.append(
            "the pod was deleted while the task ran (by a user, another process or a node drain)"
            + (f"; last event {killing}" if killing else "")
        )
    if waiting is not None and attr(waiting, "reason") in _PULL_ERRORS:
        detail = _event_message(events, "Failed") or (attr(waiting, "message") or "").strip()
        found.append(
            f"the image could not be pulled ({attr(waiting, 'reason')}: {detail}): check the image name and tag, "
            "and that the environment's service account may read the registry"
        )
    if not found and terminated is None and waiting is None:
        scheduling = _event_message(events, "FailedScheduling", "NotTriggerScaleUp")
        if scheduling is not None:
            found.append(f"the pod was never scheduled ({scheduling})")
    if not found and exit_code not in (None, 0):
        found.append(
            _EXIT_CODES.get(exit_code)
            or f"the command failed with exit code {exit_code}; the log lines below are the last it printed"
        )
    return found


def failure_message(
    kpo_message: str,
    facts: Optional[FailureFacts],
    base_container: str,
    *,
    generation: Optional[int] = None,
    pod_dump: Optional[str] = None,
) -> str:
    """The exception text: summary, KPO's first line, diagnosis, last log lines, then what else KPO said.

    ``pod_dump`` is the pod as KPO's message quotes it (``str(remote_pod)``, hundreds of lines): it stays out, and the
    operator logs it at debug level. So does anything else of KPO's that the summary already says (the termination
    message, on every provider).
    """
    if pod_dump:
        kpo_message = kpo_message.replace(f"remote_pod: {pod_dump}", "").replace(pod_dump, "")
    first, _, rest = kpo_message.partition("\n")
    if facts is None:
        return kpo_message.strip()
    summary = describe_failure(facts.pod, base_container)
    lines = [f"{summary}. {first}" if summary else first]
    lines.extend(f"Diagnosis: {item}." for item in diagnose(facts, base_container, generation))
    if facts.log_tail:
        lines.append(f"Last {counted(len(facts.log_tail), 'log line')} of container {base_container}:")
        lines.extend(f"    {line}" for line in facts.log_tail)
    rest = rest.strip()
    if rest and rest not in (summary or ""):
        lines.append(rest)
    return "\n".join(lines)


def gather_facts(
    client: Any,
    pod: Any,
    remote_pod: Any,
    base_container: str,
    *,
    log_tail: Optional[List[str]],
    tail_lines: int,
    log: Any = None,
) -> FailureFacts:
    """Read the pod again (None once deleted), its events, and, when no log was streamed, its last lines.

    Best effort: the task is failing already, so an API error here costs only detail, never the failure itself.
    """
    from kubernetes.client.exceptions import ApiException

    name, namespace = pod.metadata.name, pod.metadata.namespace
    facts = FailureFacts(pod=remote_pod, log_tail=log_tail)
    try:
        facts.pod = client.read_namespaced_pod(name, namespace)
    except ApiException as error:
        facts.deleted = error.status == 404
    except Exception as error:  # best effort, see above
        _debug(log, "could not read pod %s for the failure message: %s", name, error)
    try:
        listed = client.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}")
        facts.events = sorted(listed.items or [], key=_event_time)
    except Exception as error:
        _debug(log, "could not read the events of pod %s for the failure message: %s", name, error)
    started = attr(attr(_base_status(facts.pod, base_container), "state"), "terminated") is not None
    if facts.log_tail is None and tail_lines > 0 and started and not facts.deleted:
        try:
            text = client.read_namespaced_pod_log(
                name, namespace, container=base_container, tail_lines=tail_lines, _preload_content=False
            ).data.decode("utf-8", "backslashreplace")
            facts.log_tail = text.splitlines()[-tail_lines:]
        except Exception as error:
            _debug(log, "could not read the log of pod %s for the failure message: %s", name, error)
    if facts.log_tail is not None and tail_lines >= 0:
        facts.log_tail = facts.log_tail[-tail_lines:] if tail_lines else []
    return facts


def _event_time(event: Any) -> str:
    for name in ("last_timestamp", "event_time", "first_timestamp"):
        value = attr(event, name)
        if value is not None:
            return str(value)
    return ""


def _debug(log: Any, message: str, *args: Any) -> None:
    if log is not None:
        log.debug(message, *args)
