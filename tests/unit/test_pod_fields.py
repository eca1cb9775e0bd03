from __future__ import annotations

import pytest

from airflow_provider_composer_pod import k8s
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.validation.pod_fields import check_pod_fields


def _pod(**changes: object) -> k8s.V1Pod:
    container = k8s.V1Container(name="base", image="busybox", env=changes.pop("env", None))
    spec = k8s.V1PodSpec(containers=[container], node_selector=changes.pop("node_selector", None))
    defaults = {"name": "p-abc", "namespace": "composer-user-workloads"}
    metadata = k8s.V1ObjectMeta(**{**defaults, **changes})
    return k8s.V1Pod(metadata=metadata, spec=spec)


def test_a_valid_pod_passes():
    check_pod_fields(_pod(labels={"team": "data", "example.com/tier": ""}, annotations={"note": "free text ok"}))


@pytest.mark.parametrize(
    ("pod", "message"),
    [
        pytest.param(
            _pod(labels={"team": "a b"}), "labels['team']='a b' is not valid: a label value", id="label-value"
        ),
        pytest.param(_pod(labels={"a b": "x"}), "labels='a b' is not valid: a key must be", id="label-key"),
        pytest.param(_pod(labels={"/x": "y"}), "a key's prefix (before '/')", id="label-prefix"),
        pytest.param(_pod(labels={"team": 5}), "labels['team']=5 is not valid", id="label-not-a-string"),
        pytest.param(_pod(annotations={"no spaces": "x"}), "annotations='no spaces'", id="annotation-key"),
        pytest.param(_pod(namespace="Team_A"), "namespace='Team_A' is not valid", id="namespace"),
        pytest.param(_pod(name="Pod_1"), "name='Pod_1' is not valid", id="pod-name"),
        pytest.param(_pod(node_selector={"pool": "a/b"}), "node_selector['pool']='a/b'", id="node-selector"),
        pytest.param(_pod(env=[k8s.V1EnvVar(name="1ST", value="x")]), "env_vars='1ST' is not valid", id="env-name"),
    ],
)
def test_what_the_api_server_would_refuse_fails_first(pod, message):
    with pytest.raises(ComposerPodInputError) as error:
        check_pod_fields(pod)

    assert message in str(error.value)
    assert "Fix: " in str(error.value)


@pytest.mark.parametrize("image", ["", " busybox", "busybox\n"])
def test_image_is_required_without_surrounding_whitespace(image):
    pod = _pod()
    pod.spec.containers[0].image = image

    with pytest.raises(ComposerPodInputError, match="image="):
        check_pod_fields(pod)


def test_no_image_is_left_to_the_api_server():
    """As with KPO: the API refuses it with 422 before anything exists (tests/integration/test_bad_input_fuzz.py)."""
    pod = _pod()
    pod.spec.containers[0].image = None

    check_pod_fields(pod)


def test_labels_kubernetes_pod_operator_sets_itself_are_left_to_it():
    from airflow_provider_composer_pod.compat import KPO_LABELS

    odd = {"airflow_kpo_in_cluster": "not a label value"}
    with pytest.raises(ComposerPodInputError, match="airflow_kpo_in_cluster"):
        check_pod_fields(_pod(labels=odd))
    check_pod_fields(_pod(labels=odd), skip_labels=KPO_LABELS)
    with pytest.raises(ComposerPodInputError, match=r"labels\['team'\]"):
        check_pod_fields(_pod(labels={**odd, "team": "a b"}), skip_labels=KPO_LABELS)
