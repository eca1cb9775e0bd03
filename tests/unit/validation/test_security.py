"""Autopilot's security constraints (rules/security.yaml): one row per rule and edge, then the same findings through
validate_pod, the operator's literal arguments and the pre-flight (against the Kubernetes API emulator)."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence

import pytest
from kubernetes.client import models as k8s

from airflow_provider_composer_pod.validation.security import check_security, under
from airflow_provider_composer_pod.validation.validate import (
    ComposerPodValidationError,
    raise_for_errors,
    validate_operator,
    validate_pod,
)
from tests.unit.validation.conftest import rule_entries

SECURITY = (
    "https://cloud.google.com/kubernetes-engine/docs/concepts/autopilot-security; unverified, see rules/security.yaml"
)
PRIVILEGED_PAGE = "https://docs.cloud.google.com/kubernetes-engine/docs/concepts/about-autopilot-privileged-workloads"
OPEN_SOURCE_PAGE = "https://cloud.google.com/kubernetes-engine/docs/concepts/run-autopilot-open-source-workloads"
ALLOWED = (
    "AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_BIND_SERVICE NET_RAW SETFCAP SETGID SETPCAP SETUID "
    "SYS_CHROOT SYS_PTRACE"
).split()
ALLOWED_TEXT = ", ".join(ALLOWED)
OTHER_CLUSTER = "or run the pod on another cluster with the GKE operators"


def container(
    name: str = "base",
    *,
    privileged: Optional[bool] = None,
    add: Optional[List[str]] = None,
    ports: Optional[List[Dict[str, Any]]] = None,
    mounts: Optional[List[Dict[str, Any]]] = None,
) -> Dict[str, Any]:
    """A container in the API server's spelling."""
    body: Dict[str, Any] = {"name": name, "image": "ubuntu"}
    context: Dict[str, Any] = {}
    if privileged is not None:
        context["privileged"] = privileged
    if add is not None:
        context["capabilities"] = {"add": add}
    if context:
        body["securityContext"] = context
    if ports is not None:
        body["ports"] = ports
    if mounts is not None:
        body["volumeMounts"] = mounts
    return body


def pod(
    *containers: Dict[str, Any],
    init: Sequence[Dict[str, Any]] = (),
    volumes: Sequence[Dict[str, Any]] = (),
    **spec: Any,
) -> Dict[str, Any]:
    body: Dict[str, Any] = {"containers": list(containers or [container()]), **spec}
    if init:
        body["initContainers"] = list(init)
    if volumes:
        body["volumes"] = list(volumes)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "composer-user-workloads"},
        "spec": body,
    }


def host_path(path: str, name: str = "logs") -> Dict[str, Any]:
    return {"name": name, "hostPath": {"path": path}}


def mount(name: str = "logs", read_only: Optional[bool] = True) -> Dict[str, Any]:
    body: Dict[str, Any] = {"name": name, "mountPath": "/mnt/" + name}
    if read_only is not None:
        body["readOnly"] = read_only
    return body


def mounted(path: str, read_only: Optional[bool] = True) -> Dict[str, Any]:
    return pod(container(mounts=[mount(read_only=read_only)]), volumes=[host_path(path)])


def v1_pod() -> k8s.V1Pod:
    """One of each, in the client's models (snake_case attributes)."""
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="p", namespace="ns"),
        spec=k8s.V1PodSpec(
            host_pid=True,
            volumes=[k8s.V1Volume(name="proc", host_path=k8s.V1HostPathVolumeSource(path="/proc"))],
            init_containers=[
                k8s.V1Container(
                    name="setup",
                    image="ubuntu",
                    security_context=k8s.V1SecurityContext(capabilities=k8s.V1Capabilities(add=["SYS_ADMIN"])),
                )
            ],
            containers=[
                k8s.V1Container(
                    name="base",
                    image="ubuntu",
                    security_context=k8s.V1SecurityContext(privileged=True),
                    ports=[k8s.V1ContainerPort(container_port=80, host_port=8080)],
                    volume_mounts=[k8s.V1VolumeMount(name="proc", mount_path="/host/proc", read_only=True)],
                )
            ],
        ),
    )


EVERYTHING = pod(
    container(privileged=True, add=["SYS_ADMIN"], ports=[{"containerPort": 80, "hostPort": 80}], mounts=[mount()]),
    volumes=[host_path("/etc")],
    hostNetwork=True,
)
EVERYTHING_FIELDS = [
    "spec.hostNetwork",
    "container base securityContext.privileged",
    "container base securityContext.capabilities.add[0]",
    "container base ports[0].hostPort",
    "container base volumeMounts[0] hostPath.path",
]


def _cap(name: str) -> Dict[str, Any]:
    return pod(container(add=[name]))


# Each row: the pod, the generation, and every finding it must produce as (level, field, pieces of the message).
CASES = [
    # --- capabilities: each allowed one passes (NET_RAW with a note, see security.yaml's `disputed`) -----------------
    *(pytest.param(_cap(name), 3, [], id=f"capability-allowed-{name}") for name in ALLOWED if name != "NET_RAW"),
    pytest.param(
        _cap("NET_RAW"),
        3,
        [
            (
                "note",
                "container base securityContext.capabilities.add[0]",
                ["=NET_RAW is on the allow-list", "Google's page says Autopilot rejects Pods that add it by default"],
            )
        ],
        id="capability-net-raw-is-a-note",
    ),
    pytest.param(
        _cap("SYS_ADMIN"),
        3,
        [
            (
                "error",
                "container base securityContext.capabilities.add[0]",
                [
                    f"=SYS_ADMIN is not in Autopilot's allowed capabilities: {ALLOWED_TEXT} (source: {SECURITY})",
                    f"; remove it from capabilities.add, {OTHER_CLUSTER}",
                ],
            )
        ],
        id="capability-sys-admin",
    ),
    pytest.param(
        _cap("NET_ADMIN"),
        2,
        [
            (
                "error",
                "container base securityContext.capabilities.add[0]",
                [
                    "=NET_ADMIN is not in Autopilot's allowed capabilities",
                    "only a cluster set up to allow NET_ADMIN admits it, and Composer manages its cluster",
                    "; remove it from capabilities.add",
                ],
            )
        ],
        id="capability-net-admin-is-cluster-optional",
    ),
    pytest.param(
        _cap("CAP_CHOWN"),
        3,
        [
            (
                "error",
                "container base securityContext.capabilities.add[0]",
                [
                    "=CAP_CHOWN is not in Autopilot's allowed capabilities (",
                    "which it compares exactly",
                    "; write it as CHOWN",
                ],
            )
        ],
        id="capability-cap-prefix-is-rejected",
    ),
    pytest.param(
        _cap("chown"),
        3,
        [("error", "container base securityContext.capabilities.add[0]", ["=chown is not in", "; write it as CHOWN"])],
        id="capability-lower-case-is-rejected",
    ),
    pytest.param(
        pod(container(add=["NET_BIND_SERVICE", "SYS_TIME"])),
        3,
        [("error", "container base securityContext.capabilities.add[1]", ["=SYS_TIME is not in"])],
        id="capability-index-of-the-rejected-one",
    ),
    pytest.param(pod(container(add=[])), 3, [], id="capability-empty-add"),
    # --- privileged -------------------------------------------------------------------------------------------------
    pytest.param(
        pod(container(privileged=True)),
        3,
        [
            (
                "error",
                "container base securityContext.privileged",
                [
                    "=true is rejected by Autopilot: privileged containers are not allowed",
                    f"(source: {PRIVILEGED_PAGE});",  # verified: no "unverified" remark
                    "; remove privileged: true and add only the capabilities the container needs",
                ],
            )
        ],
        id="privileged-true",
    ),
    pytest.param(pod(container(privileged=False)), 3, [], id="privileged-false"),
    pytest.param(pod(container()), 3, [], id="privileged-unset"),
    # --- hostPath ---------------------------------------------------------------------------------------------------
    pytest.param(mounted("/var/log/pods"), 3, [], id="host-path-var-log-read-only"),
    pytest.param(mounted("/var/log"), 3, [], id="host-path-var-log-itself-read-only"),
    pytest.param(
        mounted("/var/log/app", read_only=None),
        3,
        [
            (
                "error",
                "container base volumeMounts[0].readOnly",
                [
                    "=(unset) mounts hostPath volume logs in write mode;",
                    "; Autopilot allows hostPath volumes only read-only (source:",
                    f"(source: {SECURITY}); set readOnly: true on this volumeMount",
                ],
            )
        ],
        id="host-path-var-log-writable",
    ),
    pytest.param(
        mounted("/var/log/app", read_only=False),
        3,
        [("error", "container base volumeMounts[0].readOnly", ["=false mounts hostPath volume logs in write mode"])],
        id="host-path-read-only-false",
    ),
    pytest.param(
        mounted("/var/logs"),
        3,
        [
            (
                "error",
                "container base volumeMounts[0] hostPath.path",
                [
                    "=/var/logs (volume logs) is outside /var/log/, the only hostPath prefix Autopilot allows",
                    "; use an emptyDir or a persistent volume instead",
                ],
            )
        ],
        id="host-path-var-logs-is-not-under-var-log",
    ),
    pytest.param(
        mounted("/proc"),
        3,
        [("error", "container base volumeMounts[0] hostPath.path", ["=/proc (volume logs) is outside /var/log/"])],
        id="host-path-proc",
    ),
    pytest.param(
        mounted("/var/log/../../etc"),
        3,
        [("error", "container base volumeMounts[0] hostPath.path", ["=/var/log/../../etc (volume logs) is outside"])],
        id="host-path-dot-dot-leaves-var-log",
    ),
    pytest.param(
        mounted("/proc", read_only=None),
        3,
        [
            ("error", "container base volumeMounts[0] hostPath.path", ["=/proc"]),
            ("error", "container base volumeMounts[0].readOnly", ["in write mode"]),
        ],
        id="host-path-proc-writable-is-two-errors",
    ),
    pytest.param(
        pod(container(mounts=[mount("logs"), mount("logs", read_only=None)]), volumes=[host_path("/var/log")]),
        3,
        [("error", "container base volumeMounts[1].readOnly", ["write mode"])],
        id="host-path-every-mount-must-be-read-only",
    ),
    pytest.param(pod(container(), volumes=[host_path("/proc")]), 3, [], id="host-path-not-mounted"),
    pytest.param(
        pod(container(mounts=[mount("scratch", read_only=None)]), volumes=[{"name": "scratch", "emptyDir": {}}]),
        3,
        [],
        id="empty-dir-mounted-writable",
    ),
    # --- host namespaces --------------------------------------------------------------------------------------------
    *(
        pytest.param(
            pod(**{name: True}),
            3,
            [
                (
                    "error",
                    f"spec.{name}",
                    [f"=true is rejected by Autopilot: pods cannot share the node's {words} namespace", SECURITY],
                )
            ],
            id=f"{name}-true",
        )
        for name, words in (("hostNetwork", "network"), ("hostPID", "process (PID)"), ("hostIPC", "IPC"))
    ),
    pytest.param(pod(hostNetwork=False, hostPID=False, hostIPC=False), 3, [], id="host-namespaces-false"),
    # --- host ports -------------------------------------------------------------------------------------------------
    pytest.param(
        pod(container(ports=[{"containerPort": 80}, {"containerPort": 443, "hostPort": 8443}])),
        3,
        [
            (
                "error",
                "container base ports[1].hostPort",
                ["=8443 is rejected by Autopilot: containers cannot declare host ports", "; remove hostPort"],
            )
        ],
        id="host-port",
    ),
    pytest.param(pod(container(ports=[{"containerPort": 80}])), 3, [], id="container-port-only"),
    pytest.param(pod(container(ports=[{"containerPort": 80, "hostPort": 0}])), 3, [], id="host-port-zero-is-unset"),
    # --- init containers and sidecars -------------------------------------------------------------------------------
    pytest.param(
        pod(container(), init=[container("setup", privileged=True, add=["SYS_ADMIN"])]),
        3,
        [
            ("error", "init container setup securityContext.privileged", ["=true is rejected"]),
            ("error", "init container setup securityContext.capabilities.add[0]", ["=SYS_ADMIN"]),
        ],
        id="init-container",
    ),
    pytest.param(
        pod(container(), container("proxy", ports=[{"containerPort": 80, "hostPort": 80}])),
        3,
        [("error", "container proxy ports[0].hostPort", ["=80 is rejected"])],
        id="second-container",
    ),
    # --- generations: Composer 1 is a Standard cluster --------------------------------------------------------------
    pytest.param(EVERYTHING, 1, [], id="composer-1-no-autopilot-rules"),
    *(
        pytest.param(
            EVERYTHING, generation, [("error", field, []) for field in EVERYTHING_FIELDS], id=f"generation-{name}"
        )
        for generation, name in ((2, "2"), (3, "3"), (None, "none-outside-composer"))
    ),
    # --- other forms ------------------------------------------------------------------------------------------------
    pytest.param(
        v1_pod(),
        2,
        [
            ("error", "spec.hostPID", ["=true is rejected"]),
            ("error", "init container setup securityContext.capabilities.add[0]", ["=SYS_ADMIN"]),
            ("error", "container base securityContext.privileged", ["=true"]),
            ("error", "container base ports[0].hostPort", ["=8080"]),
            ("error", "container base volumeMounts[0] hostPath.path", ["=/proc (volume proc)"]),
        ],
        id="v1pod",
    ),
    pytest.param(
        v1_pod().to_dict(),
        2,
        [
            ("error", "spec.hostPID", []),
            ("error", "init container setup securityContext.capabilities.add[0]", []),
            ("error", "container base securityContext.privileged", []),
            ("error", "container base ports[0].hostPort", []),
            ("error", "container base volumeMounts[0] hostPath.path", []),
        ],
        id="v1pod-to-dict-snake-case",
    ),
    pytest.param({"metadata": {"name": "p"}}, 3, [], id="no-spec"),
]


@pytest.mark.parametrize(("pod_", "generation", "expected"), CASES)
def test_security_rules(pod_, generation, expected):
    findings = check_security(pod_, generation, task_id="t")

    assert [(f.level, f.field) for f in findings] == [(level, field) for level, field, _ in expected]
    for finding, (_, _, pieces) in zip(findings, expected):
        line = finding.render()
        assert line.startswith(f"task t: {finding.field}=")
        for piece in pieces:
            assert piece in line


def test_the_table_has_a_row_per_rule_and_edge():
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    ("path", "inside"),
    [
        ("/var/log", True),
        ("/var/log/", True),
        ("/var/log/pods/x", True),
        ("/var/logs", False),
        ("/var/log-old", False),
        ("/var/log/../lib", False),
        ("/", False),
        ("var/log/x", False),
    ],
)
def test_under(path, inside):
    assert under(path, "/var/log/") is inside


def test_validate_pod_reports_security_errors_with_the_others_and_raises():
    body = pod(container(privileged=True), hostIPC=True)
    body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "40", "memory": "4Gi"}}

    findings = validate_pod(body, task_id="big", generation=3)

    assert [(f.level, f.field) for f in findings] == [
        ("error", "container base resources.requests.cpu"),
        ("error", "spec.hostIPC"),
        ("error", "container base securityContext.privileged"),
    ]
    with pytest.raises(ComposerPodValidationError) as raised:
        raise_for_errors(findings)
    message = str(raised.value)
    assert message.startswith("3 problems would stop this pod on Cloud Composer:")
    assert "- task big: spec.hostIPC=true is rejected by Autopilot" in message
    assert "- task big: container base securityContext.privileged=true is rejected by Autopilot" in message


def test_validate_pod_on_composer_1_has_no_security_findings():
    assert [f for f in validate_pod(EVERYTHING, task_id="t", generation=1) if f.level == "error"] == []


def _task(**kwargs: Any) -> Any:
    # Plain KPO: ComposerPodOperator itself raises for these values at construction (tested below).
    from airflow_provider_composer_pod import KubernetesPodOperator

    return KubernetesPodOperator(task_id="t", name="t", image="ubuntu", **kwargs)


def test_operator_literals_are_checked():
    task = _task(
        hostnetwork=True,
        container_security_context={"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}},
        ports=[k8s.V1ContainerPort(container_port=80, host_port=80)],
        volumes=[k8s.V1Volume(name="docker", host_path=k8s.V1HostPathVolumeSource(path="/var/run/docker.sock"))],
        volume_mounts=[k8s.V1VolumeMount(name="docker", mount_path="/var/run/docker.sock")],
        init_containers=[k8s.V1Container(name="setup", security_context=k8s.V1SecurityContext(privileged=True))],
    )

    findings = validate_operator(task, generation=3)

    assert [(f.level, f.field) for f in findings if f.level == "error"] == [
        ("error", "spec.hostNetwork"),
        ("error", "init container setup securityContext.privileged"),
        ("error", "container base securityContext.privileged"),
        ("error", "container base securityContext.capabilities.add[0]"),
        ("error", "container base ports[0].hostPort"),
        ("error", "container base volumeMounts[0] hostPath.path"),
        ("error", "container base volumeMounts[0].readOnly"),
    ]


def test_operator_literals_defer_templates_and_pass_when_allowed():
    task = _task(
        container_security_context={"capabilities": {"add": ["{{ params.capability }}", "NET_BIND_SERVICE"]}},
        volumes=[k8s.V1Volume(name="logs", host_path=k8s.V1HostPathVolumeSource(path="/var/log"))],
        volume_mounts=[k8s.V1VolumeMount(name="logs", mount_path="/logs", read_only=True)],
    )

    assert [f for f in validate_operator(task, generation=3) if f.level == "error"] == []


def test_composer_pod_operator_rejects_a_privileged_container_at_construction():
    from airflow_provider_composer_pod import ComposerPodOperator

    with pytest.raises(ComposerPodValidationError) as raised:
        ComposerPodOperator(
            task_id="sniffer", image="ubuntu", composer_generation=2, container_security_context={"privileged": True}
        )

    assert "task sniffer: container base securityContext.privileged=true is rejected by Autopilot" in str(raised.value)
    # Composer 1 is a Standard cluster: the same task is fine there.
    ComposerPodOperator(
        task_id="ok", image="ubuntu", composer_generation=1, container_security_context={"privileged": True}
    )


def _secret_user(privileged: bool) -> k8s.V1Pod:
    """A pod that reads a Secret through an env var, so the pre-flight reads the API only after the rules pass."""
    env = k8s.V1EnvVar(
        name="SQL_CONN",
        value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name="airflow-secrets", key="sql")),
    )
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="p", namespace="composer-user-workloads"),
        spec=k8s.V1PodSpec(
            containers=[
                k8s.V1Container(
                    name="base",
                    image="ubuntu",
                    env=[env],
                    security_context=k8s.V1SecurityContext(privileged=privileged),
                )
            ]
        ),
    )


def test_preflight_rejects_before_reading_anything(k8s_emulator, core):
    from airflow_provider_composer_pod.errors import ComposerPodPreflightError
    from airflow_provider_composer_pod.validation.preflight import check_pod

    log = logging.getLogger("security-preflight")
    k8s_emulator.clear_requests()

    with pytest.raises(ComposerPodValidationError, match=r"securityContext\.privileged=true is rejected by Autopilot"):
        check_pod(_secret_user(True), client=core, task_id="t", generation=3, strict=False, log=log)

    assert k8s_emulator.requests(path_contains="/secrets/") == []

    # The same pod without privileged passes the rules and goes on to read the Secret (missing here).
    with pytest.raises(ComposerPodPreflightError, match="Secret 'airflow-secrets'"):
        check_pod(_secret_user(False), client=core, task_id="t", generation=3, strict=False, log=log)

    assert len(k8s_emulator.requests(method="GET", path_contains="/secrets/airflow-secrets")) == 1


def test_security_rules_are_not_read_at_import():
    code = (
        "import airflow_provider_composer_pod.validation.validate;"
        "import airflow_provider_composer_pod.validation.security;"
        "import airflow_provider_composer_pod.validation.rules as r;"
        "assert r.security_rules.cache_info().currsize == 0;"
        "rules = r.security_rules(); assert r.security_rules.cache_info().currsize == 1;"
        "assert len(rules.capabilities.value) == 15"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_security_rule_has_a_source_and_says_if_verified():
    entries = rule_entries("security.yaml")

    assert len(entries) == 8
    for entry in entries:
        assert entry["source"].startswith("https://"), entry
        assert isinstance(entry["verified"], bool), entry
        assert entry.get("note"), entry  # the evidence, verified or not
        if entry["verified"]:
            assert entry.get("checked"), entry


def test_security_rule_values():
    from airflow_provider_composer_pod.validation.rules import security_rules

    rules = security_rules()

    assert rules.capabilities.value == tuple(ALLOWED)
    assert not rules.capabilities.verified
    assert rules.cluster_optional_capabilities.value == ("NET_ADMIN",)
    assert rules.privileged.value is False
    assert rules.privileged.verified
    assert rules.host_namespaces.value == ("hostNetwork", "hostPID", "hostIPC")
    assert rules.host_path_prefixes.value == ("/var/log/",)
    assert rules.host_path_read_only.value is True
    assert rules.host_port.value is False
    assert rules.capabilities.citation == SECURITY
