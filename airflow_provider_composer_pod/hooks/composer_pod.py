"""``ComposerPodHook``: KubernetesHook with Composer's kube config and namespace as gap-fillers."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from airflow_provider_composer_pod.compat import KubernetesHook, async_hook_config, hook_connection_kwargs
from airflow_provider_composer_pod.environment import (
    COMPOSER_KUBE_CONFIG,
    USER_WORKLOADS_NAMESPACE,
    ComposerEnvironment,
)
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.hooks.connection import ComposerConnection, ComposerPodConfigError
from airflow_provider_composer_pod.kube.api_clients import retrying_api_client
from airflow_provider_composer_pod.kube.retries import NO_RETRIES, RetryPolicy

__all__ = ["ComposerPodConfigError", "ComposerPodHook"]

_HIDDEN_FIELDS = ["host", "schema", "login", "password", "port"]
_RELABELING = {"extra": "Extra (JSON; other KubernetesHook extras such as xcom_sidecar_container_image)"}
_PLACEHOLDERS = {
    "kube_config_path": COMPOSER_KUBE_CONFIG,
    "namespace": USER_WORKLOADS_NAMESPACE,
    "cluster_context": "the kube config's current context",
    "composer_generation": "auto, 1, 2 or 3",
    "api_retry_timeout": "300",
    "project": "GCP_PROJECT on Composer",
    "location": "COMPOSER_LOCATION on Composer",
    "environment": "COMPOSER_ENVIRONMENT on Composer",
    "composer_api_endpoint": "https://composer.googleapis.com",
    "extra": '{"xcom_sidecar_container_image": "alpine"}',
}


class ComposerPodHook(KubernetesHook):
    """Talks to the Composer environment's own GKE cluster unless told otherwise.

    It fills gaps and never overrides what KubernetesHook would take: with no ``config_file`` argument and no kube
    config in the connection, it uses ``/home/airflow/composer_kube_config`` where that file exists; with no namespace
    in the connection, ``get_namespace()`` gives the detected generation's namespace. Extras are read alike on every
    provider version, prefixed or not, for both the ``kubernetes`` and the ``composer_pod`` connection types.

    On Composer 3 its Secret and ConfigMap methods go through the Composer API's user workloads (the environment from
    ``composer_target`` -- keys ``project``, ``location``, ``environment``, ``composer_api_endpoint`` --, else the
    connection's fields of those names, else the variables Composer sets); elsewhere through the Kubernetes API.

    Every call through its client retries transient API failures for up to ``api_retry_timeout`` seconds of outage
    (the argument, else the connection's ``api_retry_timeout`` extra, else 300; see ``kube/retries.py``).
    """

    conn_name_attr = "kubernetes_conn_id"
    default_conn_name = "composer_pod_default"
    conn_type = "composer_pod"
    hook_name = "Cloud Composer Pod"

    def __init__(
        self,
        conn_id: Optional[str] = default_conn_name,
        *,
        composer_generation: Union[int, str, None] = None,
        api_retry_timeout: Optional[float] = None,
        composer_target: Optional[Mapping[str, Optional[str]]] = None,
        **kwargs: Any,
    ) -> None:
        # Airflow builds a hook for the connection form's Test button as hook_class(kubernetes_conn_id=...).
        conn_id = kwargs.pop("kubernetes_conn_id", conn_id)
        super().__init__(**hook_connection_kwargs(conn_id), **kwargs)
        self.composer_connection = ComposerConnection(
            self,
            composer_generation=composer_generation,
            api_retry_timeout=api_retry_timeout,
            composer_target=composer_target,
        )

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
            "pod_bursting": BooleanField(
                lazy_gettext("Autopilot Pod bursting"),
                description="the cluster supports Pod bursting (GKE 1.30.2-gke.1394000+, cgroupv2)",
            ),
            "api_retry_timeout": StringField(lazy_gettext("API retry timeout (s)"), widget=BS3TextFieldWidget()),
            "project": StringField(lazy_gettext("Composer 3: project"), widget=BS3TextFieldWidget()),
            "location": StringField(lazy_gettext("Composer 3: location"), widget=BS3TextFieldWidget()),
            "environment": StringField(lazy_gettext("Composer 3: environment"), widget=BS3TextFieldWidget()),
            "composer_api_endpoint": StringField(
                lazy_gettext("Composer 3: Composer API endpoint"), widget=BS3TextFieldWidget()
            ),
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> Dict[str, Any]:
        return {
            "hidden_fields": list(_HIDDEN_FIELDS),
            "relabeling": dict(_RELABELING),
            "placeholders": dict(_PLACEHOLDERS),
        }

    @cached_property
    def conn_extras(self) -> Dict[str, Any]:  # type: ignore[override]
        """The known extras, each under its plain and its ``extra__kubernetes__`` name, so every provider finds it."""
        return self.composer_connection.kube_extras

    @property
    def composer_generation(self) -> Union[int, str, None]:
        return self.composer_connection.composer_generation

    @property
    def api_retry_timeout(self) -> Optional[float]:
        return self.composer_connection.api_retry_timeout

    @property
    def composer_environment(self) -> ComposerEnvironment:
        return self.composer_connection.environment

    def resolve_config_source(self) -> str:
        """Pick the kube config once, fill ``config_file`` if that is a gap, and log one line saying which."""
        return self.composer_connection.resolve_config_source()

    @property
    def retry_policy(self) -> RetryPolicy:
        """From ``api_retry_timeout``, else the connection's extra; a bad value raises ComposerPodInputError."""
        return self.composer_connection.retry_policy

    def get_conn(self) -> Any:
        self.resolve_config_source()
        from kubernetes.config.config_exception import ConfigException

        try:
            api_client = super().get_conn()
        except ConfigException as error:  # a missing file, a context it lacks: say which config, not a traceback
            raise self.composer_connection.config_error(error) from None
        return retrying_api_client(api_client, self.retry_policy, self.log)

    def get_namespace(self) -> Optional[str]:
        """The connection's namespace, else the Composer generation's (KPO asks only when the pod has none)."""
        return self.composer_connection.namespace()

    # KubernetesPodOperator 5.0 to 6.x ask _get_namespace(), which returned the connection's namespace or None.
    _get_namespace = get_namespace

    def test_connection(self) -> Tuple[bool, str]:
        """Answer the UI's Test button and ``airflow connections test`` with a clear yes or no."""
        from airflow_provider_composer_pod.hooks.connection_check import check_connection

        try:
            self.retry_policy  # noqa: B018 - a bad 'API retry timeout (s)' or an unreadable extra is an answer too
        except (ComposerPodInputError, ComposerPodConfigError) as error:
            return False, str(error)
        self.composer_connection.retry_policy = NO_RETRIES  # the Test button answers at once: unreachable is the answer
        if "api_client" in vars(self):  # a client built already keeps its policy unless told
            retrying_api_client(self.api_client, NO_RETRIES, self.log)
        ok, message = check_connection(self)
        if ok:  # `airflow connections test` prints only "Connection success!": our line shows as a log line
            self.log.info("%s", message)
        return ok, message

    def resolved_extras(self) -> Dict[str, Any]:
        """The connection as this hook resolved it, config file included: all an async hook needs, no look-ups."""
        return self.composer_connection.resolved_extras()

    def async_hook(self) -> Any:
        """An :class:`.AsyncComposerPodHook` for triggers, built from this hook's resolved connection."""
        from airflow_provider_composer_pod.hooks.async_composer_pod import AsyncComposerPodHook

        extras = self.resolved_extras()
        return AsyncComposerPodHook(
            **hook_connection_kwargs(None),
            **async_hook_config(extras),
            resolved_extras=extras,
            composer_generation=self.composer_generation,
        )

    def create_or_replace_secret(self, manifest: Any) -> str:
        """Write a :class:`~airflow_provider_composer_pod.workloads.manifests.SecretManifest`.

        Returns ``"created"`` or ``"replaced"``. On Composer 3 through the Composer API; the values are registered
        with the secrets masker first.
        """
        return self._workloads().apply_manifest(self, manifest)

    def create_or_replace_config_map(self, manifest: Any) -> str:
        """Write a :class:`~airflow_provider_composer_pod.workloads.manifests.ConfigMapManifest`."""
        return self._workloads().apply_manifest(self, manifest)

    def get_secret(self, name: str, namespace: Optional[str] = None) -> Any:
        """The Secret, or None; on Composer 3 a ``UserWorkload`` with its key names and no values."""
        return self._workloads().read_object(self, "Secret", name, namespace)

    def get_config_map(self, name: str, namespace: Optional[str] = None) -> Any:
        """The ConfigMap, or None; on Composer 3 a ``UserWorkload`` with its keys and data."""
        return self._workloads().read_object(self, "ConfigMap", name, namespace)

    def delete_secret(self, name: str, namespace: Optional[str] = None) -> bool:
        return self._workloads().delete_object(self, "Secret", name, namespace)

    def delete_config_map(self, name: str, namespace: Optional[str] = None) -> bool:
        return self._workloads().delete_object(self, "ConfigMap", name, namespace)

    def _workloads(self) -> Any:
        """Where Secrets and ConfigMaps are written: the Composer API on Composer 3, else the Kubernetes API."""
        if self.composer_environment.generation == 3:
            from airflow_provider_composer_pod.hooks import user_workloads

            return user_workloads
        from airflow_provider_composer_pod.workloads import objects

        return objects
