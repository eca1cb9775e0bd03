"""One row per rule: a pod, a context, and every finding it must produce (level and a piece of the message)."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.validation.validate import validate_pod
from tests.unit.validation.conftest import FITS, XCOM_SIDECAR, make_pod

GKE = "https://cloud.google.com/kubernetes-engine/docs/concepts/autopilot-resource-requests"
C2 = "https://cloud.google.com/composer/docs/composer-2/use-kubernetes-pod-operator"
C3 = "https://cloud.google.com/composer/docs/composer-3/use-kubernetes-pod-operator"
POD_AFFINITY = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "zone"}]}}
ANTI_AFFINITY = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "zone"}]}}
NODE_AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}
BALANCED = {"cloud.google.com/compute-class": "Balanced"}
SCALE_OUT = {"cloud.google.com/compute-class": "Scale-Out"}
XCOM_SIDECAR_FITS = {"name": "airflow-xcom-sidecar", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}}
OTHER_SIDECAR = {"name": "proxy", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}}


def _cpu_mem(cpu, memory):
    return {"cpu": cpu, "memory": memory}


CASES = [
    # --- quantities that are not quantities ---------------------------------------------------------------------
    pytest.param(
        make_pod({"cpu": "10GG", "memory": "1Gi"}),
        {},
        [("error", "container base resources.requests.cpu='10GG' is not a Kubernetes quantity")],
        id="quantity-double-suffix",
    ),
    pytest.param(
        make_pod({"cpu": "1", "memory": "-1"}),
        {},
        [("error", "resources.requests.memory='-1' is negative")],
        id="quantity-negative",
    ),
    pytest.param(
        make_pod({"cpu": "1.5.3", "memory": "4Gi"}),
        {},
        [("error", "resources.requests.cpu='1.5.3' is not a Kubernetes quantity")],
        id="quantity-two-dots",
    ),
    pytest.param(
        make_pod({"cpu": "", "memory": "4Gi"}),
        {},
        [("error", "resources.requests.cpu='' is empty")],
        id="quantity-empty",
    ),
    pytest.param(
        make_pod(FITS, {"memory": "4GG"}),
        {},
        [("error", "resources.limits.memory='4GG' is not a Kubernetes quantity")],
        id="quantity-bad-limit",
    ),
    pytest.param(
        make_pod({"cpu": "10GG"}),
        {"generation": 1},
        [("error", "is not a Kubernetes quantity")],
        id="quantity-checked-on-composer-1",
    ),
    # --- general-purpose maximums and minimums -------------------------------------------------------------------
    pytest.param(
        make_pod({"cpu": "4", "memory": "200Gi"}),
        {},
        [("error", "resources.requests.memory=200Gi exceeds the Autopilot general-purpose maximum of 110Gi")],
        id="general-purpose-memory-over-maximum",
    ),
    pytest.param(
        make_pod({"cpu": "31", "memory": "100Gi"}),
        {},
        [("error", "resources.requests.cpu=31 exceeds the Autopilot general-purpose maximum of 30")],
        id="general-purpose-cpu-over-maximum",
    ),
    pytest.param(
        make_pod({"cpu": "1", "memory": "4Gi", "ephemeral-storage": "20Gi"}),
        {},
        [("error", "resources.requests.ephemeral-storage=20Gi exceeds the Autopilot general-purpose maximum of 10Gi")],
        id="general-purpose-ephemeral-over-maximum",
    ),
    pytest.param(
        make_pod(
            {"cpu": "20", "memory": "60Gi"}, sidecars=[{"name": "b", "resources": {"requests": _cpu_mem("15", "60Gi")}}]
        ),
        {"generation": None},
        [
            ("error", "pod total resources.requests.cpu=35 exceeds the Autopilot general-purpose maximum of 30"),
            (
                "error",
                "pod total resources.requests.memory=120Gi exceeds the Autopilot general-purpose maximum of 110Gi",
            ),
        ],
        id="general-purpose-pod-total-over-maximum",
    ),
    pytest.param(
        make_pod({"cpu": "100m", "memory": "512Mi"}),
        {},
        [
            (
                "adjusted",
                "resources.requests.cpu=100m is raised by 150m: 100m is below the Autopilot general-purpose "
                "minimum of 250m (Autopilot general-purpose adds the difference to this container), so it runs as"
                " 250m",
            ),
        ],
        id="general-purpose-cpu-under-minimum",
    ),
    pytest.param(
        make_pod({"cpu": "250m", "memory": "100Mi"}),
        {},
        [
            (
                "adjusted",
                "resources.requests.memory=100Mi is raised by 412Mi: 100Mi is below the Autopilot general-purpose"
                " minimum of 512Mi",
            ),
        ],
        id="general-purpose-memory-under-minimum",
    ),
    pytest.param(
        make_pod({"cpu": "250m", "memory": "512Mi", "ephemeral-storage": "1Mi"}),
        {},
        [
            (
                "adjusted",
                "ephemeral-storage=1Mi is raised by 9Mi: 1Mi is below the Autopilot general-purpose minimum of 10Mi",
            )
        ],
        id="general-purpose-ephemeral-under-minimum",
    ),
    # --- ratio and increments ------------------------------------------------------------------------------------
    pytest.param(
        make_pod({"cpu": "1", "memory": "512Mi"}),
        {},
        [
            (
                "adjusted",
                "memory=512Mi is raised by 512Mi: 512Mi is too little memory for 1 CPU: Autopilot general-purpose"
                " needs at least 1 GiB per vCPU",
            ),
        ],
        id="ratio-too-little-memory",
    ),
    pytest.param(
        make_pod({"cpu": "1", "memory": "13Gi"}),
        {},
        [
            (
                "adjusted",
                "cpu=1 is raised by 1: 1 is too little CPU for 13Gi of memory: Autopilot general-purpose allows "
                "at most 6.5 GiB per vCPU",
            ),
        ],
        id="ratio-too-much-memory",
    ),
    pytest.param(
        make_pod({"cpu": "1", "memory": "6656Mi"}),
        {},
        [],
        id="ratio-exactly-at-maximum",
    ),
    pytest.param(
        make_pod({"cpu": "300m", "memory": "1Gi"}),
        {},
        [
            (
                "adjusted",
                f"cpu=300m is raised by 200m: 300m is not a multiple of Autopilot's 250m CPU step (Autopilot "
                f"general-purpose adds the difference to this container), so it runs as 500m (source: {GKE}",
            ),
        ],
        id="cpu-off-increment",
    ),
    pytest.param(
        make_pod({"cpu": "300m", "memory": "1Gi"}),
        {"pod_bursting": True},
        [],
        id="cpu-off-increment-fine-with-bursting",
    ),
    pytest.param(
        make_pod({"cpu": "100m", "memory": "128Mi"}),
        {"pod_bursting": True},
        [],
        id="bursting-minimums-are-lower",
    ),
    pytest.param(
        make_pod({"cpu": "1", "memory": "4Gi"}, {"cpu": "2", "memory": "4Gi"}),
        {},
        [
            (
                "adjusted",
                (
                    "resources.limits.cpu=2 differs from the request (1); Autopilot "
                    "general-purpose sets limits equal to requests, so it runs as 1"
                ),
            )
        ],
        id="limits-differ-from-requests",
    ),
    pytest.param(
        make_pod({"cpu": "1", "memory": "4Gi"}, {"cpu": "2", "memory": "4Gi"}),
        {"pod_bursting": True},
        [],
        id="limits-above-requests-allowed-with-bursting",
    ),
    pytest.param(
        make_pod(None, {"cpu": "1", "memory": "4Gi"}),
        {},
        [],
        id="limits-only-become-requests",
    ),
    pytest.param(
        make_pod(None),
        {},
        [
            (
                "note",
                (
                    "resources.requests=(no cpu or memory) is unset, so Autopilot "
                    "general-purpose requests cpu 500m, memory 2Gi"
                ),
            )
        ],
        id="no-requests-get-defaults",
    ),
    pytest.param(
        make_pod({"cpu": "2"}),
        {},
        [("note", "(no memory) is unset, so Autopilot general-purpose requests memory 2Gi")],
        id="memory-derived-from-ratio",
    ),
    # --- other compute classes ------------------------------------------------------------------------------------
    pytest.param(
        make_pod({"cpu": "100", "memory": "900Gi"}, node_selector=BALANCED),
        {},
        [("error", "memory=900Gi exceeds the Autopilot Balanced maximum of 851Gi")],
        id="balanced-memory-over-maximum",
    ),
    pytest.param(
        make_pod({"cpu": "8", "memory": "200Gi"}, node_selector=BALANCED),
        {},
        [
            (
                "adjusted",
                "cpu=8 is raised by 17: 8 is too little CPU for 200Gi of memory: Autopilot Balanced allows at "
                "most 8 GiB per vCPU",
            ),
        ],
        id="balanced-ratio",
    ),
    pytest.param(
        make_pod({"cpu": "100m", "memory": "1Gi"}, node_selector=BALANCED),
        {},
        [("adjusted", "cpu=100m is raised by 150m: 100m is below the Autopilot Balanced minimum of 250m")],
        id="balanced-cpu-under-minimum",
    ),
    pytest.param(
        make_pod({"cpu": "60", "memory": "200Gi"}, node_selector=SCALE_OUT),
        {},
        [("error", "cpu=60 exceeds the Autopilot Scale-Out maximum of 54")],
        id="scale-out-cpu-over-maximum",
    ),
    pytest.param(
        make_pod({"cpu": "2", "memory": "4Gi"}, node_selector=SCALE_OUT),
        {},
        [
            (
                "adjusted",
                "memory=4Gi is raised by 4Gi: 4Gi is too little memory for 2 CPU: Autopilot Scale-Out needs at "
                "least 4 GiB per vCPU",
            ),
        ],
        id="scale-out-fixed-ratio",
    ),
    pytest.param(
        make_pod({"cpu": "500m", "memory": "512Mi"}, node_selector=SCALE_OUT),
        {},
        [
            (
                "adjusted",
                "memory=512Mi is raised by 512Mi: 512Mi is below the Autopilot Scale-Out minimum of 1Gi; then by "
                "1Gi: 1Gi is too little memory for 500m CPU",
            ),
        ],
        id="scale-out-memory-under-minimum",
    ),
    pytest.param(
        make_pod({"cpu": "500", "memory": "3000Gi"}, node_selector={"cloud.google.com/compute-class": "Performance"}),
        {},
        [],
        id="performance-has-no-autopilot-limits",
    ),
    pytest.param(
        make_pod(FITS, node_selector={"cloud.google.com/compute-class": "Turbo"}),
        {},
        [
            (
                "note",
                "spec.nodeSelector[cloud.google.com/compute-class]='Turbo' is not a built-in Autopilot compute class",
            )
        ],
        id="unknown-compute-class-selector",
    ),
    pytest.param(
        make_pod(FITS),
        {"compute_class": "Huge"},
        [("note", "compute class='Huge' is not a built-in Autopilot compute class")],
        id="unknown-compute-class-override",
    ),
    pytest.param(
        make_pod({"cpu": "60", "memory": "200Gi"}),
        {"compute_class": "scale-out"},
        [("error", "exceeds the Autopilot Scale-Out maximum of 54")],
        id="compute-class-override-wins-any-case",
    ),
    pytest.param(
        make_pod(FITS, node_selector=BALANCED),
        {"generation": 2},
        [("error", "='Balanced' is not offered on Composer 2, which runs only general-purpose")],
        id="composer-2-only-general-purpose",
    ),
    # --- Composer generations: affinity, namespaces, sidecars, memory ----------------------------------------------
    pytest.param(
        make_pod(FITS, affinity=POD_AFFINITY),
        {"generation": 2},
        [("error", f"spec.affinity.podAffinity=(set) is not available on Composer 2 (source: {C2})")],
        id="pod-affinity-composer-2",
    ),
    pytest.param(
        make_pod(FITS, affinity=ANTI_AFFINITY),
        {"generation": 3},
        [("error", f"spec.affinity.podAntiAffinity=(set) is not available on Composer 3 (source: {C3})")],
        id="pod-anti-affinity-composer-3",
    ),
    pytest.param(
        make_pod(FITS, affinity=POD_AFFINITY),
        {"generation": 1},
        [],
        id="pod-affinity-allowed-on-composer-1",
    ),
    pytest.param(
        make_pod(FITS, affinity=NODE_AFFINITY),
        {"generation": 3},
        [("note", "spec.affinity.nodeAffinity=(set) is an affinity rule")],
        id="node-affinity-is-a-note",
    ),
    pytest.param(
        make_pod(FITS, sidecars=[XCOM_SIDECAR, OTHER_SIDECAR]),
        {"generation": 3},
        [
            (
                "error",
                "spec.containers[2].name=proxy is a sidecar; Composer 3 allows only airflow-xcom-sidecar",
            ),
            (
                "adjusted",
                "container base resources.requests.cpu=1 is raised by 249m: the pod's total of 1251m is not a "
                "multiple of Autopilot's 250m CPU step",
            ),
        ],
        id="second-sidecar-composer-3",
    ),
    pytest.param(
        make_pod(FITS, sidecars=[XCOM_SIDECAR_FITS, XCOM_SIDECAR_FITS]),
        {"generation": 3},
        [("error", "spec.containers[2].name=airflow-xcom-sidecar is sidecar number 2; Composer 3 allows 1")],
        id="two-xcom-sidecars-composer-3",
    ),
    pytest.param(
        make_pod(FITS, sidecars=[OTHER_SIDECAR]),
        {"generation": 2},
        [],
        id="other-sidecar-fine-on-composer-2",
    ),
    pytest.param(
        make_pod(FITS, sidecars=[XCOM_SIDECAR]),
        {"generation": 3},
        [
            (
                "adjusted",
                "container base resources.requests.cpu=1 is raised by 249m: the pod's total of 1001m is not a "
                "multiple of Autopilot's 250m CPU step",
            ),
        ],
        id="xcom-sidecar-raised",
    ),
    pytest.param(
        make_pod(FITS, sidecars=[XCOM_SIDECAR]),
        {"generation": 3, "pod_bursting": True},
        [],
        id="xcom-sidecar-with-bursting",
    ),
    pytest.param(
        make_pod(FITS, namespace="team-a"),
        {"generation": 2},
        [("note", "metadata.namespace=team-a is a custom namespace without service_account_name")],
        id="custom-namespace-without-service-account",
    ),
    pytest.param(
        make_pod(FITS, namespace="team-a", service_account="team-a-ksa"),
        {"generation": 2},
        [],
        id="custom-namespace-with-service-account",
    ),
    pytest.param(
        make_pod(FITS, namespace="team-a"),
        {"generation": 3},
        [
            (
                "note",
                (
                    "metadata.namespace=team-a is not used: Composer 3 runs every pod in "
                    "composer-user-workloads, so it runs as composer-user-workloads"
                ),
            )
        ],
        id="composer-3-rewrites-namespace",
    ),
    pytest.param(
        make_pod({"cpu": "200", "memory": "200Gi"}, namespace="team-a", affinity=POD_AFFINITY),
        {"generation": 1},
        [],
        id="composer-1-has-no-autopilot-rules",
    ),
    # --- templates and strictness -------------------------------------------------------------------------------
    pytest.param(
        make_pod({"cpu": "{{ params.cpu }}", "memory": "{{ var.value.mem }}"}, namespace="{{ params.ns }}"),
        {"generation": 3, "defer_templates": True},
        [],
        id="templates-deferred-until-after-rendering",
    ),
    pytest.param(
        make_pod({"cpu": "{{ params.cpu }}", "memory": "4Gi"}),
        {"generation": 3, "defer_templates": False},
        [("error", "cpu='{{ params.cpu }}' is not a Kubernetes quantity")],
        id="templates-checked-when-rendered",
    ),
    pytest.param(
        make_pod({"cpu": "1", "memory": "200Gi"}, node_selector={"cloud.google.com/compute-class": "{{ params.cc }}"}),
        {"defer_templates": True},
        [],
        id="templated-compute-class-deferred",
    ),
    pytest.param(
        make_pod({"cpu": "100m", "memory": "512Mi"}),
        {"strict": True},
        [("error", "cpu=100m is raised by 150m: 100m is below the Autopilot general-purpose minimum of 250m")],
        id="strict-turns-adjusted-into-error",
    ),
    pytest.param(
        make_pod(FITS, namespace="team-a"),
        {"generation": 3, "strict": True},
        [("note", "Composer 3 runs every pod in composer-user-workloads")],
        id="strict-keeps-notes",
    ),
    pytest.param(make_pod(FITS), {"generation": 3}, [], id="a-pod-that-fits-has-no-findings"),
]


@pytest.mark.parametrize(("pod", "context", "expected"), CASES)
def test_findings(pod, context, expected):
    context = dict(context)
    context.setdefault("generation", 3)

    findings = validate_pod(pod, task_id="t", **context)

    got = [(f.level, f.render()) for f in findings]
    assert len(got) == len(expected), got
    for (level, text), (want_level, fragment) in zip(got, expected):
        assert level == want_level, got
        assert fragment in text, got
        assert text.startswith("task t: "), text


def test_the_issue_example_reads_as_one_line():
    pod = make_pod({"cpu": "1", "memory": "200Gi"})

    (finding,) = validate_pod(pod, task_id="ex-all-configs", generation=2)

    assert finding.render() == (
        "task ex-all-configs: container base resources.requests.memory=200Gi exceeds the Autopilot general-purpose "
        "maximum of 110Gi (source: https://cloud.google.com/composer/docs/composer-2/use-kubernetes-pod-operator); "
        "lower it or choose another compute class"
    )


def test_v1pod_and_dict_give_the_same_findings():
    from kubernetes.client import ApiClient

    pod = make_pod({"cpu": "100m", "memory": "13Gi"}, {"cpu": "2"}, namespace="x", affinity=POD_AFFINITY)
    model = ApiClient()._ApiClient__deserialize(pod, "V1Pod")

    as_dict = validate_pod(pod, task_id="t", generation=3)
    as_model = validate_pod(model, task_id="t", generation=3)

    assert as_model == as_dict
    assert [(f.level, f.field) for f in as_dict] == [
        ("error", "spec.affinity.podAffinity"),
        ("note", "metadata.namespace"),
        ("adjusted", "container base resources.requests.cpu"),
    ]
    assert as_dict[2].effective == "2"  # 13Gi at 6.5 GiB per vCPU
