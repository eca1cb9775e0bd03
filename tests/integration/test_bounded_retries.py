"""Issue 19, item 1: every retry is bounded, across a create's attempts, look-ups and adoption.

A create that keeps failing used to restart api_retry_timeout's clock each time its look-up for the pod succeeded
(every retry line said ``300 s of api_retry_timeout=300 left``), and an HTTP 500 the server gave to the same request
again and again was ridden out as if it were an outage.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, List

import pytest
from kubernetes.client.exceptions import ApiException

from airflow_provider_composer_pod.compat import mask_secret
from airflow_provider_composer_pod.errors import ComposerPodApiError
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.kube.retries import IDENTICAL_ANSWERS
from tests.integration.test_api_retries import NAMESPACE, OURS, pod_body

POD_COLLECTION = f"/api/v1/namespaces/{NAMESPACE}/pods"
FOREVER = 1_000_000


def retry_lines(log_text: Any) -> List[str]:
    # Once each, in order: Airflow 2.6 prints a record in a form log_text does not recognise as that record, so the
    # same lines can come twice (printed, and from the records); every line is unique by its retry number.
    return list(dict.fromkeys(re.findall(r"Kubernetes API POST \S+ (?:failed|answered) .*?\)\.", log_text())))


def test_a_create_failing_forever_gives_up_when_api_retry_timeout_is_used_up(k8s_emulator, log_text):
    # 503 is ridden out as an outage; each failed create is followed by a look-up that succeeds.
    k8s_emulator.faults.fail_requests(count=FOREVER, status=503, method="POST", path=r"/pods$")
    hook = ComposerPodHook(conn_id="kubernetes_default", api_retry_timeout=3)

    with pytest.raises(ApiException) as info:
        hook.core_v1_client.create_namespaced_pod(NAMESPACE, pod_body("p1", **OURS))

    assert info.value.status == 503
    lines = retry_lines(log_text)
    assert lines[-1].startswith(f"Kubernetes API POST {POD_COLLECTION} failed (HTTP 503")
    assert "giving up after 3 s of failures (api_retry_timeout=3)" in lines[-1]
    assert "the server is currently unable to handle the request" in lines[-1]  # the answer, quoted
    left = [float(x) for x in re.findall(r"\((\d+) s of api_retry_timeout=3 left\)", " ".join(lines))]
    assert len(left) >= 2
    assert left == sorted(left, reverse=True)  # the clock runs on across the look-ups
    assert left[-1] < left[0]
    assert k8s_emulator.requests(method="GET", path=POD_COLLECTION)  # the look-ups happened, and succeeded
    assert k8s_emulator.list("pods", NAMESPACE) == []


def test_the_same_500_for_the_same_create_ends_the_retrying(k8s_emulator, log_text):
    k8s_emulator.faults.fail_requests(
        count=FOREVER, status=500, method="POST", path=r"/pods$", message='resources: Invalid value: "4Gi"'
    )
    hook = ComposerPodHook(conn_id="kubernetes_default", api_retry_timeout=300)

    with pytest.raises(ApiException) as info:
        hook.core_v1_client.create_namespaced_pod(NAMESPACE, pod_body("p1", **OURS))

    assert info.value.status == 500
    assert len(k8s_emulator.requests(method="POST", path=POD_COLLECTION)) == IDENTICAL_ANSWERS
    last = retry_lines(log_text)[-1]
    assert last.startswith(f"Kubernetes API POST {POD_COLLECTION} answered HTTP 500")
    assert f"with the same body {IDENTICAL_ANSWERS} times in a row" in last
    assert "resources: Invalid value:" in last  # the answer, quoted


def test_500s_with_changing_bodies_are_ridden_out(k8s_emulator):
    for attempt in range(IDENTICAL_ANSWERS + 1):  # more failures than the identical-answer limit, each different
        k8s_emulator.faults.fail_requests(count=1, status=500, method="GET", message=f"etcd hiccup {attempt}")
    hook = ComposerPodHook(conn_id="kubernetes_default", api_retry_timeout=300)

    assert hook.core_v1_client.list_namespaced_pod(NAMESPACE).items == []
    assert len(k8s_emulator.requests(method="GET", path=POD_COLLECTION)) == IDENTICAL_ANSWERS + 2


# ------------------------------------------------------------------------ the operator's error when it gives up
def run_create(**arguments: Any) -> Any:
    """The real operator's steps up to and including its create (KPO's get_or_create_pod, pre-flight and all)."""
    from tests.integration.test_bad_input_fuzz import run_task_steps

    return run_task_steps({"image": "busybox:1.36", "cmds": ["true"], **arguments})


def test_the_operator_raises_a_typed_error_after_the_same_500_again_and_again(k8s_emulator):
    k8s_emulator.faults.fail_requests(
        count=FOREVER, status=500, method="POST", path=r"/pods$", message='resources: Invalid value: "4Gi"'
    )

    with pytest.raises(ComposerPodApiError) as info:
        run_create(api_retry_timeout=300)

    message = str(info.value)
    assert message.startswith(f"The Kubernetes API kept failing POST {POD_COLLECTION} for pod ")
    assert f" in namespace {NAMESPACE}; the last answer was HTTP 500 Internal Server Error" in message
    assert "resources: Invalid value:" in message  # what the server said
    assert re.search(r"\d+ failed attempts over \d+ s, until the server gave the same answer 5 times in a row", message)
    assert "the request is what it rejects" in message
    assert "raising api_retry_timeout will not help" in message
    assert len(k8s_emulator.requests(method="POST", path=POD_COLLECTION)) == IDENTICAL_ANSWERS  # KPO's retries too
    assert info.value.__cause__ is None  # not the client's traceback
    assert info.value.__suppress_context__
    assert k8s_emulator.list("pods", NAMESPACE) == []


def test_the_operator_raises_a_typed_error_when_api_retry_timeout_is_used_up(k8s_emulator):
    k8s_emulator.faults.fail_requests(count=FOREVER, status=503, method="POST", path=r"/pods$")

    with pytest.raises(ComposerPodApiError) as info:
        run_create(api_retry_timeout=2)

    message = str(info.value)
    assert f"The Kubernetes API kept failing POST {POD_COLLECTION}" in message
    assert "the last answer was HTTP 503 Service Unavailable: 'the server is currently unable" in message
    assert "until api_retry_timeout=2 s was used up" in message
    assert "check that the cluster's API server is up" in message
    assert "raise api_retry_timeout" in message
    assert k8s_emulator.list("pods", NAMESPACE) == []


def test_the_typed_error_masks_a_secret_the_server_quotes(k8s_emulator):
    canary = f"canary-{uuid.uuid4().hex}"
    mask_secret(canary)
    k8s_emulator.faults.fail_requests(
        count=FOREVER, status=500, method="POST", path=r"/pods$", message=f"env: Invalid value: {canary}"
    )

    with pytest.raises(ComposerPodApiError) as info:
        run_create(api_retry_timeout=300)

    assert "env: Invalid value: ***" in str(info.value)
    assert canary not in str(info.value)
    assert canary not in repr(info.value.args)
    assert k8s_emulator.list("pods", NAMESPACE) == []
