"""The Composer API's shapes as the emulator serves them (raw HTTP), and its sync into the Kubernetes emulator.

Tests taking ``composer_api_target``-based fixtures only also run against a real environment under --real-composer;
those taking ``emulator`` pin what the research could not confirm, or use the emulator's controls.
"""

from __future__ import annotations

import base64
import time

import pytest

from tests.composer_api.conftest import SECRET_VALUE

SECRETS = "/userWorkloadsSecrets"
CONFIG_MAPS = "/userWorkloadsConfigMaps"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _body(environment, collection, name, data):
    return {"name": f"{environment.name}{collection}/{name}", "data": data}


def _wait_for(predicate, timeout=10.0):
    """Poll (no timing assertion: only a generous bound so a broken sync fails instead of hanging)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


# ----------------------------------------------------------------------------------------- methods and shapes
def test_create_get_update_delete_shapes(call_api, environment, new_name):
    name = new_name("config_map")
    full = f"{environment.name}{CONFIG_MAPS}/{name}"

    created = call_api("POST", CONFIG_MAPS, _body(environment, CONFIG_MAPS, name, {"a": "1"}))
    got = call_api("GET", f"{CONFIG_MAPS}/{name}")
    updated = call_api("PUT", f"{CONFIG_MAPS}/{name}", _body(environment, CONFIG_MAPS, name, {"b": "2"}))
    deleted = call_api("DELETE", f"{CONFIG_MAPS}/{name}")

    assert created == (200, {"name": full, "data": {"a": "1"}})
    assert got == (200, {"name": full, "data": {"a": "1"}})
    assert updated == (200, {"name": full, "data": {"b": "2"}})
    assert deleted == (200, {})
    assert call_api("GET", f"{CONFIG_MAPS}/{name}")[0] == 404


def test_get_of_a_secret_clears_the_values_and_keeps_the_keys(call_api, environment, emulator):
    call_api("POST", SECRETS, _body(environment, SECRETS, "db", {"password": _b64(SECRET_VALUE), "user": _b64("u")}))

    status, got = call_api("GET", f"{SECRETS}/db")

    assert status == 200
    assert got == {"name": f"{environment.name}{SECRETS}/db", "data": {"password": "", "user": ""}}


def test_no_answer_and_no_recorded_request_carries_a_secret_value(call_api, environment, emulator):
    body = _body(environment, SECRETS, "db", {"password": _b64(SECRET_VALUE)})
    answers = [
        call_api("POST", SECRETS, body),
        call_api("PUT", f"{SECRETS}/db", body),
        call_api("GET", SECRETS),
        call_api("POST", SECRETS, body),  # 409
    ]

    assert _b64(SECRET_VALUE) not in repr(answers)
    assert _b64(SECRET_VALUE) not in repr(emulator.requests)
    assert emulator.requests[0].body == {"name": body["name"], "data": {"password": "<value>"}}


def test_list_pages_with_opaque_tokens_and_no_token_on_the_last_page(call_api, environment, emulator):
    for index in range(5):
        call_api("POST", CONFIG_MAPS, _body(environment, CONFIG_MAPS, f"cm-{index}", {"k": "v"}))

    pages = []
    token = None
    while True:
        status, page = call_api("GET", CONFIG_MAPS, params={"pageSize": 2, **({"pageToken": token} if token else {})})
        assert status == 200
        pages.append([item["name"].rsplit("/", 1)[-1] for item in page["userWorkloadsConfigMaps"]])
        token = page.get("nextPageToken")
        if not token:
            break

    assert pages == [["cm-0", "cm-1"], ["cm-2", "cm-3"], ["cm-4"]]
    assert set(page) == {"userWorkloadsConfigMaps"}  # the last page has no nextPageToken at all


def test_an_empty_list_is_an_empty_object(call_api, emulator):
    assert call_api("GET", SECRETS) == (200, {})


def test_unknown_query_parameters_are_ignored(call_api, environment, emulator):
    call_api("POST", SECRETS, _body(environment, SECRETS, "s", {}))

    status, page = call_api("GET", SECRETS, params={"$alt": "json;enum-encoding=int"})

    assert status == 200
    assert [item["name"].rsplit("/", 1)[-1] for item in page["userWorkloadsSecrets"]] == ["s"]


# ---------------------------------------------------------------------------------------------------- errors
def _error(answer, code, status):
    assert answer[0] == code, answer
    error = answer[1]["error"]
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


def test_401_without_or_with_a_wrong_token(call_api):
    _error(call_api("GET", SECRETS, token=""), 401, "UNAUTHENTICATED")
    _error(call_api("GET", SECRETS, token="not-the-token"), 401, "UNAUTHENTICATED")


def test_403_names_the_permission_in_googles_error_info(call_api, environment, emulator):
    emulator.deny("composer.userworkloadssecrets.create")

    error = _error(call_api("POST", SECRETS, _body(environment, SECRETS, "s", {})), 403, "PERMISSION_DENIED")

    assert error["message"] == (
        "Permission 'composer.userworkloadssecrets.create' denied on resource "
        f"'//composer.googleapis.com/{environment.name}' (or it may not exist)."
    )
    assert error["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "IAM_PERMISSION_DENIED",
            "domain": "composer.googleapis.com",
            "metadata": {"permission": "composer.userworkloadssecrets.create", "resource": environment.name},
        }
    ]
    assert emulator.names() == []


@pytest.mark.parametrize(
    ("method", "suffix", "permission"),
    [
        pytest.param("GET", f"{SECRETS}/s", "composer.userworkloadssecrets.get", id="get"),
        pytest.param("GET", SECRETS, "composer.userworkloadssecrets.list", id="list"),
        pytest.param("PUT", f"{SECRETS}/s", "composer.userworkloadssecrets.update", id="update"),
        pytest.param("DELETE", f"{SECRETS}/s", "composer.userworkloadssecrets.delete", id="delete"),
        pytest.param("GET", f"{CONFIG_MAPS}/c", "composer.userworkloadsconfigmaps.get", id="config-map-get"),
        pytest.param("POST", CONFIG_MAPS, "composer.userworkloadsconfigmaps.create", id="config-map-create"),
    ],
)
def test_each_method_checks_its_own_permission(call_api, environment, emulator, method, suffix, permission):
    emulator.deny(permission)
    collection = suffix.split("/")[1]
    body = _body(environment, "/" + collection, suffix.split("/")[-1], {}) if method in ("POST", "PUT") else None

    denied = call_api(method, suffix, body)
    emulator.allow(permission)
    allowed = call_api(method, suffix, body)

    assert _error(denied, 403, "PERMISSION_DENIED")["details"][0]["metadata"]["permission"] == permission
    assert allowed[0] != 403


def test_404_for_a_missing_object_and_for_another_environment(call_api, environment, emulator):
    other = environment.name.rsplit("/", 1)[0] + "/other-environment"
    base = emulator.url + "/v1/"

    missing = _error(call_api("GET", f"{SECRETS}/nothing"), 404, "NOT_FOUND")
    no_env = _error(call_api("GET", "", url=f"{base}{other}{SECRETS}"), 404, "NOT_FOUND")
    update_missing = call_api("PUT", f"{SECRETS}/nothing", _body(environment, SECRETS, "nothing", {}))
    delete_missing = call_api("DELETE", f"{SECRETS}/nothing")

    assert missing["message"] == f"User workloads Secret '{environment.name}{SECRETS}/nothing' not found."
    assert no_env["message"] == f"Environment '{other}' not found."
    _error(update_missing, 404, "NOT_FOUND")
    _error(delete_missing, 404, "NOT_FOUND")


def test_409_on_creating_an_existing_name(call_api, environment, new_name):
    name = new_name("config_map")
    call_api("POST", CONFIG_MAPS, _body(environment, CONFIG_MAPS, name, {"a": "1"}))

    _error(call_api("POST", CONFIG_MAPS, _body(environment, CONFIG_MAPS, name, {"a": "2"})), 409, "ALREADY_EXISTS")
    assert call_api("GET", f"{CONFIG_MAPS}/{name}")[1]["data"] == {"a": "1"}


@pytest.mark.parametrize(
    ("collection", "name", "data"),
    [
        pytest.param(SECRETS, "Upper", {}, id="uppercase-name"),
        pytest.param(SECRETS, "under_score", {}, id="underscore-name"),
        pytest.param(SECRETS, "-dash", {}, id="leading-dash"),
        pytest.param(SECRETS, "x" * 254, {}, id="name-too-long"),
        pytest.param(SECRETS, "s", {"password": "not base64!"}, id="secret-value-not-base64"),
        pytest.param(SECRETS, "s", {"bad key": _b64("v")}, id="bad-key"),
        pytest.param(CONFIG_MAPS, "c", {"..hidden": "v"}, id="dot-dot-key"),
        pytest.param(CONFIG_MAPS, "c", {"k": 1}, id="non-string-value"),
        pytest.param(CONFIG_MAPS, "c", {"k": "x" * (1024 * 1024)}, id="over-1mib"),
        pytest.param(SECRETS, "s", {"k": _b64("x" * (1024 * 1024))}, id="secret-over-1mib-decoded"),
    ],
)
def test_400_for_invalid_names_keys_and_values(call_api, environment, emulator, collection, name, data):
    error = _error(call_api("POST", collection, _body(environment, collection, name, data)), 400, "INVALID_ARGUMENT")

    assert "not base64!" not in error["message"]
    assert len(error["message"]) < 1000  # no value is echoed
    assert emulator.names(collection.strip("/")) == []


def test_400_when_the_body_names_another_object_than_the_url(call_api, environment, emulator):
    call_api("POST", SECRETS, _body(environment, SECRETS, "one", {}))

    _error(call_api("PUT", f"{SECRETS}/one", _body(environment, SECRETS, "two", {})), 400, "INVALID_ARGUMENT")


def test_400_for_a_page_token_the_server_did_not_give(call_api, emulator):
    _error(call_api("GET", SECRETS, params={"pageToken": "forged"}), 400, "INVALID_ARGUMENT")


# ------------------------------------------------------------------------------------- sync into Kubernetes
def test_a_secret_appears_in_composer_user_workloads_after_the_sync_delay(
    call_api, environment, emulator, k8s_emulator
):
    emulator.sync_delay = 0.2
    call_api("POST", SECRETS, _body(environment, SECRETS, "db", {"password": _b64(SECRET_VALUE)}))

    synced = _wait_for(lambda: k8s_emulator.get("secrets", "db", "composer-user-workloads") is not None)

    secret = k8s_emulator.get("secrets", "db", "composer-user-workloads")
    assert synced
    assert secret["data"] == {"password": _b64(SECRET_VALUE)}
    assert secret["type"] == "Opaque"


def test_nothing_appears_before_the_sync_delay(call_api, environment, emulator, k8s_emulator):
    emulator.sync_delay = 300.0
    call_api("POST", CONFIG_MAPS, _body(environment, CONFIG_MAPS, "cm", {"a": "1"}))

    assert k8s_emulator.get("configmaps", "cm", "composer-user-workloads") is None
    assert emulator.pending_syncs == 1
    emulator.sync_now()
    assert k8s_emulator.get("configmaps", "cm", "composer-user-workloads")["data"] == {"a": "1"}


def test_updates_and_deletes_sync_in_order(call_api, environment, emulator, k8s_emulator):
    emulator.sync_delay = 0.05
    call_api("POST", CONFIG_MAPS, _body(environment, CONFIG_MAPS, "cm", {"a": "1"}))
    call_api("PUT", f"{CONFIG_MAPS}/cm", _body(environment, CONFIG_MAPS, "cm", {"b": "2"}))

    updated = _wait_for(
        lambda: (k8s_emulator.get("configmaps", "cm", "composer-user-workloads") or {}).get("data") == {"b": "2"}
    )
    call_api("DELETE", f"{CONFIG_MAPS}/cm")
    gone = _wait_for(lambda: k8s_emulator.get("configmaps", "cm", "composer-user-workloads") is None)

    assert updated
    assert gone


def test_stop_drops_pending_syncs_cleanly(k8s_emulator):
    from airflow_provider_composer_pod.testing.composer_api.emulator import ComposerApiEmulator

    with ComposerApiEmulator("p", "l", "e", kube=k8s_emulator, sync_delay=300.0) as emulator:
        emulator.synced_put(emulator_kind(), "late", {"a": "1"})
        assert emulator.pending_syncs == 1

    assert emulator.pending_syncs == 0
    assert k8s_emulator.get("configmaps", "late", "composer-user-workloads") is None


def emulator_kind():
    from airflow_provider_composer_pod.testing.composer_api.workloads import KINDS

    return KINDS["userWorkloadsConfigMaps"]


def test_a_bare_store_can_be_linked_too():
    from airflow_provider_composer_pod.composer_api import ComposerEnvironmentClient, EnvironmentRef
    from airflow_provider_composer_pod.testing.apiserver.resources import CORE, NAMESPACES
    from airflow_provider_composer_pod.testing.apiserver.store import Store, namespace_object
    from airflow_provider_composer_pod.testing.composer_api.emulator import ComposerApiEmulator

    store = Store()
    store.create(NAMESPACES, None, namespace_object("composer-user-workloads"))
    with ComposerApiEmulator("p", "l", "e", kube=store) as emulator:
        client = ComposerEnvironmentClient(EnvironmentRef("p", "l", "e"), endpoint=emulator.url, token=emulator.token)
        client.create_config_map("cm", {"a": "1"})
        synced = store.find(CORE["configmaps"], "composer-user-workloads", "cm")
        client.delete_config_map("cm")

    assert synced["data"] == {"a": "1"}
    assert store.find(CORE["configmaps"], "composer-user-workloads", "cm") is None
