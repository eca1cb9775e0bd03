"""Translation of legacy and newer KubernetesPodOperator arguments, given a provider's accepted arguments."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod import k8s
from airflow_provider_composer_pod.compat.legacy import translate
from airflow_provider_composer_pod.errors import ComposerPodInputError

BASE = frozenset({"task_id", "resources", "container_resources", "node_selector", "is_delete_operator_pod", "image"})
PROVIDER_4 = BASE | {"node_selectors"}
PROVIDER_7 = BASE | {"on_finish_action", "deferrable", "base_container_name"}
PROVIDER_10 = PROVIDER_7 | {"on_kill_action", "logging_interval", "callbacks"}


def test_legacy_resources_dict_becomes_resource_requirements():
    result = translate({"resources": {"limit_memory": "250M", "limit_cpu": "100m"}}, PROVIDER_10, "10.25.0")

    assert "resources" not in result
    assert result["container_resources"] == k8s.V1ResourceRequirements(limits={"memory": "250M", "cpu": "100m"})


def test_legacy_container_resources_dict_with_requests_and_gpu():
    result = translate(
        {"container_resources": {"request_cpu": "1", "limit_gpu": "1", "request_ephemeral_storage": "1Gi"}},
        PROVIDER_7,
        "7.14.0",
    )

    assert result["container_resources"] == k8s.V1ResourceRequirements(
        limits={"nvidia.com/gpu": "1"}, requests={"cpu": "1", "ephemeral-storage": "1Gi"}
    )


def test_container_resources_dict_in_kubernetes_shape_becomes_resource_requirements():
    result = translate({"container_resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "2"}}}, PROVIDER_4, "4.4.0")

    assert result["container_resources"] == k8s.V1ResourceRequirements(requests={"cpu": "1"}, limits={"cpu": "2"})


def test_resource_requirements_given_as_resources_move_over():
    requirements = k8s.V1ResourceRequirements(requests={"cpu": "1"})

    assert translate({"resources": requirements}, PROVIDER_10, "10.25.0") == {"container_resources": requirements}


def test_airflow_resources_stay_with_base_operator():
    assert translate({"resources": {"cpus": 1}}, PROVIDER_10, "10.25.0") == {"resources": {"cpus": 1}}


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        pytest.param(PROVIDER_4, {"node_selectors": {"pool": "a"}}, id="provider-4-keeps-its-own-name"),
        pytest.param(PROVIDER_10, {"node_selector": {"pool": "a"}}, id="provider-10-renamed"),
    ],
)
def test_node_selectors(accepted, expected):
    assert translate({"node_selectors": {"pool": "a"}}, accepted, "x") == expected


@pytest.mark.parametrize(
    ("kwargs", "accepted", "expected"),
    [
        pytest.param({"is_delete_operator_pod": False}, PROVIDER_10, {"on_finish_action": "keep_pod"}, id="10-keep"),
        pytest.param({"is_delete_operator_pod": True}, PROVIDER_7, {"on_finish_action": "delete_pod"}, id="7-delete"),
        pytest.param({"is_delete_operator_pod": False}, PROVIDER_4, {"is_delete_operator_pod": False}, id="4-as-is"),
        pytest.param({"on_finish_action": "keep_pod"}, PROVIDER_4, {"is_delete_operator_pod": False}, id="4-keep"),
        pytest.param({"on_finish_action": "delete_pod"}, PROVIDER_4, {"is_delete_operator_pod": True}, id="4-delete"),
    ],
)
def test_pod_deletion_is_said_in_the_providers_words(kwargs, accepted, expected):
    assert translate(dict(kwargs), accepted, "x") == expected


def test_delete_succeeded_pod_has_no_equivalent_before_7_2():
    with pytest.raises(
        ComposerPodInputError, match=r"on_finish_action='delete_succeeded_pod' is not valid: needs .*>=7\.2\.0"
    ):
        translate({"on_finish_action": "delete_succeeded_pod"}, PROVIDER_4, "4.4.0")


def test_contradicting_deletion_arguments():
    with pytest.raises(ComposerPodInputError, match="contradicts on_finish_action='delete_pod'"):
        translate({"is_delete_operator_pod": False, "on_finish_action": "delete_pod"}, PROVIDER_10, "10.25.0")


@pytest.mark.parametrize(
    ("name", "installed", "first"),
    [
        pytest.param("deferrable", "4.4.0", "5.2.0", id="deferrable"),
        pytest.param("callbacks", "7.13.0", "7.14.0", id="callbacks"),
        pytest.param("logging_interval", "7.14.0", "8.0.0", id="logging-interval"),
        pytest.param("on_kill_action", "10.14.0", "10.15.0", id="on-kill-action"),
    ],
)
def test_newer_arguments_name_the_version_they_need(name, installed, first):
    with pytest.raises(ComposerPodInputError) as raised:
        translate({name: object()}, BASE, installed)

    assert str(raised.value) == (
        f"{name} is not valid: needs apache-airflow-providers-cncf-kubernetes>={first}, and this environment has "
        f"{installed}. Fix: remove the argument, or use a Composer image with a newer provider"
    )
