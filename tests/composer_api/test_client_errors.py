"""Every failure of a call is a ``ComposerApiError`` whose one line says what to do, with the gcloud equivalent."""

from __future__ import annotations

import datetime
import socket

import pytest
from google.auth import credentials as google_credentials
from google.auth import exceptions as google_exceptions
from google.oauth2 import credentials as oauth2_credentials

from airflow_provider_composer_pod.composer_api import ComposerApiError, ComposerEnvironmentClient, EnvironmentRef
from tests.composer_api.conftest import SECRET_VALUE


def _raised(call, *args):
    with pytest.raises(ComposerApiError) as caught:
        call(*args)
    error = caught.value
    text = str(error)
    assert "\n" not in text
    assert SECRET_VALUE not in text
    assert SECRET_VALUE not in repr(error)
    assert error.gcloud in text
    assert SECRET_VALUE not in error.gcloud
    return error


def test_400_quotes_the_api_and_says_what_to_fix(composer_client, emulator):
    emulator.fail_next("composer.userworkloadssecrets.create", 400, "INVALID_ARGUMENT", "Secret name is reserved.")

    error = _raised(composer_client.create_secret, "db", {"password": SECRET_VALUE})

    assert (error.status, error.reason, error.permission) == (400, "INVALID_ARGUMENT", None)
    assert "Secret name is reserved." in str(error)
    assert "fix the name, keys or values" in str(error)
    assert error.gcloud == (
        "gcloud composer environments user-workloads-secrets create --secret-file-path=db.yaml "
        "--environment=test-environment --location=us-central1 --project=test-project"
    )


def test_401_says_how_to_get_credentials(composer_api_target, environment, emulator):
    client = ComposerEnvironmentClient(environment, endpoint=emulator.url, token="wrong-token")

    error = _raised(client.get_secret, "db")

    assert (error.status, error.reason) == (401, "UNAUTHENTICATED")
    assert "gcloud auth application-default login" in str(error)
    assert "service account" in str(error)
    assert "wrong-token" not in str(error)
    assert error.gcloud.startswith("gcloud composer environments user-workloads-secrets describe db ")


@pytest.mark.parametrize(
    ("method", "args", "permission", "gcloud_verb"),
    [
        pytest.param("create_secret", ("db", {"p": SECRET_VALUE}), "composer.userworkloadssecrets.create", "create"),
        pytest.param("update_secret", ("db", {"p": SECRET_VALUE}), "composer.userworkloadssecrets.update", "update"),
        pytest.param("get_secret", ("db",), "composer.userworkloadssecrets.get", "describe"),
        pytest.param("delete_secret", ("db",), "composer.userworkloadssecrets.delete", "delete"),
        pytest.param("list_config_maps", (), "composer.userworkloadsconfigmaps.list", "list"),
        pytest.param("apply_config_map", ("cm", {"a": "1"}), "composer.userworkloadsconfigmaps.create", "create"),
    ],
)
def test_403_names_the_missing_permission(composer_client, emulator, method, args, permission, gcloud_verb):
    emulator.deny(permission)

    error = _raised(lambda: list(getattr(composer_client, method)(*args) or []))

    assert (error.status, error.reason, error.permission) == (403, "PERMISSION_DENIED", permission)
    assert f"permission {permission} is missing" in str(error)
    assert "a role that includes" in str(error)
    assert f" {gcloud_verb} " in error.gcloud


def test_404_of_the_environment_says_so(composer_api_target, emulator):
    other = EnvironmentRef("test-project", "us-central1", "no-such-environment")
    client = ComposerEnvironmentClient(other, endpoint=emulator.url, token=emulator.token)

    for call in (
        lambda: client.get_secret("db"),
        lambda: client.delete_config_map("cm"),
        lambda: list(client.list_secrets()),
    ):
        error = _raised(call)
        assert (error.status, error.reason) == (404, "NOT_FOUND")
        assert str(error).startswith(f"Composer environment {other.name} was not found")
        assert "--project/--location/--environment" in str(error)


def test_404_of_the_object_says_which_and_get_delete_answer_none_false(composer_client, emulator):
    error = _raised(composer_client.update_config_map, "missing-cm", {"a": "1"})

    assert (error.status, error.reason) == (404, "NOT_FOUND")
    assert str(error).startswith("ConfigMap 'missing-cm' does not exist in environment ")
    assert composer_client.get_config_map("missing-cm") is None
    assert composer_client.delete_config_map("missing-cm") is False


def test_409_says_to_update_or_apply(composer_client, emulator):
    composer_client.create_secret("db", {"password": SECRET_VALUE})

    error = _raised(composer_client.create_secret, "db", {"password": SECRET_VALUE})

    assert (error.status, error.reason) == (409, "ALREADY_EXISTS")
    assert "already exists" in str(error)
    assert "apply (create-or-replace)" in str(error)


def test_other_answers_keep_googles_status(composer_client, emulator):
    emulator.fail_next("composer.userworkloadsconfigmaps.get", 503, "UNAVAILABLE", "The service is unavailable.")

    error = _raised(composer_client.get_config_map, "cm")

    assert (error.status, error.reason) == (503, "UNAVAILABLE")
    assert "The service is unavailable." in str(error)


def test_no_answer_at_all_names_the_endpoint(environment):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ComposerEnvironmentClient(environment, endpoint=f"http://127.0.0.1:{port}", token="t", timeout=2)

    error = _raised(client.create_secret, "db", {"password": SECRET_VALUE})

    assert (error.status, error.reason) == (0, "UNAVAILABLE")
    assert f"http://127.0.0.1:{port}" in str(error)


def test_https_is_verified_by_default_and_with_the_given_ca():
    from airflow_provider_composer_pod.testing.composer_api.emulator import ComposerApiEmulator

    with ComposerApiEmulator("test-project", "us-central1", "e", https=True) as emulator:
        env = EnvironmentRef("test-project", "us-central1", "e")
        unverified = ComposerEnvironmentClient(env, endpoint=emulator.url, token=emulator.token)
        verified = ComposerEnvironmentClient(
            env, endpoint=emulator.url, token=emulator.token, ca_cert=emulator.ca_cert_path
        )

        error = _raised(unverified.list_secrets().__next__)
        verified.create_secret("db", {"password": SECRET_VALUE})

        assert error.reason == "UNAVAILABLE"
        assert "SSL" in str(error)
        assert [item.name for item in verified.list_secrets()] == ["db"]


# --------------------------------------------------------------------------------------- google-auth credentials
class _RefreshingCredentials(google_credentials.Credentials):
    """google-auth's credentials contract: ``refresh`` sets ``token`` and ``expiry`` (as a service account does)."""

    def __init__(self, token):
        super().__init__()
        self.next_token = token
        self.refreshed = 0

    def refresh(self, request):
        self.refreshed += 1
        self.token = self.next_token
        self.expiry = datetime.datetime.utcnow() + datetime.timedelta(hours=1)


def test_credentials_are_refreshed_when_expired_and_then_reused(environment, emulator):
    credentials = _RefreshingCredentials(emulator.token)
    client = ComposerEnvironmentClient(environment, endpoint=emulator.url, credentials=credentials)

    client.create_config_map("cm", {"a": "1"})
    client.get_config_map("cm")

    assert credentials.refreshed == 1


def test_credentials_that_cannot_refresh_give_the_credentials_answer_and_send_nothing(environment, emulator):
    credentials = oauth2_credentials.Credentials(token=None)  # no refresh token: google-auth refuses to refresh
    client = ComposerEnvironmentClient(environment, endpoint=emulator.url, credentials=credentials)

    error = _raised(client.get_secret, "db")

    assert (error.status, error.reason) == (401, "UNAUTHENTICATED")
    assert "gcloud auth application-default login" in str(error)
    assert emulator.requests == []


def test_without_token_or_credentials_it_asks_application_default_credentials(
    environment, emulator, monkeypatch, tmp_path
):
    monkeypatch.delenv("COMPOSER_POD_COMPOSER_API_TOKEN")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    client = ComposerEnvironmentClient(environment, endpoint=emulator.url)

    error = _raised(client.get_secret, "db")

    assert "DefaultCredentialsError" in str(error)
    assert emulator.requests == []
    assert issubclass(google_exceptions.DefaultCredentialsError, google_exceptions.GoogleAuthError)


def test_the_fixture_wires_endpoint_and_token_for_a_bare_client(environment, emulator):
    client = ComposerEnvironmentClient(environment)

    client.create_config_map("cm", {"a": "1"})

    assert emulator.names("userWorkloadsConfigMaps") == ["cm"]
    assert emulator.token not in repr(client)


def test_a_server_message_quoting_a_secret_value_is_blanked(composer_client, emulator):
    import base64

    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    quoted = f"Value {SECRET_VALUE!r} (data {encoded}) is not allowed."
    emulator.fail_next("composer.userworkloadssecrets.update", 400, "INVALID_ARGUMENT", quoted)

    error = _raised(composer_client.update_secret, "db", {"password": SECRET_VALUE})

    assert "Value '***' (data ***) is not allowed." in str(error)
    assert encoded not in str(error)
