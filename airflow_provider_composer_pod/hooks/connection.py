"""The ``kubernetes``/``composer_pod`` connection as Composer reads it, over any KubernetesHook.

``ComposerPodHook`` reads its connection through it, and ``ComposerPodOperator`` puts it on the hook that
KubernetesPodOperator builds itself (through KPO's own ``hook`` seam), so that KPO's code, and every test or plugin
that reaches KPO's hook, sees the same connection as ours:

- extras read prefixed or not, for both connection types, and a missing ``kubernetes_default`` meaning the defaults
  (:mod:`~airflow_provider_composer_pod.extras`);
- the Composer generation, the namespace default and the retry policy, each read once;
- the kube config chosen once: Composer's ``/home/airflow/composer_kube_config`` fills ``config_file`` only when
  neither the arguments nor the connection say how to reach a cluster.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Union

import yaml

from airflow_provider_composer_pod.environment import COMPOSER_KUBE_CONFIG, ComposerEnvironment, detect_environment
from airflow_provider_composer_pod.errors import ComposerPodConfigError
from airflow_provider_composer_pod.extras import FIELDS, as_bool, extra_field
from airflow_provider_composer_pod.kube.cluster import ClusterConnection
from airflow_provider_composer_pod.kube.retries import RetryPolicy, retry_policy

# Connection extras that already say how to reach the cluster; when any is set, we leave the choice to KubernetesHook.
_CONNECTION_CONFIG_FIELDS = ("in_cluster", "kube_config_path", "kube_config")
# Connections that may be absent, meaning "use the defaults" (as KubernetesHook 7+ treats kubernetes_default).
OPTIONAL_CONNECTIONS = ("kubernetes_default", "composer_pod_default")


class ComposerConnection:
    """Composer's reading of ``hook``'s connection; ``hook`` is a KubernetesHook (ours or KPO's)."""

    composer_kube_config = COMPOSER_KUBE_CONFIG

    def __init__(
        self,
        hook: Any,
        *,
        composer_generation: Union[int, str, None] = None,
        api_retry_timeout: Optional[float] = None,
        extras: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.hook = hook
        self.composer_generation = composer_generation
        self.api_retry_timeout = api_retry_timeout
        self.extras = extras  # given (a trigger's, resolved on the worker): the connection is not read
        self.read_connection: Optional[Callable[[str], Any]] = None
        """How to look the connection up; None: the hook's ``get_connection`` (a task's way; the CLI sets Airflow's
        own CLI's way, ``compat.connection_from_secrets``)."""
        self._config_source: Optional[str] = None

    @cached_property
    def kube_extras(self) -> Dict[str, Any]:
        """The known extras, each under its plain and its ``extra__kubernetes__`` name, so every provider finds it."""
        hook = self.hook
        raw: Mapping[str, Any] = self.extras if self.extras is not None else self._raw_extras(hook.conn_id)
        known = {name: value for name in FIELDS if (value := extra_field(raw, name)) is not None}
        if getattr(hook, "config_file", None) and (known.get("kube_config") or as_bool(known.get("in_cluster"))):
            # KubernetesHook 10.5+ rejects this as "mutually exclusive"; earlier providers let config_file win.
            hook.log.warning(
                "config_file=%s is given, so connection %r's in-cluster or inline kube config is ignored.",
                hook.config_file,
                hook.conn_id,
            )
            known.pop("kube_config", None)
            known.pop("in_cluster", None)
        return {**known, **{f"extra__kubernetes__{name}": value for name, value in known.items()}}

    def _raw_extras(self, conn_id: Optional[str]) -> Mapping[str, Any]:
        from airflow.exceptions import AirflowNotFoundException

        if not conn_id:
            return {}
        try:
            connection = (self.read_connection or self.hook.get_connection)(conn_id)
        except AirflowNotFoundException:
            unreadable = unreadable_environment_connection(conn_id)
            if unreadable is not None:
                raise unreadable from None
            if conn_id not in OPTIONAL_CONNECTIONS:
                raise
            self.hook.log.info("Connection %r does not exist; using the defaults instead.", conn_id)
            return {}
        check_extra_json(conn_id, getattr(connection, "extra", None))
        return dict(connection.extra_dejson)

    def field(self, name: str) -> Any:
        return extra_field(self.kube_extras, name)

    @cached_property
    def environment(self) -> ComposerEnvironment:
        return detect_environment(generation=self.composer_generation or self.field("composer_generation"))

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """From ``api_retry_timeout``, else the connection's extra; a bad value raises ComposerPodInputError."""
        if self.api_retry_timeout is not None:
            return retry_policy(self.api_retry_timeout)
        parameter = f"connection {self.hook.conn_id!r} extra api_retry_timeout"
        return retry_policy(self.field("api_retry_timeout"), parameter=parameter)

    def namespace(self) -> Optional[str]:
        """The connection's namespace, else the Composer generation's."""
        return self.field("namespace") or self.environment.default_namespace

    def resolve_config_source(self) -> str:
        """Pick the kube config once, fill the hook's ``config_file`` if it is a gap, and log one line saying which."""
        if self._config_source is not None:
            return self._config_source
        hook = self.hook
        if hook.config_file:
            source = f"config_file {hook.config_file}"
        elif hook.in_cluster or getattr(hook, "config_dict", None):
            source = "in-cluster configuration" if hook.in_cluster else "config_dict"
        elif any(self.field(name) for name in _CONNECTION_CONFIG_FIELDS):
            source = f"connection {hook.conn_id!r}"
        elif os.path.exists(self.composer_kube_config):
            hook.config_file = self.composer_kube_config
            source = f"Composer kube config {hook.config_file}"
        else:
            kubeconfig = os.environ.get("KUBECONFIG")
            source = f"KUBECONFIG={kubeconfig}" if kubeconfig else "in-cluster or ~/.kube/config"
        self._config_source = source
        hook.log.info("Kubernetes config: %s; %s.", source, self.environment.describe())
        return source

    def config_error(self, error: Exception) -> ComposerPodConfigError:
        """The kube config could not be loaded: say which one, and what to fix, instead of a traceback."""
        context = self.hook.cluster_context
        missing = self.missing_config_file()
        if missing is not None:
            return ComposerPodConfigError(
                f"The kube config file {missing} does not exist ({self.resolve_config_source()}). Fix the path in the "
                "config_file argument or the connection's kube_config_path (on Cloud Composer: "
                f"{COMPOSER_KUBE_CONFIG}), or create the file."
            )
        return ComposerPodConfigError(
            f"The Kubernetes config ({self.resolve_config_source()}"
            + (f", context {context!r}" if context else "")
            + f") cannot be used: {error}. Fix the connection's kube config, or the config_file or "
            "cluster_context argument."
        )

    def missing_config_file(self) -> Optional[str]:
        """The kube config path chosen (argument, connection or ``KUBECONFIG``) when that file does not exist."""
        hook = self.hook
        candidates = [hook.config_file or self.field("kube_config_path")]
        if not any(candidates) and not hook.in_cluster and not self.field("kube_config"):
            if getattr(hook, "config_dict", None) or as_bool(self.field("in_cluster")):
                return None
            candidates = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)
            if not any(candidates) and not os.environ.get("KUBERNETES_SERVICE_HOST"):
                candidates = ["~/.kube/config"]  # what the kubernetes client reads when told nothing
        paths = [str(path) for path in candidates if path]
        if paths and not any(os.path.exists(os.path.expanduser(path)) for path in paths):
            return os.pathsep.join(paths)
        return None

    def cluster(self) -> ClusterConnection:
        """The kube config as data, for a triggerer that must read no file or connection: the resolved one's file
        (the arguments', the connection's, Composer's) or inline config, else what the kubernetes client loads when
        told nothing (the first KUBECONFIG entry that exists, ``~/.kube/config``, else the in-cluster config)."""
        extras = self.resolved_extras()
        verify = not as_bool(extras.get("disable_verify_ssl"))
        if as_bool(extras.get("in_cluster")):
            return ClusterConnection(in_cluster=True, verify_ssl=verify)
        path: Optional[str] = extras.get("kube_config_path")
        inline: Any = extras.get("kube_config") or ""
        if path is None and not inline:
            candidates = [*(os.environ.get("KUBECONFIG") or "").split(os.pathsep), "~/.kube/config"]
            path = next((c for c in candidates if c and os.path.exists(os.path.expanduser(c))), None)
            if path is None:
                return ClusterConnection(in_cluster=True, verify_ssl=verify)
        if path is not None:
            with open(os.path.expanduser(path)) as handle:
                config = yaml.safe_load(handle) or {}
        else:
            config = inline if isinstance(inline, dict) else yaml.safe_load(str(inline)) if str(inline).strip() else {}
        return ClusterConnection(config_dict=config, context=extras.get("cluster_context"), verify_ssl=verify)

    def resolved_extras(self) -> Dict[str, Any]:
        """The connection as resolved here, config file included: all an async hook needs, no look-ups."""
        self.resolve_config_source()
        hook = self.hook
        resolved = {name: value for name in FIELDS if (value := self.field(name)) is not None}
        if hook.config_file:
            resolved["kube_config_path"] = hook.config_file
            resolved.pop("kube_config", None)
            resolved.pop("in_cluster", None)
        if hook.in_cluster is not None:
            resolved["in_cluster"] = hook.in_cluster
        if hook.cluster_context:
            resolved["cluster_context"] = hook.cluster_context
        resolved["api_retry_timeout"] = self.retry_policy.timeout
        return resolved


class LazyExtras(Mapping[str, Any]):
    """``ComposerConnection.kube_extras`` read on first use, as KubernetesHook reads ``conn_extras``."""

    def __init__(self, connection: ComposerConnection) -> None:
        self._connection = connection

    def __getitem__(self, key: str) -> Any:
        return self._connection.kube_extras[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._connection.kube_extras)

    def __len__(self) -> int:
        return len(self._connection.kube_extras)


def check_extra_json(conn_id: str, extra: Any) -> None:
    """Raise for an extra that is not a JSON object (Airflow logs the error and reads it as empty: no extras)."""
    if not isinstance(extra, str) or not extra.strip():
        return
    try:
        parsed = json.loads(extra)
    except ValueError as error:
        problem = f"is not valid JSON ({error})"
    else:
        if isinstance(parsed, dict):
            return
        problem = f"is JSON but not an object (it is a {type(parsed).__name__})"
    raise ComposerPodConfigError(
        f"Connection {conn_id!r}: its extra {problem}. Fix: make the connection's Extra a JSON object, e.g. "
        '{"namespace": "composer-user-workloads"} (airflow connections add ... --conn-extra \'{...}\').'
    )


def unreadable_environment_connection(conn_id: str) -> Optional[ComposerPodConfigError]:
    """Why ``AIRFLOW_CONN_<ID>`` is set and still "not defined": Airflow skips a JSON value it cannot read."""
    from urllib.parse import parse_qs, urlsplit

    name = f"AIRFLOW_CONN_{conn_id.upper()}"
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if value.startswith("{"):
        what, text = "is set but is not valid JSON", value
    else:  # a URI; its extras are either query parameters or one JSON object in __extra__
        what, text = (
            "has an __extra__ that is not valid JSON",
            (parse_qs(urlsplit(value).query).get("__extra__") or [""])[0],
        )
    try:
        json.loads(text or "{}")
    except ValueError as error:
        return ComposerPodConfigError(
            f"Connection {conn_id!r}: {name} {what} ({error}), so Airflow skips it. Fix: set it to a JSON object "
            'such as {"conn_type": "kubernetes", "extra": {"namespace": "default"}}, or to a connection URI.'
        )
    return None


def read_through(hook: Any, **arguments: Any) -> Any:
    """Make ``hook`` (a KubernetesHook that KPO built) read its connection as Composer does; returns ``hook``.

    Its :class:`ComposerConnection` (built from ``arguments``) is ``hook.composer_connection``.
    """
    hook.composer_connection = ComposerConnection(hook, **arguments)
    hook.conn_extras = LazyExtras(hook.composer_connection)  # shadows KubernetesHook's cached_property: ours
    return hook
