"""When the retrying gives up: the record it leaves on the error, and the typed error a task raises from it.

:mod:`.retries` re-raises the client's last error unchanged (callers' own ``except`` clauses keep working) and marks
it with a :class:`GaveUp`: the request, the last answer, how long the failures lasted and why the retrying stopped
(``api_retry_timeout`` used up, or the same HTTP 500 again and again). The operator turns a marked error into a
:class:`~airflow_provider_composer_pod.errors.ComposerPodApiError` instead of the client's raw ``ApiException``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

from airflow_provider_composer_pod.errors import ComposerPodApiError

_ATTRIBUTE = "composer_pod_gave_up"


@dataclass(frozen=True)
class GaveUp:
    what: str  # the request: "POST /api/v1/namespaces/ns/pods"
    reason: str  # the last answer in a few words: "HTTP 500 Internal Server Error", "connection refused"
    said: str  # the server's message ("" when it said none)
    seconds: float  # how long the failures lasted
    attempts: int
    timeout: float  # api_retry_timeout
    repeated: int  # how many identical HTTP 500 answers in a row ended it (not an outage); 0: the timeout did


def server_message(error: BaseException) -> str:
    """What the API server said: a Status body's message (or the body's start, 200 characters at most), or ""."""
    body = getattr(error, "body", None)
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    message = decoded.get("message") if isinstance(decoded, dict) else None
    return str(message if message else text).strip()[:200]


def mark(error: BaseException, record: GaveUp) -> None:
    try:
        setattr(error, _ATTRIBUTE, record)
    except (AttributeError, TypeError):  # an exception type that takes no attributes: left unmarked
        pass


def gave_up(error: BaseException) -> Optional[GaveUp]:
    record = getattr(error, _ATTRIBUTE, None)
    return record if isinstance(record, GaveUp) else None


def exhausted_error(record: GaveUp, subject: str) -> ComposerPodApiError:
    """The request, the last answer, how long it was retried and what to do, for ``subject`` ("pod x in ns")."""
    said = f": {record.said!r}" if record.said else ""
    if record.repeated:
        why = f"the server gave the same answer {record.repeated} times in a row"
        fix = (
            "the server answers this request the same way every time, so the request is what it rejects: check "
            f"{subject}'s fields against the message above (a real API server answers an invalid pod with 400 or "
            "422), or the cluster's admission webhooks; raising api_retry_timeout will not help"
        )
    else:
        why = f"api_retry_timeout={record.timeout:.0f} s was used up"
        fix = (
            "check that the cluster's API server is up and reachable from the workers (`kubectl get --raw "
            "/readyz`, or the GKE cluster's status in the Cloud console), or raise api_retry_timeout to ride out "
            "longer outages"
        )
    return ComposerPodApiError(
        f"The Kubernetes API kept failing {record.what} for {subject}; the last answer was {record.reason}{said}. "
        f"{record.attempts} failed attempts over {record.seconds:.0f} s, until {why}. Fix: {fix}."
    )


__all__ = ["GaveUp", "exhausted_error", "gave_up", "mark", "server_message"]
