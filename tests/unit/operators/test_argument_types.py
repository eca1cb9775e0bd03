"""Issue 19, item 2: each pod argument's type, at construction for literals and after rendering for templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from airflow.exceptions import AirflowException

from airflow_provider_composer_pod import ComposerPodOperator, compat, k8s
from airflow_provider_composer_pod.errors import ComposerPodInputError


class LegacyPort:
    """An object KPO converts with ``to_k8s_client_obj`` (the provider's old Port, Volume and VolumeMount)."""

    def to_k8s_client_obj(self) -> Any:
        return k8s.V1ContainerPort(container_port=80)


@pytest.mark.parametrize(
    ("argument", "value", "says"),
    [
        pytest.param("cmds", "echo hi", "a list of strings, one per word", id="cmds-string"),
        pytest.param("cmds", ["sleep", 5], "got a list with an int item", id="cmds-number"),
        pytest.param("arguments", "--flag", "a list of strings", id="arguments-string"),
        pytest.param("container_resources", "4Gi", "k8s.V1ResourceRequirements", id="resources-string"),
        pytest.param("env_vars", ["A=1"], "got a list with a str item", id="env-strings"),
        pytest.param("env_vars", {"A": 1}, "got a dict with an int value", id="env-number"),
        pytest.param("name", "My_Pod!!", "letters, digits, '-', '.' and '_'", id="name"),
        pytest.param("volumes", "data", "a list of k8s.V1Volume", id="volumes"),
        pytest.param("volume_mounts", {"name": "d"}, "a list of k8s.V1VolumeMount", id="mounts-dict"),
        pytest.param("tolerations", {"key": "a"}, "a list of k8s.V1Toleration", id="tolerations-dict"),
        pytest.param("affinity", "zone-a", "k8s.V1Affinity", id="affinity"),
        pytest.param("node_selector", ["pool=a"], "a dict of label keys", id="node-selector"),
        pytest.param("labels", "team=data", "a dict of label keys", id="labels"),
        pytest.param("annotations", {"a": 1}, "got a dict with an int value", id="annotations-number"),
        pytest.param("image_pull_secrets", ["registry"], "k8s.V1LocalObjectReference", id="pull-secrets"),
        pytest.param("ports", 8080, "a list of k8s.V1ContainerPort", id="ports"),
    ],
)
def test_a_literal_of_the_wrong_type_is_a_dag_import_error(argument: str, value: Any, says: str) -> None:
    with pytest.raises(ComposerPodInputError) as info:
        ComposerPodOperator(task_id="t", image="busybox", **{argument: value})

    message = str(info.value)
    assert message.startswith(f"{argument}={value!r} is not valid: ")  # the argument and the value it got
    assert says in message
    assert "Fix: pass " in message or "Fix: use " in message


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        pytest.param("cmds", ["bash", "-c", "echo {{ ds }}"], id="cmds"),
        pytest.param("cmds", "{{ params.cmds }}", id="cmds-template"),
        pytest.param("env_vars", {"A": "1"}, id="env-dict"),
        pytest.param("env_vars", [k8s.V1EnvVar(name="A", value="1")], id="env-models"),
        pytest.param("env_vars", [{"name": "A", "value": "1"}], id="env-dicts"),
        pytest.param("env_vars", {"A": None}, id="env-unset-value"),
        pytest.param("annotations", {"a": None}, id="annotations-none-value"),
        pytest.param("container_resources", {"requests": {"memory": "1Gi"}}, id="resources-dict"),
        pytest.param("container_resources", k8s.V1ResourceRequirements(requests={"memory": "1Gi"}), id="resources"),
        pytest.param("tolerations", [{"key": "a", "operator": "Exists"}], id="tolerations-dicts"),
        pytest.param("affinity", {"nodeAffinity": {}}, id="affinity-dict"),
        pytest.param("labels", {"team": "data", "empty": None}, id="labels-none-value"),
        pytest.param("labels", {"zero": 0, "false": False, "ratio": 0.5}, id="labels-scalars"),  # KPO makes strings
        pytest.param("env_vars", ["{{ dag.dag_id }}"], id="env-list-of-templates"),  # each item rendered
        pytest.param("name", "My_Pod.v2", id="name-kpo-lowercases"),
        pytest.param("image_pull_secrets", "a,b", id="pull-secrets-string"),
        pytest.param("ports", [LegacyPort()], id="ports-legacy-object"),
        pytest.param("cmds", "", id="empty-is-unset"),
        pytest.param("node_selector", "{{ params.selector }}", id="node-selector-template"),
        pytest.param("volumes", "{{ params.volumes }}", id="volumes-template"),
        pytest.param("volume_mounts", "{{ params.mounts }}", id="mounts-template"),
    ],
)
def test_what_kpo_accepts_is_accepted(argument: str, value: Any) -> None:
    template = isinstance(value, str) and "{{" in value
    if template:  # older providers template fewer fields, and some check a template string's type themselves
        named = {"name": "t"} if compat.REQUIRES_POD_NAME else {}  # 4.x requires a name
        try:
            compat.KubernetesPodOperator(task_id="t", image="busybox", **named, **{argument: value})
            refused = argument not in compat.KubernetesPodOperator.template_fields  # a literal string, then
        except (AirflowException, ValueError, TypeError):
            refused = True
        if refused:  # what the installed KPO cannot render or take, ours refuses too
            with pytest.raises((AirflowException, ValueError, TypeError)):  # ComposerPodInputError is a ValueError
                ComposerPodOperator(task_id="t", image="busybox", **{argument: value})
            return
    ComposerPodOperator(task_id="t", image="busybox", **{argument: value})


def test_a_template_is_checked_once_rendered_before_the_pod_is_built() -> None:
    from airflow import DAG

    with DAG("types", start_date=datetime(2024, 1, 1), schedule=None, params={"cmds": "echo hi"}):
        task = ComposerPodOperator(task_id="t", image="busybox", cmds="{{ params.cmds }}")
    task.render_template_fields({"params": {"cmds": "echo hi"}})

    assert task.cmds == "echo hi"
    with pytest.raises(ComposerPodInputError, match=r"^cmds='echo hi' is not valid: .* Fix: pass a list"):
        task.build_pod_request_obj({})
