"""Pre-flight checks of a pod against GKE Autopilot and Cloud Composer rules, before Autopilot sees it.

Autopilot rejects requests over a compute class's maximum, and silently raises requests under its minimum, off its
CPU:memory ratio or off its CPU step, and sets limits to requests. Composer adds its own rules per generation. This
module says, per task, which of those will happen, as :class:`Finding` objects:

- ``error``: the pod would be rejected (or the value is not a quantity at all);
- ``adjusted``: Autopilot would run something other than what was asked (``effective`` says what);
- ``note``: worth knowing (defaults applied, a namespace Composer rewrites, Workload Identity).

Two entry points: :func:`validate_operator` reads an operator's literal arguments at construction (cheap, no pod is
built, Jinja templates are skipped), and :func:`validate_pod` checks the rendered pod before it is created.
:func:`effective_pod` returns the pod as Autopilot and Composer would run it. The numbers come from
``rules/autopilot.yaml``, read on first use; Autopilot's security constraints are checked by :mod:`.security`.
"""

from __future__ import annotations

import copy
from typing import Any, List, Optional, Sequence, Tuple

from airflow_provider_composer_pod.errors import ComposerPodValidationError
from airflow_provider_composer_pod.validation.adjust import adjust_pod, primary_index
from airflow_provider_composer_pod.validation.classes import resolve_class
from airflow_provider_composer_pod.validation.composer_rules import check_composer_rules
from airflow_provider_composer_pod.validation.model import (
    ADJUSTED,
    ERROR,
    LEVELS,
    NOTE,
    Finding,
    PodView,
    attr,
    operator_view,
    pod_view,
)
from airflow_provider_composer_pod.validation.quantities import format_bytes, is_template
from airflow_provider_composer_pod.validation.resources import (
    ContainerPlan,
    check_maximums,
    pod_total,
    read_values,
)
from airflow_provider_composer_pod.validation.rules import (
    ClassRules,
    GenerationRules,
    RuleBook,
    rule_book,
)
from airflow_provider_composer_pod.validation.security import check_security

__all__ = [
    "ADJUSTED",
    "ERROR",
    "LEVELS",
    "NOTE",
    "ComposerPodValidationError",
    "Finding",
    "effective_pod",
    "errors_in",
    "raise_for_errors",
    "validate_operator",
    "validate_pod",
]


class _Check:
    """One validation run: the context, the findings so far, and the per-container plans."""

    def __init__(
        self,
        view: PodView,
        *,
        task_id: str,
        generation: Optional[int],
        compute_class: Optional[str],
        strict: bool,
        pod_bursting: bool,
        defer_templates: bool,
    ) -> None:
        self.view = view
        self.task_id = task_id
        self.strict = strict
        self.pod_bursting = pod_bursting
        self.defer = defer_templates
        self.book: RuleBook = rule_book()
        self.generation = generation
        self.gen_rules: Optional[GenerationRules] = self.book.generation(generation)
        self.override = compute_class
        self.findings: List[Finding] = []
        self.plans: List[ContainerPlan] = []
        self.class_rules: Optional[ClassRules] = None
        self.namespace: Optional[str] = None

    def emit(
        self, level: str, field: str, value: str, rule: str, source: str, fix: str, effective: Optional[str]
    ) -> None:
        if self.strict and level == ADJUSTED:
            level = ERROR
        self.findings.append(Finding(level, self.task_id, field, value, rule, source, fix, effective))

    def skip(self, value: Any) -> bool:
        return self.defer and is_template(value)

    @property
    def autopilot(self) -> bool:
        return self.book.autopilot(self.generation)

    def run(self) -> _Check:
        self.plans = [read_values(c, self.emit, self.defer) for c in self.view.containers]
        self.init_plans = [read_values(c, self.emit, self.defer) for c in self.view.init_containers]
        if self.autopilot:
            check_composer_rules(self)
            self.class_rules = resolve_class(self)
            if self.class_rules is not None:
                self.check_resources(self.class_rules)
        self.findings += check_security(self.view.pod, self.generation, self.task_id, self.defer)
        return self

    # --- resources -----------------------------------------------------------------------------------------------

    def check_resources(self, rules: ClassRules) -> None:
        # Maximums first, on the values asked for: a rejected pod gets no advice about what Autopilot would raise.
        over = check_maximums(self.plans, rules, self.emit, self.book.maximum_scope)
        max_memory = self.gen_rules.get("max_memory") if self.gen_rules else None
        if max_memory is not None and max_memory.value is not None and "memory" not in over:
            total = pod_total(self.plans, "memory")
            if total > max_memory.value:
                over.append("memory")
                self.emit(
                    ERROR,
                    "pod total resources.requests.memory",
                    format_bytes(total),
                    f"exceeds Composer {self.generation}'s maximum of {format_bytes(max_memory.value)} per pod",
                    max_memory.citation,
                    "lower it, or run the pod on another cluster with the GKE operators",
                    None,
                )
        for plan in self.init_plans:  # each runs alone, before the others
            over += check_maximums([plan], rules, self.emit, "container")
        if over:
            return
        key = self.book.entries["primary_container_annotation"]
        annotation = self.view.annotations.get(key.value)
        primary, problem = primary_index(self.plans, annotation)
        if problem is not None:
            self.emit(NOTE, f"metadata.annotations[{key.value}]", str(annotation), problem, key.citation,
                      "name a container, or drop the annotation", None)  # fmt: skip
        sidecar_fix = "set xcom_sidecar_container_resources in the connection's extras"
        adjust_pod(self.plans, self.init_plans, rules, self.emit, primary=primary, sidecar_name=self.book.sidecar_name,
                   sidecar_fix=sidecar_fix)  # fmt: skip


def validate_pod(
    pod: Any,
    *,
    task_id: str,
    generation: Optional[int],
    compute_class: Optional[str] = None,
    strict: bool = False,
    pod_bursting: bool = False,
    defer_templates: bool = False,
) -> List[Finding]:
    """Findings for a pod as KPO would submit it (``V1Pod`` or dict), normally after rendering.

    :param generation: Composer generation 1, 2 or 3; None checks Autopilot's rules without Composer's.
    :param compute_class: check as if the pod asked for this class, whatever its node selector says.
    :param strict: report ``adjusted`` findings as errors.
    :param pod_bursting: the cluster supports Pod bursting (lower minimums, no CPU steps, limits may exceed
        requests); the default follows the classic rules that issue 6 describes.
    :param defer_templates: skip values that still contain ``{{`` or ``{%`` (for pods built before rendering).
    """
    check = _Check(
        pod_view(pod),
        task_id=task_id,
        generation=generation,
        compute_class=compute_class,
        strict=strict,
        pod_bursting=pod_bursting,
        defer_templates=defer_templates,
    )
    return check.run().findings


def validate_operator(
    task: Any,
    *,
    generation: Optional[int],
    compute_class: Optional[str] = None,
    strict: bool = False,
    pod_bursting: bool = False,
) -> List[Finding]:
    """Findings for a KPO's literal arguments, cheap enough for every DAG parse.

    Reads ``container_resources``, ``namespace``, ``service_account_name``, ``affinity``, ``node_selector`` and the
    security arguments (:func:`.model.operator_pod`) as given; templates are deferred until after rendering, and pod
    templates and the xcom sidecar are left to :func:`validate_pod`. Builds no pod, reads no connection.
    """
    view = operator_view(task)
    task_id = str(getattr(task, "task_id", "?"))
    check = _Check(
        view,
        task_id=task_id,
        generation=generation,
        compute_class=compute_class,
        strict=strict,
        pod_bursting=pod_bursting,
        defer_templates=True,
    )
    return check.run().findings


def effective_pod(
    pod: Any,
    generation: Optional[int],
    compute_class: Optional[str] = None,
    *,
    pod_bursting: bool = False,
) -> Any:
    """A copy of ``pod`` (``V1Pod`` or dict) as Autopilot and Composer would run it.

    Requests are raised to minimums, ratio and CPU steps, defaults fill missing requests, limits equal requests
    (where the class says so), and Composer 3's namespace replaces the one asked for. Containers with values that
    cannot be read are left as they are.
    """
    check = _Check(
        pod_view(pod),
        task_id="?",
        generation=generation,
        compute_class=compute_class,
        strict=False,
        pod_bursting=pod_bursting,
        defer_templates=False,
    ).run()
    result = copy.deepcopy(pod)
    metadata = attr(result, "metadata")
    if check.namespace is not None and metadata is not None:
        _set(metadata, "namespace", "namespace", check.namespace)
    if check.class_rules is None:
        return result
    spec = attr(result, "spec")
    containers = attr(spec, "containers") or []
    init_containers = attr(spec, "init_containers", "initContainers") or []
    for container, plan in [*zip(containers, check.plans), *zip(init_containers, check.init_plans)]:
        if plan.complete:
            _apply(container, plan)
    return result


def _apply(container: Any, plan: ContainerPlan) -> None:
    requests = {r: plan.text("requests", r) for r in plan.requests}
    limits = {r: plan.text("limits", r) for r in plan.limits}
    if isinstance(container, dict):
        resources = container.setdefault("resources", {})
        if resources is None:
            resources = container["resources"] = {}
        resources["requests"] = requests
        resources["limits"] = limits
        return
    from kubernetes.client import models as k8s

    if not isinstance(container.resources, k8s.V1ResourceRequirements):  # None, or provider 4.x's plain dict
        container.resources = k8s.V1ResourceRequirements()
    container.resources.requests = requests
    container.resources.limits = limits


def _set(obj: Any, snake: str, camel: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[camel if camel in obj else snake] = value
    else:
        setattr(obj, snake, value)


def errors_in(findings: Sequence[Finding]) -> List[Finding]:
    return [f for f in findings if f.level == ERROR]


def raise_for_errors(findings: Sequence[Finding]) -> Tuple[Finding, ...]:
    """Raise :class:`ComposerPodValidationError` listing every error; return the other findings for logging."""
    errors = errors_in(findings)
    if errors:
        raise ComposerPodValidationError(errors)
    return tuple(findings)
