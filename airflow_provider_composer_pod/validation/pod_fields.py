"""The rendered pod's names, labels and references, checked as the API server would, before the pod is created.

A value Kubernetes would refuse (a label with a space, an environment variable named ``1ST``, a namespace with
capitals) otherwise fails at the create with a ``422 Unprocessable Entity`` traceback from inside the Kubernetes client,
logged by KPO in full. Here it fails first, naming the operator argument, the value, the rule and a fix. The rules are
``k8s.io/apimachinery/pkg/util/validation``'s (qualified names, label values, DNS-1123 labels and subdomains).
"""

from __future__ import annotations

import re
from typing import Any, Collection, Mapping, Optional

from airflow_provider_composer_pod.errors import ComposerPodInputError, ComposerPodRejectedError
from airflow_provider_composer_pod.fields import attr
from airflow_provider_composer_pod.workloads.names import (
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    validate_env_name,
    validate_namespace,
)

_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
MAX_ANNOTATIONS_BYTES = 256 * 1024


def _key_problem(key: Any) -> Optional[str]:
    """Why ``key`` is not a qualified name (``[prefix/]name``), or None."""
    if not isinstance(key, str):
        return "a key must be a string"
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > MAX_NAME_LENGTH or not _SUBDOMAIN.fullmatch(prefix)):
        return "a key's prefix (before '/') must be a DNS-1123 subdomain such as 'example.com'"
    if not name or len(name) > MAX_LABEL_LENGTH or not _QUALIFIED_NAME.fullmatch(name):
        return (
            "a key must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, "
            "with an optional 'prefix/'"
        )
    return None


def _is_label_value(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_LABEL_LENGTH and _LABEL_VALUE.fullmatch(value) is not None


def _check_labels(labels: Optional[Mapping[Any, Any]], parameter: str, *, values: bool = True) -> None:
    for key, value in (labels or {}).items():
        problem = _key_problem(key)
        if problem is not None:
            raise ComposerPodInputError(parameter, key, problem, "use a key such as 'team' or 'example.com/team'")
        if values and not _is_label_value(value):
            raise ComposerPodInputError(
                f"{parameter}[{key!r}]",
                value,
                "a label value must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending "
                "with a letter or digit",
                "put free text in an annotation instead, or use a value such as 'nightly-load'",
            )


def _check_dns_label(value: Any, parameter: str, what: str) -> None:
    if not isinstance(value, str) or len(value) > MAX_LABEL_LENGTH or not _DNS_LABEL.fullmatch(value):
        raise ComposerPodInputError(
            parameter,
            value,
            f"{what} must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter "
            "or digit, at most 63 characters",
            "use a name such as 'base' or 'data'",
        )


def check_pod_fields(pod: Any, *, skip_labels: Collection[str] = ()) -> None:
    """Raise ComposerPodInputError for the first name, label or reference in ``pod`` the API server would refuse.

    ``skip_labels``: label keys whose values someone else sets and answers for (KubernetesPodOperator's own).
    """
    metadata, spec = attr(pod, "metadata"), attr(pod, "spec")
    name = attr(metadata, "name")
    if name is not None and (len(name) > MAX_NAME_LENGTH or not _SUBDOMAIN.fullmatch(name)):
        raise ComposerPodInputError(
            "name",
            name,
            "a pod name must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253",
            "leave name unset (it follows the task id), or use a name such as 'nightly-load'",
        )
    namespace = attr(metadata, "namespace")
    if namespace is not None:
        validate_namespace(namespace, rendered=True)
    labels = attr(metadata, "labels") or {}
    _check_labels({key: value for key, value in labels.items() if key not in skip_labels}, "labels")
    annotations = attr(metadata, "annotations") or {}
    _check_labels(annotations, "annotations", values=False)
    size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
    if size > MAX_ANNOTATIONS_BYTES:
        raise ComposerPodInputError(
            "annotations", f"{size} bytes", "the annotations of a pod may hold at most 256 KiB", "keep them shorter"
        )
    _check_labels(attr(spec, "node_selector"), "node_selector")
    account = attr(spec, "service_account_name")
    if account and (len(account) > MAX_NAME_LENGTH or not _SUBDOMAIN.fullmatch(account)):
        raise ComposerPodInputError(
            "service_account_name",
            account,
            "a service account name must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'",
            "use the Kubernetes service account's exact name, or leave it unset",
        )
    volumes = []
    for volume in attr(spec, "volumes") or []:
        _check_dns_label(attr(volume, "name"), "volumes", "a volume name")
        volumes.append(attr(volume, "name"))
    for container in [*(attr(spec, "init_containers") or []), *(attr(spec, "containers") or [])]:
        _check_container(container, volumes)


def _check_container(container: Any, volumes: list) -> None:
    name = attr(container, "name")
    _check_dns_label(name, "container name", "a container name")
    image = attr(container, "image")
    if image is not None and (not isinstance(image, str) or not image.strip() or image != image.strip()):
        raise ComposerPodInputError(
            "image",
            image,
            f"container {name} needs an image name without leading or trailing whitespace",
            "pass image='registry/repository:tag', e.g. 'marketplace.gcr.io/google/ubuntu2204'",
        )
    for env in attr(container, "env") or []:
        validate_env_name(attr(env, "name"), "env_vars", rendered=True)
    for env_from in attr(container, "env_from") or []:
        prefix = attr(env_from, "prefix")
        if prefix:
            validate_env_name(prefix, "env_from prefix", rendered=True)
    for mount in attr(container, "volume_mounts") or []:
        if attr(mount, "name") not in volumes:
            raise ComposerPodInputError(
                "volume_mounts",
                attr(mount, "name"),
                f"container {name} mounts a volume the pod does not have (it has: {', '.join(volumes) or 'none'})",
                "add the volume to `volumes`, or fix the mount's name",
            )


_REFUSALS = {
    400: "the request was malformed",
    403: "the connection's identity may not create pods there (RBAC)",
    404: "the namespace does not exist",
    409: "a pod with this name exists already",
    422: "a field of the pod is invalid",
}
_FIXES = {
    403: "grant the identity `create` on `pods` in that namespace, or use the environment's namespace",
    404: "create the namespace, or use the environment's namespace ('composer-user-workloads' on Composer 2 and 3)",
    409: "leave random_name_suffix on, or choose another name",
}


def rejection(error: BaseException, pod: Any) -> Optional[ComposerPodRejectedError]:
    """A typed error for a create the API server refused (400, 403, 404, 409, 422), or None for anything else."""
    import json

    status = getattr(error, "status", None)
    if status not in _REFUSALS or not hasattr(error, "body"):
        return None
    try:
        body = json.loads(getattr(error, "body", None) or "{}")
    except (TypeError, ValueError):
        body = {}
    said = body.get("message") if isinstance(body, dict) else None
    causes = ((body.get("details") or {}).get("causes") or []) if isinstance(body, dict) else []
    fields = "; ".join(f"{c.get('field')}: {c.get('message')}" for c in causes if isinstance(c, dict))
    metadata = attr(pod, "metadata")
    where = f"pod {attr(metadata, 'name')} in namespace {attr(metadata, 'namespace')}"
    fix = _FIXES.get(status, "correct the field named above in the operator's arguments or pod template")
    return ComposerPodRejectedError(
        f"The Kubernetes API refused to create {where} ({status}: {_REFUSALS[status]}): "
        f"{said or getattr(error, 'reason', '')}{f' [{fields}]' if fields else ''}. No pod was created. Fix: {fix}."
    )


_POD_SOURCES = ("pod_template_dict", "pod_template_file", "full_pod_spec")


def unreadable_template(task: Any, error: BaseException) -> Optional[ComposerPodInputError]:
    """A typed error for a pod template KPO could not turn into a V1Pod (the client's models raised), else None."""
    source = next((name for name in _POD_SOURCES if getattr(task, name, None)), None)
    if source is None or not isinstance(error, (ValueError, TypeError, AttributeError, KeyError)):
        return None
    if isinstance(error, ComposerPodInputError):
        return None
    return ComposerPodInputError(
        source,
        ...,
        f"Kubernetes cannot read it as a pod ({type(error).__name__}: {error})",
        "check it against the Pod API: spec.containers is a list of containers, each with a name and an image",
    )
