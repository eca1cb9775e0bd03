"""Which environment and endpoint: overrides first, then Composer's reserved variables, then a clear error."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.composer_api import (
    ComposerApiInputError,
    EnvironmentRef,
    detect_environment,
    resolve_endpoint,
)

WORKER = {"GCP_PROJECT": "proj", "COMPOSER_LOCATION": "europe-west1", "COMPOSER_ENVIRONMENT": "env-1"}


def test_a_composer_worker_needs_nothing_configured():
    assert detect_environment(env=WORKER) == EnvironmentRef("proj", "europe-west1", "env-1")


def test_overrides_win_and_none_falls_back():
    found = detect_environment({"project": "other", "location": None, "environment": ""}, env=WORKER)

    assert found == EnvironmentRef("other", "europe-west1", "env-1")
    assert found.name == "projects/other/locations/europe-west1/environments/env-1"


def test_missing_parts_are_each_named_with_how_to_give_them():
    with pytest.raises(ComposerApiInputError) as caught:
        detect_environment({"project": "p"}, env={})

    message = str(caught.value)
    assert "missing location (" in message
    assert "project (" not in message
    for part, variable in (("location", "COMPOSER_LOCATION"), ("environment", "COMPOSER_ENVIRONMENT")):
        assert f"{part} (set the field '{part}' on the composer_pod connection, pass --{part}" in message
        assert f"${variable}" in message


def test_all_three_missing():
    with pytest.raises(ComposerApiInputError, match="missing project .*; location .*; environment "):
        detect_environment(env={})


def test_endpoint_override_then_variable_then_google():
    variable = {"COMPOSER_POD_COMPOSER_API_ENDPOINT": "http://127.0.0.1:8080/"}

    assert resolve_endpoint("https://private.example/", env=variable) == "https://private.example"
    assert resolve_endpoint(None, env=variable) == "http://127.0.0.1:8080"
    assert resolve_endpoint(None, env={}) == "https://composer.googleapis.com"


def test_an_endpoint_that_is_not_a_url_is_refused():
    with pytest.raises(ComposerApiInputError, match="'composer.googleapis.com' must be an http"):
        resolve_endpoint("composer.googleapis.com", env={})
