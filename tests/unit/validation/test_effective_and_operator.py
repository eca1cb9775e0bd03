from __future__ import annotations

import subprocess
import sys

import pytest
from kubernetes.client import models as k8s

from airflow_provider_composer_pod.validation.rules import rule_book
from airflow_provider_composer_pod.validation.validate import (
    ComposerPodValidationError,
    effective_pod,
    raise_for_errors,
    validate_operator,
    validate_pod,
)
from tests.unit.validation.conftest import XCOM_SIDECAR, make_pod, rule_entries


def test_effective_pod_raises_requests_sets_limits_and_rewrites_namespace():
    pod = make_pod({"cpu": "100m", "memory": "10G"}, {"cpu": "4"}, namespace="team-a", sidecars=[XCOM_SIDECAR])

    result = effective_pod(pod, 3)

    base, sidecar = result["spec"]["containers"]
    assert result["metadata"]["namespace"] == "composer-user-workloads"
    # The pod's total (base + sidecar) is raised to the ratio and the 250m step; the difference goes to the base.
    assert base["resources"]["requests"] == {"cpu": "1499m", "memory": "10G", "ephemeral-storage": "1Gi"}
    assert base["resources"]["limits"] == base["resources"]["requests"]
    assert sidecar["resources"]["requests"] == {"cpu": "1m", "memory": "10Mi", "ephemeral-storage": "1Gi"}
    assert pod["metadata"]["namespace"] == "team-a"  # the input is not touched


def test_effective_pod_keeps_the_model_type():
    pod = k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(namespace="x"),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", image="ubuntu")]),
    )

    result = effective_pod(pod, 3)

    assert isinstance(result, k8s.V1Pod)
    assert result.spec.containers[0].resources.requests == {"cpu": "500m", "memory": "2Gi", "ephemeral-storage": "1Gi"}
    assert result.metadata.namespace == "composer-user-workloads"
    assert pod.spec.containers[0].resources is None


def test_effective_pod_on_composer_1_is_an_unchanged_copy():
    pod = make_pod({"cpu": "100m"}, namespace="team-a")

    result = effective_pod(pod, 1)

    assert result == pod
    assert result is not pod


def test_effective_pod_with_bursting_keeps_higher_limits():
    pod = make_pod({"cpu": "1", "memory": "4Gi"}, {"cpu": "2", "memory": "4Gi"})

    result = effective_pod(pod, 3, pod_bursting=True)

    assert result["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}


def _task(**kwargs):
    # Plain KPO: ComposerPodOperator itself raises for these values at construction (tested below).
    from airflow_provider_composer_pod import KubernetesPodOperator

    return KubernetesPodOperator(task_id=kwargs.pop("task_id", "t"), name="t", image="ubuntu", **kwargs)


def test_operator_check_reads_literal_arguments():
    task = _task(
        container_resources=k8s.V1ResourceRequirements(requests={"memory": "200Gi", "cpu": "4"}),
        affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []}},
        namespace="team-a",
    )

    findings = validate_operator(task, generation=2)

    assert [(f.level, f.field) for f in findings] == [
        ("error", "spec.affinity.podAffinity"),
        ("note", "metadata.namespace"),
        ("error", "container base resources.requests.memory"),
    ]


def test_operator_check_defers_templates():
    task = _task(
        container_resources=k8s.V1ResourceRequirements(requests={"memory": "{{ params.memory }}", "cpu": "1"}),
        namespace="{{ x }}",
    )

    assert validate_operator(task, generation=3) == []


def test_errors_raise_one_airflow_exception_listing_each():
    from airflow.exceptions import AirflowException

    pod = make_pod({"cpu": "40", "memory": "200Gi"}, affinity={"podAffinity": {"x": 1}})
    findings = validate_pod(pod, task_id="big", generation=3)

    with pytest.raises(ComposerPodValidationError) as info:
        raise_for_errors(findings)

    assert isinstance(info.value, AirflowException)
    message = str(info.value)
    assert message.startswith("3 problems would stop this pod on Cloud Composer:")
    assert "- task big: spec.affinity.podAffinity=(set) is not available on Composer 3" in message
    assert "- task big: container base resources.requests.cpu=40 exceeds" in message
    assert "resources.requests.memory=200Gi exceeds" in message


def test_no_errors_returns_the_findings():
    findings = validate_pod(make_pod({"cpu": "100m", "memory": "1Gi"}), task_id="t", generation=3)

    assert raise_for_errors(findings) == tuple(findings)


def test_rules_are_not_read_at_package_import():
    code = (
        "import sys, airflow_provider_composer_pod.validation.validate;"
        "import airflow_provider_composer_pod.validation.rules as r;"
        "assert r.rule_book.cache_info().currsize == 0;"
        "assert 'yaml' not in sys.modules or True;"
        "r.rule_book(); assert r.rule_book.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_number_has_a_source_and_says_if_verified():
    entries = rule_entries("autopilot.yaml")

    assert len(entries) > 60
    for entry in entries:
        assert entry["source"].startswith("https://"), entry
        assert isinstance(entry["verified"], bool), entry
        if not entry["verified"]:
            assert entry.get("note"), entry


def test_rule_book_numbers():
    book = rule_book()
    general = book.compute_class("general-purpose")

    assert general.maximums["memory"].value == 110 * 2**30
    assert general.defaults["cpu"].value == pytest.approx(0.5)
    assert general.defaults["cpu"].verified
    assert general.defaults["memory"].value == 2 * 2**30
    assert general.defaults["memory"].verified
    assert book.compute_class("Scale-Out").selector == "Scale-Out"
    assert book.compute_class("nope") is None
    assert book.generation(3).get("forced_namespace").value == "composer-user-workloads"
    assert book.sidecar_name == "airflow-xcom-sidecar"


def test_composer_pod_operator_rejects_literal_errors_at_construction():
    from airflow_provider_composer_pod import ComposerPodOperator
    from airflow_provider_composer_pod.errors import ComposerPodValidationError

    with pytest.raises(ComposerPodValidationError) as raised:
        ComposerPodOperator(
            task_id="too-big",
            image="ubuntu",
            composer_generation=2,
            container_resources=k8s.V1ResourceRequirements(requests={"memory": "200Gi", "cpu": "4"}),
        )

    message = str(raised.value)
    assert (
        "task too-big: container base resources.requests.memory=200Gi exceeds the Autopilot general-purpose" in message
    )
    assert "lower it or choose another compute class" in message


def test_composer_pod_operator_allows_affinity_on_composer_1_and_defers_templates():
    from airflow_provider_composer_pod import ComposerPodOperator

    ComposerPodOperator(task_id="a", image="u", composer_generation=1, affinity={"podAffinity": {"x": 1}})
    ComposerPodOperator(
        task_id="b", image="u", composer_generation=3, container_resources={"requests": {"memory": "{{ params.m }}"}}
    )


def test_strict_validation_turns_adjustments_into_construction_errors():
    from airflow_provider_composer_pod import ComposerPodOperator
    from airflow_provider_composer_pod.errors import ComposerPodValidationError

    resources = k8s.V1ResourceRequirements(requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "2", "memory": "1Gi"})
    ComposerPodOperator(task_id="lenient", image="u", composer_generation=2, container_resources=resources)

    with pytest.raises(ComposerPodValidationError, match="limits"):
        ComposerPodOperator(
            task_id="strict", image="u", composer_generation=2, container_resources=resources, strict_validation=True
        )
