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


def test_list_sends_the_page_token_it_was_given_until_there_is_none(composer_client, emulator):
    for index in range(7):
        composer_client.create_secret(f"s-{index}", {"k": SECRET_VALUE})
    emulator.requests.clear()

    listed = [item.name for item in composer_client.list_secrets(page_size=3)]

    assert listed == [f"s-{index}" for index in range(7)]
    paths = [request.path for request in emulator.requests]
    assert len(paths) == 3
    assert all(request.method == "GET" for request in emulator.requests)
    assert "pageToken" not in paths[0]
    assert all("pageSize=3" in path and "pageToken=" in path for path in paths[1:])


def test_secret_values_go_base64_and_never_into_requests_or_reprs(composer_client, emulator, k8s_emulator):
    import base64

    composer_client.apply_secret("db", {"password": SECRET_VALUE})
    composer_client.apply_secret("db", {"password": SECRET_VALUE})
    got = composer_client.get_secret("db")
    listed = list(composer_client.list_secrets())

    synced = k8s_emulator.get("secrets", "db", "composer-user-workloads")
    assert base64.b64decode(synced["data"]["password"]).decode() == SECRET_VALUE
    for shown in (emulator.requests, got, listed, composer_client, emulator):
        assert SECRET_VALUE not in repr(shown)
        assert base64.b64encode(SECRET_VALUE.encode()).decode() not in repr(shown)
