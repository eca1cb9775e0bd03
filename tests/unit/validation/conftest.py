from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence


def make_pod(
    requests: Optional[Dict[str, Any]] = None,
    limits: Optional[Dict[str, Any]] = None,
    *,
    namespace: Optional[str] = "composer-user-workloads",
    service_account: Optional[str] = None,
    affinity: Optional[Dict[str, Any]] = None,
    node_selector: Optional[Dict[str, str]] = None,
    sidecars: Sequence[Dict[str, Any]] = (),
) -> Dict[str, Any]:
    """A pod dict in the API server's spelling, with one base container and optional sidecars."""
    resources: Dict[str, Any] = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    spec: Dict[str, Any] = {"containers": [{"name": "base", "image": "ubuntu", "resources": resources}, *sidecars]}
    if service_account:
        spec["serviceAccountName"] = service_account
    if affinity is not None:
        spec["affinity"] = affinity
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": namespace}, "spec": spec}


XCOM_SIDECAR = {"name": "airflow-xcom-sidecar", "resources": {"requests": {"cpu": "1m", "memory": "10Mi"}}}
FITS = {"cpu": "1", "memory": "4Gi", "ephemeral-storage": "1Gi"}


def rule_entries(rules_file: str) -> List[Dict[str, Any]]:
    """Every documented value (a mapping with a ``value``) of one rules file, however deep."""
    import pkgutil

    import yaml

    data = yaml.safe_load(pkgutil.get_data("airflow_provider_composer_pod.validation.rules", rules_file) or b"")
    entries: List[Dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "value" in node:
                entries.append(node)
            for value in node.values():
                walk(value)

    walk(data)
    return entries
