"""Which pod a task's try created, told by its labels, so that a create whose answer was lost is adopted, not repeated.

KubernetesPodOperator labels every pod with the DAG, task, run, map index and try it belongs to. When a create's
connection drops or times out, the API server may or may not have made the pod; sending the create again could
make a second one (or fail with 409 AlreadyExists). :func:`create_pod_once` looks for the pod by those labels
before each new attempt and adopts it when it is there.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional

from airflow_provider_composer_pod.kube.retries import (
    Outage,
    RetryPolicy,
    call_with_retries,
    is_api_exception,
    never_delivered,
    transient_reason,
)

# The labels that together name one try of one task instance; a pod without all of them has no label identity.
IDENTITY_LABELS = ("dag_id", "task_id", "run_id", "try_number")
MAP_INDEX_LABEL = "map_index"
OPERATOR_LABEL = "kubernetes_pod_operator"


def identity_selector(labels: Optional[Mapping[str, Any]]) -> Optional[str]:
    """A label selector matching exactly the pods of the try that ``labels`` describe, or None without an identity.

    An unmapped task's selector excludes pods with a map index, so a mapped sibling can never match.
    """
    labels = labels or {}
    if any(labels.get(key) in (None, "") for key in IDENTITY_LABELS):
        return None
    parts = [f"{key}={labels[key]}" for key in IDENTITY_LABELS]
    map_index = labels.get(MAP_INDEX_LABEL)
    parts.append(f"{MAP_INDEX_LABEL}={map_index}" if map_index not in (None, "") else f"!{MAP_INDEX_LABEL}")
    if labels.get(OPERATOR_LABEL) not in (None, ""):
        parts.append(f"{OPERATOR_LABEL}={labels[OPERATOR_LABEL]}")
    return ",".join(parts)


def pick_created_pod(pods: List[Any], name: Optional[str]) -> Optional[Any]:
    """Of the pods with the try's labels, the one this create asked for: its name, or the only one if unnamed."""
    live = [pod for pod in pods if getattr(pod.metadata, "deletion_timestamp", None) is None]
    if name:
        return next((pod for pod in live if pod.metadata.name == name), None)
    return live[0] if len(live) == 1 else None


def _already_exists(error: BaseException) -> bool:
    return is_api_exception(error) and getattr(error, "status", None) == 409


def create_pod_once(
    send: Callable[[], Any],
    find: Callable[[], Optional[Any]],
    policy: RetryPolicy,
    *,
    what: str,
    describe: str,
    logger: Any,
    outage: Optional[Outage] = None,
    answer: Callable[[Any], Any] = lambda pod: pod,
) -> Any:
    """``send()`` the create until it succeeds; after an attempt that may have reached the server, ``find()`` first.

    ``find`` returns the pod this create made, or None. A create refused before it was sent (connection refused,
    429) is simply sent again; one that may have been acted on (a dropped connection, a timeout, a 5xx) is followed
    by a look for the pod, which is adopted if it exists; a 409 AlreadyExists after such an attempt means the earlier
    attempt made it. Only when no attempt could have made a pod does a 409 go back to the caller. ``answer`` turns
    an adopted pod into what ``send()`` would have returned.
    """
    state: Dict[str, bool] = {"maybe_created": False}

    def attempt() -> Any:
        if state["maybe_created"]:
            found = find()
            if found is not None:
                logger.warning(
                    "Adopted pod %s/%s: an earlier create's answer was lost, and the pod it made has this try's "
                    "labels (%s).",
                    found.metadata.namespace,
                    found.metadata.name,
                    describe,
                )
                return answer(found)
        try:
            return send()
        except Exception as error:
            if state["maybe_created"] and _already_exists(error):
                found = find()
                if found is not None:
                    logger.warning(
                        "Adopted pod %s/%s, made by an earlier create whose answer was lost (%s).",
                        found.metadata.namespace,
                        found.metadata.name,
                        describe,
                    )
                    return answer(found)
            if transient_reason(error) is not None and not never_delivered(error):
                state["maybe_created"] = True
            raise

    return call_with_retries(attempt, policy, what=what, logger=logger, outage=outage)


__all__ = ["IDENTITY_LABELS", "create_pod_once", "identity_selector", "pick_created_pod"]
