"""Contract tests for object CRUD: Status errors, metadata, selectors, Secrets/ConfigMaps, namespaces, SAs.

They use ``k8s_api``/``k8s_namespace`` so ``--real-cluster`` can run them against a real API server.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any, Dict

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _status(exc: ApiException) -> Dict[str, Any]:
    return json.loads(exc.body)


def _pod(name: str, **labels: str) -> Dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {"app": "contract"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 30"]}],
        },
    }


@pytest.fixture
def cleanup(k8s_api: Any, k8s_namespace: str) -> Any:
    created = []
    yield created
    for kind, name in created:
        try:
            if kind == "pod":
                k8s_api.delete_namespaced_pod(name, k8s_namespace, grace_period_seconds=0)
            elif kind == "secret":
                k8s_api.delete_namespaced_secret(name, k8s_namespace)
            elif kind == "configmap":
                k8s_api.delete_namespaced_config_map(name, k8s_namespace)
            elif kind == "namespace":
                k8s_api.delete_namespace(name)
        except ApiException:
            pass


def test_get_missing_pod_is_404_status(k8s_api: Any, k8s_namespace: str) -> None:
    with pytest.raises(ApiException) as info:
        k8s_api.read_namespaced_pod("does-not-exist", k8s_namespace)

    assert info.value.status == 404
    assert _status(info.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "does-not-exist" not found',
        "reason": "NotFound",
        "details": {"name": "does-not-exist", "kind": "pods"},
        "code": 404,
    }


def test_create_twice_is_409_already_exists(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    name = _name("dup")
    k8s_api.create_namespaced_pod(k8s_namespace, _pod(name))
    cleanup.append(("pod", name))

    with pytest.raises(ApiException) as info:
        k8s_api.create_namespaced_pod(k8s_namespace, _pod(name))

    body = _status(info.value)
    assert (info.value.status, body["reason"], body["message"]) == (
        409,
        "AlreadyExists",
        f'pods "{name}" already exists',
    )


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        pytest.param(
            lambda p: p["metadata"].update(name="Bad_Name"), "metadata.name", "FieldValueInvalid", id="pod-name"
        ),
        pytest.param(
            lambda p: p["spec"]["containers"][0].update(name="Base_1"),
            "spec.containers[0].name",
            "FieldValueInvalid",
            id="container-name",
        ),
        pytest.param(
            lambda p: p["spec"]["containers"][0].pop("image"),
            "spec.containers[0].image",
            "FieldValueRequired",
            id="image-required",
        ),
        pytest.param(
            lambda p: p["spec"].update(containers=[]), "spec.containers", "FieldValueRequired", id="no-containers"
        ),
    ],
)
def test_invalid_pod_is_422_with_field_cause(
    k8s_api: Any, k8s_namespace: str, mutate: Any, field: str, reason: str
) -> None:
    body = _pod(_name("invalid"))
    mutate(body)

    with pytest.raises(ApiException) as info:
        k8s_api.create_namespaced_pod(k8s_namespace, body)

    status = _status(info.value)
    assert info.value.status == 422
    assert status["reason"] == "Invalid"
    assert status["details"]["kind"] == "Pod"
    assert {"field": field, "reason": reason} in [
        {"field": c["field"], "reason": c["reason"]} for c in status["details"]["causes"]
    ]
    assert status["message"].startswith('Pod "{}" is invalid: '.format(body["metadata"]["name"]))


def test_metadata_and_monotonic_resource_version(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    first = k8s_api.create_namespaced_pod(k8s_namespace, _pod(_name("meta")))
    cleanup.append(("pod", first.metadata.name))
    second = k8s_api.create_namespaced_pod(k8s_namespace, _pod(_name("meta")))
    cleanup.append(("pod", second.metadata.name))

    patched = k8s_api.patch_namespaced_pod(first.metadata.name, k8s_namespace, {"metadata": {"labels": {"x": "y"}}})

    assert first.metadata.uid
    assert first.metadata.uid != second.metadata.uid
    assert first.metadata.creation_timestamp is not None
    assert (
        int(first.metadata.resource_version)
        < int(second.metadata.resource_version)
        < int(patched.metadata.resource_version)
    )
    assert patched.metadata.labels["x"] == "y"
    assert first.spec.containers[0].termination_message_path == "/dev/termination-log"
    assert first.status.phase == "Pending"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param("tier=web", {"a", "b"}, id="equals"),
        pytest.param("tier==web,track!=canary", {"a"}, id="double-equals-and-not"),
        pytest.param("track in (canary,beta)", {"b", "c"}, id="in"),
        pytest.param("track notin (canary)", {"a", "c"}, id="notin"),
        pytest.param("track", {"b", "c"}, id="exists"),
        pytest.param("!track", {"a"}, id="not-exists"),
    ],
)
def test_label_selectors(k8s_api: Any, k8s_namespace: str, cleanup: Any, selector: str, expected: Any) -> None:
    run = uuid.uuid4().hex[:6]
    labels = {"a": {"tier": "web"}, "b": {"tier": "web", "track": "canary"}, "c": {"tier": "db", "track": "beta"}}
    for key, value in labels.items():
        name = f"sel-{key}-{run}"
        k8s_api.create_namespaced_pod(k8s_namespace, _pod(name, run=run, **value))
        cleanup.append(("pod", name))

    pods = k8s_api.list_namespaced_pod(k8s_namespace, label_selector=f"run={run},{selector}")

    assert {p.metadata.name.split("-")[1] for p in pods.items} == expected


def test_field_selectors_and_unsupported_field(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    name = _name("field")
    k8s_api.create_namespaced_pod(k8s_namespace, _pod(name))
    cleanup.append(("pod", name))

    by_name = k8s_api.list_namespaced_pod(k8s_namespace, field_selector=f"metadata.name={name}")
    not_name = k8s_api.list_namespaced_pod(k8s_namespace, field_selector=f"metadata.name!={name}")
    with pytest.raises(ApiException) as info:
        k8s_api.list_namespaced_pod(k8s_namespace, field_selector="spec.image=busybox")

    assert [p.metadata.name for p in by_name.items] == [name]
    assert name not in [p.metadata.name for p in not_name.items]
    assert info.value.status == 400
    assert "field label not supported: spec.image" in _status(info.value)["message"]


def test_list_items_have_no_kind_but_list_has_resource_version(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    name = _name("raw")
    k8s_api.create_namespaced_pod(k8s_namespace, _pod(name))
    cleanup.append(("pod", name))

    raw = k8s_api.list_namespaced_pod(k8s_namespace, field_selector="metadata.name=" + name, _preload_content=False)
    body = json.loads(raw.data)

    assert body["kind"] == "PodList"
    assert body["apiVersion"] == "v1"
    assert int(body["metadata"]["resourceVersion"]) > 0
    assert "kind" not in body["items"][0]
    assert body["items"][0]["metadata"]["name"] == name


def test_all_namespaces_list_and_pagination(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    run = uuid.uuid4().hex[:6]
    for index in range(3):
        name = f"page-{index}-{run}"
        k8s_api.create_namespaced_pod(k8s_namespace, _pod(name, run=run))
        cleanup.append(("pod", name))

    first = k8s_api.list_pod_for_all_namespaces(label_selector="run=" + run, limit=2)
    rest = k8s_api.list_pod_for_all_namespaces(label_selector="run=" + run, limit=2, _continue=first.metadata._continue)

    assert len(first.items) == 2
    assert first.metadata._continue
    assert len(rest.items) == 1
    assert not rest.metadata._continue


def test_a_list_at_resource_version_0_is_served_whole(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    """kube-apiserver serves ``resourceVersion=0`` from its watch cache, which ignores ``limit`` (kubernetes#70735;
    a server with a paging cache, 1.34+, may page it: a client follows ``continue`` either way)."""
    run = uuid.uuid4().hex[:6]
    for index in range(3):
        name = f"cached-{index}-{run}"
        k8s_api.create_namespaced_pod(k8s_namespace, _pod(name, run=run))
        cleanup.append(("pod", name))

    cached = k8s_api.list_namespaced_pod(k8s_namespace, label_selector="run=" + run, limit=2, resource_version="0")
    consistent = k8s_api.list_namespaced_pod(k8s_namespace, label_selector="run=" + run, limit=2)

    assert len(cached.items) == 3
    assert not cached.metadata._continue
    assert len(consistent.items) == 2
    assert consistent.metadata._continue


def test_patch_content_types(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    name = _name("patch")
    k8s_api.create_namespaced_pod(k8s_namespace, _pod(name))
    cleanup.append(("pod", name))

    k8s_api.patch_namespaced_pod(name, k8s_namespace, {"metadata": {"labels": {"already_checked": "True"}}})
    json_patched = k8s_api.patch_namespaced_pod(
        name, k8s_namespace, [{"op": "add", "path": "/metadata/annotations", "value": {"note": "1"}}]
    )
    removed = k8s_api.patch_namespaced_pod(name, k8s_namespace, {"metadata": {"labels": {"already_checked": None}}})

    assert json_patched.metadata.labels["already_checked"] == "True"
    assert json_patched.metadata.annotations == {"note": "1"}
    assert "already_checked" not in (removed.metadata.labels or {})


def test_pod_spec_is_immutable(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    name = _name("immutable")
    k8s_api.create_namespaced_pod(k8s_namespace, _pod(name))
    cleanup.append(("pod", name))

    with pytest.raises(ApiException) as info:
        k8s_api.patch_namespaced_pod(name, k8s_namespace, {"spec": {"restartPolicy": "Always"}})

    assert info.value.status == 422
    assert "pod updates may not change fields" in _status(info.value)["message"]


def test_delete_pod_returns_the_pod(k8s_api: Any, k8s_namespace: str) -> None:
    name = _name("delete")
    k8s_api.create_namespaced_pod(k8s_namespace, _pod(name))

    raw = k8s_api.delete_namespaced_pod(name, k8s_namespace, grace_period_seconds=0, _preload_content=False)
    body = json.loads(raw.data)

    assert raw.status == 200
    assert body["kind"] == "Pod"
    assert body["metadata"]["name"] == name
    assert body["metadata"]["deletionTimestamp"]


def test_secret_crud_with_string_data(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    name = _name("secret")
    created = k8s_api.create_namespaced_secret(
        k8s_namespace, {"metadata": {"name": name}, "stringData": {"password": "hunter2"}, "data": {"a": "Yg=="}}
    )
    cleanup.append(("secret", name))
    replaced_body = k8s_api.read_namespaced_secret(name, k8s_namespace)
    replaced_body.data = {"password": base64.b64encode(b"changed").decode()}
    replaced = k8s_api.replace_namespaced_secret(name, k8s_namespace, replaced_body)
    patched = k8s_api.patch_namespaced_secret(name, k8s_namespace, {"stringData": {"extra": "x"}})
    listed = k8s_api.list_namespaced_secret(k8s_namespace, field_selector="metadata.name=" + name)

    assert created.type == "Opaque"
    assert created.data == {"a": "Yg==", "password": base64.b64encode(b"hunter2").decode()}
    assert not getattr(created, "string_data", None)
    assert replaced.data == {"password": base64.b64encode(b"changed").decode()}
    assert patched.data["extra"] == base64.b64encode(b"x").decode()
    assert [s.metadata.name for s in listed.items] == [name]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"data": {"bad key!": "eA=="}}, 422, id="invalid-key"),
        pytest.param({"data": {"k": "not base64!"}}, 400, id="invalid-base64"),
    ],
)
def test_secret_validation(k8s_api: Any, k8s_namespace: str, body: Dict[str, Any], status: int) -> None:
    with pytest.raises(ApiException) as info:
        k8s_api.create_namespaced_secret(k8s_namespace, dict(body, metadata={"name": _name("badsecret")}))

    assert info.value.status == status


def test_config_map_crud(k8s_api: Any, k8s_namespace: str, cleanup: Any) -> None:
    name = _name("cm")
    k8s_api.create_namespaced_config_map(k8s_namespace, {"metadata": {"name": name}, "data": {"k": "v"}})
    cleanup.append(("configmap", name))

    patched = k8s_api.patch_namespaced_config_map(name, k8s_namespace, {"data": {"k2": "v2"}})
    k8s_api.delete_namespaced_config_map(name, k8s_namespace)
    with pytest.raises(ApiException) as info:
        k8s_api.read_namespaced_config_map(name, k8s_namespace)

    assert patched.data == {"k": "v", "k2": "v2"}
    assert info.value.status == 404


def test_namespace_lifecycle_and_default_service_account(k8s_api: Any, cleanup: Any) -> None:
    name = _name("ns")
    k8s_api.create_namespace({"metadata": {"name": name}})
    cleanup.append(("namespace", name))

    ns = k8s_api.read_namespace(name)
    for _ in range(100):
        if k8s_api.list_namespaced_service_account(name).items:
            break
        time.sleep(0.05)
    accounts = [sa.metadata.name for sa in k8s_api.list_namespaced_service_account(name).items]
    deleted = json.loads(k8s_api.delete_namespace(name, _preload_content=False).data)

    assert ns.status.phase == "Active"
    assert ns.metadata.labels["kubernetes.io/metadata.name"] == name
    assert "default" in accounts
    assert (deleted["kind"], deleted["status"]["phase"]) == ("Namespace", "Terminating")


def test_create_in_missing_namespace_is_404_for_namespace(k8s_api: Any) -> None:
    with pytest.raises(ApiException) as info:
        k8s_api.create_namespaced_config_map("no-such-namespace-x1", {"metadata": {"name": "x"}})

    assert info.value.status == 404
    assert _status(info.value)["message"] == 'namespaces "no-such-namespace-x1" not found'


def test_service_account_crud(k8s_api: Any, k8s_namespace: str) -> None:
    name = _name("sa")
    k8s_api.create_namespaced_service_account(
        k8s_namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=name))
    )

    read = k8s_api.read_namespaced_service_account(name, k8s_namespace)
    k8s_api.delete_namespaced_service_account(name, k8s_namespace)

    assert read.metadata.name == name
    with pytest.raises(ApiException):
        k8s_api.read_namespaced_service_account(name, k8s_namespace)


def test_emulator_recorded_requests(k8s_emulator: Any, k8s_api: Any) -> None:
    k8s_api.create_namespaced_pod("default", _pod("recorded"))

    posts = k8s_emulator.requests(method="POST", path_contains="/pods")

    assert [(r.path, r.status, r.verb, r.body["metadata"]["name"]) for r in posts] == [
        ("/api/v1/namespaces/default/pods", 201, "create", "recorded")
    ]
    assert posts[0].user_agent.startswith("OpenAPI-Generator")
