"""Log lines as the API server sends them with ``timestamps=true``: split out of a chunked body, and their timestamps.

Both run once per log line of every followed container (``log_stream``), so they avoid copies and date parsing. The
operator's ``failure_log_lines`` (how many last lines a failure quotes) is checked here too, at DAG parse, without
loading the log stream.
"""

from __future__ import annotations

import calendar
import datetime
import functools
from typing import Any, Iterable, Iterator, List, Optional

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# How many of the container's last lines are kept for the failure message (the operator's ``failure_log_lines``).
DEFAULT_TAIL_LINES = 20
MAX_TAIL_LINES = 1000


def tail_line_count(value: Any, parameter: str = "failure_log_lines") -> int:
    """A valid number of log lines for a failure message, or a clear error naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TAIL_LINES:
        from airflow_provider_composer_pod.errors import ComposerPodInputError

        raise ComposerPodInputError(
            parameter,
            value,
            f"it is how many of the container's last log lines a failure quotes, a whole number from 0 to "
            f"{MAX_TAIL_LINES}",
            f"pass a number such as {DEFAULT_TAIL_LINES} (the default), or 0 for none",
        )
    return value


def parse_timestamp(line: bytes) -> Optional[int]:
    """Nanoseconds since the epoch of a ``timestamps=true`` log line's prefix, or None when it has none."""
    space = line.find(b" ")
    return stamp_ns(line[:space] if space > 0 else line.rstrip(b"\r\n"))


def stamp_ns(stamp: bytes) -> Optional[int]:
    """Nanoseconds since the epoch of an RFC 3339 timestamp, or None when it is not one.

    The API server writes ``2024-01-02T03:04:05.123456789Z`` (UTC, up to nine fraction digits): that form is read
    with one date parse per second (:func:`_second`), any other (an offset, lower case) the long way.
    """
    if len(stamp) >= 20 and stamp[-1] == 90 and stamp[19] in (46, 90):  # "Z", and "." or "Z" after the seconds
        seconds = _second(stamp[:19])
        fraction = stamp[20:-1]
        if seconds is not None and (not fraction or fraction.isdigit()):
            return seconds * 1_000_000_000 + (int(fraction[:9].ljust(9, b"0")) if fraction else 0)
        return None
    return _stamp_ns_any(stamp.decode("ascii", "replace"))


@functools.lru_cache(maxsize=64)
def _second(prefix: bytes) -> Optional[int]:
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM:SS`` (UTC); lines come in order, so a few seconds are cached."""
    try:
        moment = datetime.datetime.strptime(prefix.decode("ascii"), "%Y-%m-%dT%H:%M:%S")
    except (ValueError, UnicodeDecodeError):
        return None
    return calendar.timegm(moment.timetuple())


def _stamp_ns_any(stamp: str) -> Optional[int]:
    if len(stamp) < 20 or stamp[4] != "-" or stamp[10] not in "Tt":
        return None
    try:
        zone = stamp[-1]
        if zone in "Zz":
            body, offset = stamp[:-1], datetime.timedelta(0)
        else:
            body = stamp[:-6]
            sign = 1 if stamp[-6] == "+" else -1
            offset = sign * datetime.timedelta(hours=int(stamp[-5:-3]), minutes=int(stamp[-2:]))
        whole, _, fraction = body.partition(".")
        moment = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    except (ValueError, IndexError):
        return None
    if fraction and not fraction.isdigit():
        return None
    seconds = (moment - offset - _EPOCH) // datetime.timedelta(seconds=1)
    return seconds * 1_000_000_000 + int((fraction or "0")[:9].ljust(9, "0"))


def since_time(nanoseconds: int) -> str:
    """The ``sinceTime`` for a resume: the API server takes whole seconds, so the second the line was written in."""
    moment = _EPOCH + datetime.timedelta(seconds=nanoseconds // 1_000_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of a chunked body, each with its ``\\n``; a chunk that is one whole line (the usual) is not copied."""
    parts: List[bytes] = []  # the start of a line that spans chunks
    for chunk in chunks:
        end = chunk.find(b"\n")
        if end < 0:
            parts.append(chunk)
            continue
        if parts:
            parts.append(chunk)
            chunk = b"".join(parts)
            parts.clear()
            end = chunk.find(b"\n")
        if end == len(chunk) - 1:
            yield chunk
            continue
        start = 0
        while end >= 0:
            yield chunk[start : end + 1]
            start = end + 1
            end = chunk.find(b"\n", start)
        if start < len(chunk):
            parts.append(chunk[start:])
    if parts:  # the last line of a container that did not end it with a newline
        yield b"".join(parts)
