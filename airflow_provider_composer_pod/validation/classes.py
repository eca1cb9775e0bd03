"""Which compute class a pod runs in, and the rules that come with how it asks: Arm nodes, Spot Pods, GPUs.

The class comes from the ``cloud.google.com/compute-class`` node selector (none: general-purpose); a pod that
requests GPUs runs in the Accelerator class (GKE 1.29.4-gke.1427000 and later select it for them). A class name we do
not know may be a custom ComputeClass, whose own definition sets its rules: a note, and no resource rules.
"""

from __future__ import annotations

import dataclasses
from typing import Any, List, Optional

from airflow_provider_composer_pod.validation.model import ERROR, NOTE, ContainerView
from airflow_provider_composer_pod.validation.rules import GENERAL_PURPOSE, ClassRules

ACCELERATOR = "Accelerator"
SCALE_OUT = "Scale-Out"


def gpu_containers(containers: List[ContainerView], resource: str) -> List[ContainerView]:
    return [c for c in containers if resource in c.limits or resource in c.requests]


def resolve_class(check: Any) -> Optional[ClassRules]:
    """The class rules for ``check``'s pod (a ``validate._Check``), emitting what the selectors imply."""
    book, view = check.book, check.view
    _node_pool(check)
    key = book.selector_key
    selected = check.override if check.override is not None else view.node_selector.get(key)
    field = "compute class" if check.override is not None else f"spec.nodeSelector[{key}]"
    if check.skip(selected):
        return None
    gpus = book.gpus
    using_gpus = gpus is not None and bool(gpu_containers([*view.containers, *view.init_containers], gpus.resource))
    name = selected if selected is not None else (ACCELERATOR if using_gpus else GENERAL_PURPOSE)
    rules = book.compute_class(str(name), check.pod_bursting)
    if rules is None:
        custom = book.entries.get("custom_compute_classes")
        check.emit(
            NOTE,
            field,
            repr(name),
            "is not a built-in Autopilot compute class (known: {}); if it is a custom ComputeClass, its own "
            "definition sets the rules, which are not checked here".format(", ".join(book.classes)),
            custom.citation if custom is not None else book.sources.get("compute_classes", ""),
            "check the name against the cluster's ComputeClasses, or use a built-in class",
            None,
        )
        return None
    allowed = check.gen_rules.get("compute_classes") if check.gen_rules else None
    if allowed is not None and allowed.value is not None and rules.name not in allowed.value:
        check.emit(
            ERROR,
            field,
            repr(name),
            "is not offered on Composer {}, which runs only {}".format(check.generation, ", ".join(allowed.value)),
            allowed.citation,
            "remove the compute-class selector, or run the pod on another cluster with the GKE operators",
            None,
        )
    rules = _arm(check, rules)
    _spot(check, rules)
    if using_gpus:
        rules = _gpus(check, rules)
    return rules


def _arm(check: Any, rules: ClassRules) -> ClassRules:
    arch = check.book.entries.get("arch_selector")
    if arch is None or check.view.node_selector.get(arch.value) != "arm64":
        return rules
    if rules.arm64_maximums:
        return dataclasses.replace(rules, maximums={**rules.maximums, **rules.arm64_maximums})
    check.emit(
        NOTE,
        f"spec.nodeSelector[{arch.value}]",
        "arm64",
        f"asks for Arm nodes, which Autopilot offers within the {SCALE_OUT} class, not {rules.name}",
        check.book.sources.get("compute_classes", ""),
        f"add the node selector {check.book.selector_key}: {SCALE_OUT}",
        None,
    )
    return rules


def _node_pool(check: Any) -> None:
    pool = check.book.entries.get("node_pool_selector")
    chosen = None if pool is None else check.view.node_selector.get(pool.value)
    if chosen is None or check.skip(chosen):
        return
    check.emit(
        ERROR,
        f"spec.nodeSelector[{pool.value}]",
        str(chosen),
        "chooses a node pool, which Autopilot refuses: it creates and manages the node pools itself",
        pool.citation,
        f"remove the selector; to choose hardware, select a compute class ({check.book.selector_key}) instead",
        None,
    )


def _spot(check: Any, rules: ClassRules) -> None:
    spot = check.book.entries.get("spot")
    if spot is None or str(check.view.node_selector.get(spot.value, "")).lower() != "true":
        return
    check.emit(
        NOTE,
        f"spec.nodeSelector[{spot.value}]",
        "true",
        f"makes this a Spot Pod: it may be preempted at any time, and {rules.name}'s request rules apply as usual",
        spot.citation,
        "set retries on the task, or drop the selector for a pod that must not be interrupted",
        None,
    )


def _gpus(check: Any, rules: ClassRules) -> ClassRules:
    gpus, view = check.book.gpus, check.view
    selector = gpus.type_selector
    gpu_type = view.node_selector.get(selector.value)
    for container in gpu_containers(view.init_containers, gpus.resource):
        allowed = gpus.init_containers_allowed
        if allowed is not None and not allowed.value:
            check.emit(
                ERROR,
                f"init container {container.name} resources.limits[{gpus.resource}]",
                str(container.limits.get(gpus.resource, container.requests.get(gpus.resource))),
                "is a GPU in an init container, which Autopilot does not support",
                allowed.citation,
                "use the GPU in the base container, and prepare its inputs without one",
                None,
            )
    if gpu_type is None:
        if rules.name == ACCELERATOR:
            check.emit(
                ERROR,
                f"spec.nodeSelector[{selector.value}]",
                "(unset)",
                f"must name the GPU type when a container requests {gpus.resource}",
                selector.citation,
                f"add the node selector {selector.value}: nvidia-l4 (or the type you need)",
                None,
            )
        return rules
    maximums = gpus.type_maximums.get(str(gpu_type))
    if maximums is None:
        check.emit(
            NOTE,
            f"spec.nodeSelector[{selector.value}]",
            str(gpu_type),
            "is a GPU type whose CPU and memory range is not in the rules, so the pod's size is not checked "
            "(known: {})".format(", ".join(gpus.type_maximums)),
            selector.citation,
            "check the GPU's CPU and memory range in GKE's GPU page",
            None,
        )
        return rules
    return dataclasses.replace(rules, maximums={**rules.maximums, **maximums})
