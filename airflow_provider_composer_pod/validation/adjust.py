"""Autopilot's adjustments, as Autopilot applies them: on the pod's total, with the difference on the first container.

Google's own end-to-end tests of Config Sync on real Autopilot clusters show it (kpt-config-sync,
``e2e/testcases/reconciler_manager_test.go``: "Autopilot increases the CPU of the first container, until the total
CPU is a multiple of 250m"; a pod totalling 80m became 250m with only container 0 raised, from 10m to 180m):

1. a container that asks for no CPU and no memory gets the class's defaults; one that asks for only one of them gets
   the other from the CPU:memory ratio; every container without ephemeral storage gets the class's default;
2. the pod's totals are raised to the class minimums, then its total CPU to a multiple of the CPU step (clusters
   without Pod bursting), then the smaller of CPU and memory until the total is within the ratio; each difference
   goes to the first container (or to the one the rules data's ``primary_container_annotation`` names);
3. without Pod bursting, limits are set to requests; with it, limits are kept, but never below their request.

Init containers run one at a time, before the others: each is its own group, raised by the same rules on its own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Dict, List, Optional, Tuple

from airflow_provider_composer_pod.validation.model import ADJUSTED, NOTE
from airflow_provider_composer_pod.validation.quantities import ceil_bytes, ceil_to, format_quantity
from airflow_provider_composer_pod.validation.resources import GIB, MILLI, ZERO, ContainerPlan, Emit, label
from airflow_provider_composer_pod.validation.rules import ClassRules, Entry


class GroupAdjuster:
    """The containers whose requests add up (a pod's containers, or one init container alone) under one class."""

    def __init__(self, plans: List[ContainerPlan], rules: ClassRules, emit: Emit, primary: int = 0) -> None:
        self.plans = plans
        self.rules = rules
        self.emit = emit
        self.primary = plans[primary]
        self.steps: Dict[str, List[str]] = {}
        self.entries: Dict[str, Entry] = {}
        self.asked: List[Dict[str, Decimal]] = []

    def run(self, sidecar_name: str, sidecar_fix: str) -> None:
        for plan in self.plans:
            self.apply_defaults(plan)
        self.asked = [dict(plan.requests) for plan in self.plans]
        self.apply_minimums()
        self.apply_increment()
        self.apply_ratio()
        self.apply_increment()
        self.apply_ratio()  # a CPU step may leave too little memory per vCPU; raising memory moves no CPU
        self.report()
        for plan, asked in zip(self.plans, self.asked):
            is_xcom = plan.view.sidecar and plan.view.name == sidecar_name
            self.apply_limits(plan, asked, sidecar_fix if is_xcom else None)

    # --- 1. per container ----------------------------------------------------------------------------------------

    def apply_defaults(self, plan: ContainerPlan) -> None:
        requests, rules = plan.requests, self.rules
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
            self.emit(
                NOTE,
                f"{label(plan.view)}.requests",
                "(no {})".format(" or ".join(missing)),
                f"is unset, so Autopilot {rules.name} requests {shown}",
                entry.citation,
                "set requests yourself if the task needs more",
                None,
            )
        if "ephemeral-storage" not in requests and "ephemeral-storage" in rules.defaults:
            requests["ephemeral-storage"] = rules.defaults["ephemeral-storage"].value

    # --- 2. the group's totals -----------------------------------------------------------------------------------

    def total(self, resource: str) -> Decimal:
        return sum((p.requests.get(resource, ZERO) for p in self.plans), ZERO)

    def raise_total(self, resource: str, target: Decimal, why: str, entry: Entry) -> None:
        """Add what the total lacks to the primary container, and remember why."""
        before = self.total(resource)
        added = target - before
        if added <= 0:
            return
        requests = self.primary.requests
        requests[resource] = requests.get(resource, ZERO) + added
        subject = shown_total(before, resource)
        if len(self.plans) > 1:
            subject = f"the pod's total of {subject}"
        steps = self.steps.setdefault(resource, [])
        steps.append(f"{'raised' if not steps else 'then'} by {format_quantity(added, resource)}: {why % subject}")
        self.entries.setdefault(resource, entry)

    def apply_minimums(self) -> None:
        for resource, entry in self.rules.minimums.items():
            asked = any(resource in plan.requests for plan in self.plans)
            if asked and self.total(resource) < entry.value:  # (formatting only what is reported: DAG parsing is hot)
                minimum = format_quantity(entry.value, resource)
                why = f"%s is below the Autopilot {self.rules.name} minimum of {minimum}"
                self.raise_total(resource, entry.value, why, entry)

    def apply_increment(self) -> None:
        entry = self.rules.cpu_increment
        if entry is None or not any("cpu" in plan.requests for plan in self.plans):
            return
        total = self.total("cpu")
        rounded = ceil_to(total, entry.value)
        if rounded != total:
            why = f"%s is not a multiple of Autopilot's {format_quantity(entry.value, 'cpu')} CPU step"
            self.raise_total("cpu", rounded, why, entry)

    def apply_ratio(self) -> None:
        rules = self.rules
        cpu, memory = self.total("cpu"), self.total("memory")
        if cpu == 0 or memory == 0:
            return
        if rules.ratio_min is not None and memory < cpu * rules.ratio_min.value * GIB:
            cpu_text = format_quantity(cpu, "cpu")
            why = f"%s is too little memory for {cpu_text} CPU: Autopilot {rules.name} needs at least"
            why += f" {rules.ratio_min.value} GiB per vCPU"
            self.raise_total("memory", ceil_bytes(cpu * rules.ratio_min.value * GIB), why, rules.ratio_min)
        elif rules.ratio_max is not None and memory > ceil_bytes(cpu * rules.ratio_max.value * GIB):
            # (whole bytes: memory raised to a fixed ratio, such as Scale-Out's 1:4, is not "too much" by a fraction)
            memory_text = shown_total(memory, "memory")
            why = f"%s is too little CPU for {memory_text} of memory: Autopilot {rules.name} allows at most"
            why += f" {rules.ratio_max.value} GiB per vCPU"
            self.raise_total("cpu", ceil_to(memory / GIB / rules.ratio_max.value, MILLI), why, rules.ratio_max)

    def report(self) -> None:
        plan = self.primary
        for resource, steps in self.steps.items():
            effective = format_quantity(plan.requests[resource], resource)
            original = plan.texts.get(("requests", resource))
            asked = self.asked[self.plans.index(plan)].get(resource)
            shown = original if original is not None else format_quantity(asked or ZERO, resource)
            fix = f"request {effective} yourself to make it explicit"
            if len(self.plans) > 1:
                fix += ", or more in the other containers"
            rule = "is " + "; ".join(steps) + f" (Autopilot {self.rules.name} adds the difference to this container)"
            self.emit(ADJUSTED, f"{label(plan.view)}.requests.{resource}", shown, rule, self.entries[resource].citation,
                      fix, effective)  # fmt: skip

    # --- 3. limits -----------------------------------------------------------------------------------------------

    def apply_limits(self, plan: ContainerPlan, asked: Dict[str, Decimal], fix: Optional[str]) -> None:
        entry = self.rules.limits_equal_requests
        if entry is not None and entry.value:
            self._limits_equal_requests(plan, asked, entry, fix)
            return
        for resource, limit in sorted(plan.limits.items()):
            request = plan.requests.get(resource)
            if request is None or limit >= request:
                continue
            shown = format_quantity(request, resource)
            self.emit(
                ADJUSTED,
                f"{label(plan.view)}.limits.{resource}",
                plan.texts.get(("limits", resource), format_quantity(limit, resource)),
                f"is below the request Autopilot runs ({shown}); a limit is never below its request",
                (entry.citation if entry is not None else self.entries.get(resource, _NO_ENTRY).citation),
                fix or f"set the limit to at least {shown}",
                shown,
            )
            plan.limits[resource] = request

    def _limits_equal_requests(
        self, plan: ContainerPlan, asked: Dict[str, Decimal], entry: Entry, fix: Optional[str]
    ) -> None:
        for resource, limit in sorted(plan.limits.items()):
            request = plan.requests.get(resource)
            if request is None or limit == request or limit == asked.get(resource):
                continue  # a limit equal to what was asked follows the request; the request's finding says so
            shown = format_quantity(request, resource)
            original = plan.texts.get(("requests", resource))
            asked_text = original if original is not None else format_quantity(asked.get(resource, ZERO), resource)
            self.emit(
                ADJUSTED,
                f"{label(plan.view)}.limits.{resource}",
                plan.texts.get(("limits", resource), format_quantity(limit, resource)),
                f"differs from the request ({asked_text}); Autopilot {self.rules.name} sets limits equal to requests",
                entry.citation,
                fix or f"set the limit to the request ({shown})",
                shown,
            )
        for resource, request in plan.requests.items():
            plan.limits[resource] = request


_NO_ENTRY = Entry(None, "", False)


def shown_total(amount: Decimal, resource: str) -> str:
    """A sum for a message: ``9.32Gi`` rather than the exact ``9775865Ki`` of 10G plus 10Mi."""
    text = format_quantity(amount, resource)
    if resource == "cpu" or len(text) <= 6:
        return text
    return f"{amount / GIB:.2f}Gi"


def primary_index(plans: List[ContainerPlan], annotation: Optional[str]) -> Tuple[int, Optional[str]]:
    """The container that receives the pod's adjustments: the annotated one if it exists, else the first."""
    if annotation:
        for index, plan in enumerate(plans):
            if plan.view.name == annotation:
                return index, None
        return 0, f"names no container of the pod ({', '.join(p.view.name for p in plans)})"
    return 0, None


def adjust_pod(
    plans: List[ContainerPlan],
    init_plans: List[ContainerPlan],
    rules: ClassRules,
    emit: Emit,
    *,
    primary: int,
    sidecar_name: str,
    sidecar_fix: str,
) -> None:
    """Raise the pod's containers (as a group) and each init container (alone) the way Autopilot would."""
    if plans and all(plan.complete for plan in plans):
        GroupAdjuster(plans, rules, emit, primary).run(sidecar_name, sidecar_fix)
    for plan in init_plans:
        if plan.complete:
            GroupAdjuster([plan], rules, emit).run(sidecar_name, sidecar_fix)
