"""``ComposerPodOperator``: KubernetesPodOperator for the Cloud Composer environment's own cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from airflow_provider_composer_pod.compat import KubernetesPodOperator
from airflow_provider_composer_pod.environment import DEFAULT_STARTUP_TIMEOUT_SECONDS
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook, cached_property
from airflow_provider_composer_pod.naming import pod_name_from_task_id

if TYPE_CHECKING:
    from airflow.sdk.definitions.context import Context

_POD_SOURCES = ("pod_template_file", "pod_template_dict", "full_pod_spec")


class ComposerPodOperator(KubernetesPodOperator):
    """Run a pod on the Composer environment's cluster; ``task_id`` and ``image`` are all it needs.

    Defaults fill gaps only, and everything KubernetesPodOperator takes still works:

    - ``name``: derived from ``task_id`` (DNS-1123), unless a pod template or ``full_pod_spec`` names the pod.
    - ``namespace``: the connection's, else ``composer-user-workloads`` (Composer 2 and 3, and outside Composer)
      or ``default`` (Composer 1). A namespace from the arguments or a pod template wins.
    - ``config_file``: ``/home/airflow/composer_kube_config`` where it exists and neither the arguments nor the
      connection say how to reach a cluster; otherwise what KubernetesPodOperator would use.
    - ``kubernetes_conn_id``: ``kubernetes_default``, passed explicitly so that providers that ignore the connection
      unless told (5.x) behave like 6.x and later.
    - ``startup_timeout_seconds``: 600 rather than 120. On Composer 2 and 3 a pod can wait minutes for an Autopilot
      scale-up and then for a large image pull; 600 s is what Google's Composer guide uses. Pass your own to change.

    :param composer_generation: 1, 2, 3 or ``"auto"`` (default): overrides the detected generation, as the
        ``COMPOSER_POD_GENERATION`` environment variable does.
    """

    template_fields: Sequence[str] = tuple(KubernetesPodOperator.template_fields)

    def __init__(
        self,
        *,
        task_id: str,
        name: Optional[str] = None,
        kubernetes_conn_id: Optional[str] = "kubernetes_default",
        startup_timeout_seconds: int = DEFAULT_STARTUP_TIMEOUT_SECONDS,
        composer_generation: Union[int, str, None] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            task_id=task_id,
            name=name
            if name is not None or any(kwargs.get(k) for k in _POD_SOURCES)
            else pod_name_from_task_id(task_id),
            kubernetes_conn_id=kubernetes_conn_id,
            startup_timeout_seconds=startup_timeout_seconds,
            **kwargs,
        )
        self.composer_generation = composer_generation

    @cached_property
    def hook(self) -> ComposerPodHook:
        return ComposerPodHook(
            conn_id=self.kubernetes_conn_id,
            in_cluster=self.in_cluster,
            config_file=self.config_file,
            cluster_context=self.cluster_context,
            composer_generation=self.composer_generation,
        )

    def execute(self, context: Context) -> Any:
        # Settle the kube config before KPO builds clients or a trigger, so every path uses the same one.
        self.hook.resolve_config_source()
        self.config_file = self.hook.config_file
        return super().execute(context)
