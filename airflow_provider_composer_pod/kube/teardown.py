"""A killed, failed or timed-out task takes its pod with it (issue 8: no orphans).

KubernetesPodOperator's ``on_kill`` deletes ``self.pod``, which it knows only once the create has answered: a task
killed during its pre-flight or create leaves a pod that nobody deletes. Here the pod is found by the labels of the
task's try instead, which KPO puts on every pod it creates.
"""

from __future__ import annotations

from typing import Any, List, Optional

from airflow_provider_composer_pod.kube.pod_identity import identity_selector


def delete_pods(
    client: Any,
    *,
    pod: Any,
    pod_request: Any,
    grace_period: Optional[int],
    reason: str,
    log: Any,
) -> List[str]:
    """Delete ``pod``, or without one the live pods carrying ``pod_request``'s try labels; the names deleted.

    A pod that is already gone counts as deleted. Other API errors are logged and the next pod is tried: the task is
    ending, and a failure here must not hide why.
    """
    from kubernetes.client.exceptions import ApiException

    targets: List[Any] = []
    if pod is not None and getattr(pod.metadata, "name", None):
        targets = [pod]
    elif pod_request is not None:
        selector = identity_selector(pod_request.metadata.labels)
        namespace = pod_request.metadata.namespace
        if selector is not None and namespace:
            try:
                found = client.list_namespaced_pod(namespace, label_selector=selector).items or []
            except ApiException as error:
                log.error("Could not look for the pods of this try (%s): %s", selector, error)
                found = []
            targets = [p for p in found if getattr(p.metadata, "deletion_timestamp", None) is None]
    deleted = []
    for target in targets:
        name, namespace = target.metadata.name, target.metadata.namespace
        kwargs = {} if grace_period is None else {"grace_period_seconds": grace_period}
        try:
            client.delete_namespaced_pod(name, namespace, **kwargs)
        except ApiException as error:
            if error.status != 404:
                log.error("Could not delete pod %s/%s (%s): %s", namespace, name, reason, error)
                continue
        log.info("Deleted pod %s/%s: %s.", namespace, name, reason)
        deleted.append(name)
    return deleted
