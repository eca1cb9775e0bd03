"""What a try does first when its pod exists already: a resume after a deferral, a retry that reattaches.

Such a process (a new worker, on Airflow 3 under a new supervisor) did not run the pre-flight, which registered the
pod's Secret values with the secrets masker as it read them; it registers them before any of the pod's log lines is
written. And a resume names the pod it resumes instead of building a request for a new one.
"""

from __future__ import annotations

from typing import Any, Dict

from airflow_provider_composer_pod.validation.preflight import register_pod_secrets


def register_secrets(task: Any, pod: Any) -> None:
    """The values of the Secret keys ``pod`` uses, registered with the masker (once per execution)."""
    if pod is None or task.run_state.secrets_registered:
        return
    register_pod_secrets(task.client, pod, task.log)
    task.run_state.secrets_registered = True


def start_as_a_new_process(task: Any) -> None:
    """Back from the startup trigger, start as a new worker process would. ``dag.test()`` on Airflow 2 resumes the very
    object that deferred, whose request and pod KPO 10.x would reuse (skipping its build and create): the resume
    then reads the pod and registers its Secret values again, as in production."""
    task.run_state.deferring_startup = task.run_state.secrets_registered = False
    task.pod_request_obj = task.pod = None


def resumed_pod(task: Any, event: Dict[str, Any]) -> Any:
    """``startup_wait="defer"``, back on a worker: the pod the trigger watched, read, in place of KPO's new request
    (which would carry a new random name and log "Building pod" for it)."""
    name, namespace = event["name"], event["namespace"]
    task.log.info("Resuming pod %s in namespace %s, created before the task deferred.", name, namespace)
    pod = task.client.read_namespaced_pod(name, namespace)
    register_secrets(task, pod)
    return pod


def register_event_secrets(task: Any, event: Any) -> None:
    """``deferrable=True``, back from the trigger: the pod's Secret values registered before KPO fetches its logs."""
    from kubernetes.client.exceptions import ApiException

    if not isinstance(event, dict) or not event.get("name") or not event.get("namespace"):
        return
    # Each resume is a new process on a real Airflow; dag.test() on Airflow 2 resumes the very object that deferred.
    task.run_state.secrets_registered = False
    try:
        pod = task.client.read_namespaced_pod(event["name"], event["namespace"])
    except ApiException as error:
        if error.status == 404:  # gone: KPO says so, and no log line follows
            return
        raise
    register_secrets(task, pod)
