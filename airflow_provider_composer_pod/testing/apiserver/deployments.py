"""``apps/v1`` Deployments: stored with the defaults and the few checks ``kubectl create deployment`` meets.

No controller runs: a Deployment makes no ReplicaSet and no pod, and its status stays empty.
"""

from __future__ import annotations

from typing import Any, Dict, List

from airflow_provider_composer_pod.testing.apiserver.errors import field_invalid, field_required


class _Go:
    """A value shown as Go's ``%#v`` prints it (unquoted) in a field error."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


_EMPTY_SELECTOR = _Go(
    "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
)


def default_deployment(deployment: Dict[str, Any]) -> None:
    """The defaults ``SetObjectDefaults_Deployment`` adds that clients read back."""
    spec = deployment.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    template_spec = (spec.get("template") or {}).get("spec")
    if isinstance(template_spec, dict):
        template_spec.setdefault("restartPolicy", "Always")
        template_spec.setdefault("terminationGracePeriodSeconds", 30)
        template_spec.setdefault("dnsPolicy", "ClusterFirst")
        template_spec.setdefault("schedulerName", "default-scheduler")
    deployment.setdefault("status", {})


def deployment_errors(deployment: Dict[str, Any]) -> List[Dict[str, str]]:
    """Selector present, non-empty and matching the template's labels; at least one container."""
    spec = deployment.get("spec") or {}
    match = (spec.get("selector") or {}).get("matchLabels") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    errors: List[Dict[str, str]] = []
    if not spec.get("selector"):
        errors.append(field_required("spec.selector"))
    elif not match and not spec["selector"].get("matchExpressions"):
        errors.append(field_invalid("spec.selector", _EMPTY_SELECTOR, "empty selector is invalid for deployment"))
    if match and any(labels.get(key) != value for key, value in match.items()):
        pairs = ", ".join(f'"{key}":"{value}"' for key, value in sorted(labels.items()))
        shown = _Go("map[string]string{" + pairs + "}")
        errors.append(
            field_invalid("spec.template.metadata.labels", shown, "`selector` does not match template `labels`")
        )
    if not (template.get("spec") or {}).get("containers"):
        errors.append(field_required("spec.template.spec.containers"))
    return errors


__all__ = ["default_deployment", "deployment_errors"]
