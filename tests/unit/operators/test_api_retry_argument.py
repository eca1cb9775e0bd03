"""``api_retry_timeout``: checked when the DAG is parsed, and the policy of every API client the task builds."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod import ComposerPodOperator
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.kube.retries import DEFAULT_API_RETRY_TIMEOUT


def test_unset_means_the_connection_or_the_default():
    op = ComposerPodOperator(task_id="t", image="ubuntu")

    assert op.api_retry_timeout is None
    assert op.composer_connection.api_retry_timeout is None
    assert "api_retry_timeout" not in vars(op)  # a class default: no per-instance cost at parse time


def test_the_argument_is_the_policy():
    op = ComposerPodOperator(task_id="t", image="ubuntu", api_retry_timeout=45)

    assert op.api_retry_policy.timeout == 45
    assert op.composer_connection.retry_policy is op.api_retry_policy


def test_the_default_is_a_few_minutes():
    assert 60 <= DEFAULT_API_RETRY_TIMEOUT <= 600


@pytest.mark.parametrize(
    "value", [pytest.param(-5, id="negative"), pytest.param("1h", id="unit"), pytest.param(10**6, id="huge")]
)
def test_a_bad_literal_is_a_dag_import_error(value):
    with pytest.raises(ComposerPodInputError) as info:
        ComposerPodOperator(task_id="t", image="ubuntu", api_retry_timeout=value)

    assert str(info.value).startswith(f"api_retry_timeout={value!r} is not valid")
    assert "Fix:" in str(info.value)
