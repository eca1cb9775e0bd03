"""``ComposerPodHook``: KubernetesHook with Composer's kube config and namespace as gap-fillers."""

from __future__ import annotations

import os
from typing import Any, Optional, Union

from airflow_provider_composer_pod.compat import KubernetesHook
from airflow_provider_composer_pod.environment import (
    COMPOSER_KUBE_CONFIG,
    ComposerEnvironment,
    detect_environment,
)

try:  # cached_property is in functools from Python 3.8; Airflow 2.6 still ships its own alias
    from functools import cached_property
except ImportError:  # pragma: no cover
    from cached_property import cached_property  # type: ignore[no-redef]

# Connection extras that already say how to reach the cluster; when any is set, we leave the choice to KubernetesHook.
_CONNECTION_CONFIG_FIELDS = ("in_cluster", "kube_config_path", "kube_config")


class ComposerPodHook(KubernetesHook):
    """Talks to the Composer environment's own GKE cluster unless told otherwise.

    It fills two gaps and never overrides what KubernetesHook would take: with no ``config_file`` argument and no
    kube config in the connection, it uses ``/home/airflow/composer_kube_config`` where that file exists; with no
    namespace in the connection, ``get_namespace()`` gives the detected generation's namespace.
    """

    composer_kube_config = COMPOSER_KUBE_CONFIG

    def __init__(self, *args: Any, composer_generation: Union[int, str, None] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.composer_generation = composer_generation
        self._config_source: Optional[str] = None

    @cached_property
    def composer_environment(self) -> ComposerEnvironment:
        return detect_environment(generation=self.composer_generation)

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

    def get_conn(self) -> Any:
        self.resolve_config_source()
        return super().get_conn()

    def get_namespace(self) -> Optional[str]:
        """The connection's namespace, else the Composer generation's (KPO asks only when the pod has none)."""
        return self._connection_field("namespace") or self.composer_environment.default_namespace
