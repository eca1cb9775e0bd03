"""Client and contract tests of the Composer API: against the emulator, or a real environment with --real-composer."""

from __future__ import annotations

import uuid
from typing import Any, Callable, Iterator, List, Tuple

import pytest

from airflow_provider_composer_pod.composer_api import ComposerEnvironmentClient, EnvironmentRef

SECRET_VALUE = "s3cr3t-value-never-shown"


@pytest.fixture
def environment(composer_api_target: Any) -> EnvironmentRef:
    target = composer_api_target
    return EnvironmentRef(target.project, target.location, target.environment)


@pytest.fixture
def composer_client(composer_api_target: Any, environment: EnvironmentRef) -> Iterator[ComposerEnvironmentClient]:
    """A client of the emulator (its token), or of the real environment (Application Default Credentials)."""
    target = composer_api_target
    client = ComposerEnvironmentClient(environment, endpoint=target.endpoint, token=target.token, timeout=10.0)
    yield client
    client.close()


@pytest.fixture
def emulator(composer_api_target: Any) -> Any:
    """Tests that assert on what the server received need the emulator; they skip against a real environment."""
    if composer_api_target.emulator is None:
        pytest.skip("needs the Composer API emulator (asserts on the requests it received)")
    return composer_api_target.emulator


@pytest.fixture
def new_name(composer_client: ComposerEnvironmentClient) -> Iterator[Callable[[str], str]]:
    """Unique object names (a real environment is shared); whatever they name is deleted after the test."""
    made: List[Tuple[str, str]] = []

    def make(kind: str = "secret") -> str:
        name = f"cpt-{uuid.uuid4().hex[:12]}"
        made.append((kind, name))
        return name

    yield make
    for kind, name in made:
        getattr(composer_client, f"delete_{kind}")(name)


def _adc_token() -> str:
    import google.auth
    from google.auth.transport.requests import Request

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(Request())
    return str(credentials.token)


@pytest.fixture
def call_api(composer_api_target: Any, environment: EnvironmentRef) -> Callable[..., Tuple[int, Any]]:
    """Raw HTTP to the environment's API: ``call_api("GET", "/userWorkloadsSecrets")`` -> ``(status, json)``."""
    import requests

    target = composer_api_target
    token = target.token or _adc_token()
    base = f"{target.endpoint or 'https://composer.googleapis.com'}/v1/{environment.name}"

    def call(method: str, suffix: str = "", body: Any = None, params: Any = None, **kwargs: Any) -> Tuple[int, Any]:
        bearer = kwargs.get("token", token)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        url = kwargs.get("url", base + suffix)
        response = requests.request(method, url, json=body, params=params, headers=headers, timeout=10)
        return response.status_code, (response.json() if response.content else None)

    return call
