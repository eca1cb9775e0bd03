"""The HTTP face of the emulator: kube-apiserver's REST paths, auth, RBAC denials, watches and streams."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import yaml
from aiohttp import web

from airflow_provider_composer_pod.testing.apiserver import discovery, errors
from airflow_provider_composer_pod.testing.apiserver.events_v1 import to_events_v1
from airflow_provider_composer_pod.testing.apiserver.exec_ws import handle_exec, pick_container
from airflow_provider_composer_pod.testing.apiserver.faults import FaultInjector, OutageRule
from airflow_provider_composer_pod.testing.apiserver.logs import parse_options, stream_log
from airflow_provider_composer_pod.testing.apiserver.node import Node
from airflow_provider_composer_pod.testing.apiserver.patch import apply_patch
from airflow_provider_composer_pod.testing.apiserver.recording import RequestLog, RequestRecord
from airflow_provider_composer_pod.testing.apiserver.resources import CORE, NAMESPACES, PODS, Resource, lookup
from airflow_provider_composer_pod.testing.apiserver.selectors import parse_field_selector, parse_label_selector
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store
from airflow_provider_composer_pod.testing.apiserver.tables import to_table

log = logging.getLogger(__name__)
TRUE = ("true", "1", "True")


@dataclass
class Route:
    resource: Resource
    namespace: Optional[str]
    name: Optional[str]
    subresource: Optional[str]
    watch_path: bool = False


@dataclass
class DenyRule:
    verb: str
    resource: str
    namespace: Optional[str] = None
    name: Optional[str] = None

    def matches(self, verb: str, resource: str, namespace: Optional[str], name: Optional[str]) -> bool:
        return (
            self.verb in ("*", verb)
            and self.resource in ("*", resource)
            and (self.namespace is None or self.namespace == namespace)
            and (self.name is None or self.name == name)
        )


def parse_route(path: str) -> Optional[Route]:
    """Map a REST path to (resource, namespace, name, subresource); ``None`` when it is not a resource path."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch_path = bool(rest) and rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    if not rest:
        return None
    namespace: Optional[str] = None
    if rest[0] == "namespaces" and len(rest) >= 3 and lookup(group, version, rest[2]) is not None:
        namespace, rest = rest[1], rest[2:]
    resource = lookup(group, version, rest[0])
    if resource is None or len(rest) > 3:
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if resource.namespaced and namespace is None and name is not None:
        return None
    return Route(resource, namespace, name, sub, watch_path)


def json_response(body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type="application/json", headers=headers)


def _verb(method: str, route: Route, watch: bool) -> str:
    if route.subresource == "exec":
        return "create"
    if method == "GET":
        if route.name is None:
            return "watch" if watch else "list"
        return "watch" if watch else "get"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method) or (
        "delete" if route.name else "deletecollection"
    )


def _strip_list_item(obj: Obj) -> Obj:
    obj = dict(obj)
    obj.pop("kind", None)
    obj.pop("apiVersion", None)
    return obj


class ApiServer:
    """Request handling; all state lives in the store, kubelet and fault injector it is given."""

    def __init__(
        self,
        store: Store,
        kubelet: Node,
        faults: FaultInjector,
        requests: RequestLog,
        tokens: Callable[[], Dict[str, str]],
        deny_rules: Callable[[], List[DenyRule]],
        bookmark_interval: Callable[[], float],
        server_address: Callable[[], str],
        k8s_minor: str = "32",
    ) -> None:
        self.store = store
        self.kubelet = kubelet
        self.faults = faults
        self.requests = requests
        self.tokens = tokens
        self.deny_rules = deny_rules
        self.bookmark_interval = bookmark_interval
        self.server_address = server_address
        self.k8s_minor = k8s_minor
        self.active_streams: Dict[str, Set[asyncio.Event]] = {"watch": set(), "log": set()}
        self.background: Set[asyncio.Task[Any]] = set()

    def app(self) -> web.Application:
        application = web.Application(client_max_size=64 * 1024 * 1024)
        application.router.add_route("*", "/{tail:.*}", self.handle)
        return application

    def cut_active(self, kind: str) -> int:
        events = list(self.active_streams.get(kind, ()))
        for event in events:
            event.set()
        return len(events)

    # ---------------------------------------------------------------------------------------------- entry
    async def handle(self, request: web.Request) -> web.StreamResponse:
        query: Dict[str, Any] = {}
        for key in request.rel_url.query.keys():
            values = request.rel_url.query.getall(key)
            query[key] = values[0] if len(values) == 1 else list(values)
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=query,
            user_agent=request.headers.get("User-Agent", ""),
            content_type=request.headers.get("Content-Type", ""),
            is_watch=request.rel_url.query.get("watch") in TRUE or "/watch/" in request.path,
        )
        self.requests.add(record)
        try:
            response = await self._handle(request, record)
        except errors.ApiError as exc:
            response = json_response(exc.status(), exc.code, exc.headers)
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("k8s emulator failed on %s %s", request.method, request.path)
            error = errors.internal_error(repr(exc))
            response = json_response(error.status(), 500)
        if record.status is None:
            record.status = response.status
        return response

    async def _handle(self, request: web.Request, record: RequestRecord) -> web.StreamResponse:
        failure = self.faults.take_failure(request.method, request.path)
        if failure is not None:
            raise failure
        user = self._authenticate(request)
        path = request.path.rstrip("/") or "/"
        special = self._discovery(path)
        if special is not None:
            return special
        route = parse_route(path)
        if route is None:
            raise errors.not_found_path()
        query = request.rel_url.query
        watch = route.watch_path or query.get("watch") in TRUE
        verb = _verb(request.method, route, watch)
        record.verb, record.namespace, record.name = verb, route.namespace, route.name
        record.resource = route.resource.name + ("/" + route.subresource if route.subresource else "")
        for rule in self.deny_rules():
            if rule.matches(verb, record.resource, route.namespace, route.name) or rule.matches(
                verb, route.resource.name, route.namespace, route.name
            ):
                raise errors.forbidden(user, verb, record.resource, route.name, route.namespace, route.resource.group)
        if request.method in ("POST", "PUT", "PATCH") and route.subresource != "exec":
            record.body = await self._body(request)
        outage = self.faults.take_outage(request.method, request.path, lambda: self._pod_phase(route))
        if outage is not None:
            return await self._drop(request, route, watch, record, outage)
        return await self._dispatch(request, route, watch, record)

    def _pod_phase(self, route: Route) -> Optional[str]:
        if route.resource is not PODS or not route.name:
            return None
        pod = self.store.find(PODS, route.namespace, route.name)
        return None if pod is None else (pod.get("status") or {}).get("phase")

    async def _drop(
        self, request: web.Request, route: Route, watch: bool, record: RequestRecord, outage: OutageRule
    ) -> web.StreamResponse:
        """Drop the request's connection unanswered (after acting on it if the rule serves), then start the outage."""
        status = 0
        if outage.serve:
            try:
                status = (await self._dispatch(request, route, watch, record)).status
            except errors.ApiError as exc:
                status = exc.code
        record.status, record.dropped = status, True
        _abort(request)
        if outage.seconds > 0 and self.faults.refuse_hook is not None:
            self.faults.refuse_hook(outage.seconds, True)
        return web.Response(status=503)

    def _authenticate(self, request: web.Request) -> str:
        tokens = self.tokens()
        if not tokens:
            return "system:anonymous"
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[7:].strip() in tokens:
            return tokens[header[7:].strip()]
        if not header and request.path in ("/version", "/healthz", "/livez", "/readyz"):
            return "system:anonymous"
        raise errors.unauthorized()

    def _discovery(self, path: str) -> Optional[web.StreamResponse]:
        if path == "/version":
            return json_response(discovery.version(self.k8s_minor))
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok", content_type="text/plain")
        if path == "/api":
            return json_response(discovery.api_versions(self.server_address()))
        if path == "/api/v1":
            return json_response(discovery.core_resources())
        if path == "/apis":
            return json_response(discovery.api_groups())
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "apis":
            group = discovery.api_group(parts[1])
            if group is None:
                raise errors.not_found_path()
            return json_response(group)
        if len(parts) == 3 and parts[0] == "apis":
            resources = discovery.group_resources(parts[1], parts[2])
            if resources is None:
                raise errors.not_found_path()
            return json_response(resources)
        return None

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        if not raw:
            return {}
        content_type = request.headers.get("Content-Type", "application/json")
        if "protobuf" in content_type:
            raise errors.unsupported_media_type(content_type)
        try:
            if "yaml" in content_type:
                return yaml.safe_load(raw.decode("utf-8"))
            return json.loads(raw.decode("utf-8"))
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None

    # ------------------------------------------------------------------------------------------- dispatch
    async def _dispatch(
        self, request: web.Request, route: Route, watch: bool, record: RequestRecord
    ) -> web.StreamResponse:
        method = request.method
        resource = route.resource
        storage = CORE[resource.name] if resource.group else resource
        transform = to_events_v1 if resource.group == "events.k8s.io" else None
        dry_run = request.rel_url.query.get("dryRun") == "All"
        if route.subresource == "log" and resource is PODS and method == "GET":
            return await self._logs(request, route, record)
        if route.subresource == "exec" and resource is PODS and method in ("GET", "POST"):
            return await handle_exec(request, self.kubelet, route.namespace or "", route.name or "", record)
        if route.subresource not in (None, "status") or (
            route.subresource == "status" and resource is not PODS and resource is not NAMESPACES
        ):
            raise errors.not_found_path()
        if transform is not None and method not in ("GET",):
            raise errors.method_not_allowed()
        if route.name is None:
            if method == "GET":
                if watch:
                    return await self._watch(request, route, storage, transform, record)
                return self._list(request, route, storage, transform)
            if method == "POST":
                obj = self.store.create(storage, route.namespace, record.body or {}, dry_run=dry_run)
                return json_response(obj, 201)
            if method == "DELETE":
                return self._delete_collection(request, route, storage)
            raise errors.method_not_allowed()
        if method == "GET":
            obj = self.store.get(storage, route.namespace, route.name)
            view = transform(obj) if transform else obj
            if "as=Table" in request.headers.get("Accept", ""):
                return json_response(to_table(resource.name, [view], view["metadata"].get("resourceVersion", "")))
            return json_response(view)
        if method == "PUT":
            body = record.body or {}
            obj = self.store.update(storage, route.namespace, route.name, body, route.subresource, dry_run=dry_run)
            return json_response(obj)
        if method == "PATCH":
            current = self.store.get(storage, route.namespace, route.name)
            patched = apply_patch(current, record.body, request.headers.get("Content-Type", ""))
            if not isinstance(patched, dict):
                raise errors.bad_request("patch did not produce an object")
            obj = self.store.update(storage, route.namespace, route.name, patched, route.subresource, dry_run=dry_run)
            return json_response(obj)
        if method == "DELETE":
            return await self._delete(request, route, storage, record)
        raise errors.method_not_allowed()

    # ----------------------------------------------------------------------------------------------- list
    def _selectors(self, request: web.Request, resource: Resource) -> Tuple[Any, Any]:
        query = request.rel_url.query
        labels = parse_label_selector(query.get("labelSelector"))
        resource_id = "{}, Resource={}".format(resource.api_version if resource.group else "/v1", resource.name)
        fields = parse_field_selector(
            query.get("fieldSelector"), resource.field_selectors, resource_id, query.get("labelSelector") or ""
        )
        return labels, fields

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
            raise errors.ApiError(
                504,
                "Timeout",
                f"Too large resource version: {number}, current: {self.store.rv}",
                {
                    "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                    "retryAfterSeconds": 1,
                },
            )

    def _list(self, request: web.Request, route: Route, storage: Resource, transform: Any) -> web.Response:
        labels, fields = self._selectors(request, route.resource)
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
        if limit and len(items) > limit:
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
                "items": [_strip_list_item(i) for i in items],
            }
        )

    # ---------------------------------------------------------------------------------------------- watch
    async def _watch(
        self, request: web.Request, route: Route, storage: Resource, transform: Any, record: RequestRecord
    ) -> web.StreamResponse:
        labels, fields = self._selectors(request, route.resource)
        query = request.rel_url.query
        rv = query.get("resourceVersion")
        send_initial = query.get("sendInitialEvents") in TRUE
        allow_bookmarks = query.get("allowWatchBookmarks") in TRUE
        try:
            since = None if rv in (None, "", "0") or send_initial else int(rv)
        except ValueError:
            raise errors.bad_request(f'Invalid value: "{rv}": resourceVersion must be an integer') from None
        if since is not None and since > self.store.rv:
            raise errors.ApiError(
                504,
                "Timeout",
                f"Too large resource version: {since}, current: {self.store.rv}",
                {
                    "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                    "retryAfterSeconds": 1,
                },
            )
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
                now = loop.time()
                waits = [t for t in (deadline, next_bookmark if allow_bookmarks else None, now + 1.0) if t]
                wait_for = max(0.0, min(waits) - now)
                getter = asyncio.ensure_future(watcher.queue.get())
                stoppers: List[asyncio.Future[Any]] = [
                    asyncio.ensure_future(watcher.closed.wait()),
                    asyncio.ensure_future(cut_event.wait()),
                ]
                try:
                    await asyncio.wait([getter, *stoppers], timeout=wait_for, return_when=asyncio.FIRST_COMPLETED)
                except asyncio.CancelledError:  # the client went away: leave no waiter pending
                    for task in (getter, *stoppers):
                        task.cancel()
                    raise
                for task in stoppers:
                    task.cancel()
                if getter.done():
                    type_, obj = getter.result()
                else:
                    getter.cancel()
                    type_ = None
                if cut_event.is_set():
                    _abort(request)
                    return response
                if type_ is None and watcher.closed.is_set():
                    break
                if type_ is not None:
                    line = (json.dumps({"type": type_, "object": obj}) + "\n").encode()
                    if cut is not None and cut.after_bytes is not None and sent_bytes + len(line) > cut.after_bytes:
                        await response.write(line[: max(0, cut.after_bytes - sent_bytes)])
                        _abort(request)
                        return response
                    await response.write(line)
                    sent_items += 1
                    sent_bytes += len(line)
                    if initial_pending > 0:
                        initial_pending -= 1
                        if initial_pending == 0 and allow_bookmarks:
                            await response.write(bookmark(True))
                    if cut is not None and cut.after_items is not None and sent_items >= cut.after_items:
                        _abort(request)
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

    # --------------------------------------------------------------------------------------------- delete
    def _delete_options(self, request: web.Request, body: Any) -> Tuple[Optional[int], Dict[str, Any]]:
        grace: Optional[int] = None
        raw = request.rel_url.query.get("gracePeriodSeconds")
        if raw not in (None, ""):
            grace = int(raw)
        options = body if isinstance(body, dict) else {}
        if grace is None and options.get("gracePeriodSeconds") is not None:
            grace = int(options["gracePeriodSeconds"])
        return grace, options.get("preconditions") or {}

    async def _delete(
        self, request: web.Request, route: Route, storage: Resource, record: RequestRecord
    ) -> web.Response:
        body = await self._body(request)
        record.body = body
        grace, preconditions = self._delete_options(request, body)
        obj = self.store.get(storage, route.namespace, route.name or "")
        name = route.name or ""
        if preconditions.get("uid") and preconditions["uid"] != obj["metadata"]["uid"]:
            raise errors.ApiError(
                409,
                "Conflict",
                "Precondition failed: UID in precondition: {}, UID in object meta: {}".format(
                    preconditions["uid"], obj["metadata"]["uid"]
                ),
                {"name": name, "kind": storage.name},
            )
        if request.rel_url.query.get("dryRun") == "All":
            return json_response(obj if storage.graceful_delete else _success(storage, obj))
        if storage is PODS:
            if grace is None:
                grace = int((obj.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
            phase = (obj.get("status") or {}).get("phase")
            scheduled = bool((obj.get("spec") or {}).get("nodeName"))
            if grace <= 0 or not scheduled or phase in ("Succeeded", "Failed"):
                return json_response(self.store.delete(PODS, route.namespace, name))
            return json_response(self.store.mark_deleting(PODS, route.namespace, name, grace))
        if storage is NAMESPACES:
            return json_response(self._delete_namespace(name))
        deleted = self.store.delete(storage, route.namespace, name)
        return json_response(_success(storage, deleted))

    def _delete_namespace(self, name: str) -> Obj:
        obj = self.store.get(NAMESPACES, None, name)
        if obj["status"].get("phase") != "Terminating":
            obj["status"] = {"phase": "Terminating"}
            self.store.update(NAMESPACES, None, name, obj, "status", check_rv=False)
            obj = self.store.mark_deleting(NAMESPACES, None, name, 0)
            task = asyncio.ensure_future(self._finalize_namespace(name))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        return obj

    async def _finalize_namespace(self, name: str) -> None:
        for resource in CORE.values():
            if resource.namespaced:
                for item in self.store.list(resource, name):
                    if self.store.find(resource, name, item["metadata"]["name"]) is not None:
                        self.store.delete(resource, name, item["metadata"]["name"])
        await asyncio.sleep(0.05)
        if self.store.find(NAMESPACES, None, name) is not None:
            obj = self.store.get(NAMESPACES, None, name)
            obj["metadata"].pop("finalizers", None)
            self.store.delete(NAMESPACES, None, name)

    def _delete_collection(self, request: web.Request, route: Route, storage: Resource) -> web.Response:
        labels, fields = self._selectors(request, route.resource)
        items = self.store.list(storage, route.namespace, labels, fields)
        deleted = []
        for item in items:
            deleted.append(
                _strip_list_item(
                    self.store.delete(storage, item["metadata"].get("namespace"), item["metadata"]["name"])
                )
            )
        return json_response(
            {
                "kind": storage.list_kind,
                "apiVersion": storage.api_version,
                "metadata": {"resourceVersion": str(self.store.rv)},
                "items": deleted,
            }
        )

    # ----------------------------------------------------------------------------------------------- logs
    async def _logs(self, request: web.Request, route: Route, record: RequestRecord) -> web.StreamResponse:
        namespace, name = route.namespace or "", route.name or ""
        pod = self.store.get(PODS, namespace, name)
        options = parse_options(request.rel_url.query)
        container = pick_container(pod, request.rel_url.query.get("container"))
        if not (pod.get("spec") or {}).get("nodeName"):
            return web.Response(body=b"", content_type="text/plain")
        run = self.kubelet.pod_run(namespace, name)
        target = run.find(container) if run is not None else None
        if options["previous"]:
            raise errors.bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        if target is None or not target.created:
            waiting = (target.state.get("waiting") or {}) if target is not None else {}
            reason = waiting.get("reason", "ContainerCreating")
            detail = {"ErrImagePull": "trying and failing to pull image", "ImagePullBackOff": "image can't be pulled"}
            raise errors.bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: {detail.get(reason, reason)}'
            )
        cut = self.faults.take_cut("log", request.path)
        cut_event = asyncio.Event()
        self.active_streams["log"].add(cut_event)
        record.status = 200
        try:
            return await stream_log(
                request,
                target.log,
                options,
                line_delay=self.faults.log_delay(name, container),
                cut_after_lines=cut.after_items if cut else None,
                cut_after_bytes=cut.after_bytes if cut else None,
                cut_event=cut_event,
                hang=self.faults.hanging_follows,
            )
        except (ConnectionResetError, ConnectionError):
            return web.Response(status=200)
        finally:
            self.active_streams["log"].discard(cut_event)


def _sort_key(item: Obj) -> Tuple[str, str]:
    meta = item.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def _success(resource: Resource, obj: Obj) -> Obj:
    details: Dict[str, Any] = {"name": obj["metadata"]["name"]}
    if resource.group:
        details["group"] = resource.group
    details["kind"] = resource.name
    details["uid"] = obj["metadata"].get("uid")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


__all__ = ["ApiServer", "DenyRule", "parse_route"]
