"""How a ``ComposerPodOperator`` fails: before the create (the pre-flight), while the pod cannot start, and after it
ran (our summary instead of KPO's pod dump). Each function takes the task and records the failure in its run state,
so that KPO's cleanup cannot replace it with "returned a failure"."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from airflow.exceptions import AirflowException

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import base_container_name, redact
from airflow_provider_composer_pod.errors import (
    ComposerPodApiError,
    ComposerPodInputError,
    ComposerPodPreflightError,
    ComposerPodStartupError,
)
from airflow_provider_composer_pod.extras import as_bool
from airflow_provider_composer_pod.hooks.user_workloads import composer_keys
from airflow_provider_composer_pod.kube.diagnosis import (
    FailureFacts,
    base_container_succeeded,
    failure_message,
    gather_facts,
)
from airflow_provider_composer_pod.kube.exhausted import exhausted_error, gave_up
from airflow_provider_composer_pod.kube.seams import wrapped
from airflow_provider_composer_pod.startup.deadline import execution_deadline, timed_out
from airflow_provider_composer_pod.startup.wait import config_error
from airflow_provider_composer_pod.validation.preflight import (
    CANNOT_START,
    check_pod,
    check_references,
    object_keys,
    pod_references,
)


def after_preflight(task: Any, create: Callable[..., Any]) -> Callable[..., Any]:
    """KPO's ``pod_manager.create_pod``, after the pre-flight: fail before anything exists, on a pod Autopilot would
    reject or one that would wait in CreateContainerConfigError for a missing Secret or ConfigMap."""

    def create_pod(*args: Any, **kwargs: Any) -> Any:
        strict = task.strict_validation
        if strict is None:
            strict = bool(as_bool(task.composer_connection.field("strict_validation")))
        generation = task.composer_connection.environment.generation
        try:
            check_pod(
                kwargs["pod"] if "pod" in kwargs else args[0],
                client=task.client,
                task_id=task.task_id,
                generation=generation,
                strict=strict,
                pod_bursting=bool(as_bool(task.composer_connection.field("pod_bursting"))),
                log=task.log,
                composer_read=composer_keys(task.composer_connection) if generation == 3 else None,
            )
        except (AirflowException, ComposerPodInputError) as error:  # the pre-flight's and the validators' errors
            task.run_state.startup_failure = error
            raise
        task.run_state.secrets_registered = True  # the pre-flight registered them as it read them
        # Inside KPO's retrying of the create (tenacity on create_pod), so that our typed error also ends KPO's
        # attempts: the retrying client already spent api_retry_timeout, or heard the same 500 again and again.
        with wrapped(task.pod_manager, "run_pod_async", lambda send: typed_when_exhausted(task, send)):
            return create(*args, **kwargs)

    return create_pod


def typed_when_exhausted(task: Any, send: Callable[..., Any]) -> Callable[..., Any]:
    """KPO's ``run_pod_async`` (the create's request), raising :func:`retries_exhausted`'s error instead of the
    client's when the retrying gave up."""

    def run_pod_async(pod: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return send(pod, *args, **kwargs)
        except Exception as error:
            exhausted = retries_exhausted(error, pod)
            if exhausted is None:
                raise
            task.run_state.startup_failure = exhausted
            raise exhausted from None

    return run_pod_async


def retries_exhausted(error: BaseException, pod: Any) -> Optional[ComposerPodApiError]:
    """The create failed after the retrying gave up (5xx, unreachable): a typed error, not the client's, masked."""
    record = gave_up(error)
    if record is None:
        return None
    meta = pod.metadata
    return ComposerPodApiError(redact(str(exhausted_error(record, f"pod {meta.name} in namespace {meta.namespace}"))))


def start_failure(task: Any, pod: Any, problem: str) -> Exception:
    """The pod waits in CreateContainerConfigError: the missing Secret or ConfigMap, named, and how to create it."""
    generation = task.composer_connection.environment.generation
    try:
        check_references(
            object_keys(task.client),
            pod.metadata.namespace,
            pod_references(pod),
            generation,
            task.log,
            lead=CANNOT_START,
        )
        error: Exception = ComposerPodPreflightError(f"{CANNOT_START}\n- {problem}")
    except ComposerPodPreflightError as found:
        error = found
    task.run_state.startup_failure = error
    return error


def fail_start(task: Any, pod: Any, problem: str) -> None:
    raise start_failure(task, pod, problem)


def report_startup_outcome(task: Any, pod: Any, event: Dict[str, Any]) -> None:
    """The startup story in the task log; a pod that did not start fails here, with advice."""
    from airflow_provider_composer_pod.operators.deferral import report_startup

    message = report_startup(task, event)
    problem = config_error(event.get("pod"))
    if problem is not None:
        raise start_failure(task, pod, problem)  # names the missing Secret or ConfigMap and how to create it
    if message is not None:
        task.run_state.startup_failure = ComposerPodStartupError(message)
        raise task.run_state.startup_failure


def failure_facts(task: Any, pod: Any, remote_pod: Any) -> Optional[FailureFacts]:
    """Before KPO's cleanup deletes the pod: its latest state, events and last log lines, if it failed."""
    base = base_container_name(task)
    if pod is None or remote_pod is None or task.run_state.startup_failure is not None:
        return None
    if base_container_succeeded(remote_pod, base):
        return None
    name, namespace = pod.metadata.name, pod.metadata.namespace
    return gather_facts(
        task.client,
        pod,
        remote_pod,
        base,
        log_tail=task._log_positions.tail(namespace, name, base),
        tail_lines=task.failure_log_lines,
        log=task.log,
    )


def failure_error(task: Any, kpo_message: str, facts: FailureFacts, remote_pod: Any) -> AirflowException:
    """Our summary in place of KPO's "returned a failure" and its pod dump (logged at debug level)."""
    dump = None if remote_pod is None else str(remote_pod)  # KPO's message quotes it whole
    message = failure_message(
        kpo_message,
        facts,
        base_container_name(task),
        generation=task.composer_connection.environment.generation,
        pod_dump=dump,
    )
    task.log.debug("KubernetesPodOperator's whole failure message: %s", redact(kpo_message))
    # The termination message, the log lines and KPO's pod dump can quote what the container printed, Secrets
    # included: the message goes through the secrets masker, and KPO's unmasked exception is not chained to it.
    return AirflowException(redact(message))


def cleanup_failure(task: Any, kpo_cleanup: Callable[..., Any], args: tuple, kwargs: Dict[str, Any]) -> Any:
    """KPO's ``cleanup(*args, **kwargs)``; its failure, which says only "Pod X returned a failure" before a pod dump,
    becomes one that leads with what went wrong."""
    pod = kwargs.get("pod", args[0] if args else None)
    remote_pod = kwargs.get("remote_pod", args[1] if len(args) > 1 else None)
    interruption = compat.task_interruption()
    if interruption is not None and compat.on_kill_action(task) == "delete_pod":
        # execution_timeout (or a kill) while the pod runs: it is not finished, so on_finish_action does not
        # apply; it goes now, as on_kill would have it, whatever KPO's cleanup then makes of it.
        task._delete_pods(f"the task was interrupted ({type(interruption).__name__})")
    facts = failure_facts(task, pod, remote_pod) if interruption is None and not task.run_state.kill_requested else None
    try:
        return kpo_cleanup(*args, **kwargs)
    except compat.AirflowSkipException:
        raise
    except AirflowException as error:
        if task.run_state.startup_failure is not None:
            raise task.run_state.startup_failure from None
        if interruption is not None or task.run_state.kill_requested:
            return None  # Airflow's timeout or kill goes on, not KPO's "returned a failure"
        raise failure_error(task, str(error), facts or FailureFacts(pod=remote_pod), remote_pod) from None
    except Exception as error:
        # Providers 7.x to 9.x read the pod again in cleanup: one deleted under the task fails there with a 404.
        if getattr(error, "status", None) != 404 or interruption is not None or task.run_state.kill_requested:
            raise
        if task.run_state.startup_failure is not None:
            raise task.run_state.startup_failure from None
        name = getattr(getattr(pod, "metadata", None), "name", None)
        gone = f"Pod {name} no longer exists (the Kubernetes API answered 404 Not Found)."
        raise failure_error(task, gone, facts or FailureFacts(pod=remote_pod, deleted=True), remote_pod) from None


# ---------------------------------------------------------------------------------- back from a trigger
def delete_after_failed_deferral(task: Any, context: Any, next_kwargs: Optional[Dict[str, Any]]) -> None:
    """The deferral timed out or the trigger failed: the task ends now, and its pod must not outlive it."""
    if compat.on_kill_action(task) != "delete_pod":
        return
    try:
        task._settle_config()
        task.pod_request_obj = task.build_pod_request_obj(context)
        task._delete_pods(f"the deferred task failed ({(next_kwargs or {}).get('error', 'trigger failure')})")
    except Exception:  # Airflow's error is the one to report
        task.log.exception("Could not delete the pod of this try")


def read_trigger_event(task: Any, context: Any, event: Any) -> None:
    """Back in KPO's trigger_reentry or execute_complete: Airflow's timeout, or our startup failure kept for cleanup."""
    from airflow_provider_composer_pod.operators.resume import register_event_secrets

    check_deferral_timeout(task, event)
    task.run_state.execution_deadline = execution_deadline(task, context)  # KPO may defer again (logging_interval)
    register_event_secrets(task, event)  # a new process: before KPO writes the pod's log lines
    if isinstance(event, dict) and event.get("composer_startup"):
        task.run_state.startup_failure = ComposerPodStartupError(event.get("message"))


def check_deferral_timeout(task: Any, event: Any) -> None:
    """The trigger fired because execution_timeout passed (and dealt with the pod): Airflow's timeout error."""
    message = timed_out(event)
    if message is not None:
        if event.get("pod_deleted"):
            task.run_state.deleted_pods = (event["name"],)  # on_kill, which Airflow calls on a timeout: nothing to do
        raise compat.task_timeout(message)
