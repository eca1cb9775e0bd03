"""``AsyncComposerPodHook``: the async hook KPO's trigger needs, with the connection already resolved on the worker.

A trigger runs in the triggerer's event loop, where a synchronous connection look-up blocks every other trigger. The
worker's ComposerPodHook resolves the connection and the kube config once and hands the result over
(:meth:`ComposerPodHook.async_hook`); this hook then never looks a connection up.
"""

from __future__ import annotations

import contextlib
from functools import cached_property
from typing import Any, AsyncIterator, Dict, Optional

from airflow_provider_composer_pod.compat import PROVIDER_VERSION, AsyncKubernetesHook
from airflow_provider_composer_pod.environment import ComposerEnvironment
from airflow_provider_composer_pod.hooks.connection import ComposerConnection
from airflow_provider_composer_pod.kube.api_clients import retrying_async_api_client
from airflow_provider_composer_pod.kube.retries import RetryPolicy

if AsyncKubernetesHook is None:  # pragma: no cover - provider 4.x has no async hook (and no trigger) at all
    raise ImportError(
        f"AsyncComposerPodHook needs apache-airflow-providers-cncf-kubernetes>=5.2.0; this environment has "
        f"{PROVIDER_VERSION}"
    )


class AsyncComposerPodHook(AsyncKubernetesHook):  # type: ignore[misc,valid-type]
    """Reads only the extras it was given; the Composer namespace and generation fill gaps as in ComposerPodHook.

    Every call through its client retries transient API failures, as ComposerPodHook's do, for the worker's
    resolved ``api_retry_timeout``.
    """

    def __init__(
        self,
        *args: Any,
        resolved_extras: Optional[Dict[str, Any]] = None,
        composer_generation: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.resolved_extras: Dict[str, Any] = dict(resolved_extras or {})
        self.composer_connection = ComposerConnection(
            self, composer_generation=composer_generation, extras=self.resolved_extras
        )

    @property
    def composer_generation(self) -> Any:
        return self.composer_connection.composer_generation

    @cached_property
    def conn_extras(self) -> Dict[str, Any]:
        return self.composer_connection.kube_extras

    async def get_conn_extras(self) -> Dict[str, Any]:
        return self.conn_extras

    async def _get_field(self, field_name: str) -> Any:
        return self.composer_connection.field(field_name)

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.composer_connection.retry_policy

    @contextlib.asynccontextmanager
    async def get_conn(self) -> AsyncIterator[Any]:  # type: ignore[override]
        async with super().get_conn() as api_client:
            yield retrying_async_api_client(api_client, self.retry_policy, self.log)

    @property
    def composer_environment(self) -> ComposerEnvironment:
        return self.composer_connection.environment

    def get_namespace(self) -> Optional[str]:
        return self.composer_connection.namespace()

    _get_namespace = get_namespace
