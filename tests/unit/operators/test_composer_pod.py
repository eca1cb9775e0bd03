from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from airflow_provider_composer_pod import ComposerPodOperator, KubernetesPodOperator, compat, k8s
from airflow_provider_composer_pod.compat import REQUIRES_POD_NAME
from airflow_provider_composer_pod.operators.composer_pod import DEFAULT_STARTUP_TIMEOUT_SECONDS

OUR_TEMPLATE_FIELDS = {"config_maps"}


def test_template_fields_are_kpo_fields_plus_ours():
    assert set(ComposerPodOperator.template_fields) == set(KubernetesPodOperator.template_fields) | OUR_TEMPLATE_FIELDS
    assert len(ComposerPodOperator.template_fields) == len(set(ComposerPodOperator.template_fields))


def test_task_id_and_image_are_enough():
    op = ComposerPodOperator(task_id="pod-ex-minimum", image="ubuntu")

    # KPO derives the pod's name from task_id (5.0+); 4.x requires one, which we derive as the newest provider does.
    assert op.name == ("pod-ex-minimum" if REQUIRES_POD_NAME else None)
    assert op.kubernetes_conn_id == "kubernetes_default"
    assert op.startup_timeout_seconds == DEFAULT_STARTUP_TIMEOUT_SECONDS == 600
    # Gaps stay gaps at construction: they are filled at execute, where a template or connection may fill them.
    assert op.namespace is None
    assert op.config_file is None


def test_explicit_arguments_win():
    op = ComposerPodOperator(
        task_id="t",
        image="ubuntu",
        name="mine",
        namespace="team-a",
        startup_timeout_seconds=30,
        kubernetes_conn_id="other",
        config_file="/tmp/kc",
    )

    assert (op.name, op.namespace, op.startup_timeout_seconds) == ("mine", "team-a", 30)
    assert (op.kubernetes_conn_id, op.config_file) == ("other", "/tmp/kc")


def test_name_left_to_pod_template(tmp_path):
    template = tmp_path / "pod.yaml"
    template.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-template\n")

    op = ComposerPodOperator(task_id="t", image="ubuntu", pod_template_file=str(template))

    assert op.name is None


def test_construction_does_no_file_or_network_io():
    events: list[tuple[str, tuple]] = []
    watching = [False]

    def audit(event: str, args: tuple) -> None:
        if watching[0] and event in ("open", "socket.connect", "socket.getaddrinfo", "os.listdir", "os.scandir"):
            events.append((event, args))

    sys.addaudithook(audit)
    ComposerPodOperator(task_id="warm-up", image="ubuntu")  # first construction may import lazily
    watching[0] = True
    try:
        for i in range(20):
            ComposerPodOperator(task_id=f"task-{i}", image="ubuntu", cmds=["echo"], env_vars={"A": "b"})
    finally:
        watching[0] = False

    assert events == []


def _build(op: ComposerPodOperator) -> k8s.V1Pod:
    return op.build_pod_request_obj()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, "composer-user-workloads", id="outside-composer"),
        pytest.param({"COMPOSER_ENVIRONMENT": "e", "COMPOSER_VERSION": "1.20.12"}, "default", id="composer-1"),
        pytest.param(
            {"COMPOSER_ENVIRONMENT": "e", "COMPOSER_VERSION": "2.9.7"}, "composer-user-workloads", id="composer-2"
        ),
        pytest.param(
            {"COMPOSER_ENVIRONMENT": "e", "COMPOSER_VERSION": "3"}, "composer-user-workloads", id="composer-3"
        ),
    ],
)
def test_namespace_default_follows_generation(monkeypatch, offline_kubeconfig, environ, expected):
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    op = ComposerPodOperator(task_id="t", image="ubuntu", config_file=offline_kubeconfig)

    assert _build(op).metadata.namespace == expected


def test_composer_generation_argument_overrides_detection(monkeypatch, offline_kubeconfig):
    monkeypatch.setenv("COMPOSER_VERSION", "2.9.7")
    op = ComposerPodOperator(task_id="t", image="ubuntu", config_file=offline_kubeconfig, composer_generation=1)

    assert _build(op).metadata.namespace == "default"


def test_connection_namespace_wins_over_composer_default(kubernetes_connection, offline_kubeconfig):
    kubernetes_connection(namespace="from-connection")
    op = ComposerPodOperator(task_id="t", image="ubuntu", config_file=offline_kubeconfig)

    assert _build(op).metadata.namespace == "from-connection"


def test_prefixed_connection_namespace_wins_too(kubernetes_connection, offline_kubeconfig):
    kubernetes_connection(extra__kubernetes__namespace="prefixed")
    op = ComposerPodOperator(task_id="t", image="ubuntu", config_file=offline_kubeconfig)

    assert _build(op).metadata.namespace == "prefixed"


def test_kpos_own_hook_reads_a_composer_pod_connection_as_we_do(kubernetes_connection, offline_kubeconfig):
    # KPO's KubernetesHook alone knows neither the composer_pod type's prefix nor (4.x) unprefixed keys.
    kubernetes_connection(
        "composer_team", "composer_pod", extra__composer_pod__namespace="team-a", extra__composer_pod__in_cluster=False
    )
    op = ComposerPodOperator(
        task_id="t", image="ubuntu", config_file=offline_kubeconfig, kubernetes_conn_id="composer_team"
    )

    assert type(op.hook) is compat.KubernetesHook
    assert op.hook._get_field("namespace") == "team-a"
    if not compat.REQUIRES_POD_NAME:  # 5.0+ asks the hook; 4.x's get_namespace reads the connection itself, unasked
        assert op.hook.get_namespace() == "team-a"
    assert _build(op).metadata.namespace == "team-a"


def test_pod_template_namespace_wins(tmp_path, kubernetes_connection, offline_kubeconfig):
    kubernetes_connection(namespace="from-connection")
    template = tmp_path / "pod.yaml"
    template.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "tpl", "namespace": "from-template"},
                "spec": {"containers": [{"name": "base", "image": "ubuntu"}]},
            }
        )
    )
    op = ComposerPodOperator(task_id="t", pod_template_file=str(template), config_file=offline_kubeconfig)

    pod = _build(op)

    assert pod.metadata.namespace == "from-template"
    assert pod.metadata.name.startswith("tpl")


def test_full_pod_spec_namespace_wins(offline_kubeconfig):
    spec = k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="full", namespace="from-spec"),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", image="ubuntu")]),
    )
    op = ComposerPodOperator(task_id="t", full_pod_spec=spec, config_file=offline_kubeconfig)

    assert _build(op).metadata.namespace == "from-spec"


def test_derived_name_gets_kpo_suffix(offline_kubeconfig):
    op = ComposerPodOperator(task_id="Ex_All.Configs", image="ubuntu", config_file=offline_kubeconfig)

    name = _build(op).metadata.name

    assert name.startswith("ex-all-configs-")
    assert len(name) == len("ex-all-configs-") + 8


def test_startup_timeout_reaches_the_schedule_timeout_too():
    op = ComposerPodOperator(task_id="t", image="ubuntu")

    assert getattr(op, "schedule_timeout_seconds", 600) == 600


def test_hook_is_built_lazily_from_operator_fields():
    op = ComposerPodOperator(
        task_id="t",
        image="ubuntu",
        kubernetes_conn_id="c",
        config_file="/x",
        cluster_context="ctx",
        in_cluster=False,
        composer_generation=3,
    )
    assert "hook" not in op.__dict__

    hook = op.hook

    # KubernetesPodOperator's own hook (its seam, which its tests and plugins patch), read through our connection.
    assert type(hook) is compat.KubernetesHook
    assert (hook.conn_id, hook.config_file, hook.cluster_context, hook.in_cluster) == ("c", "/x", "ctx", False)
    assert op.composer_connection.hook is hook
    assert op.composer_connection.environment.generation == 3


def test_guide_example_dag_files_are_plain_python():
    # The examples import only from our package and Airflow: no provider-version-specific paths.
    for path in (Path(__file__).parents[3] / "example_dags").glob("*.py"):
        text = path.read_text()
        assert "airflow.providers.cncf" not in text, path.name
        assert "airflow.kubernetes" not in text, path.name


def test_one_import_path_for_everything_a_dag_needs():
    from packaging.version import Version

    import airflow_provider_composer_pod as package
    from airflow_provider_composer_pod.compat import PROVIDER_VERSION

    assert package.KubernetesPodOperator.__name__ == "KubernetesPodOperator"
    assert package.Secret.__name__ == "Secret"
    assert package.k8s.V1Pod.__name__ == "V1Pod"
    if PROVIDER_VERSION >= Version("5.2.0"):
        assert package.KubernetesPodTrigger.__name__ == "KubernetesPodTrigger"
    else:
        with pytest.raises(ImportError, match="it arrived in 5.2.0"):
            package.KubernetesPodTrigger  # noqa: B018


def test_an_argument_newer_than_the_installed_provider_names_the_version_it_needs():
    from packaging.version import Version

    from airflow_provider_composer_pod.compat import PROVIDER_VERSION
    from airflow_provider_composer_pod.compat.kpo_arguments import FIRST_PROVIDER_VERSION
    from airflow_provider_composer_pod.errors import ComposerPodInputError

    newer = sorted(name for name, first in FIRST_PROVIDER_VERSION.items() if Version(first) > PROVIDER_VERSION)
    if not newer:
        pytest.skip(f"cncf-kubernetes {PROVIDER_VERSION} takes every argument we know of")

    with pytest.raises(ComposerPodInputError, match=r"needs apache-airflow-providers-cncf-kubernetes>=") as raised:
        ComposerPodOperator(task_id="t", image="ubuntu", **{newer[0]: object()})

    assert str(raised.value).startswith(f"{newer[0]} is not valid: needs")
    assert f"this environment has {PROVIDER_VERSION}" in str(raised.value)
