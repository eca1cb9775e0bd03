"""The pytest side: the ``composer_api_emulator`` and ``composer_api_target`` fixtures and ``--real-composer``.

``composer_api_emulator`` starts a fresh emulator per test, linked to ``k8s_emulator``, and points
``$COMPOSER_POD_COMPOSER_API_ENDPOINT`` and ``$COMPOSER_POD_COMPOSER_API_TOKEN`` at it, so a client built with no
endpoint or token talks to it. ``composer_api_target`` is what a contract test needs to reach "the" Composer API:
the emulator's, or under ``--real-composer`` a real environment named by ``$COMPOSER_TEST_PROJECT``,
``$COMPOSER_TEST_LOCATION`` and ``$COMPOSER_TEST_ENVIRONMENT`` (credentials: ``$COMPOSER_TEST_TOKEN``, e.g. from
``gcloud auth print-access-token``, else Application Default Credentials; ``$COMPOSER_TEST_ENDPOINT`` optional).
Such tests must use unique names and delete what they create.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, NamedTuple, Optional

import pytest

PROJECT, LOCATION, ENVIRONMENT = "test-project", "us-central1", "test-environment"
ENDPOINT_VARIABLE = "COMPOSER_POD_COMPOSER_API_ENDPOINT"
TOKEN_VARIABLE = "COMPOSER_POD_COMPOSER_API_TOKEN"
REAL_VARIABLES = ("COMPOSER_TEST_PROJECT", "COMPOSER_TEST_LOCATION", "COMPOSER_TEST_ENVIRONMENT")


class ComposerApiTarget(NamedTuple):
    """Where contract tests send their calls; ``emulator`` is ``None`` against a real environment."""

    project: str
    location: str
    environment: str
    endpoint: Optional[str]
    token: Optional[str]
    ca_cert: Optional[str]
    emulator: Any


def add_options(parser: Any) -> None:
    group = parser.getgroup("composer-pod-emulator")
    group.addoption(
        "--real-composer",
        action="store_true",
        default=False,
        help="run the Composer API contract tests against the real environment named by $COMPOSER_TEST_PROJECT, "
        "$COMPOSER_TEST_LOCATION and $COMPOSER_TEST_ENVIRONMENT (Application Default Credentials)",
    )


def real_composer_mode(config: Any) -> bool:
    return bool(config.getoption("--real-composer", default=False))


@pytest.fixture
def composer_api_emulator(request: Any, monkeypatch: Any) -> Iterator[Any]:
    """A fresh Composer API emulator linked to ``k8s_emulator``, wired into the endpoint and token variables."""
    if real_composer_mode(request.config):
        pytest.skip("emulator-only test; --real-composer runs only the contract tests against the real environment")
    from airflow_provider_composer_pod.testing.composer_api.emulator import ComposerApiEmulator

    kube = request.getfixturevalue("k8s_emulator")
    with ComposerApiEmulator(PROJECT, LOCATION, ENVIRONMENT, kube=kube) as emulator:
        monkeypatch.setenv(ENDPOINT_VARIABLE, emulator.url)
        monkeypatch.setenv(TOKEN_VARIABLE, emulator.token)
        yield emulator


@pytest.fixture
def composer_api_target(request: Any) -> ComposerApiTarget:
    """The emulator's environment, or the real one under ``--real-composer``."""
    if not real_composer_mode(request.config):
        emulator = request.getfixturevalue("composer_api_emulator")
        return ComposerApiTarget(PROJECT, LOCATION, ENVIRONMENT, emulator.url, emulator.token, None, emulator)
    missing = [name for name in REAL_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.skip("--real-composer needs " + ", ".join("$" + name for name in missing))
    project, location, environment = (os.environ[name] for name in REAL_VARIABLES)
    endpoint = os.environ.get("COMPOSER_TEST_ENDPOINT") or None
    token = os.environ.get("COMPOSER_TEST_TOKEN") or None
    return ComposerApiTarget(project, location, environment, endpoint, token, None, None)
