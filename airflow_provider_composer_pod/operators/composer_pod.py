"""``ComposerPodOperator``: KubernetesPodOperator for the Cloud Composer environment's own cluster."""

from __future__ import annotations

import time
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Union

from airflow.exceptions import AirflowException
from kubernetes.config.config_exception import ConfigException

from airflow_provider_composer_pod.compat import (
    POD_LAUNCH_ERRORS,
    RESUMES_IN_OPERATOR,
    STARTUP_CHECK_DEFAULTS,
    KubernetesPodOperator,
    base_container_name,
    is_deferrable,
    on_kill_action,
    translate_arguments,
)
from airflow_provider_composer_pod.kube.log_lines import DEFAULT_TAIL_LINES, tail_line_count
from airflow_provider_composer_pod.validation.arguments import check_literal_arguments, check_task_arguments
from airflow_provider_composer_pod.validation.literals import check_literals
from airflow_provider_composer_pod.workloads.naming import name_argument

# Composer parses every DAG file every 30 s: importing this module and constructing a task load only what __init__
# needs (above); a running task's needs are imported in the method that first needs them (bench/parse_overhead.py).

# KPO's own default is 120 s, which the guide's troubleshooting section calls too short for large images. On
# Composer 2 and 3 a pod may first wait for Autopilot to add a node (typically one to three minutes) and then pull
# its image (minutes for a multi-GB image), so we take the guide's 600 s. Both wait phases share it.
DEFAULT_STARTUP_TIMEOUT_SECONDS = 600

if TYPE_CHECKING:
    from airflow.sdk.definitions.context import Context

    from airflow_provider_composer_pod.hooks.connection import ComposerConnection
    from airflow_provider_composer_pod.kube.log_stream import LogPositions
    from airflow_provider_composer_pod.kube.retries import RetryPolicy
    from airflow_provider_composer_pod.operators.run_state import RunState


class ComposerPodOperator(KubernetesPodOperator):
    """Run a pod on the Composer environment's cluster; ``task_id`` and ``image`` are all it needs.

    Defaults fill gaps only, and everything KubernetesPodOperator takes still works:

    - ``name``: derived from ``task_id`` by KubernetesPodOperator itself, so pods are named exactly as KPO names them;
      on provider 4.x, which requires a name, with the newest provider's algorithm.
    - ``namespace``: the connection's, else ``composer-user-workloads`` (Composer 2 and 3, and outside Composer)
      or ``default`` (Composer 1). A namespace from the arguments or a pod template wins.
    - ``config_file``: ``/home/airflow/composer_kube_config`` where it exists and neither the arguments nor the
      connection say how to reach a cluster; otherwise what KubernetesPodOperator would use.
    - ``kubernetes_conn_id``: ``kubernetes_default``, passed explicitly so that providers that ignore the connection
      unless told (5.x) behave like 6.x and later.
    - ``startup_timeout_seconds``: 600 rather than 120. On Composer 2 and 3 a pod can wait minutes for an Autopilot
      scale-up and then for a large image pull; 600 s is what Google's Composer guide uses. Pass your own to change.
      It is one budget: a pod still Pending then fails with the startup story and advice, in either ``startup_wait``.
    - ``startup_check_interval_seconds`` (providers 7.0+): 1 rather than 5 (8.0+), so a blocking task sees its pod
      start within a second, as on 7.x and before.

    Before the pod is created, the rendered pod is checked against GKE Autopilot's and Composer's rules (what would be
    rejected fails; what Autopilot would silently change is logged once as a warning), and every Secret, ConfigMap and
    key it references must exist. Literal values that would be rejected fail already when the DAG is parsed.

    :param composer_generation: 1, 2, 3 or ``"auto"`` (default): overrides the detected generation, as the
        ``COMPOSER_POD_GENERATION`` environment variable does.
    :param config_maps: ConfigMaps for the base container, each a name (all its keys become env vars, as
        ``config_map_env_from``) or a :func:`~airflow_provider_composer_pod.workloads.config_maps.config_map_volume`
        (mounted as files). Templated; names are checked after rendering.
    :param strict_validation: treat what Autopilot would silently adjust (requests below a minimum, off-ratio, limits
        different from requests) as errors. Default: the connection's ``strict_validation`` extra, else off.
    :param failure_log_lines: how many of the container's last log lines a failure's exception quotes (default 20;
        0 for none).
    :param api_retry_timeout: seconds of Kubernetes API failures (refused or dropped connections, timeouts, 5xx,
        429) that every API call rides out, retrying with backoff, before the task fails; 0 turns retries off.
        Default: the connection's ``api_retry_timeout`` extra, else 300. A create whose answer is lost is never sent
        twice: the pod is looked up by this try's labels and adopted.

    :param startup_wait: ``"block"`` (default) keeps the worker slot while the pod starts, as KPO does; ``"defer"``
        frees it: once the pod exists the task defers to :class:`~.triggers.startup.ComposerPodStartupTrigger`, which
        waits on one shared pod watch per namespace, and resumes on a worker to stream the logs and finish exactly as
        the blocking path does, with the startup (phase timings and the events behind them) in the task log. Works
        on every provider version. ``deferrable=True`` (providers 5.2+) defers the whole run instead.

    A followed log that breaks is resumed from the last line's timestamp, with no line repeated or lost, and a
    follow ends once the container has ended even if the connection stays open.
    """

    template_fields: Sequence[str] = (*KubernetesPodOperator.template_fields, "config_maps")
    composer_generation: Union[int, str, None] = None
    strict_validation: Optional[bool] = None
    config_maps: Sequence[Any] = ()
    failure_log_lines: int = DEFAULT_TAIL_LINES
    api_retry_timeout: Optional[float] = None
    # Seconds without log output after which the container's state is read (a follow that never ends stops here).
    log_idle_timeout: float = 60.0
    startup_wait: str = "block"

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
        failure_log_lines: Optional[int] = None,
        api_retry_timeout: Optional[float] = None,
        startup_wait: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        arguments = translate_arguments(kwargs)  # arguments of any provider era, in the installed provider's words
        check_literal_arguments(type(self), name, arguments)  # types, before KPO converts any (issue 19)
        super().__init__(
            task_id=task_id,
            name=name_argument(task_id, name, kwargs),
            kubernetes_conn_id=kubernetes_conn_id,
            startup_timeout_seconds=startup_timeout_seconds,
            **{**STARTUP_CHECK_DEFAULTS, **arguments},
        )
        # Defaults live on the class: each instance attribute costs an Airflow __setattr__ on every DAG parse.
        if composer_generation is not None:
            self.composer_generation = composer_generation
        if strict_validation is not None:
            self.strict_validation = strict_validation
        if config_maps:
            self.config_maps = list(config_maps)
        if failure_log_lines is not None:
            self.failure_log_lines = tail_line_count(failure_log_lines)
        if api_retry_timeout is not None:
            from airflow_provider_composer_pod.kube.retries import retry_policy

            retry_policy(api_retry_timeout)  # a bad literal is a DAG import error, like check_literals' findings
            self.api_retry_timeout = api_retry_timeout
        if startup_wait is not None:
            from airflow_provider_composer_pod.operators.deferral import check_startup_wait  # parse time: only if given

            check_startup_wait(startup_wait, is_deferrable(self))
            self.startup_wait = startup_wait
        check_literals(self)  # the one non-assignment: rejected literal values become DAG import errors (issue 6)

    @cached_property
    def hook(self) -> Any:
        # The hook KPO builds itself (KPO renews it when credentials expire), reading the connection as Composer does.
        from airflow_provider_composer_pod.hooks.connection import read_through

        return read_through(
            super().hook, composer_generation=self.composer_generation, api_retry_timeout=self.api_retry_timeout
        )

    @property
    def run_state(self) -> RunState:
        """This execution's state (created on first use; ``execute`` starts a fresh one)."""
        state = self.__dict__.get("_run_state")
        if state is None:
            from airflow_provider_composer_pod.operators.run_state import RunState

            state = self.__dict__["_run_state"] = RunState()
        return state

    @property
    def composer_connection(self) -> ComposerConnection:
        """The connection as Composer reads it: extras, generation, kube config source, retry policy."""
        return self.hook.composer_connection

    @cached_property
    def client(self) -> Any:
        # KPO's client, on the kube config settled here, whose every call rides out api_retry_timeout of outage.
        self._settle_config()
        try:
            client = super().client
        except ConfigException as error:  # a missing file, a context it lacks: say which config, not a traceback
            raise self.composer_connection.config_error(error) from None
        from airflow_provider_composer_pod.kube.api_clients import retrying_api_client

        retrying_api_client(client.api_client, self.api_retry_policy, self.log)
        return client

    @property
    def api_retry_policy(self) -> RetryPolicy:
        """How API calls ride out an outage (from api_retry_timeout); Airflow's own retry_policy is another thing."""
        return self.composer_connection.retry_policy

    @cached_property
    def _incluster_namespace(self) -> Optional[str]:
        # Where KPO (5.0+) falls back to the worker's namespace (Airflow's, on Composer): the generation's for user
        # pods. An argument, a pod template or the connection still wins.
        return self.composer_connection.environment.default_namespace

    @cached_property
    def pod_manager(self) -> Any:
        # KPO's own PodManager, whose log reads resume where a broken stream stopped, within api_retry_timeout.
        from airflow_provider_composer_pod.kube.log_stream import follow_resumably

        return follow_resumably(
            super().pod_manager,
            self.client,
            self._log_positions,
            idle_timeout=self.log_idle_timeout,
            give_up_after=self.api_retry_policy.timeout,
        )

    @cached_property
    def _log_positions(self) -> LogPositions:
        from airflow_provider_composer_pod.kube.log_stream import LogPositions

        return LogPositions(self.failure_log_lines)

    def execute(self, context: Context) -> Any:
        from airflow_provider_composer_pod.operators.kill import kills_handled
        from airflow_provider_composer_pod.operators.run_state import RunState
        from airflow_provider_composer_pod.startup.deadline import execution_deadline

        if self.run_state.startup_event is None:  # not resuming after startup_wait="defer": a new execution
            self.__dict__["_run_state"] = RunState()
        with kills_handled():  # retry waits allowed afresh; a kill's work is done before the task ends
            self._settle_config()
            self.api_retry_policy  # noqa: B018 - a bad api_retry_timeout fails here, before any pod exists
            self.run_state.execution_deadline = execution_deadline(self, context)
            if self.startup_wait == "defer" and self.run_state.startup_event is None:
                from airflow_provider_composer_pod.operators.deferral import require_async_client

                require_async_client()  # before any pod exists
            return super().execute(context)

    def _settle_config(self) -> None:
        """Settle the kube config before KPO builds clients or a trigger, so every path uses the same one."""
        self.composer_connection.resolve_config_source()
        self.config_file = self.hook.config_file

    def execute_after_startup(self, context: Context, event: Dict[str, Any]) -> Any:
        """Back from ComposerPodStartupTrigger: run the blocking path again; it finds the pod already started."""
        from airflow_provider_composer_pod.operators.failures import check_deferral_timeout
        from airflow_provider_composer_pod.operators.resume import start_as_a_new_process

        start_as_a_new_process(self)
        check_deferral_timeout(self, event)
        self.run_state.startup_event = event
        return self.execute(context)

    def build_pod_request_obj(self, *args: Any, **kwargs: Any) -> Any:
        from airflow_provider_composer_pod.operators.resume import resumed_pod
        from airflow_provider_composer_pod.validation.pod_fields import unreadable_template
        from airflow_provider_composer_pod.workloads.config_maps import attach_config_maps

        if self.run_state.startup_event is not None:  # resumed: the pod exists; KPO would build one with a new name
            return resumed_pod(self, self.run_state.startup_event)
        check_task_arguments(self)  # the rendered values' types, before KPO's models take them as they are
        try:
            pod = super().build_pod_request_obj(*args, **kwargs)
        except ConfigException as error:  # KPO asks its hook whether it runs in a cluster, which loads the config
            raise self.composer_connection.config_error(error) from None
        except Exception as error:
            unreadable = unreadable_template(self, error)  # a template the client's models reject, said plainly
            if unreadable is None:
                raise
            raise unreadable from None
        if not pod.metadata.namespace:  # provider 4.4 takes only the namespace argument, not the connection's
            pod.metadata.namespace = self.composer_connection.namespace()
        attach_config_maps(pod, self.config_maps, base_container_name(self))
        return pod

    def get_or_create_pod(self, pod_request_obj: Any, context: Context, *args: Any, **kwargs: Any) -> Any:
        if self.run_state.startup_event is not None:  # resumed after startup_wait="defer": the pod itself
            return pod_request_obj
        from airflow_provider_composer_pod.kube.seams import wrapped
        from airflow_provider_composer_pod.operators.failures import after_preflight
        from airflow_provider_composer_pod.operators.resume import register_secrets
        from airflow_provider_composer_pod.validation.pod_fields import rejection

        self.run_state.created_at = time.time()
        try:
            # The pre-flight runs where KPO creates the pod, not where it reattaches to this try's existing one.
            with wrapped(self.pod_manager, "create_pod", lambda create: after_preflight(self, create)):
                pod = super().get_or_create_pod(pod_request_obj, context, *args, **kwargs)
        except Exception as error:
            refused = rejection(error, pod_request_obj)  # 4xx from the create: a typed error, not the client's trace
            if refused is None:
                raise
            self.run_state.startup_failure = refused
            raise refused from None
        register_secrets(self, pod)  # reattached to an existing pod: no pre-flight ran in this process
        if self.run_state.kill_requested and on_kill_action(self) == "delete_pod":
            # Killed while the create was on its way (Airflow 3 lets execute go on after on_kill).
            self.pod = pod
            self._delete_pods("the task was killed while its pod was being created")
            raise AirflowException(f"Task {self.task_id} was killed while its pod was being created; pod deleted.")
        return pod

    def await_pod_start(self, pod: Any, *args: Any, **kwargs: Any) -> Any:
        from airflow_provider_composer_pod.operators.failures import fail_start, report_startup_outcome

        if self.run_state.startup_event is not None:
            report_startup_outcome(self, pod, self.run_state.startup_event)
            return super().await_pod_start(pod, *args, **kwargs)  # returns at once: the pod has left Pending
        if self.startup_wait == "defer":
            from airflow_provider_composer_pod.operators.deferral import RESUME_METHOD, startup_trigger

            trigger = startup_trigger(self, pod, self.run_state.created_at)
            self.run_state.deferring_startup = True  # KPO's cleanup runs on the way out; the pod must live on
            self.defer(trigger=trigger, method_name=RESUME_METHOD)
        # Blocking: KPO's wait and budget, then the startup told as the deferred wait tells it. After the pre-flight, a
        # Secret (or key) removed leaves the pod in CreateContainerConfigError, which fails the wait at once.
        from airflow_provider_composer_pod.operators.deferral import startup_event
        from airflow_provider_composer_pod.startup.wait import failing_fast_on_config_error

        try:
            with failing_fast_on_config_error(self.pod_manager, partial(fail_start, self)):
                started = super().await_pod_start(pod, *args, **kwargs)
        except POD_LAUNCH_ERRORS:
            report_startup_outcome(self, pod, startup_event(self, pod, gave_up=True))
            raise  # the pod left Pending after all: KPO's own error
        report_startup_outcome(self, pod, startup_event(self, pod, gave_up=False))
        return started

    def defer(self, *args: Any, **kwargs: Any) -> Any:
        # deferrable=True: KPO's stock trigger becomes ours (same arguments; the shared watch; the connection resolved).
        from airflow_provider_composer_pod.operators.deferral import full_deferral_trigger, is_stock_trigger

        if is_stock_trigger(kwargs.get("trigger")):
            kwargs["trigger"] = full_deferral_trigger(self, kwargs["trigger"])
        if kwargs.get("timeout") is None and self.run_state.execution_deadline is not None:
            # The trigger ends the task at its execution_timeout; should the triggerer be down then, Airflow resumes
            # the task in __fail__ a little later, and resume_execution deletes the pod.
            from airflow_provider_composer_pod.startup.deadline import backstop

            kwargs["timeout"] = backstop(self.run_state.execution_deadline)
        return super().defer(*args, **kwargs)

    def resume_execution(self, next_method: str, next_kwargs: Optional[Dict[str, Any]], context: Context) -> Any:
        if next_method == "__fail__":
            from airflow_provider_composer_pod.operators.failures import delete_after_failed_deferral

            delete_after_failed_deferral(self, context, next_kwargs)
        return super().resume_execution(next_method, next_kwargs, context)

    def pre_execute(self, context: Any) -> Any:
        # Airflow before 2.10 fails a task resumed in __fail__ itself, without resume_execution; pre_execute still runs.
        ti = context.get("ti")
        if not RESUMES_IN_OPERATOR and getattr(ti, "next_method", None) == "__fail__":
            from airflow_provider_composer_pod.operators.failures import delete_after_failed_deferral

            delete_after_failed_deferral(self, context, getattr(ti, "next_kwargs", None))
        return super().pre_execute(context)

    # deferrable=True resumes in KPO's trigger_reentry (8.x+) or execute_complete (5.2 to 7.x). Our trigger's timeout
    # becomes Airflow's; after its startup failure, keep the advice that KPO's cleanup would replace with its own.
    def trigger_reentry(self, context: Context, event: Dict[str, Any]) -> Any:
        from airflow_provider_composer_pod.operators.failures import read_trigger_event

        read_trigger_event(self, context, event)
        return super().trigger_reentry(context, event)  # type: ignore[misc]

    def execute_complete(self, context: Context, event: Dict[str, Any], **kwargs: Any) -> Any:
        from airflow_provider_composer_pod.operators.failures import read_trigger_event

        read_trigger_event(self, context, event)
        return super().execute_complete(context, event, **kwargs)  # type: ignore[misc]

    def on_kill(self) -> None:
        # Airflow kills the task (a user, "mark failed", SIGTERM): KPO deletes self.pod, which it knows only once the
        # create has answered; before that, the pod is found by this try's labels. Retry waits end at once.
        from airflow_provider_composer_pod.operators.kill import off_the_handler

        self.run_state.kill_requested = True
        off_the_handler(self._kill)  # not in Airflow's signal handler, which may have interrupted a lock's holder

    def _kill(self) -> None:
        if self.run_state.deleted_pods:  # execution_timeout: cleanup deleted it already
            return
        try:
            super().on_kill()
        except Exception as error:
            if getattr(error, "status", None) != 404:  # providers before 7.x let the delete's 404 out
                raise
        if self.pod is None and on_kill_action(self) == "delete_pod":
            self._delete_pods("the task was killed")

    def _delete_pods(self, reason: str) -> None:
        from airflow_provider_composer_pod.kube.teardown import delete_pods

        self.run_state.deleted_pods = delete_pods(
            self.client,
            pod=self.pod,
            pod_request=self.pod_request_obj,
            grace_period=self.termination_grace_period,
            reason=reason,
            log=self.log,
        )

    def cleanup(self, *args: Any, **kwargs: Any) -> Any:
        if self.run_state.deferring_startup:  # the task defers while its pod starts: nothing to clean up yet
            return None
        from airflow_provider_composer_pod.operators.failures import cleanup_failure

        return cleanup_failure(self, super().cleanup, args, kwargs)  # KPO's, with our failure message
