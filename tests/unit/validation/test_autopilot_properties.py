"""For any pod the validator accepts, the effective pod is one Autopilot could run: every request at most its limit,
the totals at or above the class minimums and within the CPU:memory ratio (and on the CPU step without bursting),
and the same containers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Optional

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from airflow_provider_composer_pod.validation.quantities import ceil_bytes, parse_quantity
from airflow_provider_composer_pod.validation.rules import GENERAL_PURPOSE, ClassRules, rule_book
from airflow_provider_composer_pod.validation.validate import effective_pod, errors_in, validate_pod

GIB = Decimal(2**30)
AMOUNTS = {
    "cpu": st.integers(1, 40_000).map(lambda m: f"{m}m"),
    "memory": st.integers(1, 200_000).map(lambda mi: f"{mi}Mi"),
    "ephemeral-storage": st.integers(1, 12_000).map(lambda mi: f"{mi}Mi"),
}


@st.composite
def resources(draw: Any) -> Dict[str, Dict[str, str]]:
    requests = {name: draw(amount) for name, amount in AMOUNTS.items() if draw(st.booleans())}
    limits = {name: draw(AMOUNTS[name]) for name in requests if draw(st.booleans())}
    limits.update(
        {name: draw(amount) for name, amount in AMOUNTS.items() if name not in requests and draw(st.booleans())}
    )
    result: Dict[str, Dict[str, str]] = {}
    if requests:
        result["requests"] = requests
    if limits:
        result["limits"] = limits
    return result


@st.composite
def pods(draw: Any) -> Dict[str, Any]:
    names = ["base", *draw(st.lists(st.sampled_from(["airflow-xcom-sidecar", "helper"]), max_size=2, unique=True))]
    containers = [{"name": name, "image": "busybox", "resources": draw(resources())} for name in names]
    init = [
        {"name": "setup", "image": "busybox", "resources": draw(resources())} for _ in range(draw(st.integers(0, 1)))
    ]
    spec: Dict[str, Any] = {"containers": containers}
    if init:
        spec["initContainers"] = init
    compute_class = draw(st.sampled_from([None, "Balanced", "Scale-Out", "autopilot"]))
    if compute_class:
        spec["nodeSelector"] = {"cloud.google.com/compute-class": compute_class}
    return {"metadata": {"name": "p", "namespace": "composer-user-workloads"}, "spec": spec}


def _amounts(container: Dict[str, Any], kind: str) -> Dict[str, Decimal]:
    values = (container.get("resources") or {}).get(kind) or {}
    return {name: parse_quantity(value) for name, value in values.items()}


def _check_group(group: List[Dict[str, Any]], rules: ClassRules, bursting: bool) -> None:
    requests = [_amounts(c, "requests") for c in group]
    totals = {name: sum((r.get(name, Decimal(0)) for r in requests), Decimal(0)) for name in AMOUNTS}
    for name, entry in rules.minimums.items():
        if any(name in r for r in requests):
            assert totals[name] >= entry.value, (name, totals, rules.name)
    cpu, memory = totals["cpu"], totals["memory"]
    if cpu and memory:
        if rules.ratio_min is not None:
            assert memory >= cpu * rules.ratio_min.value * GIB, (totals, rules.name)
        if rules.ratio_max is not None:
            assert memory <= ceil_bytes(cpu * rules.ratio_max.value * GIB), (totals, rules.name)
    if rules.cpu_increment is not None and cpu:
        assert cpu % rules.cpu_increment.value == 0, (cpu, rules.name)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(pods(), st.booleans(), st.sampled_from([2, 3, None]))
def test_the_effective_pod_of_an_accepted_pod_is_one_autopilot_runs(pod: Dict[str, Any], bursting: bool, gen: Any):
    findings = validate_pod(pod, task_id="t", generation=gen, pod_bursting=bursting)
    assume(not errors_in(findings))

    result = effective_pod(pod, gen, pod_bursting=bursting)

    spec, original = result["spec"], pod["spec"]
    assert [c["name"] for c in spec["containers"]] == [c["name"] for c in original["containers"]]
    assert [c["name"] for c in spec.get("initContainers", [])] == [
        c["name"] for c in original.get("initContainers", [])
    ]
    for container in [*spec["containers"], *spec.get("initContainers", [])]:
        requests, limits = _amounts(container, "requests"), _amounts(container, "limits")
        for name, request in requests.items():
            assert name not in limits or request <= limits[name], (container["name"], name, requests, limits)
    selected: Optional[str] = (original.get("nodeSelector") or {}).get("cloud.google.com/compute-class")
    rules = rule_book().compute_class(selected or GENERAL_PURPOSE, bursting)
    assert rules is not None
    _check_group(spec["containers"], rules, bursting)
    for init in spec.get("initContainers", []):
        _check_group([init], rules, bursting)
