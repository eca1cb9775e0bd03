from __future__ import annotations

import pytest

from airflow_provider_composer_pod.extras import as_bool, extra_field, normalized_extras


@pytest.mark.parametrize(
    ("extras", "expected"),
    [
        pytest.param({"namespace": "plain"}, "plain", id="unprefixed"),
        pytest.param({"extra__kubernetes__namespace": "k"}, "k", id="kubernetes-prefix"),
        pytest.param({"extra__composer_pod__namespace": "c"}, "c", id="composer-pod-prefix"),
        pytest.param({"namespace": "plain", "extra__kubernetes__namespace": "k"}, "plain", id="unprefixed-wins"),
        pytest.param({"namespace": "", "extra__kubernetes__namespace": "k"}, "k", id="empty-is-unset"),
        pytest.param({}, None, id="absent"),
    ],
)
def test_extra_field(extras, expected):
    assert extra_field(extras, "namespace") == expected


def test_normalized_extras_keeps_only_known_fields():
    extras = {"extra__kubernetes__kube_config_path": "/k", "in_cluster": False, "password_of_something": "x"}

    assert normalized_extras(extras) == {"kube_config_path": "/k", "in_cluster": False}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("False", False), (True, True), (None, None), ("1", True), ("", False)],
)
def test_as_bool(value, expected):
    assert as_bool(value) is expected
