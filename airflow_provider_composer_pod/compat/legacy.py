"""Translate the arguments DAGs of every provider era used into what the installed KubernetesPodOperator takes.

A DAG written for a 4.x-era Composer image must keep working on a 10.x image, and the reverse where the feature
exists. This module is told the installed provider's version and accepted arguments (by ``compat``); it does not
detect anything itself. It runs at every operator construction, so it only looks at the arguments given.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Optional

from airflow_provider_composer_pod.compat.kpo_arguments import FIRST_PROVIDER_VERSION
from airflow_provider_composer_pod.errors import ComposerPodInputError

# Provider 4.4 converted these resource dicts itself; 5.0+ pass them through unconverted (an invalid pod spec).
_LEGACY_RESOURCE_KEYS = {
    "limit_cpu": ("limits", "cpu"),
    "limit_memory": ("limits", "memory"),
    "limit_ephemeral_storage": ("limits", "ephemeral-storage"),
    "limit_gpu": ("limits", "nvidia.com/gpu"),
    "request_cpu": ("requests", "cpu"),
    "request_memory": ("requests", "memory"),
    "request_ephemeral_storage": ("requests", "ephemeral-storage"),
}
_SECTIONS = {"limits", "requests"}
_FINISH_ACTIONS = {True: "delete_pod", False: "keep_pod"}


def _is_legacy_resources(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= set(_LEGACY_RESOURCE_KEYS)


def resource_requirements(legacy: Dict[str, Any]) -> Any:
    """``{'limit_memory': '250M', 'limit_cpu': '100m'}`` as ``V1ResourceRequirements``."""
    from kubernetes.client import models as k8s

    sections: Dict[str, Dict[str, Any]] = {"limits": {}, "requests": {}}
    for key, value in legacy.items():
        if value is not None:
            section, resource = _LEGACY_RESOURCE_KEYS[key]
            sections[section][resource] = value
    return k8s.V1ResourceRequirements(limits=sections["limits"] or None, requests=sections["requests"] or None)


def _needs_newer_provider(name: str, installed: str) -> ComposerPodInputError:
    return ComposerPodInputError(
        name,
        ...,
        f"needs apache-airflow-providers-cncf-kubernetes>={FIRST_PROVIDER_VERSION[name]}, "
        f"and this environment has {installed}",
        "remove the argument, or use a Composer image with a newer provider",
    )


# Arguments that may need translating whatever the provider; anything else needs work only when not accepted.
_TRANSLATED = frozenset(
    {"resources", "container_resources", "node_selectors", "is_delete_operator_pod", "on_finish_action"}
)


def translate(kwargs: Dict[str, Any], accepted: FrozenSet[str], installed: str) -> Dict[str, Any]:
    """The same request in the installed provider's words; a clear error where it has no way to say it."""
    if kwargs.keys() <= accepted and _TRANSLATED.isdisjoint(kwargs):
        return kwargs  # the usual case, on every DAG parse
    resources = kwargs.get("resources")
    if resources is not None and "container_resources" not in kwargs:
        if _is_legacy_resources(resources):
            kwargs["container_resources"] = resource_requirements(kwargs.pop("resources"))
        elif type(resources).__name__ == "V1ResourceRequirements":
            kwargs["container_resources"] = kwargs.pop("resources")
    container_resources: Any = kwargs.get("container_resources")
    if _is_legacy_resources(container_resources):
        kwargs["container_resources"] = resource_requirements(container_resources)
    elif isinstance(container_resources, dict) and container_resources and set(container_resources) <= _SECTIONS:
        # {"requests": {...}, "limits": {...}}: 4.4 would misread it as legacy keys, 5.0+ pass it through as is.
        from kubernetes.client import models as k8s

        kwargs["container_resources"] = k8s.V1ResourceRequirements(**container_resources)
    elif isinstance(container_resources, dict) and container_resources:
        raise ComposerPodInputError(
            "container_resources",
            container_resources,
            "a dict must have only the keys 'requests' and 'limits', or only the legacy keys "
            + ", ".join(sorted(_LEGACY_RESOURCE_KEYS)),
            "pass k8s.V1ResourceRequirements(requests={...}, limits={...})",
        )
    if "node_selectors" in kwargs and "node_selectors" not in accepted:
        if kwargs.get("node_selector"):
            raise ComposerPodInputError(
                "node_selectors", ..., "is the old name of node_selector, and both are set", "keep node_selector"
            )
        kwargs["node_selector"] = kwargs.pop("node_selectors")
    _translate_finish_action(kwargs, accepted, installed)
    for name in kwargs:
        if name not in accepted and name in FIRST_PROVIDER_VERSION:
            raise _needs_newer_provider(name, installed)
    return kwargs


def _translate_finish_action(kwargs: Dict[str, Any], accepted: FrozenSet[str], installed: str) -> None:
    delete: Optional[bool] = kwargs.get("is_delete_operator_pod")
    if "on_finish_action" in accepted:
        # 10.x accepts is_delete_operator_pod but ignores it; 7.2 to 9.x map it. Say it in on_finish_action everywhere.
        if delete is not None:
            action = _FINISH_ACTIONS[bool(delete)]
            given = kwargs.get("on_finish_action")
            if given is not None and str(getattr(given, "value", given)) != action:
                raise ComposerPodInputError(
                    "is_delete_operator_pod",
                    delete,
                    f"contradicts on_finish_action={getattr(given, 'value', given)!r}",
                    "keep only on_finish_action",
                )
            kwargs["on_finish_action"] = action
            kwargs.pop("is_delete_operator_pod")
        return
    action = kwargs.pop("on_finish_action", None)
    if action is None:
        return
    value = str(getattr(action, "value", action))
    if value not in _FINISH_ACTIONS.values():
        raise ComposerPodInputError(
            "on_finish_action",
            value,
            f"needs apache-airflow-providers-cncf-kubernetes>=7.2.0 (this environment has {installed}); "
            "before it only delete_pod and keep_pod exist",
            "use 'delete_pod' or 'keep_pod'",
        )
    kwargs["is_delete_operator_pod"] = value == "delete_pod"
