"""``ComposerPodHook``: KubernetesHook with Composer's kube config and namespace as gap-fillers."""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any, Dict, Optional, Tuple, Union

from airflow.exceptions import AirflowException

from airflow_provider_composer_pod.api_clients import retrying_api_client
from airflow_provider_composer_pod.compat import KubernetesHook, async_hook_config, hook_connection_kwargs
from airflow_provider_composer_pod.environment import (
    COMPOSER_KUBE_CONFIG,
    USER_WORKLOADS_NAMESPACE,
    ComposerEnvironment,
    detect_environment,
)
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.extras import FIELDS, as_bool, extra_field
from airflow_provider_composer_pod.retries import NO_RETRIES, RetryPolicy, retry_policy

# Connection extras that already say how to reach the cluster; when any is set, we leave the choice to KubernetesHook.
_CONNECTION_CONFIG_FIELDS = ("in_cluster", "kube_config_path", "kube_config")
# Connections that may be absent, meaning "use the defaults" (as KubernetesHook 7+ treats kubernetes_default).
_OPTIONAL_CONNECTIONS = ("kubernetes_default", "composer_pod_default")

_HIDDEN_FIELDS = ["host", "schema", "login", "password", "port"]
_RELABELING = {"extra": "Extra (JSON; other KubernetesHook extras such as xcom_sidecar_container_image)"}
_PLACEHOLDERS = {
    "kube_config_path": COMPOSER_KUBE_CONFIG,
    "namespace": USER_WORKLOADS_NAMESPACE,
    "cluster_context": "the kube config's current context",
    "composer_generation": "auto, 1, 2 or 3",
    "api_retry_timeout": "300",
    "extra": '{"xcom_sidecar_container_image": "alpine"}',
}


class ComposerPodConfigError(AirflowException):
    """The kube config the task resolved cannot be loaded (a missing file, a context it does not have)."""


class ComposerPodHook(KubernetesHook):
    """Talks to the Composer environment's own GKE cluster unless told otherwise.

    It fills gaps and never overrides what KubernetesHook would take: with no ``config_file`` argument and no kube
    config in the connection, it uses ``/home/airflow/composer_kube_config`` where that file exists; with no namespace
    in the connection, ``get_namespace()`` gives the detected generation's namespace. Extras are read alike on every
    provider version, prefixed or not, for both the ``kubernetes`` and the ``composer_pod`` connection types.

    Every call through its client retries transient API failures for up to ``api_retry_timeout`` seconds of outage
    (the argument, else the connection's ``api_retry_timeout`` extra, else 300; see :mod:`~.retries`).
    """

    conn_name_attr = "kubernetes_conn_id"
    default_conn_name = "composer_pod_default"
    conn_type = "composer_pod"
    hook_name = "Cloud Composer Pod"

    composer_kube_config = COMPOSER_KUBE_CONFIG

    def __init__(
        self,
        conn_id: Optional[str] = default_conn_name,
        *,
        composer_generation: Union[int, str, None] = None,
        api_retry_timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        # Airflow builds a hook for the connection form's Test button as hook_class(kubernetes_conn_id=...).
        conn_id = kwargs.pop("kubernetes_conn_id", conn_id)
        super().__init__(**hook_connection_kwargs(conn_id), **kwargs)
        self.composer_generation = composer_generation
        self.api_retry_timeout = api_retry_timeout
        self._config_source: Optional[str] = None

    @classmethod
    def get_connection_form_widgets(cls) -> Dict[str, Any]:
        """Airflow 2 form; Airflow 3 reads ``conn-fields`` from get_provider_info (a test keeps both equal)."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, StringField

        return {
            "kube_config_path": StringField(
                lazy_gettext("Kube config path"), widget=BS3TextFieldWidget(), default=COMPOSER_KUBE_CONFIG
            ),
            "namespace": StringField(
                lazy_gettext("Namespace"), widget=BS3TextFieldWidget(), default=USER_WORKLOADS_NAMESPACE
            ),
            "in_cluster": BooleanField(lazy_gettext("In cluster configuration")),
            "cluster_context": StringField(lazy_gettext("Cluster context"), widget=BS3TextFieldWidget()),
            "composer_generation": StringField(
                lazy_gettext("Composer generation"), widget=BS3TextFieldWidget(), default="auto"
            ),
            "disable_verify_ssl": BooleanField(lazy_gettext("Disable SSL verification")),
            "strict_validation": BooleanField(lazy_gettext("Strict Autopilot checks")),
            "api_retry_timeout": StringField(lazy_gettext("API retry timeout (s)"), widget=BS3TextFieldWidget()),
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> Dict[str, Any]:
        return {
            "hidden_fields": list(_HIDDEN_FIELDS),
            "relabeling": dict(_RELABELING),
            "placeholders": dict(_PLACEHOLDERS),
        }

    @cached_property
    def conn_extras(self) -> Dict[str, Any]:
        """The known extras, each under its plain and its ``extra__kubernetes__`` name, so every provider finds it."""
        raw: Dict[str, Any] = {}
        if self.conn_id:
            raw = self._connection_extras(self.conn_id)
        known = {name: value for name in FIELDS if (value := extra_field(raw, name)) is not None}
        if self.config_file and (known.get("kube_config") or as_bool(known.get("in_cluster"))):
            # KubernetesHook 10.5+ rejects this as "mutually exclusive"; earlier providers let config_file win.
            self.log.warning(
                "config_file=%s is given, so connection %r's in-cluster or inline kube config is ignored.",
                self.config_file,
                self.conn_id,
            )
            known.pop("kube_config", None)
            known.pop("in_cluster", None)
        return {**known, **{f"extra__kubernetes__{name}": value for name, value in known.items()}}

    def _connection_extras(self, conn_id: str) -> Dict[str, Any]:
        from airflow.exceptions import AirflowNotFoundException

        try:
            return dict(self.get_connection(conn_id).extra_dejson)
        except AirflowNotFoundException:
            if conn_id not in _OPTIONAL_CONNECTIONS:
                raise
            self.log.info("Connection %r does not exist; using the defaults instead.", conn_id)
            return {}

    @cached_property
    def composer_environment(self) -> ComposerEnvironment:
        generation = self.composer_generation
        if generation is None and self.conn_id:
            generation = self._get_field("composer_generation")
        return detect_environment(generation=generation)

    def _connection_field(self, field: str) -> Any:
        return self._get_field(field) if self.conn_id else None

    def resolve_config_source(self) -> str:
        """Pick the kube config once, fill ``config_file`` if that is a gap, and log one line saying which."""
        if self._config_source is not None:
            return self._config_source
        if self.config_file:
            source = f"config_file {self.config_file}"
        elif self.in_cluster or getattr(self, "config_dict", None):
            source = "in-cluster configuration" if self.in_cluster else "config_dict"
        elif any(self._connection_field(field) for field in _CONNECTION_CONFIG_FIELDS):
            source = f"connection {self.conn_id!r}"
        elif os.path.exists(self.composer_kube_config):
            self.config_file = self.composer_kube_config
            source = f"Composer kube config {self.config_file}"
        else:
            kubeconfig = os.environ.get("KUBECONFIG")
            source = f"KUBECONFIG={kubeconfig}" if kubeconfig else "in-cluster or ~/.kube/config"
        self._config_source = source
        self.log.info("Kubernetes config: %s; %s.", source, self.composer_environment.describe())
        return source

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """From ``api_retry_timeout``, else the connection's extra; a bad value raises ComposerPodInputError."""
        if self.api_retry_timeout is not None:
            return retry_policy(self.api_retry_timeout)
        extra = self._connection_field("api_retry_timeout")
        return retry_policy(extra, parameter=f"connection {self.conn_id!r} extra api_retry_timeout")

    def get_conn(self) -> Any:
        source = self.resolve_config_source()
        from kubernetes.config.config_exception import ConfigException

        try:
            api_client = super().get_conn()
        except ConfigException as error:  # a missing file, a context it lacks: say which config, not a traceback
            raise ComposerPodConfigError(
                f"The Kubernetes config ({source}"
                + (f", context {self.cluster_context!r}" if self.cluster_context else "")
                + f") cannot be used: {error}. Fix the connection's kube config, or the config_file or "
                "cluster_context argument."
            ) from None
        return retrying_api_client(api_client, self.retry_policy, self.log)

    def get_namespace(self) -> Optional[str]:
        """The connection's namespace, else the Composer generation's (KPO asks only when the pod has none)."""
        return self._connection_field("namespace") or self.composer_environment.default_namespace

    # KubernetesPodOperator 5.0 to 6.x ask _get_namespace(), which returned the connection's namespace or None.
    _get_namespace = get_namespace

    def test_connection(self) -> Tuple[bool, str]:
        """Answer the UI's Test button and ``airflow connections test`` with a clear yes or no."""
        from airflow_provider_composer_pod.connection_check import check_connection

        try:
            self.retry_policy  # noqa: B018 - a bad 'API retry timeout (s)' is an answer too
        except ComposerPodInputError as error:
            return False, str(error)
        self.retry_policy = NO_RETRIES  # the Test button answers at once: an unreachable API is the answer
        if "api_client" in vars(self):  # a client built already keeps its policy unless told
            retrying_api_client(self.api_client, NO_RETRIES, self.log)
        return check_connection(self)

    def resolved_extras(self) -> Dict[str, Any]:
        """The connection as this hook resolved it, config file included: all an async hook needs, no look-ups."""
        self.resolve_config_source()
        extras = {name: self._get_field(name) for name in FIELDS}
        resolved = {name: value for name, value in extras.items() if value is not None}
        if self.config_file:
            resolved["kube_config_path"] = self.config_file
            resolved.pop("kube_config", None)
            resolved.pop("in_cluster", None)
        if self.in_cluster is not None:
            resolved["in_cluster"] = self.in_cluster
        if self.cluster_context:
            resolved["cluster_context"] = self.cluster_context
        resolved["api_retry_timeout"] = self.retry_policy.timeout
        return resolved

    def async_hook(self) -> Any:
        """An :class:`AsyncComposerPodHook` for triggers, built from this hook's resolved connection."""
        from airflow_provider_composer_pod.hooks.async_composer_pod import AsyncComposerPodHook

        extras = self.resolved_extras()
        return AsyncComposerPodHook(
            **hook_connection_kwargs(None),
            **async_hook_config(extras),
            resolved_extras=extras,
            composer_generation=self.composer_generation,
        )

    def create_or_replace_secret(self, manifest: Any) -> str:
        """Write a :class:`~airflow_provider_composer_pod.manifests.SecretManifest`; ``"created"`` or ``"replaced"``."""
        from airflow_provider_composer_pod.workload_objects import apply_manifest

        return apply_manifest(self, manifest)

    def create_or_replace_config_map(self, manifest: Any) -> str:
        """Write a :class:`~airflow_provider_composer_pod.manifests.ConfigMapManifest`."""
        from airflow_provider_composer_pod.workload_objects import apply_manifest

        return apply_manifest(self, manifest)

    def get_secret(self, name: str, namespace: Optional[str] = None) -> Any:
        from airflow_provider_composer_pod.workload_objects import read_object

        return read_object(self, "Secret", name, namespace)

    def get_config_map(self, name: str, namespace: Optional[str] = None) -> Any:
        from airflow_provider_composer_pod.workload_objects import read_object

        return read_object(self, "ConfigMap", name, namespace)

    def delete_secret(self, name: str, namespace: Optional[str] = None) -> bool:
        from airflow_provider_composer_pod.workload_objects import delete_object

        return delete_object(self, "Secret", name, namespace)

    def delete_config_map(self, name: str, namespace: Optional[str] = None) -> bool:
        from airflow_provider_composer_pod.workload_objects import delete_object

        return delete_object(self, "ConfigMap", name, namespace)
