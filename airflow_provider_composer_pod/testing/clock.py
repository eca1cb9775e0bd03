"""Time helpers: the API server's timestamp formats and the emulator's scaled clock.

Kubernetes writes object timestamps with second precision (``metav1.Time``), event ``eventTime`` with microsecond
precision (``metav1.MicroTime``) and log-line prefixes with a fixed nine-digit fraction (the kubelet's
``2006-01-02T15:04:05.000000000Z07:00``). Timestamps always come from the wall clock; only simulated *durations*
(sleeps, pull delays) are multiplied by the emulator's time scale.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
from typing import Optional

_UTC = _dt.timezone.utc
_RFC3339_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$")


def now_ns() -> int:
    """Wall-clock nanoseconds; log lines keep full precision like the kubelet's."""
    return time.time_ns()


def rfc3339(ns: Optional[int] = None) -> str:
    """``metav1.Time``: seconds precision, UTC, ``Z`` suffix."""
    ns = now_ns() if ns is None else ns
    return _dt.datetime.fromtimestamp(ns // 1_000_000_000, _UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(ns: Optional[int] = None) -> str:
    """``metav1.MicroTime`` as used by ``eventTime``."""
    ns = now_ns() if ns is None else ns
    base = _dt.datetime.fromtimestamp(ns // 1_000_000_000, _UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{(ns % 1_000_000_000) // 1000:06d}Z"


def rfc3339_nano(ns: int) -> str:
    """The kubelet's log timestamp: always nine fractional digits."""
    base = _dt.datetime.fromtimestamp(ns // 1_000_000_000, _UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ns % 1_000_000_000:09d}Z"


def parse_rfc3339_ns(value: str) -> int:
    """Parse RFC 3339 (any fraction, ``Z`` or offset) to epoch nanoseconds; ``ValueError`` if malformed."""
    match = _RFC3339_RE.match(value.strip())
    if not match:
        raise ValueError(f"not an RFC3339 timestamp: {value!r}")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    if zone in ("Z", "z"):
        tz = _UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = _dt.timezone(sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    moment = _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    seconds = int(moment.timestamp())
    nanos = int((frac or "0").ljust(9, "0")) if frac else 0
    return seconds * 1_000_000_000 + nanos


def age(ns_then: int, ns_now: Optional[int] = None) -> str:
    """kubectl-style short age (``5s``, ``3m``, ``2h``, ``4d``) for Table cells."""
    ns_now = now_ns() if ns_now is None else ns_now
    seconds = max(0, (ns_now - ns_then) // 1_000_000_000)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 600:
        return f"{seconds // 60}m{seconds % 60}s" if seconds % 60 else f"{seconds // 60}m"
    if seconds < 3 * 3600:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
