"""Autopilot's rules as Autopilot applies them (issue 16): pod totals with the difference on the first container,
init containers on their own, Pod bursting, every compute class, Arm, Spot, GPUs and custom ComputeClasses.

One row per rule: a pod, a context, and every finding it must produce (level and a piece of the message), in order.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from airflow_provider_composer_pod.validation.validate import effective_pod, validate_pod
from tests.unit.validation.conftest import XCOM_SIDECAR

CLASS = "cloud.google.com/compute-class"
GPU_TYPE = "cloud.google.com/gke-accelerator"
ARCH = "kubernetes.io/arch"
SPOT = "cloud.google.com/gke-spot"
PRIMARY = "autopilot.gke.io/primary-container"


def container(name: str, requests: Optional[Dict[str, Any]] = None, limits: Optional[Dict[str, Any]] = None) -> Dict:
    resources: Dict[str, Any] = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "busybox", "resources": resources}


def pod(
    *containers: Dict[str, Any],
    init: List[Dict[str, Any]] = (),  # type: ignore[assignment]
    selector: Optional[Dict[str, str]] = None,
    annotations: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    spec: Dict[str, Any] = {"containers": list(containers)}
    if init:
        spec["initContainers"] = list(init)
    if selector:
        spec["nodeSelector"] = selector
    metadata: Dict[str, Any] = {"name": "p", "namespace": "composer-user-workloads"}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def base(requests: Optional[Dict[str, Any]] = None, limits: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return container("base", requests, limits)


def cm(cpu: str, memory: str) -> Dict[str, str]:
    return {"cpu": cpu, "memory": memory}


RAISED = "(Autopilot general-purpose adds the difference to this container)"
# Google's Config Sync reconciler on a real Autopilot cluster: 80m in four containers became 250m, container 0 only.
CONFIG_SYNC = [
    container("hydration-controller", cm("10m", "100Mi")),
    container("reconciler", cm("50m", "200Mi")),
    container("git-sync", cm("10m", "200Mi")),
    container("otel-agent", cm("10m", "100Mi")),
]
GP = {"generation": 2}

CASES = [
    # --- the pod's total, the difference on the first container --------------------------------------------------
    pytest.param(
        pod(*CONFIG_SYNC),
        GP,
        [
            (
                "adjusted",
                "container hydration-controller resources.requests.cpu=10m is raised by 170m: the pod's total "
                "of 80m is below the Autopilot general-purpose minimum of 250m " + RAISED + ", so it runs as 180m",
            )
        ],
        id="config-sync-80m-becomes-250m-on-container-0",
    ),  # fmt: skip
    pytest.param(
        pod(base(cm("10m", "100Mi")), XCOM_SIDECAR),
        GP,
        [
            (
                "adjusted",
                "container base resources.requests.cpu=10m is raised by 239m: the pod's total of 11m is below",
            ),
            ("adjusted", "container base resources.requests.memory=100Mi is raised by 402Mi: the pod's total of 110Mi"),
        ],
        id="sidecar-counts-in-the-total-and-is-not-raised",
    ),
    pytest.param(pod(base(cm("249m", "502Mi")), XCOM_SIDECAR), GP, [], id="total-exactly-at-the-minimums"),
    pytest.param(
        pod(base(cm("1", "2Gi")), XCOM_SIDECAR),
        GP,
        [
            (
                "adjusted",
                "cpu=1 is raised by 249m: the pod's total of 1001m is not a multiple of Autopilot's 250m CPU step",
            )
        ],
        id="cpu-step-on-the-total",
    ),
    pytest.param(pod(base(cm("999m", "2Gi")), XCOM_SIDECAR), GP, [], id="total-already-a-multiple-of-the-step"),
    pytest.param(
        pod(base(cm("2", "1Gi")), XCOM_SIDECAR),
        GP,
        [
            (
                "adjusted",
                "cpu=2 is raised by 249m: the pod's total of 2001m is not a multiple of Autopilot's 250m CPU step",
            ),
            (
                "adjusted",
                "memory=1Gi is raised by 1270Mi: the pod's total of 1034Mi is too little memory for 2250m CPU: "
                "Autopilot general-purpose needs at least 1 GiB per vCPU " + RAISED + ", so it runs as 2294Mi",
            ),
        ],
        id="ratio-memory-floor-on-the-total",
    ),
    pytest.param(
        pod(base(cm("1", "8Gi")), container("helper", cm("1", "8Gi"))),
        GP,
        [
            (
                "adjusted",
                "cpu=1 is raised by 462m: the pod's total of 2 is too little CPU for 16Gi of memory: Autopilot "
                "general-purpose allows at most 6.5 GiB per vCPU; then by 38m: the pod's total of 2462m is not a "
                "multiple of Autopilot's 250m CPU step",
            )
        ],
        id="ratio-cpu-on-the-total",
    ),
    pytest.param(
        pod(base(cm("2", "4Gi")), container("helper", cm("2", "2Gi"))),
        GP,
        [],
        id="one-container-off-ratio-but-the-total-within",
    ),
    pytest.param(
        pod(base(cm("100m", "1Gi")), XCOM_SIDECAR, annotations={PRIMARY: "airflow-xcom-sidecar"}),
        GP,
        [("adjusted", "container airflow-xcom-sidecar resources.requests.cpu=1m is raised by 149m")],
        id="primary-container-annotation-picks-who-is-raised",
    ),
    pytest.param(
        pod(base(cm("100m", "1Gi")), annotations={PRIMARY: "nobody"}),
        GP,
        [
            ("note", "metadata.annotations[autopilot.gke.io/primary-container]=nobody names no container of the pod"),
            ("adjusted", "container base resources.requests.cpu=100m is raised by 150m"),
        ],
        id="primary-container-annotation-unknown",
    ),
    pytest.param(
        pod(base(), container("helper")),
        GP,
        [
            (
                "note",
                "container base resources.requests=(no cpu or memory) is unset, so Autopilot general-purpose "
                "requests cpu 500m, memory 2Gi",
            ),
            ("note", "container helper resources.requests=(no cpu or memory) is unset"),
        ],
        id="defaults-per-container-that-sets-nothing",
    ),  # fmt: skip
    pytest.param(
        pod(base({"cpu": "500m"}), XCOM_SIDECAR),
        GP,
        [
            ("note", "container base resources.requests=(no memory) is unset, so Autopilot general-purpose requests"),
            ("adjusted", "cpu=500m is raised by 249m: the pod's total of 501m is not a multiple"),
            ("adjusted", "memory=512Mi is raised by 246Mi: the pod's total of 522Mi is too little memory for 750m CPU"),
        ],
        id="memory-derived-from-cpu-by-the-ratio",
    ),  # fmt: skip
    pytest.param(
        pod(base(cm("1", "4Gi"), {"cpu": "2"}), XCOM_SIDECAR),
        GP,
        [
            ("adjusted", "cpu=1 is raised by 249m"),
            (
                "adjusted",
                "container base resources.limits.cpu=2 differs from the request (1); Autopilot general-purpose "
                "sets limits equal to requests, so it runs as 1249m",
            ),
        ],
        id="limits-follow-the-raised-request",
    ),  # fmt: skip
    # --- init containers: each on its own ------------------------------------------------------------------------
    pytest.param(
        pod(base(cm("1", "4Gi")), init=[container("setup", cm("100m", "128Mi"))]),
        GP,
        [
            (
                "adjusted",
                "init container setup resources.requests.cpu=100m is raised by 150m: 100m is below the "
                "Autopilot general-purpose minimum of 250m",
            ),
            ("adjusted", "init container setup resources.requests.memory=128Mi is raised by 384Mi"),
        ],
        id="init-container-raised-alone",
    ),  # fmt: skip
    pytest.param(
        pod(base(cm("1", "4Gi")), init=[container("setup", cm("1", "4Gi")), container("warm", cm("2", "8Gi"))]),
        GP,
        [],
        id="init-containers-within-the-rules",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi")), init=[container("setup", cm("31", "100Gi"))]),
        GP,
        [
            (
                "error",
                "init container setup resources.requests.cpu=31 exceeds the Autopilot general-purpose maximum of 30",
            )
        ],
        id="init-container-over-the-maximum",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi")), init=[container("setup")]),
        GP,
        [("note", "init container setup resources.requests=(no cpu or memory) is unset")],
        id="init-container-defaults",
    ),
    pytest.param(
        pod(base(cm("16", "64Gi")), container("two", cm("15", "60Gi")), init=[container("setup", cm("20", "80Gi"))]),
        GP,
        [
            ("error", "pod total resources.requests.cpu=31 exceeds the Autopilot general-purpose maximum of 30"),
            ("error", "pod total resources.requests.memory=124Gi exceeds the Autopilot general-purpose maximum"),
        ],
        id="init-container-not-added-to-the-total",
    ),
    # --- Pod bursting --------------------------------------------------------------------------------------------
    pytest.param(
        pod(base(cm("10m", "20Mi")), XCOM_SIDECAR),
        {**GP, "pod_bursting": True},
        [
            (
                "adjusted",
                "cpu=10m is raised by 39m: the pod's total of 11m is below the Autopilot general-purpose "
                "minimum of 50m",
            ),
            (
                "adjusted",
                "memory=20Mi is raised by 22Mi: the pod's total of 30Mi is below the Autopilot "
                "general-purpose minimum of 52Mi",
            ),
        ],
        id="bursting-minimums-on-the-total",
    ),  # fmt: skip
    pytest.param(pod(base(cm("300m", "1Gi")), XCOM_SIDECAR), {**GP, "pod_bursting": True}, [], id="bursting-no-step"),
    pytest.param(
        pod(base(cm("500m", "1Gi"), cm("2", "2Gi"))),
        {**GP, "pod_bursting": True},
        [],
        id="bursting-keeps-limits-above-requests",
    ),
    pytest.param(
        pod(base(cm("1", "10G"), cm("1", "10G"))),
        {**GP, "pod_bursting": True},
        [
            ("adjusted", "cpu=1 is raised by 433m: 1 is too little CPU for 10G of memory"),
            (
                "adjusted",
                "container base resources.limits.cpu=1 is below the request Autopilot runs (1433m); a limit is never "
                "below its request, so it runs as 1433m",
            ),
        ],
        id="bursting-limit-raised-with-its-request",
    ),  # fmt: skip
    pytest.param(
        pod(base(cm("1", "4Gi"), cm("2", "8Gi")), selector={CLASS: "Balanced"}),
        {"generation": 3, "pod_bursting": True},
        [],
        id="bursting-balanced-keeps-limits",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi"), cm("2", "8Gi")), selector={CLASS: "Scale-Out"}),
        {"generation": 3, "pod_bursting": True},
        [],
        id="bursting-scale-out-keeps-limits",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi"), cm("2", "8Gi")), selector={CLASS: "Balanced"}),
        {"generation": 3},
        [
            ("adjusted", "container base resources.limits.cpu=2 differs from the request (1); Autopilot Balanced sets"),
            ("adjusted", "container base resources.limits.memory=8Gi differs from the request (4Gi)"),
        ],
        id="no-bursting-balanced-sets-limits",
    ),
    # --- compute classes -----------------------------------------------------------------------------------------
    pytest.param(
        pod(base(cm("100m", "1Gi")), selector={CLASS: "autopilot"}),
        {"generation": 3},
        [("adjusted", "cpu=100m is raised by 150m: 100m is below the Autopilot autopilot minimum of 250m")],
        id="built-in-autopilot-class",
    ),
    pytest.param(
        pod(base(cm("100m", "1Gi")), selector={CLASS: "autopilot-spot"}),
        {"generation": 3},
        [("adjusted", "cpu=100m is raised by 150m: 100m is below the Autopilot autopilot-spot minimum of 250m")],
        id="built-in-autopilot-spot-class",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi")), selector={CLASS: "autopilot"}),
        {"generation": 2},
        [("error", "='autopilot' is not offered on Composer 2, which runs only general-purpose")],
        id="built-in-class-not-on-composer-2",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi")), selector={CLASS: "my-team-class"}),
        {"generation": 3},
        [("note", "='my-team-class' is not a built-in Autopilot compute class")],
        id="custom-compute-class-is-a-note",
    ),
    pytest.param(
        pod(base(cm("10m", "10Mi")), selector={CLASS: "my-team-class"}),
        {"generation": 3},
        [("note", "if it is a custom ComputeClass, its own definition sets the rules")],
        id="custom-compute-class-gets-no-resource-rules",
    ),
    pytest.param(
        pod(base(cm("100m", "100Mi")), selector={CLASS: "Performance"}),
        {"generation": 3},
        [],
        id="performance-has-no-minimums",
    ),  # fmt: skip
    pytest.param(pod(base(), selector={CLASS: "Performance"}), {"generation": 3}, [], id="performance-no-default-note"),
    pytest.param(pod(base(), selector={CLASS: "Accelerator"}), {"generation": 3}, [], id="accelerator-no-default-note"),
    pytest.param(
        pod(base(cm("44", "176Gi")), selector={CLASS: "Scale-Out"}),
        {"generation": 3},
        [],
        id="scale-out-x86-up-to-54",
    ),
    pytest.param(
        pod(base(cm("44", "176Gi")), selector={CLASS: "Scale-Out", ARCH: "arm64"}),
        {"generation": 3},
        [
            ("error", "cpu=44 exceeds the Autopilot Scale-Out maximum of 43"),
            ("error", "memory=176Gi exceeds the Autopilot Scale-Out maximum of 172Gi"),
        ],
        id="scale-out-arm64-up-to-43",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi")), selector={ARCH: "arm64"}),
        {"generation": 3},
        [
            (
                "note",
                "spec.nodeSelector[kubernetes.io/arch]=arm64 asks for Arm nodes, which Autopilot offers within the "
                "Scale-Out class, not general-purpose",
            )
        ],
        id="arm64-without-scale-out",
    ),  # fmt: skip
    pytest.param(
        pod(base(cm("1", "4Gi")), selector={"cloud.google.com/gke-nodepool": "pool-1"}),
        {"generation": 2},
        [
            (
                "error",
                "spec.nodeSelector[cloud.google.com/gke-nodepool]=pool-1 chooses a node pool, which Autopilot refuses",
            )
        ],
        id="legacy-node-pool-selector",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi")), selector={"cloud.google.com/gke-nodepool": "pool-1"}),
        {"generation": 1},
        [],
        id="node-pool-selector-on-composer-1",
    ),
    pytest.param(
        pod(base(cm("1", "4Gi")), selector={SPOT: "true"}),
        {"generation": 3},
        [("note", "spec.nodeSelector[cloud.google.com/gke-spot]=true makes this a Spot Pod")],
        id="spot-pod-note",
    ),
    pytest.param(
        pod(base(cm("100m", "1Gi")), selector={SPOT: "true", CLASS: "Balanced"}),
        {"generation": 3},
        [
            ("note", "makes this a Spot Pod: it may be preempted at any time, and Balanced's request rules apply"),
            ("adjusted", "cpu=100m is raised by 150m: 100m is below the Autopilot Balanced minimum of 250m"),
        ],
        id="spot-pod-keeps-its-class-rules",
    ),
    # --- GPUs ----------------------------------------------------------------------------------------------------
    pytest.param(
        pod(base(cm("4", "16Gi"), {"nvidia.com/gpu": "1"})),
        {"generation": 3},
        [("error", "spec.nodeSelector[cloud.google.com/gke-accelerator]=(unset) must name the GPU type")],
        id="gpu-without-its-type",
    ),
    pytest.param(
        pod(base(cm("4", "16Gi"), {"nvidia.com/gpu": "1"}), selector={GPU_TYPE: "nvidia-l4"}),
        {"generation": 3},
        [],
        id="gpu-l4-within-range",
    ),  # fmt: skip
    pytest.param(
        pod(base(cm("96", "300Gi"), {"nvidia.com/gpu": "8"}), selector={GPU_TYPE: "nvidia-l4"}),
        {"generation": 3},
        [("error", "cpu=96 exceeds the Autopilot Accelerator maximum of 95")],
        id="gpu-l4-over-its-cpu-range",
    ),
    pytest.param(
        pod(base(cm("8", "600Gi"), {"nvidia.com/gpu": "4"}), selector={GPU_TYPE: "nvidia-tesla-t4"}),
        {"generation": 3},
        [("error", "memory=600Gi exceeds the Autopilot Accelerator maximum of 601600Mi")],
        id="gpu-t4-over-its-memory-range",
    ),
    pytest.param(
        pod(base(cm("8", "32Gi"), {"nvidia.com/gpu": "1"}), selector={GPU_TYPE: "nvidia-b999"}),
        {"generation": 3},
        [("note", "=nvidia-b999 is a GPU type whose CPU and memory range is not in the rules")],
        id="gpu-unknown-type",
    ),
    pytest.param(
        pod(
            base(cm("4", "16Gi")),
            init=[container("prep", None, {"nvidia.com/gpu": "1"})],
            selector={GPU_TYPE: "nvidia-l4"},
        ),
        {"generation": 3},
        [("error", "init container prep resources.limits[nvidia.com/gpu]=1 is a GPU in an init container")],
        id="gpu-in-an-init-container",
    ),  # fmt: skip
    pytest.param(
        pod(base(None, {"nvidia.com/gpu": "1"}), selector={GPU_TYPE: "nvidia-tesla-t4"}),
        {"generation": 3},
        [],
        id="gpu-pod-gets-no-default-requests",
    ),  # fmt: skip
    pytest.param(
        pod(base(cm("4", "16Gi"), {"nvidia.com/gpu": "1"}), selector={CLASS: "my-gpu-class"}),
        {"generation": 3},
        [("note", "='my-gpu-class' is not a built-in Autopilot compute class")],
        id="gpu-with-a-custom-class",
    ),
    # --- Composer generations ------------------------------------------------------------------------------------
    pytest.param(pod(base(cm("10m", "10Mi")), XCOM_SIDECAR), {"generation": 1}, [], id="composer-1-no-autopilot"),
    pytest.param(
        pod(base(cm("4", "100Gi")), container("two", cm("4", "20Gi"))),
        {"generation": 2},
        [("error", "pod total resources.requests.memory=120Gi exceeds the Autopilot general-purpose maximum of 110Gi")],
        id="composer-2-pod-total-memory",
    ),
    pytest.param(
        pod(base(cm("10m", "10Mi")), XCOM_SIDECAR),
        {"generation": None},
        [("adjusted", "cpu=10m is raised by 239m"), ("adjusted", "memory=10Mi is raised by 492Mi")],
        id="outside-composer-autopilot-rules",
    ),
    pytest.param(
        pod(base(cm("10m", "10Mi")), XCOM_SIDECAR),
        {"generation": 3, "strict": True},
        [("error", "cpu=10m is raised by 239m"), ("error", "memory=10Mi is raised by 492Mi")],
        id="strict-makes-pod-total-adjustments-errors",
    ),
]


@pytest.mark.parametrize(("pod_", "context", "expected"), CASES)
def test_rules(pod_, context, expected):
    findings = validate_pod(pod_, task_id="t", **context)

    got = [(f.level, f.render()) for f in findings]
    assert len(got) == len(expected), got
    for (level, text), (want_level, fragment) in zip(got, expected):
        assert level == want_level, got
        assert fragment in text, got


def test_the_guides_all_configs_task_totals_1500m_with_its_sidecar():
    # Issue 16: per container this came out at 1750m in total; Autopilot's pod-total arithmetic gives 1500m.
    limits = {"cpu": "1", "memory": "10G", "ephemeral-storage": "10G"}
    result = effective_pod(pod(base(dict(limits), dict(limits)), XCOM_SIDECAR), 2)

    base_, sidecar = (c["resources"] for c in result["spec"]["containers"])
    assert base_["requests"]["cpu"] == "1499m"
    assert sidecar["requests"] == {"cpu": "1m", "memory": "10Mi", "ephemeral-storage": "1Gi"}
    assert base_["limits"] == base_["requests"]


def test_with_bursting_the_effective_all_configs_pod_is_valid():
    # Issue 16: a request of 1433m with a limit of 1000m is an invalid pod; the limit goes up with its request.
    limits = {"cpu": "1", "memory": "10G", "ephemeral-storage": "10G"}
    result = effective_pod(pod(base(dict(limits), dict(limits))), 2, pod_bursting=True)

    resources = result["spec"]["containers"][0]["resources"]
    assert resources["requests"]["cpu"] == "1433m"
    assert resources["limits"]["cpu"] == "1433m"


def test_init_containers_are_in_the_effective_pod():
    result = effective_pod(pod(base(cm("1", "4Gi")), init=[container("setup", cm("100m", "128Mi"))]), 3)

    (setup,) = result["spec"]["initContainers"]
    assert setup["resources"]["requests"]["cpu"] == "250m"
    assert setup["resources"]["limits"]["memory"] == "512Mi"


# The Composer guide's four example tasks (example_dags/), as KPO builds them, on every generation, with and without
# Pod bursting.
ALL_CONFIGS_CPU = (
    "container base resources.requests.cpu=1000m is raised by 433m: 1 is too little CPU for 10G of memory: Autopilot "
    "general-purpose allows at most 6.5 GiB per vCPU"
)
ALL_CONFIGS_STEP = "; then by 67m: 1433m is not a multiple of Autopilot's 250m CPU step"
ALL_CONFIGS_LIMIT = "container base resources.limits.cpu=1000m is below the request Autopilot runs (1433m)"
DEFAULTS = "container base resources.requests=(no cpu or memory) is unset, so Autopilot general-purpose requests"
GUIDE = {
    # task id: {(generation, bursting): [(level, fragment), ...]}
    "ex-all-configs": {
        False: [("adjusted", ALL_CONFIGS_CPU + ALL_CONFIGS_STEP + " (Autopilot general-purpose adds the difference")],
        True: [("adjusted", ALL_CONFIGS_CPU + " (Autopilot"), ("adjusted", ALL_CONFIGS_LIMIT)],
    },
    "ex-kube-secrets": {False: [("note", DEFAULTS)], True: [("note", DEFAULTS)]},
    "ex-kube-templates": {False: [("note", DEFAULTS)], True: [("note", DEFAULTS)]},
    "pod-ex-minimum": {False: [("note", DEFAULTS)], True: [("note", DEFAULTS)]},
}


@pytest.fixture(scope="module")
def guide_pods():
    from pathlib import Path

    from airflow_provider_composer_pod.validation.dags import build_pod, load_pod_tasks, pod_to_dict

    loaded = load_pod_tasks(str(Path(__file__).parents[3] / "example_dags"))
    return {pod_task.task_id: pod_to_dict(build_pod(pod_task.task)) for pod_task in loaded.tasks}


@pytest.mark.parametrize("bursting", [False, True], ids=["classic", "bursting"])
@pytest.mark.parametrize("generation", [1, 2, 3])
@pytest.mark.parametrize("task_id", sorted(GUIDE))
def test_the_guides_tasks(guide_pods, task_id, generation, bursting):
    findings = validate_pod(guide_pods[task_id], task_id=task_id, generation=generation, pod_bursting=bursting)

    expected = [] if generation == 1 else GUIDE[task_id][bursting]  # Composer 1: a Standard cluster
    got = [(f.level, f.render()) for f in findings]
    assert len(got) == len(expected), got
    for (level, text), (want_level, fragment) in zip(got, expected):
        assert (level, fragment in text) == (want_level, True), got
