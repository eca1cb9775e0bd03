"""Autopilot's security constraints, checked on a pod before Autopilot sees it.

GKE Autopilot's admission policies (GKE Warden) reject a pod that runs a privileged container, adds a Linux
capability outside Autopilot's allow-list, mounts a hostPath volume outside ``/var/log/`` or in write mode, shares
the node's network, PID or IPC namespace, or declares a host port. Stock KPO creates such a pod anyway and the API
server answers with Warden's rejection; :func:`check_security` says so first, as ``error`` findings that cite
``rules/security.yaml``. Composer 1 runs on a Standard cluster, where none of this applies.
"""

from __future__ import annotations

import posixpath
from typing import Any, Dict, Iterator, List, Optional, Tuple

from airflow_provider_composer_pod.fields import attr
from airflow_provider_composer_pod.validation.model import ERROR, NOTE, Finding
from airflow_provider_composer_pod.validation.quantities import is_template
from airflow_provider_composer_pod.validation.rules import Entry, SecurityRules, rule_book, security_rules

OTHER_CLUSTER = "or run the pod on another cluster with the GKE operators"
# The pod fields named in security.yaml's host_namespaces, in a client model's spelling.
_SNAKE = {"hostNetwork": "host_network", "hostPID": "host_pid", "hostIPC": "host_ipc"}
_NAMESPACE_OF = {"hostNetwork": "network", "hostPID": "process (PID)", "hostIPC": "IPC"}


def check_security(
    pod: Any, generation: Optional[int], task_id: str = "?", defer_templates: bool = False
) -> List[Finding]:
    """Findings for a pod (``V1Pod``, its ``to_dict()`` or API JSON) that Autopilot's security policies would reject.

    :param generation: Composer generation; 2, 3 and None (outside Composer) are checked, 1 is not.
    :param defer_templates: skip values that still contain ``{{`` or ``{%`` (for literals read before rendering).
    """
    spec = attr(pod, "spec")
    if spec is None or not rule_book().autopilot(generation):
        return []
    return _Security(security_rules(), task_id, defer_templates).run(spec)


def _containers(spec: Any) -> Iterator[Tuple[str, Any]]:
    """Each container and init container with the words a finding names it by (``init container setup``)."""
    for kind, snake, camel in (
        ("init container", "init_containers", "initContainers"),
        ("container", "containers", "containers"),
    ):
        for container in attr(spec, snake, camel) or []:
            yield f"{kind} {attr(container, 'name') or '?'}", container


def _host_paths(spec: Any) -> Dict[str, Any]:
    """The pod's hostPath volumes: volume name to its path."""
    paths: Dict[str, Any] = {}
    for volume in attr(spec, "volumes") or []:
        host_path = attr(volume, "host_path", "hostPath")
        if host_path is not None:
            paths[str(attr(volume, "name"))] = attr(host_path, "path")
    return paths


def _capability_key(name: str) -> str:
    """How a capability is probably meant: upper case, without ``CAP_`` (Autopilot itself compares exactly)."""
    upper = name.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def under(path: str, prefix: str) -> bool:
    """Whether ``path`` lies under the directory ``prefix`` (``/var/log/``): ``/var/log/pods`` and ``/var/log`` do,
    ``/var/logs`` and ``/var/log/../etc`` do not."""
    return (posixpath.normpath(path) + "/").startswith(prefix.rstrip("/") + "/")


class _Security:
    """One check of one pod spec: the rules, the findings so far."""

    def __init__(self, rules: SecurityRules, task_id: str, defer: bool) -> None:
        self.rules = rules
        self.task_id = task_id
        self.defer = defer
        self.findings: List[Finding] = []

    def emit(self, level: str, field: str, value: Any, rule: str, entry: Entry, fix: str) -> None:
        self.findings.append(Finding(level, self.task_id, field, str(value), rule, entry.citation, fix))

    def skip(self, value: Any) -> bool:
        return self.defer and is_template(value)

    def run(self, spec: Any) -> List[Finding]:
        self.check_host_namespaces(spec)
        host_paths = _host_paths(spec)
        for where, container in _containers(spec):
            context = attr(container, "security_context", "securityContext")
            self.check_privileged(where, context)
            self.check_capabilities(where, attr(attr(context, "capabilities"), "add"))
            self.check_host_ports(where, attr(container, "ports"))
            self.check_host_path_mounts(where, attr(container, "volume_mounts", "volumeMounts"), host_paths)
        return self.findings

    def check_host_namespaces(self, spec: Any) -> None:
        entry = self.rules.host_namespaces
        for name in entry.value or ():
            if attr(spec, _SNAKE.get(name, name), name) is True:
                self.emit(
                    ERROR,
                    f"spec.{name}",
                    "true",
                    f"is rejected by Autopilot: pods cannot share the node's {_NAMESPACE_OF.get(name, name)} namespace",
                    entry,
                    f"remove {name}: true so the pod gets its own namespace, {OTHER_CLUSTER}",
                )

    def check_privileged(self, where: str, context: Any) -> None:
        entry = self.rules.privileged
        if not entry.value and attr(context, "privileged") is True:
            self.emit(
                ERROR,
                f"{where} securityContext.privileged",
                "true",
                "is rejected by Autopilot: privileged containers are not allowed",
                entry,
                f"remove privileged: true and add only the capabilities the container needs, {OTHER_CLUSTER}",
            )

    def check_capabilities(self, where: str, added: Any) -> None:
        allowed = self.rules.capabilities
        optional = self.rules.cluster_optional_capabilities
        disputed = self.rules.disputed_capabilities
        names = ", ".join(allowed.value)
        for index, raw in enumerate(added or []):
            name = str(raw)
            if self.skip(name):
                continue
            field = f"{where} securityContext.capabilities.add[{index}]"
            key = _capability_key(name)
            if name in allowed.value:
                if name in disputed.value:
                    self.emit(
                        NOTE,
                        field,
                        name,
                        "is on the allow-list Autopilot's rejection messages print, but Google's page says Autopilot "
                        "rejects Pods that add it by default",
                        disputed,
                        "drop it if the container can do without raw sockets",
                    )
                continue
            if key in allowed.value:
                rule = f"is not in Autopilot's allowed capabilities ({names}), which it compares exactly"
                self.emit(ERROR, field, name, rule, allowed, f"write it as {key}")
            elif key in optional.value:
                rule = (
                    f"is not in Autopilot's allowed capabilities ({names}); only a cluster set up to allow {key} "
                    "admits it, and Composer manages its cluster"
                )
                self.emit(ERROR, field, name, rule, optional, f"remove it from capabilities.add, {OTHER_CLUSTER}")
            else:
                rule = f"is not in Autopilot's allowed capabilities: {names}"
                self.emit(ERROR, field, name, rule, allowed, f"remove it from capabilities.add, {OTHER_CLUSTER}")

    def check_host_ports(self, where: str, ports: Any) -> None:
        entry = self.rules.host_port
        if entry.value:
            return
        for index, port in enumerate(ports or []):
            host_port = attr(port, "host_port", "hostPort")
            if host_port and not self.skip(host_port):
                self.emit(
                    ERROR,
                    f"{where} ports[{index}].hostPort",
                    host_port,
                    "is rejected by Autopilot: containers cannot declare host ports",
                    entry,
                    f"remove hostPort (keep containerPort and reach the pod through a Service), {OTHER_CLUSTER}",
                )

    def check_host_path_mounts(self, where: str, mounts: Any, host_paths: Dict[str, Any]) -> None:
        prefixes, read_only = self.rules.host_path_prefixes, self.rules.host_path_read_only
        for index, mount in enumerate(mounts or []):
            volume = str(attr(mount, "name"))
            if volume not in host_paths:
                continue
            path = host_paths[volume]
            field = f"{where} volumeMounts[{index}]"
            if isinstance(path, str) and not self.skip(path) and not any(under(path, p) for p in prefixes.value):
                self.emit(
                    ERROR,
                    f"{field} hostPath.path",
                    path,
                    f"(volume {volume}) is outside {', '.join(prefixes.value)}, the only hostPath prefix Autopilot "
                    "allows",
                    prefixes,
                    f"use an emptyDir or a persistent volume instead, {OTHER_CLUSTER}",
                )
            flag = attr(mount, "read_only", "readOnly")
            if read_only.value and flag is not True:
                self.emit(
                    ERROR,
                    f"{field}.readOnly",
                    "(unset)" if flag is None else str(flag).lower(),
                    f"mounts hostPath volume {volume} in write mode; Autopilot allows hostPath volumes only read-only",
                    read_only,
                    "set readOnly: true on this volumeMount",
                )
