"""The client's methods against the Composer API (the emulator, or a real environment under --real-composer)."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.composer_api import UserWorkload
from tests.composer_api.conftest import SECRET_VALUE

KINDS = [pytest.param("secret", id="secret"), pytest.param("config_map", id="config_map")]


@pytest.mark.parametrize("kind", KINDS)
def test_create_get_update_delete(composer_client, new_name, kind):
    name = new_name(kind)
    create, get, update, delete = (
        getattr(composer_client, f"{verb}_{kind}") for verb in ("create", "get", "update", "delete")
    )

    create(name, {"user": "admin", "password": SECRET_VALUE})
    created = get(name)
    update(name, {"token": SECRET_VALUE})
    updated = get(name)
    deleted = delete(name)

    assert created is not None
    assert created.keys == ("password", "user")
    assert updated is not None
    assert updated.keys == ("token",)
    assert deleted is True
    assert get(name) is None
    assert delete(name) is False


def test_a_secret_comes_back_without_values(composer_client, new_name):
    name = new_name("secret")
    composer_client.create_secret(name, {"password": SECRET_VALUE})

    got = composer_client.get_secret(name)

    assert got == UserWorkload("secret", name, ("password",), None)
    assert SECRET_VALUE not in repr(got)


def test_a_config_map_comes_back_with_its_data(composer_client, new_name):
    name = new_name("config_map")
    composer_client.create_config_map(name, {"settings.json": '{"a": 1}', "mode": "fast"})

    assert composer_client.get_config_map(name) == UserWorkload(
        "config_map", name, ("mode", "settings.json"), {"settings.json": '{"a": 1}', "mode": "fast"}
    )


@pytest.mark.parametrize("kind", KINDS)
def test_apply_creates_then_replaces(composer_client, new_name, kind):
    name = new_name(kind)
    apply = getattr(composer_client, f"apply_{kind}")

    first = apply(name, {"a": "1"})
    second = apply(name, {"b": "2"})

    assert (first, second) == ("created", "replaced")
    assert getattr(composer_client, f"get_{kind}")(name).keys == ("b",)


@pytest.mark.parametrize("kind", KINDS)
def test_list_follows_every_page(composer_client, new_name, kind):
    names = sorted(new_name(kind) for _ in range(7))
    for name in names:
        getattr(composer_client, f"create_{kind}")(name, {"k": "v"})

    listed = [item.name for item in getattr(composer_client, f"list_{kind}s")(page_size=2)]

    assert [name for name in listed if name in names] == names
