"""How a triggerer reaches the cluster: the kube config resolved on the worker, as data, and its async API client.

Nothing here reads a file or an Airflow connection: the worker resolves them (``ComposerConnection``) and hands the
result over in the trigger's arguments.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Dict, List, Optional

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterConnection:
    """How the triggerer reaches the cluster, resolved on the worker: no file or Airflow connection is read here."""

    config_dict: Optional[Dict[str, Any]] = None
    context: Optional[str] = None
    in_cluster: bool = False
    verify_ssl: bool = True

    @cached_property  # a watch and its client's lease both ask
    def key(self) -> str:
        """Equal for triggers that reach the same cluster as the same user: they share watches."""
        data = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "config_dict": self.config_dict,
            "context": self.context,
            "in_cluster": self.in_cluster,
            "verify_ssl": self.verify_ssl,
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> ClusterConnection:
        return cls(
            config_dict=data.get("config_dict"),
            context=data.get("context"),
            in_cluster=bool(data.get("in_cluster")),
            verify_ssl=data.get("verify_ssl", True) is not False,
        )


def _load_configuration(connection: ClusterConnection) -> Any:
    """Runs in a worker thread: loading a kube config may write certificate files and run auth plugins."""
    from kubernetes_asyncio import client, config

    configuration = client.Configuration()
    if connection.in_cluster:
        config.load_incluster_config(client_configuration=configuration)
    else:
        asyncio.run(
            config.load_kube_config_from_dict(
                connection.config_dict or {}, context=connection.context, client_configuration=configuration
            )
        )
    if not connection.verify_ssl:
        configuration.verify_ssl = False
    return configuration


async def new_api_client(connection: ClusterConnection, *, connections: Optional[int] = 100) -> Any:
    """A ``kubernetes_asyncio`` ApiClient for ``connection``, with at most ``connections`` open at once (None: no
    limit; 100 is the client's default); the caller closes it."""
    from kubernetes_asyncio import client

    configuration = await asyncio.get_running_loop().run_in_executor(None, _load_configuration, connection)
    configuration.connection_pool_maxsize = connections
    return client.ApiClient(configuration)


class ApiStatusError(Exception):
    """The API answered a list or watch with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message[:300]}")
        self.status = status


async def read_json(response: Any) -> Any:
    """The body of a ``_preload_content=False`` response, decoded, or ApiStatusError."""
    return json.loads(await read_body(response))


async def read_body(response: Any) -> bytes:
    """The body of a ``_preload_content=False`` response, as bytes, or ApiStatusError."""
    try:
        body = await response.read()
        if response.status >= 400:
            raise ApiStatusError(response.status, body.decode("utf-8", "replace"))
        return body
    finally:
        response.release()


async def close_quietly(api: Any) -> None:
    try:
        await api.close()
    except Exception:  # closing a broken session must not hide why it broke
        log.debug("Closing the Kubernetes API client failed", exc_info=True)


async def delete_pod(
    connection: ClusterConnection, namespace: str, name: str, grace_period_seconds: Optional[int] = None
) -> bool:
    """Delete one pod with a client of its own (a killed task's trigger); False if it was already gone."""
    from kubernetes_asyncio.client import CoreV1Api

    api = await new_api_client(connection)
    try:
        kwargs: Dict[str, Any] = {"_preload_content": False}
        if grace_period_seconds is not None:
            kwargs["grace_period_seconds"] = grace_period_seconds
        try:
            await read_json(await CoreV1Api(api).delete_namespaced_pod(name, namespace, **kwargs))
        except ApiStatusError as error:
            if error.status == 404:
                return False
            raise
        return True
    finally:
        await close_quietly(api)


async def list_pod_events(connection: ClusterConnection, namespace: str, name: str) -> List[Dict[str, Any]]:
    """The pod's events as dicts (one request, with a client of its own: only failures need it in the triggerer)."""
    from kubernetes_asyncio.client import CoreV1Api

    api = await new_api_client(connection)
    try:
        response = await CoreV1Api(api).list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={name}", _preload_content=False
        )
        return list((await read_json(response)).get("items") or [])
    finally:
        await close_quietly(api)
