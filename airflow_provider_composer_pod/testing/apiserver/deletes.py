"""The API server's delete handlers: preconditions, graceful pod deletion, namespace finalization, collections."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Set, Tuple

from aiohttp import web

from airflow_provider_composer_pod.testing.apiserver import errors
from airflow_provider_composer_pod.testing.apiserver.recording import RequestRecord
from airflow_provider_composer_pod.testing.apiserver.resources import NAMESPACES, PODS, STORED, Resource
from airflow_provider_composer_pod.testing.apiserver.routes import (
    Route,
    json_response,
    read_body,
    request_selectors,
    strip_list_item,
)
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store


class DeleteHandlers:
    """``delete`` and ``deletecollection`` for :class:`~.server.ApiServer`, which mixes them in."""

    store: Store
    background: Set[asyncio.Task[Any]]

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
        body = await read_body(request)
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
        for resource in STORED.values():
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
        labels, fields = request_selectors(request, route.resource)
        items = self.store.list(storage, route.namespace, labels, fields)
        deleted = []
        for item in items:
            deleted.append(
                strip_list_item(self.store.delete(storage, item["metadata"].get("namespace"), item["metadata"]["name"]))
            )
        return json_response(
            {
                "kind": storage.list_kind,
                "apiVersion": storage.api_version,
                "metadata": {"resourceVersion": str(self.store.rv)},
                "items": deleted,
            }
        )


def _success(resource: Resource, obj: Obj) -> Obj:
    details: Dict[str, Any] = {"name": obj["metadata"]["name"]}
    if resource.group:
        details["group"] = resource.group
    details["kind"] = resource.name
    details["uid"] = obj["metadata"].get("uid")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
