from __future__ import annotations

import pytest

from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.kube.log_lines import tail_line_count
from airflow_provider_composer_pod.kube.log_stream import Position, parse_timestamp, since_time


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(b"2024-01-02T03:04:05.123456789Z hello\n", 1704164645_123456789, id="kubelet-nanoseconds"),
        pytest.param(b"2024-01-02T03:04:05Z hello\n", 1704164645_000000000, id="whole-seconds"),
        pytest.param(b"2024-01-02T03:04:05.5Z x", 1704164645_500000000, id="short-fraction"),
        pytest.param(b"2024-01-02T05:04:05.000000001+02:00 x", 1704164645_000000001, id="offset"),
        pytest.param(b"2024-01-02T03:04:05.123456789Z\n", 1704164645_123456789, id="empty-line"),
        pytest.param(b"hello world\n", None, id="no-timestamp"),
        pytest.param(b"2024-13-02T03:04:05Z x", None, id="not-a-date"),
        pytest.param(b"", None, id="empty"),
    ],
)
def test_parse_timestamp(line, expected):
    assert parse_timestamp(line) == expected


def test_since_time_is_the_second_the_line_was_written_in():
    assert since_time(1704164645_999999999) == "2024-01-02T03:04:05Z"


def test_position_counts_lines_that_share_the_last_timestamp():
    position = Position()
    for stamp in (5, 7, 7, 7):
        position.record(b"x\n", stamp)
    position.record(b"older\n", 6)  # out of order: the resume point stays at the newest timestamp

    assert (position.last_ns, position.at_last, position.lines) == (7, 3, 5)


@pytest.mark.parametrize("value", [-1, 1001, "20", 2.5, True, None])
def test_failure_log_lines_must_be_a_small_whole_number(value):
    with pytest.raises(ComposerPodInputError, match=r"failure_log_lines=.* a whole number from 0 to 1000"):
        tail_line_count(value)


def test_failure_log_lines_accepts_zero_to_a_thousand():
    assert [tail_line_count(v) for v in (0, 20, 1000)] == [0, 20, 1000]
