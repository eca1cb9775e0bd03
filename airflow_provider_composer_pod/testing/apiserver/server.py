"""The HTTP face of the emulator: kube-apiserver's REST paths, auth, RBAC denials, watches and streams.

Here: a request's way in (faults, authentication, discovery, RBAC), dispatch by verb, get/create/update/patch, and
pods/log and pods/exec. List and watch are in :mod:`.reads`, delete in :mod:`.deletes`; both are mixed in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Dict, List, Optional, Set

from aiohttp import web

from airflow_provider_composer_pod.testing.apiserver import discovery, errors
from airflow_provider_composer_pod.testing.apiserver.decoding import decode_error
from airflow_provider_composer_pod.testing.apiserver.deletes import DeleteHandlers
from airflow_provider_composer_pod.testing.apiserver.events_v1 import to_events_v1
from airflow_provider_composer_pod.testing.apiserver.exec_ws import handle_exec, pick_container
from airflow_provider_composer_pod.testing.apiserver.faults import FaultInjector, OutageRule
from airflow_provider_composer_pod.testing.apiserver.logs import parse_options, stream_log
from airflow_provider_composer_pod.testing.apiserver.node import Node
from airflow_provider_composer_pod.testing.apiserver.patch import apply_patch
from airflow_provider_composer_pod.testing.apiserver.reads import ReadHandlers
from airflow_provider_composer_pod.testing.apiserver.recording import RequestLog, RequestRecord
from airflow_provider_composer_pod.testing.apiserver.resources import NAMESPACES, PODS, STORED
from airflow_provider_composer_pod.testing.apiserver.routes import (
    TRUE,
    DenyRule,
    Route,
    abort,
    json_response,
    parse_route,
    read_body,
)
from airflow_provider_composer_pod.testing.apiserver.store import Store
from airflow_provider_composer_pod.testing.apiserver.tables import to_table

log = logging.getLogger(__name__)


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


class ApiServer(ReadHandlers, DeleteHandlers):
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
            record.body = await read_body(request)
            if not isinstance(record.body, dict) and request.method in ("POST", "PUT"):
                raise decode_error(route.resource.kind, record.body) or errors.bad_request("not an object")
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
        abort(request)
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

    # ------------------------------------------------------------------------------------------- dispatch
    async def _dispatch(
        self, request: web.Request, route: Route, watch: bool, record: RequestRecord
    ) -> web.StreamResponse:
        method = request.method
        resource = route.resource
        storage = STORED[resource.name]
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
