"""kube/json_list: a list response's items one at a time, and the same answer as json.loads of the whole."""

from __future__ import annotations

import json

import pytest

from airflow_provider_composer_pod.kube.json_list import list_items

POD = {"metadata": {"name": "p-0", "note": 'brackets ] } [ { and "quotes", a comma,'}, "status": {"phase": "Pending"}}


def _decoded(raw: bytes):
    head: dict = {}
    items = list(list_items(raw, head))
    return items, head


@pytest.mark.parametrize(
    "body",
    [
        {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "7", "continue": "abc"},
            "items": [POD],
        },
        {"items": [POD, {**POD, "metadata": {"name": "p-1"}}], "metadata": {"resourceVersion": "8"}},  # items first
        {"kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": []},
        {"kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": None},  # an empty list as Go may write it
        {"kind": "PodList", "metadata": {"resourceVersion": "9"}},
        {"metadata": {}, "items": [POD], "extra": [{"items": [1]}]},
        {"items": [{"metadata": {"name": "ünïcødé-✓"}}]},
    ],
)
@pytest.mark.parametrize("indent", [None, 2])
def test_items_and_head_are_what_json_loads_reads(body, indent):
    raw = json.dumps(body, indent=indent, ensure_ascii=indent is None).encode()
    whole = json.loads(raw)

    items, head = _decoded(raw)

    assert items == (whole.get("items") or [])
    assert head == {key: value for key, value in whole.items() if key != "items" or value is None}


def test_items_come_one_at_a_time_before_the_rest_is_read():
    raw = b'{"items": [{"n": 1}, {"n": 2}], "metadata": {"continue": "x"}}'
    head: dict = {}
    items = list_items(raw, head)

    assert next(items) == {"n": 1}
    assert head == {}  # metadata after the items is read once they are consumed
    assert list(items) == [{"n": 2}]
    assert head == {"metadata": {"continue": "x"}}


@pytest.mark.parametrize(
    "raw",
    [b"", b"[1, 2]", b'{"items": [{"n": 1}', b'{"items": [{"n": 1} {"n": 2}]}', b'{"items": [1],', b'{"a" 1}'],
)
def test_malformed_or_cut_short_is_a_value_error(raw):
    with pytest.raises(ValueError, match=r"(?i)expect|ends before"):
        _decoded(raw)
