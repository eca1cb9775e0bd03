"""Counts in messages: "1 pod", "2 pods"."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.errors import ComposerPodValidationError
from airflow_provider_composer_pod.validation.model import Finding
from airflow_provider_composer_pod.wording import counted


@pytest.mark.parametrize(
    ("number", "noun", "plural", "expected"),
    [
        pytest.param(0, "pod", None, "0 pods", id="zero"),
        pytest.param(1, "pod", None, "1 pod", id="one"),
        pytest.param(2, "pod", None, "2 pods", id="two"),
        pytest.param(1, "log line", None, "1 log line", id="two-words-one"),
        pytest.param(5, "log line", None, "5 log lines", id="two-words-many"),
        pytest.param(1, "entry", "entries", "1 entry", id="irregular-one"),
        pytest.param(3, "entry", "entries", "3 entries", id="irregular-many"),
    ],
)
def test_counted(number, noun, plural, expected):
    assert counted(number, noun, plural) == expected


def test_one_problem_is_singular():
    finding = Finding("error", "t", "resources.requests.memory", "200Gi", "exceeds 110Gi", "autopilot.yaml", "lower it")

    message = str(ComposerPodValidationError([finding]))

    assert message.splitlines()[0] == "1 problem would stop this pod on Cloud Composer:"
