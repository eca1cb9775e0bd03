"""Fail fast, before a pod exists, when it references a Secret, ConfigMap or key that is missing.

Stock KPO creates the pod anyway, and it then waits in ``CreateContainerConfigError`` until the startup timeout. We
read each referenced object once, and say exactly what is missing and how to create it for the Composer generation.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from airflow_provider_composer_pod.compat import KPO_LABELS
from airflow_provider_composer_pod.errors import ComposerPodPreflightError
from airflow_provider_composer_pod.fields import attr


@dataclass(frozen=True)
class Reference:
    kind: str  # "Secret" or "ConfigMap"
    name: str
    key: Optional[str]
    used_by: str  # where the pod uses it, e.g. "env SQL_CONN of container base"


def pod_references(pod: Any, *, include_optional: bool = False) -> List[Reference]:
    """Every required (non-``optional``) Secret and ConfigMap the pod's containers and volumes use; with
    ``include_optional``, the optional ones too."""
    spec = attr(pod, "spec")
    refs: List[Reference] = []
    containers = [*(attr(spec, "init_containers") or []), *(attr(spec, "containers") or [])]
    for container in containers:
        where = f"container {attr(container, 'name')}"
        for env in attr(container, "env") or []:
            source = attr(env, "value_from")
            for kind, ref in (
                ("Secret", attr(source, "secret_key_ref")),
                ("ConfigMap", attr(source, "config_map_key_ref")),
            ):
                if ref is not None and (include_optional or not attr(ref, "optional")):
                    refs.append(
                        Reference(kind, attr(ref, "name"), attr(ref, "key"), f"env {attr(env, 'name')} of {where}")
                    )
        for env_from in attr(container, "env_from") or []:
            for kind, ref in (
                ("Secret", attr(env_from, "secret_ref")),
                ("ConfigMap", attr(env_from, "config_map_ref")),
            ):
                if ref is not None and (include_optional or not attr(ref, "optional")):
                    refs.append(Reference(kind, attr(ref, "name"), None, f"envFrom of {where}"))
    for volume in attr(spec, "volumes") or []:
        where = f"volume {attr(volume, 'name')}"
        secret, config_map = attr(volume, "secret"), attr(volume, "config_map")
        for kind, source, name_field in (("Secret", secret, "secret_name"), ("ConfigMap", config_map, "name")):
            if source is None or (attr(source, "optional") and not include_optional):
                continue
            items = attr(source, "items") or []
            keys: Iterable[Optional[str]] = [attr(item, "key") for item in items] or [None]
            refs.extend(Reference(kind, attr(source, name_field), key, where) for key in keys)
    return refs


def how_to_create(ref: Reference, namespace: str, generation: Optional[int], *, add_key: bool = False) -> str:
    """The command that creates the object (or adds the key), in the form the Composer generation allows."""
    key = ref.key or "KEY"
    if generation == 3:
        environment = os.environ.get("COMPOSER_ENVIRONMENT", "ENVIRONMENT")
        location = os.environ.get("COMPOSER_LOCATION", "LOCATION")
        noun, flag = (
            ("user-workloads-secrets", "--secret-file-path")
            if ref.kind == "Secret"
            else ("user-workloads-config-maps", "--config-map-file-path")
        )
        verb = "update" if add_key else "create"
        return (
            f"write a {ref.kind} manifest named {ref.name} with key {key}, then run: gcloud composer environments "
            f"{noun} {verb} --environment {environment} --location {location} {flag} {ref.name}.yaml"
        )
    if add_key:
        field = "stringData" if ref.kind == "Secret" else "data"
        resource = "secret" if ref.kind == "Secret" else "configmap"
        patch = json.dumps({field: {key: "VALUE"}})
        return f"kubectl patch {resource} {ref.name} -n {namespace} --type merge -p '{patch}'"
    noun = "secret generic" if ref.kind == "Secret" else "configmap"
    return f"kubectl create {noun} {ref.name} --from-literal {key}=VALUE -n {namespace}"


# Composer 3's second opinion (given by the shells: the Composer API client is theirs to build): a user workload's
# key names, None when it does not exist; PermissionError (its message says why) when it cannot tell either.
ComposerRead = Callable[[str, str], Optional[List[str]]]

NOT_CREATED = "The pod was not created because it would wait in CreateContainerConfigError:"
CANNOT_START = "The pod cannot start, it waits in CreateContainerConfigError:"


def check_references(
    read: Any,
    namespace: str,
    refs: List[Reference],
    generation: Optional[int],
    log: Any,
    *,
    lead: str = NOT_CREATED,
    composer_read: Optional[ComposerRead] = None,
) -> None:
    """Read each referenced object once (``read(kind, name, namespace)`` returns its keys, or None when missing).

    ``read`` raises the client's ApiException for anything else; a 403 asks ``composer_read`` (Composer 3's API, which
    manages the namespace's Secrets and ConfigMaps) instead, and when there is none or it cannot tell either, skips
    the check with one info line, because RBAC may forbid reading Secrets while still letting pods use them.
    """
    from kubernetes.client.exceptions import ApiException

    keys_by_object: Dict[Tuple[str, str], Optional[List[str]]] = {}
    unreadable: Set[Tuple[str, str]] = set()
    problems: List[str] = []
    for ref in refs:
        target = (ref.kind, ref.name)
        if target not in keys_by_object and target not in unreadable:
            try:
                keys_by_object[target] = read(ref.kind, ref.name, namespace)
            except ApiException as error:
                if error.status != 403:
                    raise
                keys_or_unreadable = _second_opinion(composer_read, ref, namespace, log)
                if keys_or_unreadable is _UNREADABLE:
                    unreadable.add(target)
                else:
                    keys_by_object[target] = keys_or_unreadable  # type: ignore[assignment]
        if target in unreadable:
            continue
        keys = keys_by_object[target]
        if keys is None:
            problems.append(
                f"{ref.kind} {ref.name!r} (used by {ref.used_by}) does not exist in namespace {namespace}. "
                f"Create it: {how_to_create(ref, namespace, generation)}"
            )
        elif ref.key is not None and ref.key not in keys:
            problems.append(
                f"{ref.kind} {ref.name!r} in namespace {namespace} has no key {ref.key!r} (used by {ref.used_by}; "
                f"it has: {', '.join(sorted(keys)) or 'no keys'}). "
                f"Add it: {how_to_create(ref, namespace, generation, add_key=True)}"
            )
    if problems:
        raise ComposerPodPreflightError(lead + "\n- " + "\n- ".join(problems))


_UNREADABLE = object()


def _second_opinion(composer_read: Optional[ComposerRead], ref: Reference, namespace: str, log: Any) -> Any:
    """The keys (or None) from the Composer API after the Kubernetes API's 403, else ``_UNREADABLE`` (logged once)."""
    why = ""
    if composer_read is not None:
        try:
            return composer_read(ref.kind, ref.name)
        except PermissionError as error:
            why = f", nor through the Composer API ({error})"
    log.info(
        "Pre-flight: not allowed to read %s %s in namespace %s (403)%s, so its existence is not checked.",
        ref.kind,
        ref.name,
        namespace,
        why,
    )
    return _UNREADABLE


def object_keys(client: Any) -> Any:
    """A ``read`` for check_references over a CoreV1Api: the object's key names, None if missing.

    A Secret's values are registered with Airflow's secrets masker as they are read, so that a container that prints
    one (``echo $SQL_CONN``) shows ``***`` in the task log.
    """
    from airflow_provider_composer_pod.workloads.objects import read_with

    def read(kind: str, name: str, namespace: str) -> Optional[List[str]]:
        obj = read_with(client, kind, name, namespace)
        if obj is None:
            return None
        return [*(obj.data or {}), *(getattr(obj, "binary_data", None) or {})]

    return read


def secret_keys_used(pod: Any) -> Dict[str, Optional[Set[str]]]:
    """Each Secret the pod uses (optional ones too: present, their values reach the container) and the keys it
    uses of it; None where it uses them all (``envFrom``, a volume without ``items``)."""
    used: Dict[str, Optional[Set[str]]] = {}
    for ref in pod_references(pod, include_optional=True):
        if ref.kind != "Secret":
            continue
        if ref.key is None:
            used[ref.name] = None
        elif used.get(ref.name, set()) is not None:
            used.setdefault(ref.name, set()).add(ref.key)  # type: ignore[union-attr]
    return used


def register_pod_secrets(client: Any, pod: Any, log: Any) -> None:
    """Register the values of the Secret keys ``pod`` uses with the secrets masker, before any of its log lines is
    written: in a process that did not run the pre-flight (a resume after a deferral, a retry that reattaches).

    Only the keys the pod uses are registered; a Secret that is gone or that RBAC forbids reading is skipped (its
    values, if any, are then not known to this process), anything else raises: better no logs than unmasked ones.
    """
    from kubernetes.client.exceptions import ApiException

    from airflow_provider_composer_pod.workloads.masking import mask_secret_data

    namespace = attr(attr(pod, "metadata"), "namespace")
    for name, keys in secret_keys_used(pod).items():
        try:
            secret = client.read_namespaced_secret(name, namespace)
        except ApiException as error:
            if error.status not in (403, 404):
                raise
            log.info("Cannot read Secret %s in namespace %s (%s) to mask its values.", name, namespace, error.status)
            continue
        mask_secret_data(secret.data, keys)


def check_pod(
    pod: Any,
    *,
    client: Any,
    task_id: str,
    generation: Optional[int],
    strict: bool,
    log: Any,
    pod_bursting: bool = False,
    composer_read: Optional[ComposerRead] = None,
) -> None:
    """Before creation: names and labels as the API server checks them, the rules on the rendered pod (warning once
    per adjustment), then the references.

    The pod is read as ``to_dict()`` gives it, the form KubernetesPodOperator itself logs before it creates the pod.
    """
    from airflow_provider_composer_pod.validation.pod_fields import check_pod_fields
    from airflow_provider_composer_pod.validation.validate import raise_for_errors, validate_pod

    request = pod.to_dict()
    check_pod_fields(request, skip_labels=KPO_LABELS)  # the DAG's labels; KPO answers for its own
    for finding in raise_for_errors(
        validate_pod(request, task_id=task_id, generation=generation, strict=strict, pod_bursting=pod_bursting)
    ):
        log.warning("%s", finding.render())
    namespace = attr(attr(request, "metadata"), "namespace")
    refs = pod_references(request)
    check_references(object_keys(client), namespace, refs, generation, log, composer_read=composer_read)
