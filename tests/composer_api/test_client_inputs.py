"""Bad input is refused before any request: a typed error naming the argument, the value (never a Secret's), the
rule and the fix, and nothing sent, so nothing changes."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.composer_api import ComposerApiInputError, EnvironmentRef
from tests.composer_api.conftest import SECRET_VALUE

_OK = {"password": SECRET_VALUE}
BAD_INPUTS = [
    # names
    pytest.param("create_secret", ("", _OK), "name ''", id="empty-name"),
    pytest.param("create_secret", ("DB", _OK), "name 'DB'", id="uppercase-name"),
    pytest.param("apply_secret", ("my_secret", _OK), "name 'my_secret'", id="underscore-name"),
    pytest.param("create_config_map", ("-cm", {"a": "1"}), "name '-cm'", id="leading-dash"),
    pytest.param("create_config_map", ("cm.", {"a": "1"}), "name 'cm.'", id="trailing-dot"),
    pytest.param("update_secret", ("a" * 254, _OK), "at most 253 characters", id="name-254-chars"),
    pytest.param("get_secret", ("a b",), "name 'a b'", id="name-with-space"),
    pytest.param("delete_config_map", (None,), "got NoneType", id="name-none"),
    pytest.param("get_config_map", (42,), "got int", id="name-int"),
    # keys
    pytest.param("create_secret", ("db", {"": SECRET_VALUE}), "data key ''", id="empty-key"),
    pytest.param("create_secret", ("db", {"pass word": SECRET_VALUE}), "data key 'pass word'", id="key-with-space"),
    pytest.param("create_secret", ("db", {"..data": SECRET_VALUE}), "data key '..data'", id="key-dot-dot"),
    pytest.param("create_config_map", ("cm", {".": "x"}), "data key '.'", id="key-dot"),
    pytest.param("create_config_map", ("cm", {"k/v": "x"}), "data key 'k/v'", id="key-slash"),
    pytest.param("create_config_map", ("cm", {"k" * 254: "x"}), "is not a valid key", id="key-254-chars"),
    pytest.param("create_config_map", ("cm", {1: "x"}), "data key 1", id="key-int"),
    # values
    pytest.param("create_secret", ("db", {"port": 5432}), "data['port'] of Secret must be a string", id="value-int"),
    pytest.param("apply_secret", ("db", {"key": SECRET_VALUE.encode()}), "got bytes", id="value-bytes"),
    pytest.param("create_config_map", ("cm", {"k": None}), "got NoneType", id="value-none"),
    pytest.param("create_config_map", ("cm", ["k", "v"]), "must be a mapping", id="data-list"),
    # sizes
    pytest.param("create_secret", ("db", {"big": "x" * (1024 * 1024)}), "over the Kubernetes limit", id="over-1mib"),
    pytest.param(
        "apply_config_map", ("cm", {f"k{i}": "x" * 300_000 for i in range(4)}), "1 MiB", id="over-1mib-in-total"
    ),
    # pages
    pytest.param("list_secrets", (0,), "page_size 0", id="page-size-zero"),
    pytest.param("list_config_maps", (-5,), "page_size -5", id="page-size-negative"),
    pytest.param("list_secrets", ("10",), "page_size '10'", id="page-size-string"),
]


@pytest.mark.parametrize(("method", "args", "expected"), BAD_INPUTS)
def test_bad_input_is_refused_before_any_request(composer_client, emulator, method, args, expected):
    with pytest.raises(ComposerApiInputError) as caught:
        list(getattr(composer_client, method)(*args) or [])  # list_* check before they iterate

    message = str(caught.value)
    assert expected in message
    assert SECRET_VALUE not in message
    assert "x" * 1000 not in message
    assert emulator.requests == []


def test_exactly_1_mib_is_accepted(composer_client, emulator):
    composer_client.create_config_map("cm", {"k": "x" * (1024 * 1024 - 1)})

    assert emulator.names("userWorkloadsConfigMaps") == ["cm"]


def test_a_253_character_dotted_name_is_accepted(composer_client, emulator):
    name = ".".join(["a" * 63] * 4)[:253]

    composer_client.create_secret(name, {})

    assert emulator.names() == [name]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(("", "us-central1", "env"), "project ''", id="empty-project"),
        pytest.param(("p", "", "env"), "location ''", id="empty-location"),
        pytest.param(("p", "us-central1", None), "environment None", id="no-environment"),
        pytest.param(("p", "us-central1", "My Env"), "environment 'My Env'", id="environment-with-space"),
        pytest.param(("p/x", "us-central1", "env"), "project 'p/x'", id="slash-in-project"),
    ],
)
def test_environment_parts_are_checked(parts, expected):
    with pytest.raises(ComposerApiInputError, match="is not a valid Composer") as caught:
        EnvironmentRef(*parts)

    assert expected in str(caught.value)
