"""``ComposerEnvironmentClient``: one environment's user-workloads Secrets and ConfigMaps over the Composer API v1.

Every method checks its input before sending anything and turns every failed call into a ``ComposerApiError``
whose message says what to do. Secret values go out base64-encoded and are never read back: Get clears them
("Values of the "data" field in the response are cleared", v1 proto), and ``UserWorkload.data`` is ``None`` for a
Secret whatever the server answers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple, Union

from airflow_provider_composer_pod.composer_api import answers, inputs
from airflow_provider_composer_pod.composer_api.answers import Call
from airflow_provider_composer_pod.composer_api.errors import ComposerApiError
from airflow_provider_composer_pod.composer_api.kinds import Kind, kind_of
from airflow_provider_composer_pod.composer_api.target import TOKEN_VARIABLE, EnvironmentRef, resolve_endpoint

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True)
class UserWorkload:
    """A Secret or ConfigMap as the API lists it: ``data`` is ``None`` for a Secret (its values are never kept)."""

    kind: str
    name: str
    keys: Tuple[str, ...]
    data: Optional[Dict[str, str]]


class ComposerEnvironmentClient:
    """Create, read, list, replace and delete one environment's user-workloads Secrets and ConfigMaps.

    :param environment: which environment (see ``detect_environment``).
    :param endpoint: the API's base URL; default ``$COMPOSER_POD_COMPOSER_API_ENDPOINT``, else Google's.
    :param token: a bearer token to send as is; without it ``credentials``, else ``$COMPOSER_POD_COMPOSER_API_TOKEN``,
        else Application Default Credentials (the environment's service account on a Composer worker).
    :param credentials: ``google.auth`` credentials, refreshed when expired.
    :param timeout: seconds per HTTP request.
    :param ca_cert: a CA bundle to verify the endpoint's TLS certificate with (the system's by default).
    """

    def __init__(
        self,
        environment: EnvironmentRef,
        *,
        endpoint: Optional[str] = None,
        token: Optional[str] = None,
        credentials: Any = None,
        timeout: float = 30.0,
        ca_cert: Optional[str] = None,
    ) -> None:
        self.environment = environment
        self._endpoint = endpoint
        self._token = token
        self._credentials = credentials
        self.timeout = timeout
        self.ca_cert = ca_cert
        self._session: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.environment.name!r}, endpoint={self.endpoint!r})"

    @property
    def endpoint(self) -> str:
        return resolve_endpoint(self._endpoint)

    # ------------------------------------------------------------------------------------------------- Secrets
    def create_secret(self, name: str, data: Mapping[str, str]) -> None:
        self._write("secret", "create", name, data)

    def update_secret(self, name: str, data: Mapping[str, str]) -> None:
        self._write("secret", "update", name, data)

    def apply_secret(self, name: str, data: Mapping[str, str]) -> str:
        return self._apply("secret", name, data)

    def get_secret(self, name: str) -> Optional[UserWorkload]:
        return self._get("secret", name)

    def list_secrets(self, page_size: Optional[int] = None) -> Iterator[UserWorkload]:
        return self._list("secret", page_size)

    def delete_secret(self, name: str) -> bool:
        return self._delete("secret", name)

    # ---------------------------------------------------------------------------------------------- ConfigMaps
    def create_config_map(self, name: str, data: Mapping[str, str]) -> None:
        self._write("config_map", "create", name, data)

    def update_config_map(self, name: str, data: Mapping[str, str]) -> None:
        self._write("config_map", "update", name, data)

    def apply_config_map(self, name: str, data: Mapping[str, str]) -> str:
        return self._apply("config_map", name, data)

    def get_config_map(self, name: str) -> Optional[UserWorkload]:
        return self._get("config_map", name)

    def list_config_maps(self, page_size: Optional[int] = None) -> Iterator[UserWorkload]:
        return self._list("config_map", page_size)

    def delete_config_map(self, name: str) -> bool:
        return self._delete("config_map", name)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # ------------------------------------------------------------------------------------------------ the calls
    def _path(self, kind: Kind, name: str = "") -> str:
        collection = f"/v1/{self.environment.name}/{kind.collection}"
        return f"{collection}/{name}" if name else collection

    def _write(self, key: str, verb: str, name: str, data: Mapping[str, str]) -> None:
        kind = kind_of(key)
        inputs.check_name(kind, name)
        checked = inputs.check_data(kind, data)
        encoded = inputs.encode_data(kind, checked)
        hidden = tuple(v for v in (*checked.values(), *encoded.values()) if v) if kind.key == "secret" else ()
        call = Call(kind, verb, self.environment, name, hidden)
        body = {"name": f"{self.environment.name}/{kind.collection}/{name}", "data": encoded}
        # Create takes the new object's id in the body's name (no id query parameter); Update is a PUT of the whole
        # object on its own name (research section 1).
        if verb == "create":
            self._request(call, "POST", self._path(kind), body=body)
        else:
            self._request(call, "PUT", self._path(kind, name), body=body)

    def _apply(self, key: str, name: str, data: Mapping[str, str]) -> str:
        kind = kind_of(key)
        inputs.check_name(kind, name)
        inputs.check_data(kind, data)
        try:
            self._write(key, "create", name, data)
            return "created"
        except ComposerApiError as error:
            if error.status != 409:
                raise
        self._write(key, "update", name, data)
        return "replaced"

    def _get(self, key: str, name: str) -> Optional[UserWorkload]:
        kind = kind_of(key)
        inputs.check_name(kind, name)
        call = Call(kind, "get", self.environment, name)
        payload = self._request(call, "GET", self._path(kind, name), missing_ok=True)
        return None if payload is None else _workload(kind, payload)

    def _list(self, key: str, page_size: Optional[int]) -> Iterator[UserWorkload]:
        kind = kind_of(key)
        inputs.check_page_size(page_size)
        return self._pages(kind, page_size)

    def _pages(self, kind: Kind, page_size: Optional[int]) -> Iterator[UserWorkload]:
        call = Call(kind, "list", self.environment)
        token = ""
        while True:
            params: Dict[str, Union[str, int]] = {}
            if page_size:
                params["pageSize"] = page_size
            if token:
                params["pageToken"] = token
            payload = self._request(call, "GET", self._path(kind), params=params) or {}
            # proto3 JSON omits empty fields: a last (or empty) page may have no list and no token.
            for item in payload.get(kind.collection) or []:
                yield _workload(kind, item)
            token = str(payload.get("nextPageToken") or "")
            if not token:
                return

    def _delete(self, key: str, name: str) -> bool:
        kind = kind_of(key)
        inputs.check_name(kind, name)
        call = Call(kind, "delete", self.environment, name)
        return self._request(call, "DELETE", self._path(kind, name), missing_ok=True) is not None

    # ------------------------------------------------------------------------------------------------- transport
    def _request(
        self,
        call: Call,
        method: str,
        path: str,
        body: Optional[Dict[str, Any]] = None,
        params: Optional[Dict[str, Union[str, int]]] = None,
        missing_ok: bool = False,
    ) -> Optional[Dict[str, Any]]:
        """The answer's JSON; ``None`` when ``missing_ok`` and the object (not the environment) is not there."""
        import requests

        endpoint = self.endpoint
        headers = {"Authorization": f"Bearer {self._bearer_token(call)}", "Accept": "application/json"}
        try:
            response = self._http().request(
                method,
                endpoint + path,
                json=body,
                params=params,
                headers=headers,
                timeout=self.timeout,
                verify=self.ca_cert or True,
            )
        except requests.RequestException as problem:
            raise answers.unreachable(call, endpoint, problem) from None
        try:
            payload = response.json() if response.content else {}
        except ValueError:
            payload = {"error": {"message": response.text[:200]}}
        if missing_ok and response.status_code == 404 and not answers.missing_is_the_environment(call, payload):
            return None
        if response.status_code >= 400:
            raise answers.from_response(call, response.status_code, payload)
        return payload if isinstance(payload, dict) else {}

    def _http(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def _bearer_token(self, call: Call) -> str:
        token = self._token or (None if self._credentials is not None else os.environ.get(TOKEN_VARIABLE))
        if token:
            return token
        import google.auth
        import google.auth.exceptions

        try:
            credentials = self._credentials
            if credentials is None:
                credentials, _ = google.auth.default(scopes=[SCOPE])
                self._credentials = credentials
            if not credentials.valid:
                from google.auth.transport.requests import Request

                credentials.refresh(Request())
        except google.auth.exceptions.GoogleAuthError as problem:
            raise answers.no_credentials(call, problem) from None
        return str(credentials.token)


def _workload(kind: Kind, payload: Mapping[str, Any]) -> UserWorkload:
    data = payload.get("data")
    data = data if isinstance(data, dict) else {}
    name = str(payload.get("name") or "").rsplit("/", 1)[-1]
    keys = tuple(sorted(data))
    values = None if kind.key == "secret" else {str(k): str(v) for k, v in data.items()}
    return UserWorkload(kind.key, name, keys, values)
