"""``ComposerPodOperator``: KubernetesPodOperator for the Cloud Composer environment's own cluster."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from airflow.exceptions import AirflowException

from airflow_provider_composer_pod.compat import (
    AirflowSkipException,
    KubernetesPodOperator,
    base_container_name,
    redact,
    translate_arguments,
)
from airflow_provider_composer_pod.config_maps import attach_config_maps
from airflow_provider_composer_pod.diagnosis import describe_failure
from airflow_provider_composer_pod.environment import DEFAULT_STARTUP_TIMEOUT_SECONDS
from airflow_provider_composer_pod.extras import as_bool
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.naming import pod_name_from_task_id
from airflow_provider_composer_pod.preflight import (
    CANNOT_START,
    ComposerPodPreflightError,
    check_literals,
    check_pod,
    check_references,
    object_keys,
    pod_references,
)
from airflow_provider_composer_pod.startup import fail_fast_while_pending

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

    Before the pod is created, the rendered pod is checked against GKE Autopilot's and Composer's rules (what would be
    rejected fails; what Autopilot would silently change is logged once as a warning), and every Secret, ConfigMap and
    key it references must exist. Literal values that would be rejected fail already when the DAG is parsed.

    :param composer_generation: 1, 2, 3 or ``"auto"`` (default): overrides the detected generation, as the
        ``COMPOSER_POD_GENERATION`` environment variable does.
    :param config_maps: ConfigMaps for the base container, each a name (all its keys become env vars, as
        ``config_map_env_from``) or a :func:`~airflow_provider_composer_pod.config_maps.config_map_volume` (mounted as
        files). Templated; names are checked after rendering.
    :param strict_validation: treat what Autopilot would silently adjust (requests below a minimum, off-ratio, limits
        different from requests) as errors. Default: the connection's ``strict_validation`` extra, else off.
    """

    template_fields: Sequence[str] = (*KubernetesPodOperator.template_fields, "config_maps")
    # Why the pod was not created or could not start, kept so that KPO's cleanup (which older providers run even when
    # no pod exists, raising "returned a failure") does not hide it.
    _startup_failure: Optional[Exception] = None
    # Seconds between looks at a Pending pod for states that waiting cannot fix.
    pending_check_interval: float = 1.0
    composer_generation: Union[int, str, None] = None
    strict_validation: Optional[bool] = None
    config_maps: Sequence[Any] = ()

    def __init__(
        self,
        *,
        task_id: str,
        name: Optional[str] = None,
        kubernetes_conn_id: Optional[str] = "kubernetes_default",
        startup_timeout_seconds: int = DEFAULT_STARTUP_TIMEOUT_SECONDS,
        composer_generation: Union[int, str, None] = None,
        strict_validation: Optional[bool] = None,
        config_maps: Optional[Sequence[Any]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            task_id=task_id,
            name=name
            if name is not None or any(kwargs.get(k) for k in _POD_SOURCES)
            else pod_name_from_task_id(task_id),
            kubernetes_conn_id=kubernetes_conn_id,
            startup_timeout_seconds=startup_timeout_seconds,
            # Arguments of any provider era, in the installed provider's words (compat/legacy).
            **translate_arguments(kwargs),
        )
        # Defaults live on the class: each instance attribute costs an Airflow __setattr__ on every DAG parse.
        if composer_generation is not None:
            self.composer_generation = composer_generation
        if strict_validation is not None:
            self.strict_validation = strict_validation
        if config_maps:
            self.config_maps = list(config_maps)
        check_literals(self)  # the one non-assignment: rejected literal values become DAG import errors (issue 6)

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

    def build_pod_request_obj(self, *args: Any, **kwargs: Any) -> Any:
        pod = super().build_pod_request_obj(*args, **kwargs)
        if not pod.metadata.namespace:  # provider 4.4 takes only the namespace argument, not the connection's
            pod.metadata.namespace = self.hook.get_namespace()
        attach_config_maps(pod, self.config_maps, base_container_name(self))
        return pod

    def get_or_create_pod(self, pod_request_obj: Any, context: Context, *args: Any, **kwargs: Any) -> Any:
        # Fail before anything exists: a pod Autopilot would reject, or one that would wait in
        # CreateContainerConfigError for a missing Secret or ConfigMap until the startup timeout.
        strict = self.strict_validation
        if strict is None:
            strict = bool(as_bool(self.hook._get_field("strict_validation")))
        try:
            check_pod(
                pod_request_obj,
                client=self.client,
                task_id=self.task_id,
                generation=self.hook.composer_environment.generation,
                strict=strict,
                log=self.log,
            )
        except AirflowException as error:  # the pre-flight's and the validator's errors
            self._startup_failure = error
            raise
        return super().get_or_create_pod(pod_request_obj, context, *args, **kwargs)

    def await_pod_start(self, pod: Any, *args: Any, **kwargs: Any) -> Any:
        # Second line of defence after the pre-flight: a Secret deleted (or a key removed) after the check leaves the
        # pod in CreateContainerConfigError, which KPO would wait out until the startup timeout.
        fail_fast_while_pending(
            self.client,
            pod,
            timeout=self.startup_timeout_seconds,
            interval=self.pending_check_interval,
            on_config_error=lambda problem: self._fail_start(pod, problem),
        )
        return super().await_pod_start(pod, *args, **kwargs)

    def _fail_start(self, pod: Any, problem: str) -> None:
        generation = self.hook.composer_environment.generation
        try:
            check_references(
                object_keys(self.client),
                pod.metadata.namespace,
                pod_references(pod),
                generation,
                self.log,
                lead=CANNOT_START,
            )
        except ComposerPodPreflightError as error:
            self._startup_failure = error
            raise
        self._startup_failure = ComposerPodPreflightError(f"{CANNOT_START}\n- {problem}")
        raise self._startup_failure

    def cleanup(self, *args: Any, **kwargs: Any) -> Any:
        # KPO's failure says only "Pod X returned a failure" before a pod dump; lead with what went wrong.
        try:
            return super().cleanup(*args, **kwargs)
        except AirflowSkipException:
            raise
        except AirflowException as error:
            if self._startup_failure is not None:
                raise self._startup_failure from None
            remote_pod = kwargs.get("remote_pod", args[1] if len(args) > 1 else None)
            summary = describe_failure(remote_pod, base_container_name(self))
            message = str(error) if summary is None else f"{summary}. {error}"
            # The termination message and KPO's pod dump can quote what the container printed, Secrets included: the
            # message goes through the secrets masker, and KPO's unmasked exception is not chained to it.
            raise AirflowException(redact(message)) from None
