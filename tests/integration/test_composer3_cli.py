"""``composer-pod secret|config-map apply`` on Composer 3, against the Composer API emulator.

Each refusal comes from the emulator's own controls: a wrong token (401), a denied permission (403), another
environment (404), and ``fail_next`` for a 409 that survives create-or-replace (the update conflicts too) and for a
400 from the server itself (the client checks its input first, so it cannot be provoked through it).
"""

from __future__ import annotations

from typing import Any, List

import pytest

from airflow_provider_composer_pod.cli.main import main
from airflow_provider_composer_pod.testing.composer_api.fixtures import ENVIRONMENT, LOCATION, PROJECT

VALUE = "cli-c3-canary-4242"


@pytest.fixture
def composer3(monkeypatch: pytest.MonkeyPatch, k8s_emulator: Any, composer_api_emulator: Any) -> Any:
    monkeypatch.setenv("COMPOSER_POD_GENERATION", "3")
    for variable in ("GCP_PROJECT", "COMPOSER_LOCATION", "COMPOSER_ENVIRONMENT"):
        monkeypatch.delenv(variable, raising=False)
    return composer_api_emulator


def _apply(*extra: str, kind: str = "secret") -> List[str]:
    return [kind, "apply", "--name", "app", "--from-literal", f"token={VALUE}", *extra]


TARGET = ("--project", PROJECT, "--location", LOCATION, "--environment", ENVIRONMENT)


def test_apply_creates_then_replaces_through_the_composer_api(composer3: Any, capsys: pytest.CaptureFixture) -> None:
    assert main(_apply(*TARGET)) == 0
    assert main(_apply(*TARGET)) == 0
    assert main(_apply(*TARGET, kind="config-map")) == 0

    out, err = capsys.readouterr()
    assert out.splitlines() == ["secret/app created", "secret/app replaced", "configmap/app created"]
    assert VALUE not in out + err
    assert composer3.names() == ["app"]
    assert composer3.names("userWorkloadsConfigMaps") == ["app"]
    assert [r.method for r in composer3.requests] == ["POST", "POST", "PUT", "POST"]  # the 409 was answered


def test_endpoint_flag_wins_over_the_variable(composer3: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("COMPOSER_POD_COMPOSER_API_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there

    assert main(_apply(*TARGET, "--endpoint", composer3.url)) == 0

    assert capsys.readouterr().out.strip() == "secret/app created"


def _wrong_token(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSER_POD_COMPOSER_API_TOKEN", "not-the-token")


def _denied(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator.deny("composer.userworkloadssecrets.create")


def _failing(code: int, status: str, message: str, *verbs: str) -> Any:
    def arm(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        for verb in verbs:
            emulator.fail_next(f"composer.userworkloadssecrets.{verb}", code, status, message)

    return arm


@pytest.mark.parametrize(
    ("arm", "target", "expected"),
    [
        pytest.param(_wrong_token, TARGET, "401 UNAUTHENTICATED", id="401"),
        pytest.param(_denied, TARGET, "permission composer.userworkloadssecrets.create is missing", id="403"),
        pytest.param(None, (*TARGET[:4], "--environment", "other"), "environments/other was not found", id="404"),
        pytest.param(
            _failing(409, "ALREADY_EXISTS", "conflict", "create", "update"), TARGET, "409 ALREADY_EXISTS", id="409"
        ),
        pytest.param(_failing(400, "INVALID_ARGUMENT", "data: bad", "create"), TARGET, "INVALID_ARGUMENT", id="400"),
    ],
)
def test_each_refusal_is_one_line_with_the_fix(
    composer3: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    arm: Any,
    target: Any,
    expected: str,
) -> None:
    if arm is not None:
        arm(composer3, monkeypatch)

    code = main(_apply(*target))

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: applying secret/app failed: ")
    assert expected in lines[0]
    assert "gcloud equivalent: gcloud composer environments user-workloads-secrets" in lines[0]
    assert "Traceback" not in err
    assert VALUE not in err
    assert composer3.names() == []


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        pytest.param(_apply("--location", LOCATION, "--environment", ENVIRONMENT), "project", id="no-project"),
        pytest.param(_apply("--project", PROJECT), "location", id="no-location-nor-environment"),
        pytest.param(_apply(*TARGET[:4], "--environment", "Bad_Name"), "Bad_Name", id="bad-environment"),
        pytest.param(_apply(*TARGET, "--endpoint", "composer.googleapis.com"), "endpoint", id="bad-endpoint"),
    ],
)
def test_bad_environment_input_exits_2_before_any_request(
    composer3: Any, capsys: pytest.CaptureFixture, argv: List[str], named: str
) -> None:
    code = main(argv)

    err = capsys.readouterr().err
    assert code == 2
    assert named in err
    assert len(err.strip().splitlines()) == 1
    assert VALUE not in err
    assert composer3.requests == []
