"""Each container's resources as a :class:`ContainerPlan` (the requests and limits Autopilot would actually apply,
in exact ``Decimal`` CPUs and bytes), and the class maximums. :mod:`.adjust` does the raising."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.validation.model import ERROR, ContainerView
from airflow_provider_composer_pod.validation.quantities import (
    QuantityError,
    format_quantity,
    is_template,
    parse_quantity,
)
from airflow_provider_composer_pod.validation.rules import RESOURCES, ClassRules

GIB = Decimal(2**30)
MILLI = Decimal("0.001")
ZERO = Decimal(0)

# (level, field, value, rule, source, fix, effective) -> Finding; the caller knows the task and strictness.
Emit = Callable[[str, str, str, str, str, str, Optional[str]], None]


@dataclass
class ContainerPlan:
    """What Autopilot would run for one container, and whether it looked at it at all."""

    view: ContainerView
    requests: Dict[str, Decimal] = field(default_factory=dict)
    limits: Dict[str, Decimal] = field(default_factory=dict)
    texts: Dict[Tuple[str, str], str] = field(default_factory=dict)
    """The user's own spelling of each value, kept where Autopilot leaves the value alone."""
    user_set: Dict[str, bool] = field(default_factory=dict)
    complete: bool = True
    """False when a value was deferred (template) or unparsable: the plan then leaves the container alone."""

    def text(self, kind: str, resource: str) -> str:
        amounts = self.requests if kind == "requests" else self.limits
        original = self.texts.get((kind, resource))
        amount = amounts[resource]
        if original is not None and _same(original, amount):
            return original
        return format_quantity(amount, resource)


def _same(text: str, amount: Decimal) -> bool:
    try:
        return parse_quantity(text) == amount
    except QuantityError:
        return False


def label(view: ContainerView) -> str:
    return f"{'init container' if view.init else 'container'} {view.name} resources"


def read_values(view: ContainerView, emit: Emit, defer_templates: bool) -> ContainerPlan:
    """Parse a container's requests and limits; unparsable values become errors, templates are skipped."""
    plan = ContainerPlan(view)
    for kind, raw in (("requests", view.requests), ("limits", view.limits)):
        amounts = plan.requests if kind == "requests" else plan.limits
        for resource, value in raw.items():
            if defer_templates and is_template(value):
                plan.complete = False
                continue
            name = f"{label(view)}.{kind}.{resource}"
            try:
                amounts[resource] = parse_quantity(value, name)
            except QuantityError as exc:
                plan.complete = False
                emit(ERROR, name, _show(value), exc.rule, _QUANTITY_SOURCE, exc.fix, None)
                continue
            plan.texts[(kind, resource)] = str(value)
    for resource in RESOURCES:
        plan.user_set[resource] = resource in plan.requests or resource in plan.limits
        # The API server copies a limit into a missing request before Autopilot sees the pod.
        if resource not in plan.requests and resource in plan.limits:
            plan.requests[resource] = plan.limits[resource]
            plan.texts[("requests", resource)] = plan.texts[("limits", resource)]
    return plan


_QUANTITY_SOURCE = "https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/"


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def check_maximums(plans: List[ContainerPlan], rules: ClassRules, emit: Emit, scope: str) -> List[str]:
    """Errors for requests over the class maximum; returns the resources that were over."""
    over: List[str] = []
    for resource, entry in sorted(rules.maximums.items()):
        single = [p for p in plans if p.requests.get(resource, ZERO) > entry.value]
        total = sum((p.requests.get(resource, ZERO) for p in plans), ZERO)
        if not single and not (scope == "pod" and total > entry.value):
            continue
        over.append(resource)
        rule = f"exceeds the Autopilot {rules.name} maximum of {format_quantity(entry.value, resource)}"
        fix = "lower it or choose another compute class"
        for plan in single:
            name = f"{label(plan.view)}.requests.{resource}"
            emit(ERROR, name, plan.text("requests", resource), rule, entry.citation, fix, None)
        if not single:
            name = f"pod total resources.requests.{resource}"
            emit(ERROR, name, format_quantity(total, resource), rule, entry.citation, fix, None)
    return over


def pod_total(plans: List[ContainerPlan], resource: str) -> Decimal:
    return sum((p.requests.get(resource, ZERO) for p in plans), ZERO)
