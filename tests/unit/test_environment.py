from __future__ import annotations

import pytest

from airflow_provider_composer_pod.environment import (
    USER_WORKLOADS_NAMESPACE,
    detect_environment,
    parse_generation,
)


@pytest.mark.parametrize(
    ("environ", "generation", "expected_generation", "expected_namespace", "expected_source"),
    [
        pytest.param({}, None, None, USER_WORKLOADS_NAMESPACE, "none", id="outside-composer"),
        pytest.param(
            {"COMPOSER_ENVIRONMENT": "prod", "COMPOSER_VERSION": "1.20.12"},
            None,
            1,
            "default",
            "COMPOSER_VERSION",
            id="composer-1",
        ),
        pytest.param(
            {"COMPOSER_ENVIRONMENT": "prod", "COMPOSER_VERSION": "2.9.7"},
            None,
            2,
            USER_WORKLOADS_NAMESPACE,
            "COMPOSER_VERSION",
            id="composer-2",
        ),
        pytest.param(
            {"COMPOSER_ENVIRONMENT": "prod", "COMPOSER_VERSION": "3"},
            None,
            3,
            USER_WORKLOADS_NAMESPACE,
            "COMPOSER_VERSION",
            id="composer-3",
        ),
        pytest.param(
            {"COMPOSER_ENVIRONMENT": "prod"},
            None,
            2,
            USER_WORKLOADS_NAMESPACE,
            "COMPOSER_ENVIRONMENT",
            id="composer-without-version",
        ),
        pytest.param(
            {"COMPOSER_VERSION": "2.9.7", "COMPOSER_POD_GENERATION": "1"},
            None,
            1,
            "default",
            "COMPOSER_POD_GENERATION",
            id="env-override",
        ),
        pytest.param(
            {"COMPOSER_VERSION": "2.9.7", "COMPOSER_POD_GENERATION": "1"},
            3,
            3,
            USER_WORKLOADS_NAMESPACE,
            "argument",
            id="argument-beats-env-override",
        ),
        pytest.param(
            {"COMPOSER_VERSION": "1.20.0", "COMPOSER_POD_GENERATION": "auto"},
            "auto",
            1,
            "default",
            "COMPOSER_VERSION",
            id="auto-everywhere",
        ),
    ],
)
def test_detect_environment(environ, generation, expected_generation, expected_namespace, expected_source):
    env = detect_environment(environ, generation=generation)

    assert env.generation == expected_generation
    assert env.default_namespace == expected_namespace
    assert env.source == expected_source


@pytest.mark.parametrize(
    "value", [pytest.param("4", id="four"), pytest.param("two", id="word"), pytest.param(0, id="zero")]
)
def test_bad_generation_names_parameter_value_and_fix(value):
    with pytest.raises(ValueError, match=r"composer_generation=.* use 1, 2, 3 or 'auto'"):
        parse_generation(value, parameter="composer_generation")


def test_bad_override_variable_is_named():
    with pytest.raises(ValueError, match="COMPOSER_POD_GENERATION='9'"):
        detect_environment({"COMPOSER_POD_GENERATION": "9"})


def test_describe_says_where_the_generation_came_from():
    env = detect_environment({"COMPOSER_ENVIRONMENT": "prod", "COMPOSER_VERSION": "2.1.0"})

    assert env.describe() == "Cloud Composer 2 environment 'prod' (from COMPOSER_VERSION)"
    assert detect_environment({}).describe() == "not on Cloud Composer"
