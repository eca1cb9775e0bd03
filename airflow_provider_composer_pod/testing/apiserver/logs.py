"""The ``pods/{name}/log`` endpoint: validated options, then lines of a container's log streamed as the kubelet does."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

from aiohttp import web

from airflow_provider_composer_pod.testing import clock
from airflow_provider_composer_pod.testing.apiserver import errors
from airflow_provider_composer_pod.testing.runtime.container_log import ContainerLog, Entry


def _int_param(query: Any, name: str) -> Optional[int]:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_request(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from None


def parse_options(query: Any, kind: str = "PodLogOptions") -> Dict[str, Any]:
    """Validate like ``ValidatePodLogOptions``: 422 for conflicting or negative values."""
    since_seconds = _int_param(query, "sinceSeconds")
    tail_lines = _int_param(query, "tailLines")
    limit_bytes = _int_param(query, "limitBytes")
    causes = []
    if since_seconds is not None and query.get("sinceTime"):
        causes.append(
            {
                "reason": "FieldValueForbidden",
                "message": "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                "field": "",
            }
        )
    if since_seconds is not None and since_seconds < 1:
        causes.append(errors.field_invalid("sinceSeconds", since_seconds, "must be greater than 0"))
    if tail_lines is not None and tail_lines < 0:
        causes.append(errors.field_invalid("tailLines", tail_lines, "must be greater than or equal to 0"))
    if limit_bytes is not None and limit_bytes < 1:
        causes.append(errors.field_invalid("limitBytes", limit_bytes, "must be greater than 0"))
    if causes:
        raise errors.invalid(kind, "", causes)
    since_ns: Optional[int] = None
    if query.get("sinceTime"):
        try:
            # The API server passes sinceTime to the kubelet as RFC3339 *seconds*: fractions are truncated.
            since_ns = clock.parse_rfc3339_ns(query["sinceTime"]) // 1_000_000_000 * 1_000_000_000
        except ValueError:
            raise errors.bad_request(
                'parsing time "{}" as "2006-01-02T15:04:05Z07:00": cannot parse'.format(query["sinceTime"])
            ) from None
    elif since_seconds is not None:
        since_ns = clock.now_ns() - since_seconds * 1_000_000_000
    truthy = ("true", "1", "True")
    return {
        "follow": query.get("follow") in truthy,
        "timestamps": query.get("timestamps") in truthy,
        "previous": query.get("previous") in truthy,
        "since_ns": since_ns,
        "tail_lines": tail_lines,
        "limit_bytes": limit_bytes,
    }


def _format(entry: Entry, timestamps: bool) -> bytes:
    if timestamps:
        return clock.rfc3339_nano(entry[0]).encode() + b" " + entry[2]
    return entry[2]


async def stream_log(
    request: web.Request,
    log: ContainerLog,
    options: Dict[str, Any],
    line_delay: float = 0.0,
    cut_after_lines: Optional[int] = None,
    cut_after_bytes: Optional[int] = None,
    cut_event: Optional[asyncio.Event] = None,
    hang: bool = False,
) -> web.StreamResponse:
    """Write matching lines; with ``follow`` keep streaming until the container's log is finished.

    The ``cut_*`` arguments come from fault injection: the connection is aborted without the closing chunk, so
    clients see a broken chunked transfer exactly like a dropped kubelet connection. ``hang`` keeps a follow open
    after the container's log is finished, as kubelets sometimes do (apache/airflow#23497).
    """
    entries = [e for e in log.entries if options["since_ns"] is None or e[0] >= options["since_ns"]]
    if options["tail_lines"] is not None:
        entries = entries[-options["tail_lines"] :] if options["tail_lines"] else []
    response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    sent_bytes, sent_lines = 0, 0
    position = len(log.entries)
    limit = options["limit_bytes"]

    async def send(entry: Entry) -> bool:
        nonlocal sent_bytes, sent_lines
        data = _format(entry, options["timestamps"])
        if limit is not None and sent_bytes + len(data) > limit:
            data = data[: limit - sent_bytes]
        if cut_after_bytes is not None and sent_bytes + len(data) > cut_after_bytes:
            data = data[: max(0, cut_after_bytes - sent_bytes)]
            if data:
                await response.write(data)
            _abort(request)
            return False
        if line_delay:
            await asyncio.sleep(line_delay)
        await response.write(data)
        sent_bytes += len(data)
        sent_lines += 1
        if cut_after_lines is not None and sent_lines >= cut_after_lines:
            _abort(request)
            return False
        if cut_event is not None and cut_event.is_set():
            _abort(request)
            return False
        return limit is None or sent_bytes < limit

    for entry in entries:
        if not await send(entry):
            return response
    if options["follow"]:
        while True:
            while position < len(log.entries):
                entry = log.entries[position]
                position += 1
                if options["since_ns"] is not None and entry[0] < options["since_ns"]:
                    continue
                if not await send(entry):
                    return response
            if log.finished and not hang:
                break
            waiter = asyncio.ensure_future(log.changed.wait())
            cutter = asyncio.ensure_future(cut_event.wait()) if cut_event is not None else None
            await asyncio.wait([t for t in (waiter, cutter) if t is not None], return_when=asyncio.FIRST_COMPLETED)
            for task in (waiter, cutter):
                if task is not None and not task.done():
                    task.cancel()
            if cut_event is not None and cut_event.is_set():
                _abort(request)
                return response
    await response.write_eof()
    return response


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()
