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
from airflow_provider_composer_pod.environment import ComposerEnvironment, detect_environment
from airflow_provider_composer_pod.extras import extra_field
from airflow_provider_composer_pod.kube.api_clients import retrying_async_api_client
from airflow_provider_composer_pod.kube.retries import RetryPolicy, retry_policy

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
        self.composer_generation = composer_generation

    @cached_property
    def conn_extras(self) -> Dict[str, Any]:
        return {**self.resolved_extras, **{f"extra__kubernetes__{k}": v for k, v in self.resolved_extras.items()}}

    async def get_conn_extras(self) -> Dict[str, Any]:
        return self.conn_extras

    async def _get_field(self, field_name: str) -> Any:
        return extra_field(self.resolved_extras, field_name)

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        return retry_policy(extra_field(self.resolved_extras, "api_retry_timeout"))

    @contextlib.asynccontextmanager
    async def get_conn(self) -> AsyncIterator[Any]:  # type: ignore[override]
        async with super().get_conn() as api_client:
            yield retrying_async_api_client(api_client, self.retry_policy, self.log)

    @cached_property
    def composer_environment(self) -> ComposerEnvironment:
        generation = self.composer_generation or extra_field(self.resolved_extras, "composer_generation")
        return detect_environment(generation=generation)

    def get_namespace(self) -> Optional[str]:
        return extra_field(self.resolved_extras, "namespace") or self.composer_environment.default_namespace

    _get_namespace = get_namespace
