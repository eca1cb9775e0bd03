"""The emulator's HTTP side: the ten v1 methods of user-workloads Secrets and ConfigMaps, on a threaded server.

Paths (v1 proto's http options): ``/v1/projects/{p}/locations/{l}/environments/{e}/userWorkloadsSecrets`` (POST
create, GET list) and ``.../userWorkloadsSecrets/{id}`` (GET, PUT, DELETE); the same for
``userWorkloadsConfigMaps``. Unknown query parameters (the GAPIC client's ``$alt``) are ignored. Checks run in the
order a Google front end makes them: credentials, then IAM, then the environment, then the request.
"""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler
from typing import Any, Dict, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from airflow_provider_composer_pod.testing.composer_api import faults
from airflow_provider_composer_pod.testing.composer_api.workloads import KINDS, Kind

_PATH = re.compile(
    r"^/v1/(?P<env>projects/[^/]+/locations/[^/]+/environments/[^/]+)/(?P<collection>[A-Za-z]+)(?:/(?P<name>[^/]+))?$"
)
# (method, has a name) -> the method's IAM verb
_VERBS = {("POST", False): "create", ("GET", False): "list", ("GET", True): "get", ("PUT", True): "update"}
_VERBS[("DELETE", True)] = "delete"


class Handler(BaseHTTPRequestHandler):
    """One request; ``server.emulator`` is the :class:`~.emulator.ComposerApiEmulator` serving it."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self, method: str) -> None:
        emulator = self.server.emulator  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        try:
            body = self._body()
        except faults.GoogleError as error:
            emulator.record(method, self.path, None)
            self._send(error.code, error.body())
            return
        emulator.record(method, self.path, body)
        try:
            status, answer = self._route(emulator, method, split.path, query, body)
        except faults.GoogleError as error:
            status, answer = error.code, error.body()
        self._send(status, answer)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise faults.invalid("Invalid JSON payload received.") from None

    def _send(self, status: int, answer: Dict[str, Any]) -> None:
        payload = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _route(
        self, emulator: Any, method: str, path: str, query: Dict[str, str], body: Any
    ) -> Tuple[int, Dict[str, Any]]:
        emulator.check_token(self.headers.get("Authorization") or "")
        match = _PATH.match(path)
        kind = KINDS.get(match.group("collection")) if match else None
        verb = _VERBS.get((method, bool(match and match.group("name")))) if match else None
        if match is None or kind is None or verb is None:
            raise faults.not_allowed(method, path)
        env_name, name = match.group("env"), match.group("name")
        resource = f"{env_name}/{kind.collection}/{name}" if name and verb != "create" else env_name
        emulator.check_permission(f"{kind.iam}.{verb}", resource)
        if env_name != emulator.workloads.environment_name:
            raise faults.not_found("Environment", env_name)
        return _METHODS[verb](emulator, kind, name, query, body)


def _create(emulator: Any, kind: Kind, _: Optional[str], query: Dict[str, str], body: Any) -> Tuple[int, Any]:
    workloads = emulator.workloads
    name, data = workloads.check_body(kind, body, None)
    with workloads.lock:
        if name in workloads.objects[kind.collection]:
            raise faults.already_exists(kind.label, workloads.full_name(kind, name))
        workloads.objects[kind.collection][name] = data
        emulator.synced_put(kind, name, data)
    return 200, workloads.answer(kind, name, data)


def _update(emulator: Any, kind: Kind, url_name: Optional[str], query: Dict[str, str], body: Any) -> Tuple[int, Any]:
    workloads = emulator.workloads
    workloads.check_name(kind, url_name or "")
    name, data = workloads.check_body(kind, body, url_name)
    with workloads.lock:
        if name not in workloads.objects[kind.collection]:
            raise faults.not_found(kind.label, workloads.full_name(kind, name))
        workloads.objects[kind.collection][name] = data
        emulator.synced_put(kind, name, data)
    return 200, workloads.answer(kind, name, data)


def _get(emulator: Any, kind: Kind, name: Optional[str], query: Dict[str, str], body: Any) -> Tuple[int, Any]:
    workloads = emulator.workloads
    workloads.check_name(kind, name or "")
    with workloads.lock:
        data = workloads.objects[kind.collection].get(name or "")
    if data is None:
        raise faults.not_found(kind.label, workloads.full_name(kind, name or ""))
    return 200, workloads.answer(kind, name or "", data)


def _list(emulator: Any, kind: Kind, _: Optional[str], query: Dict[str, str], body: Any) -> Tuple[int, Any]:
    return 200, emulator.workloads.page(kind, query.get("pageSize"), query.get("pageToken"))


def _delete(emulator: Any, kind: Kind, name: Optional[str], query: Dict[str, str], body: Any) -> Tuple[int, Any]:
    workloads = emulator.workloads
    workloads.check_name(kind, name or "")
    with workloads.lock:
        if workloads.objects[kind.collection].pop(name or "", None) is None:
            raise faults.not_found(kind.label, workloads.full_name(kind, name or ""))
        emulator.synced_delete(kind, name or "")
    return 200, {}


_METHODS = {"create": _create, "update": _update, "get": _get, "list": _list, "delete": _delete}
