"""The store's copies (``testing/apiserver/clone``): equal, independent, and the same types as the original."""

from __future__ import annotations

import enum
from collections import OrderedDict

from airflow_provider_composer_pod.testing.apiserver.clone import clone


class Phase(str, enum.Enum):
    PENDING = "Pending"


def test_json_data_is_copied_whole_and_independent():
    original = {"metadata": {"name": "p", "labels": {"a": "1"}}, "spec": {"containers": [{"args": ["x", 1, 2.5]}]}}
    original["status"] = {"phase": "Pending", "ready": False, "count": 0, "message": None}

    copied = clone(original)
    copied["metadata"]["labels"]["a"] = "2"
    copied["spec"]["containers"][0]["args"].append("y")

    assert original["metadata"]["labels"] == {"a": "1"}
    assert original["spec"]["containers"][0]["args"] == ["x", 1, 2.5]
    assert clone(original) == original
    assert list(clone(original)) == ["metadata", "spec", "status"]  # key order kept
    assert clone(original)["status"]["ready"] is False


def test_what_marshal_cannot_copy_is_deep_copied_with_its_types():
    original = {"phase": Phase.PENDING, "ordered": OrderedDict(a=[1])}

    copied = clone(original)

    assert copied["phase"] is Phase.PENDING
    assert type(copied["ordered"]) is OrderedDict
    assert copied["ordered"]["a"] is not original["ordered"]["a"]
