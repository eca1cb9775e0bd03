"""Pod names: ComposerPodOperator's are KubernetesPodOperator's, on every provider that derives one from task_id.

Provider 4.x requires ``name``; there ComposerPodOperator passes the name the newest provider derives, so the
``newest`` column (cncf-kubernetes 10.25's ``create_unique_id``, before its random suffix) holds on those cells too.
"""

from __future__ import annotations

import re

import pytest

from airflow_provider_composer_pod import ComposerPodOperator, KubernetesPodOperator
from airflow_provider_composer_pod.compat import PROVIDER_VERSION, REQUIRES_POD_NAME, build_pod_offline

SUFFIX = re.compile(r"-[a-z0-9]{8}$")
# 5.x and 6.x cut derived names at 80 characters; 7.0 brought the 63 of the newest provider.
CUTS_AT_63 = REQUIRES_POD_NAME or PROVIDER_VERSION.major >= 7

NAMES = [
    # task_id, newest provider's name without suffix, and with room for the suffix (before it is added)
    pytest.param("pod-ex-minimum", "pod-ex-minimum", "pod-ex-minimum", id="already-valid"),
    pytest.param("Ex_All.Configs", "ex-all-configs", "ex-all-configs", id="case-dots-underscores"),
    pytest.param(".hi.-_09HI", "hi-09hi", "hi-09hi", id="leading-dot-mixed"),
    pytest.param("group.run_task__1", "group-run-task-1", "group-run-task-1", id="task-group-prefix"),
    pytest.param("9lives", "9lives", "9lives", id="leading-digit"),
    pytest.param("UPPER_CASE", "upper-case", "upper-case", id="capitals"),
    pytest.param("a.b.c", "a-b-c", "a-b-c", id="dots"),
    pytest.param("trailing-", "trailing", "trailing", id="trailing-dash"),
    pytest.param("__leading", "leading", "leading", id="leading-underscores"),
    pytest.param("-dash-", "dash", "dash", id="dashes-around"),
    pytest.param("task--double", "task-double", "task-double", id="double-dash"),
    pytest.param("données_été", "donnees-ete", "donnees-ete", id="unicode-accents"),
    pytest.param("Ünïcödé-Task", "unicode-task", "unicode-task", id="unicode-capitals"),
    pytest.param("日本語_task", "ri-ben-yu-task", "ri-ben-yu-task", id="unicode-cjk"),
    pytest.param("x" * 63, "x" * 63, "x" * 54, id="63-characters"),
    pytest.param("x" * 64, "x" * 63, "x" * 54, id="64-characters"),
    pytest.param("y" * 62 + "_z", "y" * 62, "y" * 54, id="cut-at-a-separator"),
    pytest.param("a" * 250, "a" * 63, "a" * 54, id="250-characters"),
    pytest.param("g" * 53 + ".h" * 6, "g" * 53 + "-h" * 5, "g" * 53, id="cut-before-the-suffix-at-a-dot"),
    pytest.param(
        "_".join("abcdefghijklmnopqrstuvwxyz0123456789"),
        "-".join("abcdefghijklmnopqrstuvwxyz012345"),
        "-".join("abcdefghijklmnopqrstuvwxyz0"),
        id="many-separators",
    ),
]


@pytest.fixture(autouse=True)
def kubernetes_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stock KPO 6.x reads kubernetes_default while it builds a pod, and raises when it does not exist."""
    monkeypatch.setenv("AIRFLOW_CONN_KUBERNETES_DEFAULT", '{"conn_type": "kubernetes", "extra": {"namespace": "ns"}}')


def _name(operator_class: type, task_id: str, **kwargs: object) -> str:
    return build_pod_offline(operator_class(task_id=task_id, image="ubuntu", **kwargs)).metadata.name


@pytest.mark.skipif(REQUIRES_POD_NAME, reason="cncf-kubernetes 4.x derives no pod name: it requires name")
@pytest.mark.parametrize(("task_id", "unsuffixed", "suffixed"), NAMES)
def test_pod_names_are_kubernetes_pod_operators(task_id, unsuffixed, suffixed):
    ours, kpo = _name(ComposerPodOperator, task_id), _name(KubernetesPodOperator, task_id)

    assert SUFFIX.search(ours), ours
    assert SUFFIX.sub("", ours) == SUFFIX.sub("", kpo)
    assert len(ours) == len(kpo)
    assert _name(ComposerPodOperator, task_id, random_name_suffix=False) == _name(
        KubernetesPodOperator, task_id, random_name_suffix=False
    )


@pytest.mark.skipif(not CUTS_AT_63, reason="cncf-kubernetes 5.x and 6.x cut derived names at 80 characters")
@pytest.mark.parametrize(("task_id", "unsuffixed", "suffixed"), NAMES)
def test_pod_names_are_the_newest_providers(task_id, unsuffixed, suffixed):
    suffixed_name = _name(ComposerPodOperator, task_id)

    assert SUFFIX.sub("", suffixed_name) == suffixed
    assert len(suffixed_name) == len(suffixed) + 9 <= 63
    assert _name(ComposerPodOperator, task_id, random_name_suffix=False) == unsuffixed


def test_a_given_name_is_kept():
    assert SUFFIX.sub("", _name(ComposerPodOperator, "t", name="mine")) == "mine"
    assert _name(ComposerPodOperator, "t", name="mine", random_name_suffix=False) == "mine"
