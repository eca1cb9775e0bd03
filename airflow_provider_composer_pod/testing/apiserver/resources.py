"""The resource kinds the emulator serves: discovery data, defaulting and validation per kind."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from airflow_provider_composer_pod.testing.apiserver import validation
from airflow_provider_composer_pod.testing.apiserver.clone import clone
from airflow_provider_composer_pod.testing.apiserver.decoding import decode_error
from airflow_provider_composer_pod.testing.apiserver.deployments import default_deployment, deployment_errors
from airflow_provider_composer_pod.testing.apiserver.errors import bad_request, invalid

_META_FIELDS = frozenset({"metadata.name", "metadata.namespace"})


@dataclass(frozen=True)
class Resource:
    """One REST resource: how it is addressed, listed and defaulted."""

    name: str
    kind: str
    namespaced: bool
    group: str = ""
    version: str = "v1"
    short_names: Tuple[str, ...] = ()
    singular: str = ""
    verbs: Tuple[str, ...] = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    field_selectors: FrozenSet[str] = _META_FIELDS
    subresources: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = ()
    categories: Tuple[str, ...] = ()
    graceful_delete: bool = False
    has_generation: bool = False
    name_check: str = "subdomain"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"


PODS = Resource(
    "pods",
    "Pod",
    True,
    short_names=("po",),
    singular="pod",
    categories=("all",),
    graceful_delete=True,
    has_generation=True,
    field_selectors=_META_FIELDS
    | {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    },
    subresources=(
        ("status", "Pod", ("get", "patch", "update")),
        ("log", "Pod", ("get",)),
        ("exec", "PodExecOptions", ("create", "get")),
    ),
)
EVENTS = Resource(
    "events",
    "Event",
    True,
    short_names=("ev",),
    singular="event",
    field_selectors=_META_FIELDS
    | {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
)
EVENTS_V1 = Resource(
    "events",
    "Event",
    True,
    group="events.k8s.io",
    short_names=("ev",),
    singular="event",
    field_selectors=_META_FIELDS
    | {
        "regarding.kind",
        "regarding.namespace",
        "regarding.name",
        "regarding.uid",
        "regarding.apiVersion",
        "regarding.resourceVersion",
        "regarding.fieldPath",
        "reason",
        "reportingController",
        "type",
    },
)
SECRETS = Resource("secrets", "Secret", True, singular="secret", field_selectors=_META_FIELDS | {"type"})
CONFIG_MAPS = Resource("configmaps", "ConfigMap", True, short_names=("cm",), singular="configmap")
NAMESPACES = Resource(
    "namespaces",
    "Namespace",
    False,
    short_names=("ns",),
    singular="namespace",
    verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    field_selectors=frozenset({"metadata.name", "status.phase"}),
    subresources=(("status", "Namespace", ("get", "patch", "update")),),
    graceful_delete=True,
    name_check="label",
)
SERVICE_ACCOUNTS = Resource("serviceaccounts", "ServiceAccount", True, short_names=("sa",), singular="serviceaccount")

# Stored only: no controller runs, so a Deployment makes no ReplicaSet and no pod.
DEPLOYMENTS = Resource(
    "deployments",
    "Deployment",
    True,
    group="apps",
    short_names=("deploy",),
    singular="deployment",
    categories=("all",),
    has_generation=True,
)

CORE: Dict[str, Resource] = {r.name: r for r in (PODS, EVENTS, SECRETS, CONFIG_MAPS, NAMESPACES, SERVICE_ACCOUNTS)}
GROUPS: Dict[Tuple[str, str], Dict[str, Resource]] = {
    ("apps", "v1"): {"deployments": DEPLOYMENTS},
    ("events.k8s.io", "v1"): {"events": EVENTS_V1},
}
# What the store keeps, by resource name; events.k8s.io/v1 events are views of the core ones.
STORED: Dict[str, Resource] = {**CORE, DEPLOYMENTS.name: DEPLOYMENTS}


def lookup(group: str, version: str, name: str) -> Optional[Resource]:
    if not group:
        return CORE.get(name) if version == "v1" else None
    return GROUPS.get((group, version), {}).get(name)


# --------------------------------------------------------------------------------------------------------------
# Defaulting and validation on write.


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_container(container: Dict[str, Any]) -> None:
    container.setdefault("resources", {})
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if container.get("image"):
        container.setdefault("imagePullPolicy", _image_pull_policy(container["image"]))


def _qos_class(spec: Dict[str, Any]) -> str:
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    requests_any = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        if requests or limits:
            requests_any = True
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits.get(name)) != limits.get(name):
                guaranteed = False
    if not requests_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def default_pod(pod: Dict[str, Any]) -> None:
    """The defaults ``SetObjectDefaults_Pod`` adds that clients read back."""
    spec = pod.setdefault("spec", {})
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if isinstance(container, dict):
            _default_container(container)
            # Limits without requests default the requests, as the real defaulter does.
            resources = container["resources"]
            if resources.get("limits"):
                requests = resources.setdefault("requests", {})
                for key, value in resources["limits"].items():
                    requests.setdefault(key, value)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec["serviceAccount"] = spec["serviceAccountName"]
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    for volume in spec.get("volumes") or []:
        for source in ("secret", "configMap"):
            if isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)
    status = pod.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status["qosClass"] = _qos_class(spec)


def _decode_check(kind: str, data: Dict[str, Any]) -> None:
    for value in data.values():
        try:
            base64.b64decode(value if isinstance(value, str) else "!", validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(
                f'{kind} in version "v1" cannot be handled as a {kind}: illegal base64 data at input byte 0'
            ) from None


def default_secret(secret: Dict[str, Any]) -> None:
    """Fold ``stringData`` into base64 ``data`` (write-only field, never returned)."""
    _decode_check("Secret", secret.get("data") or {})
    string_data = secret.pop("stringData", None) or {}
    if string_data:
        data = secret.setdefault("data", {}) or {}
        secret["data"] = data
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode("utf-8")).decode("ascii")
    if not secret.get("type"):  # SetDefaults_Secret: unset or empty is Opaque
        secret["type"] = "Opaque"


def default_config_map(config_map: Dict[str, Any]) -> None:
    _decode_check("ConfigMap", config_map.get("binaryData") or {})


def default_namespace(namespace: Dict[str, Any]) -> None:
    namespace["spec"] = namespace.get("spec") or {"finalizers": ["kubernetes"]}
    namespace["status"] = namespace.get("status") or {"phase": "Active"}
    labels = namespace["metadata"].setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = namespace["metadata"]["name"]


def _validate(resource: Resource, obj: Dict[str, Any]) -> None:
    name = (obj.get("metadata") or {}).get("name") or ""
    if resource is PODS:
        errors = validation.pod_errors(obj)
    elif resource in (SECRETS, CONFIG_MAPS):
        errors = validation.metadata_errors(obj) + validation.key_errors(obj, ["data", "binaryData"])
    elif resource is DEPLOYMENTS:
        errors = validation.metadata_errors(obj) + deployment_errors(obj)
    else:
        errors = validation.metadata_errors(obj, resource.name_check)
    if errors:
        raise invalid(resource.kind, name, errors, resource.group)


DEFAULTERS: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "pods": default_pod,
    "secrets": default_secret,
    "configmaps": default_config_map,
    "namespaces": default_namespace,
    "deployments": default_deployment,
}


def prepare(resource: Resource, obj: Dict[str, Any]) -> Dict[str, Any]:
    """Decode, default then validate a body on create or update; returns a copy the store may keep."""
    undecodable = decode_error(resource.kind, obj)
    if undecodable is not None:
        raise undecodable
    obj = clone(obj)
    if not isinstance(obj.get("metadata"), dict):
        obj["metadata"] = {}
    obj["kind"] = resource.kind
    obj["apiVersion"] = resource.api_version
    defaulter = DEFAULTERS.get(resource.name)
    if defaulter:
        defaulter(obj)
    _validate(resource, obj)
    return obj


def check_pod_update(old: Dict[str, Any], new: Dict[str, Any]) -> None:
    """Pods are immutable except images, activeDeadlineSeconds, tolerations and the grace period."""

    def mutable_stripped(spec: Dict[str, Any]) -> Dict[str, Any]:
        stripped = clone(spec)
        for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
            stripped.pop(key, None)
        for kind in ("containers", "initContainers"):
            for container in stripped.get(kind) or []:
                container.pop("image", None)
        return stripped

    if mutable_stripped(old.get("spec") or {}) != mutable_stripped(new.get("spec") or {}):
        name = old["metadata"]["name"]
        raise invalid(
            "Pod",
            name,
            [
                {
                    "reason": "FieldValueForbidden",
                    "message": "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
                    "to 1 if it was previously negative)",
                    "field": "spec",
                }
            ],
        )


def ensure_namespace_body(resource: Resource, obj: Dict[str, Any], namespace: Optional[str]) -> None:
    meta = obj["metadata"]
    if not resource.namespaced:
        meta.pop("namespace", None)
        return
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    meta["namespace"] = namespace


def discovery_entry(resource: Resource) -> List[Dict[str, Any]]:
    """APIResource entries (resource plus subresources) for ``/api/v1`` style lists."""
    entry: Dict[str, Any] = {
        "name": resource.name,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    entries = [entry]
    for sub, kind, verbs in resource.subresources:
        entries.append(
            {
                "name": f"{resource.name}/{sub}",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": kind,
                "verbs": list(verbs),
            }
        )
    return entries


def field(obj: Dict[str, Any], *path: str) -> Any:
    current: Any = obj
    for key in path:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current
