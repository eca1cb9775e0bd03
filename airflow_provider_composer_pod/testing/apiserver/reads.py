"""The API server's list and watch handlers: selectors, resourceVersion rules, paging, Table output, bookmarks."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from aiohttp import web

from airflow_provider_composer_pod.testing.apiserver import errors
from airflow_provider_composer_pod.testing.apiserver.faults import FaultInjector
from airflow_provider_composer_pod.testing.apiserver.recording import RequestRecord
from airflow_provider_composer_pod.testing.apiserver.resources import Resource
from airflow_provider_composer_pod.testing.apiserver.routes import (
    TRUE,
    Route,
    abort,
    json_response,
    request_selectors,
    strip_list_item,
)
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store, Watcher
from airflow_provider_composer_pod.testing.apiserver.tables import to_table


class ReadHandlers:
    """``list`` and ``watch`` for :class:`~.server.ApiServer`, which mixes them in and provides this state."""

    store: Store
    faults: FaultInjector
    active_streams: Dict[str, Set[asyncio.Event]]
    bookmark_interval: Callable[[], float]
    # Called with (type, object) after each watch event that carries an object (not BOOKMARK or ERROR) is written
    # whole to its stream, in the order written; a bench times the API server's news with it. It runs on the
    # emulator's event loop and must not change the object (a stored version). None costs one attribute read.
    on_watch_event_written: Optional[Callable[[str, Obj], None]] = None

    def _check_list_rv(self, request: web.Request) -> None:
        query = request.rel_url.query
        rv, match = query.get("resourceVersion"), query.get("resourceVersionMatch")
        if match and not rv:
            raise errors.invalid(
                "ListOptions",
                "",
                [
                    errors.field_forbidden(
                        "resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"
                    )
                ],
            )
        if not rv or rv == "0":
            return
        try:
            number = int(rv)
        except ValueError:
            raise errors.bad_request(f'Invalid value: "{rv}": resourceVersion must be an integer') from None
        if match == "Exact" and number < self.store.compacted_rv:
            raise errors.gone("The resourceVersion for the provided list is too old.")
        if number > self.store.rv:
            raise errors.too_large_resource_version(number, self.store.rv)

    def _list(self, request: web.Request, route: Route, storage: Resource, transform: Any) -> web.Response:
        labels, fields = request_selectors(request, route.resource)
        self._check_list_rv(request)
        query = request.rel_url.query
        items = self.store.list(storage, route.namespace, labels, fields, transform)
        metadata: Dict[str, Any] = {"resourceVersion": str(self.store.rv)}
        token = query.get("continue")
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
            except ValueError:
                raise errors.bad_request("continue key is not valid: illegal base64 data") from None
            if state["rv"] < self.store.compacted_rv:
                raise errors.gone(
                    "The provided continue parameter is too old to display a consistent list result. You can start "
                    "a new list without the continue parameter, or use the continue token in this response to "
                    "retrieve the remainder of the results. Continuing with the provided token results in an "
                    "inconsistent list - objects that were created, modified, or deleted between the time the "
                    "first chunk was returned and now may show up in the list."
                )
            items = [i for i in items if _sort_key(i) > tuple(state["start"])]
            metadata["resourceVersion"] = str(state["rv"])
        limit = int(query.get("limit") or 0)
        # resourceVersion=0 is served from kube-apiserver's watch cache, which does not page: the limit is ignored.
        if limit and len(items) > limit and not (query.get("resourceVersion") == "0" and not token):
            remaining = len(items) - limit
            items = items[:limit]
            state = {"rv": int(metadata["resourceVersion"]), "start": list(_sort_key(items[-1]))}
            metadata["continue"] = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
            metadata["remainingItemCount"] = remaining
        if "as=Table" in request.headers.get("Accept", ""):
            table = to_table(route.resource.name, items, metadata["resourceVersion"])
            if "continue" in metadata:
                table["metadata"]["continue"] = metadata["continue"]
            return json_response(table)
        return json_response(
            {
                "kind": route.resource.list_kind,
                "apiVersion": route.resource.api_version,
                "metadata": metadata,
                "items": [strip_list_item(i) for i in items],
            }
        )

    # ---------------------------------------------------------------------------------------------- watch
    async def _watch(
        self, request: web.Request, route: Route, storage: Resource, transform: Any, record: RequestRecord
    ) -> web.StreamResponse:
        labels, fields = request_selectors(request, route.resource)
        query = request.rel_url.query
        rv = query.get("resourceVersion")
        send_initial = query.get("sendInitialEvents") in TRUE
        allow_bookmarks = query.get("allowWatchBookmarks") in TRUE
        try:
            since = None if rv in (None, "", "0") or send_initial else int(rv)
        except ValueError:
            raise errors.bad_request(f'Invalid value: "{rv}": resourceVersion must be an integer') from None
        if since is not None and since > self.store.rv:
            raise errors.too_large_resource_version(since, self.store.rv)
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        try:
            watcher = self.store.watch(storage, route.namespace, labels, fields, since, transform)
        except errors.ApiError as exc:
            # A real watch answers 200 and reports expiry in-band as an ERROR event carrying the Status.
            record.status = 200
            await response.prepare(request)
            await response.write((json.dumps({"type": "ERROR", "object": exc.status()}) + "\n").encode())
            await response.write_eof()
            return response
        record.status = 200
        cut = self.faults.take_cut("watch", request.path)
        cut_event = asyncio.Event()
        self.active_streams["watch"].add(cut_event)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout else None
        kind = route.resource.kind
        api_version = route.resource.api_version
        initial_pending = watcher.queue.qsize() if send_initial else -1
        sent_items, sent_bytes = 0, 0

        def bookmark(initial_end: bool = False) -> bytes:
            metadata: Dict[str, Any] = {"resourceVersion": str(self.store.rv), "creationTimestamp": None}
            if initial_end:
                metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
            obj = {"kind": kind, "apiVersion": api_version, "metadata": metadata}
            return (json.dumps({"type": "BOOKMARK", "object": obj}) + "\n").encode()

        try:
            await response.prepare(request)
            if initial_pending == 0 and allow_bookmarks:
                await response.write(bookmark(True))
            next_bookmark = loop.time() + self.bookmark_interval()
            while True:
                if not watcher.queue.empty():  # a backlog: take it without setting up the waits
                    event: Optional[Tuple[str, Obj]] = watcher.queue.get_nowait()
                else:
                    now = loop.time()
                    waits = [t for t in (deadline, next_bookmark if allow_bookmarks else None, now + 1.0) if t]
                    event = await _next_event(watcher, cut_event, max(0.0, min(waits) - now))
                if cut_event.is_set():
                    abort(request)
                    return response
                if event is None and watcher.closed.is_set():
                    break
                if event is not None:
                    type_, obj = event
                    line = (json.dumps({"type": type_, "object": obj}) + "\n").encode()
                    if cut is not None and cut.after_bytes is not None and sent_bytes + len(line) > cut.after_bytes:
                        await response.write(line[: max(0, cut.after_bytes - sent_bytes)])
                        abort(request)
                        return response
                    await response.write(line)
                    written = self.on_watch_event_written
                    if written is not None:
                        written(type_, obj)
                    sent_items += 1
                    sent_bytes += len(line)
                    if initial_pending > 0:
                        initial_pending -= 1
                        if initial_pending == 0 and allow_bookmarks:
                            await response.write(bookmark(True))
                    if cut is not None and cut.after_items is not None and sent_items >= cut.after_items:
                        abort(request)
                        return response
                    continue
                now = loop.time()
                if request.transport is None or request.transport.is_closing():
                    return response
                if deadline is not None and now >= deadline:
                    if allow_bookmarks:
                        await response.write(bookmark())
                    break
                if allow_bookmarks and now >= next_bookmark:
                    await response.write(bookmark())
                    next_bookmark = now + self.bookmark_interval()
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            self.store.unwatch(watcher)
            self.active_streams["watch"].discard(cut_event)
        return response


async def _next_event(watcher: Watcher, cut_event: asyncio.Event, timeout: float) -> Optional[Tuple[str, Obj]]:
    """The watch's next event; ``None`` when it closes, is cut or ``timeout`` passes first."""
    getter = asyncio.ensure_future(watcher.queue.get())
    stoppers: List[asyncio.Future[Any]] = [
        asyncio.ensure_future(watcher.closed.wait()),
        asyncio.ensure_future(cut_event.wait()),
    ]
    try:
        await asyncio.wait([getter, *stoppers], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the client went away: leave no waiter pending
        for task in (getter, *stoppers):
            task.cancel()
        raise
    for task in stoppers:
        task.cancel()
    if getter.done():
        return getter.result()
    getter.cancel()
    return None


def _sort_key(item: Obj) -> Tuple[str, str]:
    meta = item.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")
