"""Bad input, fuzzed (issue 8, test 9): operator arguments, resources, names, manifests and connection extras.

Each generated input goes through what a task does with it, against the emulator: the operator is constructed (DAG
parse), the kube config is resolved (execute's first step), the pod is built and handed to ``get_or_create_pod``
(the pre-flight, then the create), in KPO's own order. Whatever comes out must be one of our typed errors (or
Airflow's own ``AirflowException``), never a traceback ending inside the Kubernetes client or urllib3, and a rejected
input must leave no pod behind. Inputs that are valid create exactly one pod (deleted again).

``make test`` runs a bounded number of examples; ``FUZZ_EXAMPLES=5000 pytest tests/integration/test_bad_input_fuzz.py``
runs more. The summary line (``bad-input fuzz: ...``) gives the figures quoted in docs/reliability.md.
"""

from __future__ import annotations

import json
import math
import os
import traceback
from collections import Counter
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Dict, Iterator, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_composer_pod import ComposerPodOperator, compat, k8s
from airflow_provider_composer_pod.errors import ComposerPodInputError
from tests.integration.conftest import created_pods

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
NAMESPACE = "composer-user-workloads"
# The innermost frame of an error may not be in these packages: that is a traceback from deep inside the client.
DEEP = ("site-packages/kubernetes/", "site-packages/kubernetes_asyncio/", "site-packages/urllib3/")

junk = st.text(alphabet="abcXY-._ 0/9é{}:\n\t", max_size=14)
name_like = st.one_of(junk, st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), st.sampled_from(["", "a" * 70]))
quantity = st.one_of(
    st.sampled_from(["500m", "1Gi", "-1", "abc", "1e3", "0.1m", "2", "", "1Ki", "200Gi", "0", "1.5", "Gi", "1ii"]),
    junk,
    st.integers(-5, 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
)
resource_names = st.sampled_from(["cpu", "memory", "ephemeral-storage", "nvidia.com/gpu", "gpu", ""])
resources = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["requests", "limits", "bogus"]),
        st.dictionaries(resource_names, quantity, max_size=3),
        max_size=2,
    ),
    st.dictionaries(
        st.sampled_from(["limit_cpu", "limit_memory", "request_cpu", "request_memory"]), quantity, max_size=3
    ),
    st.builds(
        k8s.V1ResourceRequirements,
        requests=st.dictionaries(resource_names, quantity, max_size=3),
        limits=st.dictionaries(resource_names, quantity, max_size=3),
    ),
)
label_map = st.dictionaries(junk | name_like, junk | name_like | st.integers(-3, 3), max_size=3)
operator_arguments = st.fixed_dictionaries(
    {"image": st.one_of(st.just("busybox"), st.just("busybox"), junk)},
    optional={
        "name": name_like,
        "namespace": name_like,
        "cmds": st.lists(junk, max_size=3),
        "arguments": st.lists(junk, max_size=3),
        "env_vars": st.one_of(
            st.dictionaries(junk | name_like, junk, max_size=3),
            st.lists(st.builds(k8s.V1EnvVar, name=junk | name_like, value=junk), max_size=2),
        ),
        "labels": label_map,
        "annotations": label_map,
        "container_resources": resources,
        "node_selector": label_map,
        "config_maps": st.lists(name_like, max_size=2),
        "failure_log_lines": st.one_of(st.integers(-3, 2000), junk, st.booleans()),
        "api_retry_timeout": st.one_of(st.floats(allow_nan=True, allow_infinity=True), junk),
        "startup_wait": st.one_of(st.sampled_from(["block", "defer"]), junk),
        "composer_generation": st.one_of(st.sampled_from([1, 2, 3, "auto"]), junk, st.integers(-1, 9)),
        "service_account_name": name_like,
        "strict_validation": st.booleans(),
        "image_pull_policy": st.one_of(st.sampled_from(["Always", "IfNotPresent", "Never"]), junk),
        "tolerations": st.lists(
            st.fixed_dictionaries({"key": junk, "operator": st.sampled_from(["Equal", "Exists", "Bogus"])}), max_size=2
        ),
        "pod_template_dict": st.one_of(
            st.just({"spec": {"containers": "not-a-list"}}),
            st.builds(lambda n: {"metadata": {"name": n}, "spec": {"containers": [{"name": "base"}]}}, name_like),
            st.builds(lambda n: {"spec": {"containers": [{"name": n, "image": "busybox"}]}}, name_like),
            st.builds(lambda v: {"spec": {"volumes": [{"name": v}], "containers": [{"name": "base"}]}}, name_like),
        ),
    },
)
connection_extras = st.fixed_dictionaries(
    {},
    optional={
        "namespace": name_like,
        "in_cluster": st.one_of(st.booleans(), junk),
        "composer_generation": st.one_of(junk, st.integers(-1, 9)),
        "strict_validation": st.one_of(st.booleans(), junk),
        "api_retry_timeout": st.one_of(st.floats(allow_nan=True), junk),
        "cluster_context": junk,
    },
)
manifest_inputs = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["Secret", "ConfigMap"]),
        "name": name_like,
        # Values are registered with the process-wide secrets masker: long, one line and unmistakable, so that they
        # cannot mask other tests' text (Airflow 2.6's masker has no minimum length).
        "literals": st.dictionaries(
            junk | name_like,
            st.text(alphabet="abcXY-._ 0/9é{}:", max_size=14).map(lambda value: f"fuzz-value-{value}"),
            max_size=3,
        ),
    },
    optional={"namespace": name_like},
)

# Issue 19: a value of the wrong type for each argument KPO passes into the client's models as it is.
TYPED_ARGUMENTS = (
    "cmds",
    "arguments",
    "env_vars",
    "container_resources",
    "volumes",
    "volume_mounts",
    "tolerations",
    "affinity",
    "node_selector",
    "labels",
    "annotations",
    "name",
    "image_pull_secrets",
    "ports",
)
scalar = st.one_of(st.integers(1, 10**6), st.floats(0.5, 1e6), st.just(True), st.builds(object))
any_type = st.one_of(
    scalar,
    junk.filter(bool),
    st.lists(scalar | junk, min_size=1, max_size=2),
    st.dictionaries(junk, scalar | junk, min_size=1, max_size=2),
    st.sampled_from(["echo hi", "4Gi", "A=1", "My_Pod!!", "a=b"]),
    st.builds(lambda items: items, st.lists(st.sampled_from(["A=1", "s", "80"]), min_size=1, max_size=2)),
)

OUTCOMES: Counter = Counter()


def _innermost_file(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return frames[-1].filename if frames else ""


def assert_clear_error(error: BaseException) -> None:
    from airflow.exceptions import AirflowException

    where = _innermost_file(error)
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert isinstance(error, (ComposerPodInputError, AirflowException)), trace
    assert not any(part in where for part in DEEP), trace
    assert str(error).strip(), trace


@pytest.fixture
def connection(k8s_emulator: Any) -> Iterator[Any]:
    """Set ``kubernetes_default`` per example (hypothesis runs many examples in one test call)."""
    saved = os.environ.get("AIRFLOW_CONN_KUBERNETES_DEFAULT")

    def use(extras: Dict[str, Any]) -> None:
        extra = {"kube_config_path": k8s_emulator.kubeconfig_path, **extras}
        os.environ["AIRFLOW_CONN_KUBERNETES_DEFAULT"] = json.dumps({"conn_type": "kubernetes", "extra": extra})

    yield use
    if saved is not None:
        os.environ["AIRFLOW_CONN_KUBERNETES_DEFAULT"] = saved


def run_task_steps(arguments: Dict[str, Any]) -> Any:
    """What a task run does with its arguments up to the create, in KPO's order."""
    from airflow import DAG

    with DAG("fuzz", start_date=datetime(2024, 1, 1), schedule=None):
        task = ComposerPodOperator(task_id="fuzz", **arguments)
    task._settle_config()  # execute's first step, as ComposerPodOperator.execute does it
    ti = SimpleNamespace(dag_id="fuzz", task_id="fuzz", run_id="fuzz-run", try_number=1, map_index=-1)
    context = {"ti": ti, "task_instance": ti, "run_id": "fuzz-run", "dag": task.dag, "task": task}
    try:
        request = task.build_pod_request_obj(context)
        return task.get_or_create_pod(request, context)
    finally:
        if "client" in vars(task):  # thousands of examples: close each one's connection pool
            task.client.api_client.close()


def _check(emulator: Any, attempt: Any, kind: str) -> Optional[Any]:
    emulator.clear_requests()
    error: Optional[BaseException] = None
    try:
        result = attempt()
    except Exception as raised:
        error = raised
    if error is None:
        OUTCOMES[f"{kind} accepted"] += 1
        return result
    # The property: a clear, typed error, and no pod.
    assert_clear_error(error)
    assert created_pods(emulator) == [], str(error)
    assert emulator.list("pods", NAMESPACE) == []
    OUTCOMES[f"{kind} rejected"] += 1
    return None


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(arguments=operator_arguments, extras=connection_extras)
def test_operator_arguments_and_connection_extras(k8s_emulator, connection, arguments, extras):
    k8s_emulator.clear_scenarios()
    k8s_emulator.scenario(image="*", unschedulable_for=math.inf)  # a valid pod is only created, never run
    connection(extras)

    pod = _check(k8s_emulator, lambda: run_task_steps(arguments), "task")

    if pod is not None:
        assert len(created_pods(k8s_emulator)) == 1
        k8s_emulator.delete("pods", pod.metadata.name, pod.metadata.namespace)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(manifest=manifest_inputs)
def test_manifests_applied_with_the_hook(k8s_emulator, connection, manifest):
    from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
    from airflow_provider_composer_pod.workloads.manifest_sources import config_map_manifest, secret_manifest

    connection({"namespace": NAMESPACE})
    build = secret_manifest if manifest["kind"] == "Secret" else config_map_manifest

    def apply() -> Any:
        made = build(manifest["name"], literals=manifest["literals"], namespace=manifest.get("namespace"))
        hook = ComposerPodHook(conn_id="kubernetes_default")
        try:
            if manifest["kind"] == "Secret":
                return hook.create_or_replace_secret(made)
            return hook.create_or_replace_config_map(made)
        finally:
            if "core_v1_client" in vars(hook):
                hook.core_v1_client.api_client.close()

    _check(k8s_emulator, apply, "manifest")


def _rejected_at_once(argument: str, attempt: Any) -> Optional[ComposerPodInputError]:
    try:
        attempt()
    except ComposerPodInputError as error:
        return error
    except Exception as error:  # another typed error is fine (a valid type, a bad value): never a client traceback
        assert_clear_error(error)
    return None


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
@given(argument=st.sampled_from(TYPED_ARGUMENTS), value=any_type)
def test_wrong_types_fail_before_any_pod_as_literals_and_after_rendering(k8s_emulator, connection, argument, value):
    from airflow import DAG

    from airflow_provider_composer_pod.validation.arguments import RULES

    k8s_emulator.clear_scenarios()
    k8s_emulator.scenario(image="*", unschedulable_for=math.inf)
    connection({})
    wrong = isinstance(value, (int, float, bool)) or type(value) is object or not RULES[argument][0](value)

    # as a literal, at construction (DAG parse)
    def construct() -> Any:
        with DAG("fuzz-types", start_date=datetime(2024, 1, 1), schedule=None):
            return ComposerPodOperator(task_id="t", image="busybox", **{argument: value})

    parsed = _rejected_at_once(argument, construct)
    # as a rendered template (the value a template rendered to), right before the pod is built
    task = ComposerPodOperator(task_id="t", image="busybox")
    # the resources live under the installed provider's attribute (k8s_resources on 4.x)
    setattr(task, compat.RESOURCES_ATTRIBUTE if argument == "container_resources" else argument, value)
    emulator_requests = len(k8s_emulator.requests())
    rendered = _rejected_at_once(argument, lambda: task.build_pod_request_obj({}))

    # A string with Jinja in a template field is a template: Airflow renders it first, so only its rendered value is
    # checked.
    template = (
        argument in ComposerPodOperator.template_fields and isinstance(value, str) and ("{{" in value or "{%" in value)
    )
    if wrong:
        assert parsed is None or not template
        for error in (rendered,) if template else (parsed, rendered):
            assert error is not None, (argument, value)
            assert error.parameter == argument
            assert error.value is value  # the value it got, quoted in the message
            assert f"{argument}=" in str(error)
            assert "Fix: " in str(error)
        assert len(k8s_emulator.requests()) == emulator_requests  # nothing sent: no pod
    OUTCOMES[f"argument type {'rejected' if wrong else 'valid (left to the other checks)'}"] += 1
    assert created_pods(k8s_emulator) == []


def test_zz_fuzz_summary(capsys):
    """The figures for docs/reliability.md (runs after the fuzz tests in this module)."""
    if not OUTCOMES:
        pytest.skip("the fuzz tests did not run")
    tried = sum(OUTCOMES.values())
    with capsys.disabled():
        print(f"\nbad-input fuzz: {tried} inputs tried; " + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items())))


def test_a_pod_without_an_image_is_the_api_servers_to_refuse(k8s_emulator, connection):
    """image=None goes to the API as with KPO (a pod template can supply the image); its 422 is a typed error, and no
    pod exists. A present but malformed image still fails in the pre-flight, before any request."""
    from airflow_provider_composer_pod.validation.pod_fields import ComposerPodRejectedError

    connection({})
    k8s_emulator.clear_requests()

    with pytest.raises(ComposerPodRejectedError, match=r"spec\.containers\[0\]\.image: Required value"):
        run_task_steps({"image": None})
    assert [r.status for r in created_pods(k8s_emulator, acted_on=False)] == [422]
    assert k8s_emulator.list("pods", NAMESPACE) == []

    k8s_emulator.clear_requests()
    with pytest.raises(ComposerPodInputError, match="image=' busybox' is not valid"):
        run_task_steps({"image": " busybox"})
    assert created_pods(k8s_emulator, acted_on=False) == []
