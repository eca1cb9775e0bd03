"""Contract tests for ``apps/v1`` Deployments: stored objects, the Status shapes of their errors, discovery.

They use ``k8s_api``/``k8s_namespace`` so ``--real-cluster`` can run them against a real API server (where a
controller would also make ReplicaSets; nothing here depends on that).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, Iterator

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


def _name() -> str:
    return f"web-{uuid.uuid4().hex[:8]}"


def _deployment(name: str, **overrides: Any) -> Dict[str, Any]:
    spec: Dict[str, Any] = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
        },
    }
    spec.update(overrides)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": spec,
    }


@pytest.fixture
def apps(k8s_api: Any, k8s_namespace: str) -> Iterator[Any]:
    api = client.AppsV1Api(k8s_api.api_client)
    created = []
    api.created = created
    yield api
    for name in created:
        try:
            api.delete_namespaced_deployment(name, k8s_namespace)
        except ApiException:
            pass


def test_create_get_list_delete(apps: Any, k8s_namespace: str) -> None:
    name = _name()
    apps.created.append(name)

    created = apps.create_namespaced_deployment(k8s_namespace, _deployment(name))
    read = apps.read_namespaced_deployment(name, k8s_namespace)
    listed = apps.list_namespaced_deployment(k8s_namespace, label_selector=f"app={name}")
    apps.delete_namespaced_deployment(name, k8s_namespace)

    assert created.metadata.generation == 1
    assert read.metadata.uid == created.metadata.uid
    assert read.spec.replicas == 2
    assert read.spec.strategy.type == "RollingUpdate"
    assert read.spec.template.spec.containers[0].image == "nginx:1.27"
    assert [item.metadata.name for item in listed.items] == [name]
    assert listed.kind == "DeploymentList"
    with pytest.raises(ApiException) as info:
        apps.read_namespaced_deployment(name, k8s_namespace)
    assert info.value.status == 404


def test_an_existing_name_is_409_already_exists(apps: Any, k8s_namespace: str) -> None:
    name = _name()
    apps.created.append(name)
    apps.create_namespaced_deployment(k8s_namespace, _deployment(name))

    with pytest.raises(ApiException) as info:
        apps.create_namespaced_deployment(k8s_namespace, _deployment(name))

    assert info.value.status == 409
    assert json.loads(info.value.body) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'deployments.apps "{name}" already exists',
        "reason": "AlreadyExists",
        "details": {"name": name, "group": "apps", "kind": "deployments"},
        "code": 409,
    }


@pytest.mark.parametrize("verb", ["read", "delete"])
def test_a_missing_name_is_404_not_found(apps: Any, k8s_namespace: str, verb: str) -> None:
    with pytest.raises(ApiException) as info:
        getattr(apps, f"{verb}_namespaced_deployment")("nope", k8s_namespace)

    assert info.value.status == 404
    assert json.loads(info.value.body) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "deployments"},
        "code": 404,
    }


def test_a_selector_that_does_not_match_the_template_is_422(apps: Any, k8s_namespace: str) -> None:
    name = _name()
    body = _deployment(name, selector={"matchLabels": {"app": "other"}})

    with pytest.raises(ApiException) as info:
        apps.create_namespaced_deployment(k8s_namespace, body)

    status = json.loads(info.value.body)
    assert (info.value.status, status["reason"]) == (422, "Invalid")
    assert status["details"]["group"] == "apps"
    assert status["details"]["kind"] == "Deployment"
    assert [(c["field"], c["reason"]) for c in status["details"]["causes"]] == [
        ("spec.template.metadata.labels", "FieldValueInvalid")
    ]
    assert "`selector` does not match template `labels`" in status["message"]
    assert status["message"].startswith(f'Deployment.apps "{name}" is invalid: ')


def test_apps_v1_is_discoverable(k8s_api: Any) -> None:
    groups = client.ApisApi(k8s_api.api_client).get_api_versions()
    resources = client.AppsV1Api(k8s_api.api_client).get_api_resources()

    assert "apps" in [group.name for group in groups.groups]
    deployments = next(r for r in resources.resources if r.name == "deployments")
    assert (deployments.kind, deployments.namespaced) == ("Deployment", True)
    assert {"create", "get", "list", "watch", "delete"} <= set(deployments.verbs)


def test_a_watch_sees_a_deployment_added_and_deleted(apps: Any, k8s_namespace: str) -> None:
    name = _name()
    created = apps.create_namespaced_deployment(k8s_namespace, _deployment(name))
    apps.delete_namespaced_deployment(name, k8s_namespace)

    events = [
        (event["type"], event["object"].metadata.name)
        for event in watch.Watch().stream(
            apps.list_namespaced_deployment,
            k8s_namespace,
            resource_version=str(int(created.metadata.resource_version) - 1),
            timeout_seconds=1,
        )
        if event["object"].metadata.name == name
    ]

    assert events == [("ADDED", name), ("DELETED", name)]
