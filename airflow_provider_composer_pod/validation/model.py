"""The shapes validation works on: findings, and a light view of a pod read from a V1Pod, a dict or an operator.

Reading through a view (rather than building a V1Pod) is what keeps the construction-time check cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from airflow_provider_composer_pod.fields import attr

ERROR = "error"
ADJUSTED = "adjusted"
NOTE = "note"
LEVELS = (ERROR, ADJUSTED, NOTE)


@dataclass(frozen=True)
class Finding:
    """One thing Autopilot or Composer would do to (or say about) a task's pod."""

    level: str
    task_id: str
    field: str
    value: str
    rule: str
    source: str
    fix: str
    effective: Optional[str] = None

    def render(self) -> str:
        """One line naming the task, the field, the value, the rule, its source and the fix."""
        runs_as = f", so it runs as {self.effective}" if self.effective is not None else ""
        return (
            f"task {self.task_id}: {self.field}={self.value} {self.rule}{runs_as} (source: {self.source}); {self.fix}"
        )

    def as_dict(self) -> Dict[str, Optional[str]]:
        return {
            "level": self.level,
            "task_id": self.task_id,
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "source": self.source,
            "fix": self.fix,
            "effective": self.effective,
        }

    def __str__(self) -> str:
        return self.render()


@dataclass
class ContainerView:
    """A container's name and raw resource values, exactly as given."""

    name: str
    requests: Mapping[str, Any]
    limits: Mapping[str, Any]
    sidecar: bool = False
    init: bool = False


@dataclass
class PodView:
    """The parts of a pod the rules look at."""

    namespace: Any = None
    service_account_name: Any = None
    affinity: Any = None
    node_selector: Mapping[str, Any] = field(default_factory=dict)
    containers: List[ContainerView] = field(default_factory=list)
    init_containers: List[ContainerView] = field(default_factory=list)
    annotations: Mapping[str, Any] = field(default_factory=dict)
    pod: Any = None  # the pod itself, or an operator's literal arguments in a pod's shape (for the security rules)


def resources_of(resources: Any) -> ContainerView:
    """Requests and limits from a V1ResourceRequirements or a dict (KPO accepts both)."""
    return ContainerView("", dict(attr(resources, "requests") or {}), dict(attr(resources, "limits") or {}))


def container_view(container: Any, *, sidecar: bool, init: bool = False) -> ContainerView:
    view = resources_of(attr(container, "resources"))
    view.name = str(attr(container, "name") or "?")
    view.sidecar = sidecar
    view.init = init
    return view


def pod_view(pod: Any) -> PodView:
    """A :class:`PodView` of a ``V1Pod`` or of a pod dict (API or Python spelling)."""
    metadata = attr(pod, "metadata")
    spec = attr(pod, "spec")
    containers = list(attr(spec, "containers") or [])
    init_containers = list(attr(spec, "init_containers", "initContainers") or [])
    return PodView(
        annotations=dict(attr(metadata, "annotations") or {}),
        init_containers=[container_view(c, sidecar=False, init=True) for c in init_containers],
        namespace=attr(metadata, "namespace"),
        service_account_name=attr(spec, "service_account_name", "serviceAccountName"),
        affinity=attr(spec, "affinity"),
        node_selector=dict(attr(spec, "node_selector", "nodeSelector") or {}),
        containers=[container_view(c, sidecar=i > 0) for i, c in enumerate(containers)],
        pod=pod,
    )


def operator_view(task: Any) -> PodView:
    """A :class:`PodView` of a KPO's literal arguments: no pod is built, nothing is read from outside."""
    from airflow_provider_composer_pod.compat import RESOURCES_ATTRIBUTE, base_container_name

    base = resources_of(getattr(task, RESOURCES_ATTRIBUTE, None))
    base.name = str(base_container_name(task))
    selector = getattr(task, "node_selector", None)  # a template string is checked once rendered
    return PodView(
        namespace=getattr(task, "namespace", None),
        service_account_name=getattr(task, "service_account_name", None),
        affinity=getattr(task, "affinity", None),
        node_selector=dict(selector) if isinstance(selector, dict) else {},
        containers=[base],
        pod=operator_pod(task, base.name),
    )


def _literal(value: Any) -> Any:
    """A template field's value, or None while it is a template string (checked once rendered)."""
    return None if isinstance(value, str) else value


def operator_pod(task: Any, base_name: str) -> Optional[Dict[str, Any]]:
    """The literal arguments of a KPO that Autopilot's security rules read, in a pod's (API) shape; None when the task
    gives none of them (the common case, and DAG parsing is hot)."""
    context = getattr(task, "container_security_context", None)
    ports, mounts = getattr(task, "ports", None), _literal(getattr(task, "volume_mounts", None))
    host_network, volumes = getattr(task, "hostnetwork", None), _literal(getattr(task, "volumes", None))
    init_containers = getattr(task, "init_containers", None)
    if not any((context, ports, mounts, host_network, volumes, init_containers)):
        return None
    container = {"name": base_name, "securityContext": context, "ports": ports, "volumeMounts": mounts}
    spec = {
        "hostNetwork": host_network,
        "volumes": volumes,
        "initContainers": init_containers,
        "containers": [container],
    }
    return {"spec": spec}
