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
    adjust,
    check_maximums,
    pod_total,
    read_values,
)
from airflow_provider_composer_pod.validation.rules import (
    GENERAL_PURPOSE,
    ClassRules,
    Entry,
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
        if self.autopilot:
            self.check_composer_rules()
            self.class_rules = self.resolve_class()
            if self.class_rules is not None:
                self.check_resources(self.class_rules)
        self.findings += check_security(self.view.pod, self.generation, self.task_id, self.defer)
        return self

    # --- compute class -------------------------------------------------------------------------------------------

    def resolve_class(self) -> Optional[ClassRules]:
        key = self.book.selector_key
        selected = self.override if self.override is not None else self.view.node_selector.get(key)
        field = "compute class" if self.override is not None else f"spec.nodeSelector[{key}]"
        if self.skip(selected):
            return None
        name = selected if selected is not None else GENERAL_PURPOSE
        rules = self.book.compute_class(str(name), self.pod_bursting)
        if rules is None:
            self.emit(
                ERROR,
                field,
                repr(name),
                "is not an Autopilot compute class (known: {})".format(", ".join(self.book.classes)),
                self.book.sources.get("compute_classes", ""),
                "use one of the known classes, or remove the selector for general-purpose",
                None,
            )
            return None
        allowed = self.gen_rules.get("compute_classes") if self.gen_rules else None
        if allowed is not None and allowed.value is not None and rules.name not in allowed.value:
            self.emit(
                ERROR,
                field,
                repr(name),
                "is not offered on Composer {}, which runs only {}".format(self.generation, ", ".join(allowed.value)),
                allowed.citation,
                "remove the compute-class selector, or run the pod on another cluster with the GKE operators",
                None,
            )
        return rules

    # --- Composer rules ------------------------------------------------------------------------------------------

    def check_composer_rules(self) -> None:
        gen = self.gen_rules
        if gen is None:
            return
        self.check_affinity(gen.get("pod_affinity_allowed"))
        self.check_namespace(gen)
        self.check_sidecars(gen.get("sidecars"), gen.get("sidecars_max"))

    def check_affinity(self, allowed: Optional[Entry]) -> None:
        affinity = self.view.affinity
        if allowed is None or allowed.value or not affinity:
            return
        for snake, camel in (("pod_affinity", "podAffinity"), ("pod_anti_affinity", "podAntiAffinity")):
            if attr(affinity, snake, camel):
                self.emit(
                    ERROR,
                    f"spec.affinity.{camel}",
                    "(set)",
                    f"is not available on Composer {self.generation}",
                    allowed.citation,
                    "remove affinity, or launch the pod on another cluster with the GKE operators",
                    None,
                )
        if attr(affinity, "node_affinity", "nodeAffinity"):
            self.emit(
                NOTE,
                "spec.affinity.nodeAffinity",
                "(set)",
                f"is an affinity rule; Composer {self.generation} documents affinity as unavailable",
                allowed.citation,
                "prefer a cloud.google.com/compute-class node selector, or drop the rule",
                None,
            )

    def check_namespace(self, gen: GenerationRules) -> None:
        namespace = self.view.namespace
        if not namespace or self.skip(namespace):
            return
        forced = gen.get("forced_namespace")
        if forced is not None and forced.value and namespace != forced.value:
            self.namespace = forced.value
            self.emit(
                NOTE,
                "metadata.namespace",
                str(namespace),
                f"is not used: Composer {self.generation} runs every pod in {forced.value}",
                forced.citation,
                f"drop namespace= (or set {forced.value}) so the DAG says where the pod runs",
                forced.value,
            )
            return
        identity = gen.get("workload_identity_namespace")
        account = self.view.service_account_name
        if identity is not None and namespace != identity.value and not account:
            self.emit(
                NOTE,
                "metadata.namespace",
                str(namespace),
                "is a custom namespace without service_account_name, so the pod has no Workload Identity access "
                f"to Google APIs (only {identity.value} pods get it automatically)",
                identity.citation,
                "set service_account_name to a Kubernetes service account bound to a Google service account, "
                f"or use {identity.value}",
                None,
            )

    def check_sidecars(self, allowed: Optional[Entry], most: Optional[Entry]) -> None:
        if allowed is None or allowed.value is None:
            return
        sidecars = [c for c in self.view.containers if c.sidecar]
        limit = int(most.value) if most is not None else len(sidecars)
        for index, container in enumerate(sidecars):
            if container.name not in allowed.value:
                rule = "is a sidecar; Composer {} allows only {}".format(self.generation, " or ".join(allowed.value))
            elif index >= limit:
                rule = f"is sidecar number {index + 1}; Composer {self.generation} allows {limit}"
            else:
                continue
            self.emit(
                ERROR,
                f"spec.containers[{index + 1}].name",
                container.name,
                rule,
                allowed.citation,
                "run that work in the base container or an init container",
                None,
            )

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
        if over:
            return
        sidecar_fix = "set xcom_sidecar_container_resources in the connection's extras"
        for plan in self.plans:
            if plan.complete:
                is_xcom = plan.view.sidecar and plan.view.name == self.book.sidecar_name
                adjust(plan, rules, self.emit, sidecar_fix if is_xcom else None)


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
    containers = attr(attr(result, "spec"), "containers") or []
    for container, plan in zip(containers, check.plans):
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

    if container.resources is None:
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
