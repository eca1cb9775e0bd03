"""A connection whose extra is not a JSON object fails with its id and the JSON error (issue 19, item 4).

Airflow logs the JSON error and reads such an extra as empty, so the hook used to go on with no kube config, no
namespace, and fall back to ``~/.kube/config``. A secrets backend (or Airflow 2's metadata database) can hand one out.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow_provider_composer_pod.errors import ComposerPodConfigError
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook


def _hook_reading(extra: str) -> ComposerPodHook:
    hook = ComposerPodHook(conn_id="from_backend")
    # What a secrets backend returns: Airflow's connection, with the extra it stored and the empty dict it parsed.
    hook.composer_connection.read_connection = lambda conn_id: SimpleNamespace(extra=extra, extra_dejson={})
    return hook


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        pytest.param('{"namespace": ', "is not valid JSON (Expecting value: line 1 column 15 (char 14))", id="broken"),
        pytest.param('["namespace"]', "is JSON but not an object (it is a list)", id="list"),
    ],
)
def test_extra_not_a_json_object(extra, said):
    hook = _hook_reading(extra)

    with pytest.raises(ComposerPodConfigError) as raised:
        hook.get_namespace()
    ok, message = _hook_reading(extra).test_connection()

    assert str(raised.value).startswith(f"Connection 'from_backend': its extra {said}. Fix: ")
    assert not ok
    assert message == str(raised.value)


def test_empty_extra_is_no_extras():
    hook = _hook_reading("")

    assert hook.composer_connection.kube_extras == {}
