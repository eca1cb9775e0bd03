from __future__ import annotations

from typing import Iterator, List

import pytest

from airflow_provider_composer_pod.kube.log_lines import split_lines, stamp_ns
from airflow_provider_composer_pod.kube.log_stream import Position


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        pytest.param([b"a\n"], [b"a\n"], id="one-line-per-chunk"),
        pytest.param([b"a\nb\n"], [b"a\n", b"b\n"], id="two-lines-in-one-chunk"),
        pytest.param([b"a", b"b\nc", b"\n"], [b"ab\n", b"c\n"], id="lines-across-chunks"),
        pytest.param([b"a\nb"], [b"a\n", b"b"], id="last-line-without-newline"),
        pytest.param([b"a\n", b"b", b"c"], [b"a\n", b"bc"], id="last-line-in-pieces"),
        pytest.param([b"\n\n"], [b"\n", b"\n"], id="empty-lines"),
        pytest.param([], [], id="nothing"),
    ],
)
def test_split_lines(chunks, expected):
    assert list(split_lines(iter(chunks))) == expected


def test_a_line_cut_off_by_a_broken_stream_is_not_handed_out():
    def broken() -> Iterator[bytes]:
        yield b"whole\npart"
        raise ConnectionResetError("reset")

    lines: List[bytes] = []
    with pytest.raises(ConnectionResetError):
        lines.extend(split_lines(broken()))

    assert lines == [b"whole\n"]


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        pytest.param(b"2024-01-02T03:04:05.123456789Z", 1704164645_123456789, id="nanoseconds"),
        pytest.param(b"2024-01-02T03:04:05.1234567891Z", 1704164645_123456789, id="ten-digits-cut-to-nine"),
        pytest.param(b"2024-01-02T03:04:05.12Z", 1704164645_120000000, id="trailing-zeros-trimmed"),
        pytest.param(b"2024-01-02T03:04:05Z", 1704164645_000000000, id="whole-seconds"),
        pytest.param(b"2024-02-29T23:59:59.5Z", 1709251199_500000000, id="leap-day"),
        pytest.param(b"2024-01-02t03:04:05z", 1704164645_000000000, id="lower-case"),
        pytest.param(b"2024-01-02T04:04:05.5+01:00", 1704164645_500000000, id="offset"),
        pytest.param(b"2024-01-02T03:04:05.12x4Z", None, id="fraction-not-digits"),
        pytest.param(b"2024-13-02T03:04:05.1Z", None, id="month-13"),
        pytest.param(b"2024-01-02 03:04:05.1Z", None, id="no-T"),
        pytest.param(b"hello-world-and-more-Z", None, id="text"),
    ],
)
def test_stamp_ns(stamp, expected):
    assert stamp_ns(stamp) == expected


def test_the_tail_is_decoded_without_timestamps_only_when_asked():
    position = Position()
    position.record(b"2024-01-02T03:04:05.1Z first\n", 1704164645_100000000)
    position.record(b"continued \xff\n", None)
    position.record(b"2024-01-02T03:04:05.2Z last", 1704164645_200000000)

    assert list(position.tail)[0] == b"2024-01-02T03:04:05.1Z first\n"
    assert position.last_lines() == ["first", "continued \\xff", "last"]
