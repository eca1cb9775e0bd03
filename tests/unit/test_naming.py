from __future__ import annotations

import re

import pytest

from airflow_provider_composer_pod.naming import pod_name_from_task_id

DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.mark.parametrize(
    ("task_id", "expected"),
    [
        pytest.param("pod-ex-minimum", "pod-ex-minimum", id="already-valid"),
        pytest.param("Ex_All.Configs", "ex-all-configs", id="case-dots-underscores"),
        pytest.param("group.run_task__1", "group-run-task-1", id="task-group-prefix"),
        pytest.param("___", None, id="nothing-valid"),
        pytest.param("x" * 200, None, id="too-long"),
        pytest.param("9lives", "9lives", id="leading-digit"),
    ],
)
def test_pod_name_is_dns_1123(task_id, expected):
    name = pod_name_from_task_id(task_id)

    assert DNS_1123.match(name), name
    assert len(name) <= 54
    if expected is not None:
        assert name == expected


def test_long_task_ids_stay_distinct():
    assert pod_name_from_task_id("a" * 100 + "1") != pod_name_from_task_id("a" * 100 + "2")
