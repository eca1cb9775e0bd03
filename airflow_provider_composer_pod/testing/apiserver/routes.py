"""Reading a request: its REST path as a route, its selectors and body; and the response helpers handlers share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import yaml
from aiohttp import web

from airflow_provider_composer_pod.testing.apiserver import errors, protobuf
from airflow_provider_composer_pod.testing.apiserver.resources import Resource, lookup
from airflow_provider_composer_pod.testing.apiserver.selectors import parse_field_selector, parse_label_selector
from airflow_provider_composer_pod.testing.apiserver.store import Obj

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


def strip_list_item(obj: Obj) -> Obj:
    obj = dict(obj)
    obj.pop("kind", None)
    obj.pop("apiVersion", None)
    return obj


def abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


def request_selectors(request: web.Request, resource: Resource) -> Tuple[Any, Any]:
    query = request.rel_url.query
    labels = parse_label_selector(query.get("labelSelector"))
    resource_id = "{}, Resource={}".format(resource.api_version if resource.group else "/v1", resource.name)
    fields = parse_field_selector(
        query.get("fieldSelector"), resource.field_selectors, resource_id, query.get("labelSelector") or ""
    )
    return labels, fields


async def read_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return {}
    content_type = request.headers.get("Content-Type", "application/json")
    if "protobuf" in content_type:
        try:
            obj = protobuf.decode(raw)
        except (protobuf.ProtobufError, UnicodeDecodeError) as exc:
            raise errors.bad_request(f"the protobuf body could not be read: {exc}") from None
        if obj is None:
            raise errors.unsupported_media_type(content_type, hint=protobuf.HINT)
        return obj
    try:
        if "yaml" in content_type:
            return yaml.safe_load(raw.decode("utf-8"))
        return json.loads(raw.decode("utf-8"))
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None
