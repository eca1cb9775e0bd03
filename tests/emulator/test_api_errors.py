"""The emulator answers a client's mistakes as kube-apiserver does (issue 19): 400 BadRequest with the decoder's
words for a field of the wrong JSON type, 422 Invalid with ``details.causes`` for a decodable but invalid pod, and
never a 500. The messages are the real server's (Go's encoding/json through ``runtime.Decode``, and
``ValidateResourceRequirements``)."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from kubernetes.client.rest import ApiException

from tests.emulator.test_api_objects import _name, _pod, _status

CANNOT = 'Pod in version "v1" cannot be handled as a Pod: '


def _container(body: Dict[str, Any]) -> Dict[str, Any]:
    container: Dict[str, Any] = body["spec"]["containers"][0]
    return container


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(
            lambda p: _container(p).update(command="echo hi"),
            "json: cannot unmarshal string into Go struct field Container.spec.containers.command of type []string",
            id="command-string",
        ),
        pytest.param(
            lambda p: _container(p).update(resources="4Gi"),
            "json: cannot unmarshal string into Go struct field Container.spec.containers.resources of type "
            "v1.ResourceRequirements",
            id="resources-string",
        ),
        pytest.param(
            lambda p: _container(p).update(env=["A=1"]),
            "json: cannot unmarshal string into Go struct field Container.spec.containers.env of type v1.EnvVar",
            id="env-string",
        ),
        pytest.param(
            lambda p: _container(p).update(env=[{"name": "A", "value": 1}]),
            "json: cannot unmarshal number into Go struct field EnvVar.spec.containers.env.value of type string",
            id="env-value-number",
        ),
        pytest.param(
            lambda p: p["metadata"].update(labels={"a": 1}),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
            id="label-number",
        ),
        pytest.param(
            lambda p: _container(p).update(resources={"requests": {"memory": "4Gx"}}),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            id="quantity",
        ),
        pytest.param(
            lambda p: p["spec"].update(tolerations={"key": "a"}),
            "json: cannot unmarshal object into Go struct field PodSpec.spec.tolerations of type []v1.Toleration",
            id="tolerations-object",
        ),
    ],
)
def test_a_body_that_cannot_be_decoded_is_400(k8s_api: Any, k8s_namespace: str, mutate: Any, message: str) -> None:
    body = _pod(_name("undecodable"))
    mutate(body)

    with pytest.raises(ApiException) as info:
        k8s_api.create_namespaced_pod(k8s_namespace, body)

    status = _status(info.value)
    assert (info.value.status, status["reason"], status["message"]) == (400, "BadRequest", CANNOT + message)
    assert k8s_api.list_namespaced_pod(k8s_namespace).items == []


@pytest.mark.parametrize(
    ("resources", "field", "message"),
    [
        pytest.param(
            {"requests": {"memory": "4Gi"}, "limits": {"memory": "1Gi"}},
            "spec.containers[0].resources.requests",
            'Invalid value: "4Gi": must be less than or equal to memory limit of 1Gi',
            id="request-above-limit",
        ),
        pytest.param(
            {"requests": {"cpu": "-1"}},
            "spec.containers[0].resources.requests[cpu]",
            'Invalid value: "-1": must be greater than or equal to 0',
            id="negative",
        ),
    ],
)
def test_invalid_resources_are_422_with_the_field(
    k8s_api: Any, k8s_namespace: str, resources: Dict[str, Any], field: str, message: str
) -> None:
    body = _pod(_name("resources"))
    _container(body)["resources"] = resources

    with pytest.raises(ApiException) as info:
        k8s_api.create_namespaced_pod(k8s_namespace, body)

    status = _status(info.value)
    assert (info.value.status, status["reason"]) == (422, "Invalid")
    assert {"reason": "FieldValueInvalid", "message": message, "field": field} in status["details"]["causes"]
    assert status["message"] == f'Pod "{body["metadata"]["name"]}" is invalid: {field}: {message}'


def test_a_body_that_is_not_an_object_is_400(k8s_api: Any, k8s_namespace: str) -> None:
    with pytest.raises(ApiException) as info:
        k8s_api.create_namespaced_pod(k8s_namespace, ["not", "a", "pod"])

    assert info.value.status == 400
    assert _status(info.value)["message"] == CANNOT + "json: cannot unmarshal array into Go value of type v1.Pod"


def _protobuf_body(api_version: str, kind: str) -> bytes:
    def field(number: int, value: bytes) -> bytes:
        return bytes([number << 3 | 2, len(value)]) + value

    return b"k8s\x00" + field(1, field(1, api_version.encode()) + field(2, kind.encode())) + field(2, b"")


def test_protobuf_of_a_kind_the_emulator_does_not_read_is_415_with_a_hint(k8s_api: Any, k8s_namespace: str) -> None:
    with pytest.raises(ApiException) as info:
        k8s_api.api_client.call_api(
            f"/api/v1/namespaces/{k8s_namespace}/pods",
            "POST",
            header_params={"Content-Type": "application/vnd.kubernetes.protobuf"},
            body=_protobuf_body("v1", "Pod"),
            auth_settings=["BearerToken"],
        )

    status = _status(info.value)
    assert (info.value.status, status["reason"]) == (415, "UnsupportedMediaType")
    assert "accepted media types include: application/json" in status["message"]
    assert "send JSON, e.g. kubectl create -f FILE" in status["message"]
