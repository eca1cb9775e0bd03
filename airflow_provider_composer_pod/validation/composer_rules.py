"""What a Composer generation adds to Autopilot's rules: no pod affinity (2, 3), one namespace (3), one sidecar named
``airflow-xcom-sidecar`` (3), and Workload Identity only in ``composer-user-workloads``."""

from __future__ import annotations

from typing import Any, Optional

from airflow_provider_composer_pod.fields import attr
from airflow_provider_composer_pod.validation.model import ERROR, NOTE
from airflow_provider_composer_pod.validation.rules import Entry, GenerationRules


def check_composer_rules(check: Any) -> None:
    gen = check.gen_rules
    if gen is None:
        return
    check_affinity(check, gen.get("pod_affinity_allowed"))
    check_namespace(check, gen)
    check_sidecars(check, gen.get("sidecars"), gen.get("sidecars_max"))


def check_affinity(check: Any, allowed: Optional[Entry]) -> None:
    affinity = check.view.affinity
    if allowed is None or allowed.value or not affinity:
        return
    for snake, camel in (("pod_affinity", "podAffinity"), ("pod_anti_affinity", "podAntiAffinity")):
        if attr(affinity, snake, camel):
            check.emit(
                ERROR,
                f"spec.affinity.{camel}",
                "(set)",
                f"is not available on Composer {check.generation}",
                allowed.citation,
                "remove affinity, or launch the pod on another cluster with the GKE operators",
                None,
            )
    if attr(affinity, "node_affinity", "nodeAffinity"):
        check.emit(
            NOTE,
            "spec.affinity.nodeAffinity",
            "(set)",
            f"is an affinity rule; Composer {check.generation} documents affinity as unavailable",
            allowed.citation,
            "prefer a cloud.google.com/compute-class node selector, or drop the rule",
            None,
        )


def check_namespace(check: Any, gen: GenerationRules) -> None:
    namespace = check.view.namespace
    if not namespace or check.skip(namespace):
        return
    forced = gen.get("forced_namespace")
    if forced is not None and forced.value and namespace != forced.value:
        check.namespace = forced.value
        check.emit(
            NOTE,
            "metadata.namespace",
            str(namespace),
            f"is not used: Composer {check.generation} runs every pod in {forced.value}",
            forced.citation,
            f"drop namespace= (or set {forced.value}) so the DAG says where the pod runs",
            forced.value,
        )
        return
    identity = gen.get("workload_identity_namespace")
    account = check.view.service_account_name
    if identity is not None and namespace != identity.value and not account:
        check.emit(
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


def check_sidecars(check: Any, allowed: Optional[Entry], most: Optional[Entry]) -> None:
    if allowed is None or allowed.value is None:
        return
    sidecars = [c for c in check.view.containers if c.sidecar]
    limit = int(most.value) if most is not None else len(sidecars)
    for index, container in enumerate(sidecars):
        if container.name not in allowed.value:
            rule = "is a sidecar; Composer {} allows only {}".format(check.generation, " or ".join(allowed.value))
        elif index >= limit:
            rule = f"is sidecar number {index + 1}; Composer {check.generation} allows {limit}"
        else:
            continue
        check.emit(
            ERROR,
            f"spec.containers[{index + 1}].name",
            container.name,
            rule,
            allowed.citation,
            "run that work in the base container or an init container",
            None,
        )
