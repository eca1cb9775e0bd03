"""Autopilot's arithmetic on resource requests: defaults, minimums, CPU steps, the CPU:memory ratio, maximums.

Each container gets a :class:`ContainerPlan`: the requests and limits Autopilot would actually apply, and the
findings that explain every change. Values are exact ``Decimal`` CPUs and bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.validation.model import ADJUSTED, ERROR, NOTE, ContainerView
from airflow_provider_composer_pod.validation.quantities import (
    QuantityError,
    ceil_bytes,
    ceil_to,
    format_quantity,
    is_template,
    parse_quantity,
)
from airflow_provider_composer_pod.validation.rules import RESOURCES, ClassRules, Entry

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


def _label(view: ContainerView) -> str:
    return f"container {view.name} resources"


def read_values(view: ContainerView, emit: Emit, defer_templates: bool) -> ContainerPlan:
    """Parse a container's requests and limits; unparsable values become errors, templates are skipped."""
    plan = ContainerPlan(view)
    for kind, raw in (("requests", view.requests), ("limits", view.limits)):
        amounts = plan.requests if kind == "requests" else plan.limits
        for resource, value in raw.items():
            if defer_templates and is_template(value):
                plan.complete = False
                continue
            name = f"{_label(view)}.{kind}.{resource}"
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


class _Adjuster:
    """Applies one class's rules to one container, remembering the first reason each field changed."""

    def __init__(self, plan: ContainerPlan, rules: ClassRules, emit: Emit, fix: Optional[str]) -> None:
        self.fix = fix
        self.plan = plan
        self.rules = rules
        self.emit = emit
        self.reasons: Dict[str, Tuple[str, str, str, str]] = {}
        self.asked = dict(plan.requests)

    def change(self, resource: str, amount: Decimal, rule: str, entry: Entry, fix: str, rounding: bool = False) -> None:
        """Record a change; a later, larger change explains the final value better, a final rounding does not."""
        requests = self.plan.requests
        if self.plan.user_set.get(resource) and not (rounding and resource in self.reasons):
            previous = self.reasons.get(resource)
            original = previous[0] if previous else self.plan.texts.get(("requests", resource))
            original = original or format_quantity(requests[resource], resource)
            self.reasons[resource] = (original, rule, entry.citation, self.fix or fix)
        requests[resource] = amount

    def shown(self, resource: str) -> str:
        """A request as the user wrote it, while Autopilot has not changed it."""
        return self.plan.text("requests", resource)

    def shown_asked(self, resource: str) -> str:
        original = self.plan.texts.get(("requests", resource))
        return original if original is not None else format_quantity(self.asked[resource], resource)

    def run(self, emit_limits: bool) -> None:
        self.apply_defaults()
        self.apply_minimums()
        self.apply_increment()
        self.apply_ratio()
        self.apply_increment()
        for resource, (original, rule, source, fix) in self.reasons.items():
            effective = format_quantity(self.plan.requests[resource], resource)
            name = f"{_label(self.plan.view)}.requests.{resource}"
            self.emit(ADJUSTED, name, original, rule, source, fix % {"effective": effective}, effective)
        if emit_limits:
            self.apply_limits()

    def apply_defaults(self) -> None:
        requests, rules = self.plan.requests, self.rules
        missing = [r for r in ("cpu", "memory") if r not in requests and r in rules.defaults]
        if len(missing) == 1 and rules.ratio_min is not None and rules.ratio_max is not None:
            # One of the two is set: Autopilot derives the other from the ratio rather than using the default.
            if missing[0] == "memory":
                requests["memory"] = ceil_bytes(requests["cpu"] * rules.ratio_min.value * GIB)
            else:
                requests["cpu"] = ceil_to(requests["memory"] / GIB / rules.ratio_max.value, MILLI)
        else:
            for resource in missing:
                requests[resource] = rules.defaults[resource].value
        if missing:
            entry = rules.defaults.get(missing[0]) or next(iter(rules.defaults.values()))
            shown = ", ".join(f"{r} {format_quantity(requests[r], r)}" for r in missing)
            name = f"{_label(self.plan.view)}.requests"
            self.emit(
                NOTE,
                name,
                "(no {})".format(" or ".join(missing)),
                f"is unset, so Autopilot {self.rules.name} requests {shown}",
                entry.citation,
                "set requests yourself if the task needs more",
                None,
            )
        if "ephemeral-storage" not in requests and "ephemeral-storage" in rules.defaults:
            requests["ephemeral-storage"] = rules.defaults["ephemeral-storage"].value

    def apply_minimums(self) -> None:
        for resource, entry in self.rules.minimums.items():
            amount = self.plan.requests.get(resource)
            if amount is not None and amount < entry.value:
                minimum = format_quantity(entry.value, resource)
                rule = f"is below the Autopilot {self.rules.name} minimum of {minimum}"
                self.change(resource, entry.value, rule, entry, "request at least %(effective)s to make it explicit")

    def apply_increment(self) -> None:
        entry = self.rules.cpu_increment
        amount = self.plan.requests.get("cpu")
        if entry is None or amount is None:
            return
        rounded = ceil_to(amount, entry.value)
        if rounded != amount:
            step = format_quantity(entry.value, "cpu")
            rule = f"is not a multiple of Autopilot's {step} CPU step"
            self.change("cpu", rounded, rule, entry, f"request a multiple of {step}", rounding=True)

    def apply_ratio(self) -> None:
        rules, requests = self.rules, self.plan.requests
        cpu, memory = requests.get("cpu"), requests.get("memory")
        if cpu is None or memory is None or cpu == 0:
            return
        per_cpu = memory / GIB / cpu
        if rules.ratio_min is not None and per_cpu < rules.ratio_min.value:
            raised = ceil_bytes(cpu * rules.ratio_min.value * GIB)
            rule = "is too little memory for {} CPU: Autopilot {} needs at least {} GiB per vCPU".format(
                self.shown("cpu"),
                rules.name,
                rules.ratio_min.value,
            )
            fix = "request %(effective)s of memory, or less CPU"
            self.change("memory", raised, rule, rules.ratio_min, fix)
        elif rules.ratio_max is not None and per_cpu > rules.ratio_max.value:
            raised = ceil_to(memory / GIB / rules.ratio_max.value, MILLI)
            rule = "is too little CPU for {} of memory: Autopilot {} allows at most {} GiB per vCPU".format(
                self.shown("memory"),
                rules.name,
                rules.ratio_max.value,
            )
            fix = "request %(effective)s CPU, or less memory"
            self.change("cpu", raised, rule, rules.ratio_max, fix)

    def apply_limits(self) -> None:
        entry = self.rules.limits_equal_requests
        if entry is None or not entry.value:
            return
        for resource, limit in sorted(self.plan.limits.items()):
            request = self.plan.requests.get(resource)
            if request is None or limit == request or limit == self.asked.get(resource):
                continue  # a limit equal to what was asked follows the request; its finding says so
            name = f"{_label(self.plan.view)}.limits.{resource}"
            shown = format_quantity(request, resource)
            self.emit(
                ADJUSTED,
                name,
                self.plan.texts.get(("limits", resource), format_quantity(limit, resource)),
                f"differs from the request ({self.shown_asked(resource)}); "
                f"Autopilot {self.rules.name} sets limits equal to requests",
                entry.citation,
                self.fix or f"set the limit to the request ({shown})",
                shown,
            )
        for resource, request in self.plan.requests.items():
            self.plan.limits[resource] = request


def adjust(plan: ContainerPlan, rules: ClassRules, emit: Emit, fix: Optional[str] = None) -> None:
    """Raise a container's requests the way Autopilot would, emitting a finding for each value it changes.

    ``fix`` replaces the usual advice, for containers the user does not write (KPO's xcom sidecar).
    """
    _Adjuster(plan, rules, emit, fix).run(emit_limits=True)


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
            name = f"{_label(plan.view)}.requests.{resource}"
            emit(ERROR, name, plan.text("requests", resource), rule, entry.citation, fix, None)
        if not single:
            name = f"pod total resources.requests.{resource}"
            emit(ERROR, name, format_quantity(total, resource), rule, entry.citation, fix, None)
    return over


def pod_total(plans: List[ContainerPlan], resource: str) -> Decimal:
    return sum((p.requests.get(resource, ZERO) for p in plans), ZERO)
