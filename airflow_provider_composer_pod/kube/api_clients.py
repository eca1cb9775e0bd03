"""Kubernetes API clients whose every call retries transient failures (see :mod:`~.retries`).

The seam is ``ApiClient.call_api``: every generated API method of both the ``kubernetes`` and the
``kubernetes_asyncio`` client goes through it, on every client version, so the calls KubernetesPodOperator's own
code makes (PodManager, find_pod, cleanup, XCom exec) retry too, whatever provider version is installed.

- A call that reads its whole answer is retried as a whole. It also gets a (connect, read) timeout when it set none,
  so a half-open connection fails and is retried instead of hanging.
- A streaming call (``_preload_content=False``: log follows, watches, exec) retries only its opening; what breaks
  later is the reader's to resume.
- A create is sent again only when it certainly did not reach the server. A pod create goes through
  :func:`~.pod_identity.create_pod_once`, which looks for the pod by the try's labels before sending it again.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Dict, Optional, Sequence

from airflow_provider_composer_pod.kube.pod_identity import create_pod_once, identity_selector, pick_created_pod
from airflow_provider_composer_pod.kube.retries import (
    TRANSIENT_STATUSES,
    Outage,
    RetryPolicy,
    acall_with_retries,
    call_with_retries,
    never_delivered,
)

log = logging.getLogger(__name__)

_POD_COLLECTION = "/api/v1/namespaces/{namespace}/pods"
# call_api's leading parameters, the same in both clients and every version; the generated code passes the first
# five by position and the rest by keyword.
_PARAMETERS = ("resource_path", "method", "path_params", "query_params", "header_params", "body")


def _argument(args: Sequence[Any], kwargs: Dict[str, Any], name: str) -> Any:
    index = _PARAMETERS.index(name)
    return args[index] if len(args) > index else kwargs.get(name)


def _describe(args: Sequence[Any], kwargs: Dict[str, Any]) -> str:
    method = str(_argument(args, kwargs, "method") or "").upper()
    path = str(_argument(args, kwargs, "resource_path") or "")
    try:
        path = path.format(**dict(_argument(args, kwargs, "path_params") or {}))
    except (KeyError, IndexError, ValueError, TypeError):
        pass
    return f"{method} {path}"


class _RetryingCallApi:
    """Stands in for one sync ApiClient's ``call_api``."""

    def __init__(self, api_client: Any, call_api: Any, policy: RetryPolicy, logger: Any) -> None:
        self.api_client = api_client
        self.call_api = call_api
        self.policy = policy
        self.logger = logger
        self.outage = Outage()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("async_req"):  # a thread-pool future: nothing to retry around
            return self.call_api(*args, **kwargs)
        method = str(_argument(args, kwargs, "method") or "").upper()
        streaming = kwargs.get("_preload_content", True) is False
        # kubernetes.stream swaps the client's ``request`` for a websocket call, which takes a plain number.
        websocket = "request" in vars(self.api_client)
        if not streaming and not websocket and kwargs.get("_request_timeout") is None:
            kwargs["_request_timeout"] = self.policy.request_timeout
        what = _describe(args, kwargs)

        def send() -> Any:
            return self.call_api(*args, **kwargs)

        if method == "POST" and _argument(args, kwargs, "resource_path") == _POD_COLLECTION and not streaming:
            return self._create_pod(send, args, kwargs, what)
        return call_with_retries(
            send,
            self.policy,
            what=what,
            logger=self.logger,
            outage=self.outage,
            retryable=never_delivered if method == "POST" else None,
        )

    def _create_pod(self, send: Any, args: Sequence[Any], kwargs: Dict[str, Any], what: str) -> Any:
        body = self.api_client.sanitize_for_serialization(_argument(args, kwargs, "body")) or {}
        metadata = body.get("metadata") or {}
        namespace = (_argument(args, kwargs, "path_params") or {}).get("namespace") or metadata.get("namespace")
        selector = identity_selector(metadata.get("labels"))
        if selector is None:  # not an operator's pod: no label identity, so never sent twice unless undelivered
            return call_with_retries(
                send, self.policy, what=what, logger=self.logger, outage=self.outage, retryable=never_delivered
            )

        def find() -> Optional[Any]:
            from kubernetes.client import CoreV1Api

            pods = CoreV1Api(self.api_client).list_namespaced_pod(namespace, label_selector=selector).items
            return pick_created_pod(pods, metadata.get("name"))

        def answer(pod: Any) -> Any:
            return pod if kwargs.get("_return_http_data_only") else (pod, 200, {})  # *_with_http_info's shape

        return create_pod_once(
            send,
            find,
            self.policy,
            what=what,
            describe=selector,
            logger=self.logger,
            outage=self.outage,
            answer=answer,
        )


class _AsyncRetryingCallApi:
    """Stands in for one ``kubernetes_asyncio`` ApiClient's ``call_api`` (which returns an awaitable)."""

    def __init__(self, call_api: Any, policy: RetryPolicy, logger: Any) -> None:
        self.call_api = call_api
        self.policy = policy
        self.logger = logger
        self.outage = Outage()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(args, kwargs)

    async def _call(self, args: Sequence[Any], kwargs: Dict[str, Any]) -> Any:
        streaming = kwargs.get("_preload_content", True) is False

        async def send() -> Any:
            result = self.call_api(*args, **kwargs)
            result = await result if inspect.isawaitable(result) else result
            if streaming:
                await _raise_for_transient_status(result)
            return result

        method = str(_argument(args, kwargs, "method") or "").upper()
        return await acall_with_retries(
            send,
            self.policy,
            what=_describe(args, kwargs),
            logger=self.logger,
            outage=self.outage,
            retryable=never_delivered if method == "POST" else None,
        )


async def _raise_for_transient_status(response: Any) -> None:
    """kubernetes_asyncio hands a stream's response over whatever its status; a transient one must be retried."""
    status = getattr(response, "status", None)
    if status not in TRANSIENT_STATUSES:
        return
    from kubernetes_asyncio.client.exceptions import ApiException

    error = ApiException(status=status, reason=getattr(response, "reason", None))
    error.headers = dict(getattr(response, "headers", None) or {})  # type: ignore[assignment]
    error.body = await response.text()
    response.release()
    raise error


def retrying_api_client(api_client: Any, policy: RetryPolicy, logger: Any = None) -> Any:
    """Make every call through a ``kubernetes`` ApiClient retry transient failures; returns the same client."""
    current = vars(api_client).get("call_api")
    original = current.call_api if isinstance(current, _RetryingCallApi) else api_client.call_api
    api_client.call_api = _RetryingCallApi(api_client, original, policy, logger or log)
    # urllib3's own silent retries (three immediate reconnects, Retry-After waits) would hide attempts from the log
    # and from the outage's clock: here every attempt is ours.
    pool_kw = getattr(
        getattr(getattr(api_client, "rest_client", None), "pool_manager", None), "connection_pool_kw", None
    )
    if isinstance(pool_kw, dict):
        pool_kw["retries"] = False
    return api_client


def retrying_async_api_client(api_client: Any, policy: RetryPolicy, logger: Any = None) -> Any:
    """Make every call through a ``kubernetes_asyncio`` ApiClient retry transient failures; returns the client.

    Creates are sent again only when they certainly did not reach the server.
    """
    current = vars(api_client).get("call_api")
    original = current.call_api if isinstance(current, _AsyncRetryingCallApi) else api_client.call_api
    api_client.call_api = _AsyncRetryingCallApi(original, policy, logger or log)
    return api_client


__all__ = ["retrying_api_client", "retrying_async_api_client"]
