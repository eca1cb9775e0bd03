"""Google's error answers (``{"error": {"code", "message", "status", "details"}}``, AIP-193) as one-line fixes.

Which predefined IAM role holds the user-workloads permissions is not confirmed by any source we have, so the
403 answer names the permission and leaves the role to the administrator. The exact wording of Composer's own
messages is UNCONFIRMED (research section 3); we only quote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

from airflow_provider_composer_pod.composer_api.errors import ComposerApiError
from airflow_provider_composer_pod.composer_api.kinds import Kind, gcloud_command
from airflow_provider_composer_pod.composer_api.target import EnvironmentRef

# Google's canonical codes by HTTP status (google/rpc/code.proto), for answers that carry no "status".
_STATUS_BY_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Call:
    """One method call: what a failure's answer needs to say what was being done."""

    kind: Kind
    verb: str  # create, update, get, list, delete
    environment: EnvironmentRef
    name: str = ""
    # A Secret's values (and their base64) as sent: blanked out of whatever the server's message quotes.
    hidden: Tuple[str, ...] = field(default=(), repr=False)

    @property
    def permission(self) -> str:
        return self.kind.permission(self.verb)

    @property
    def gcloud(self) -> str:
        env = self.environment
        return gcloud_command(self.kind, self.verb, env.environment, env.location, env.project, self.name)

    @property
    def what(self) -> str:
        if self.name:
            return f"{self.verb} of {self.kind.label} {self.name!r} in environment {self.environment.name}"
        return f"{self.verb} of {self.kind.label}s in environment {self.environment.name}"


def _one_line(text: Any, hidden: Tuple[str, ...] = ()) -> str:
    line = str(text or "")
    for value in sorted(hidden, key=len, reverse=True):
        line = line.replace(value, "***")
    line = re.sub(r"\s+", " ", line).strip()
    return line if len(line) <= _MESSAGE_LIMIT else line[: _MESSAGE_LIMIT - 3] + "..."


def _permission_in(details: Any) -> Optional[str]:
    for detail in details if isinstance(details, list) else []:
        metadata = detail.get("metadata") if isinstance(detail, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("permission"), str):
            return str(metadata["permission"])
    return None


def missing_is_the_environment(call: Call, payload: Any) -> bool:
    """A 404 is about the environment when it does not name the object; list and create have no object to miss.

    The real API's 404 wording is UNCONFIRMED: a message that names the kind (``userWorkloadsSecrets``, "Secret")
    is the object's, one naming only an environment is the environment's, and anything else counts as the object's.
    """
    if not call.name:
        return True
    error = payload.get("error") if isinstance(payload, dict) else None
    message = str(error.get("message") or "") if isinstance(error, dict) else ""
    lowered = message.lower()
    if any(word in lowered for word in (call.kind.collection.lower(), "userworkloads", call.kind.label.lower())):
        return False
    return "environment" in lowered


def from_response(call: Call, status: int, payload: Any) -> ComposerApiError:
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    reason = str(error.get("status") or _STATUS_BY_HTTP.get(status, "UNKNOWN"))
    api_message = _one_line(error.get("message"), call.hidden) or f"HTTP {status}"
    gcloud = call.gcloud
    permission = None
    if status == 400:
        text = (
            f"Composer API refused the {call.what} as invalid ({reason}): {api_message}; fix the name, keys or values "
            "it names and retry"
        )
    elif status == 401:
        text = (
            f"Composer API did not accept the credentials for the {call.what} (401 {reason}: {api_message}); locally "
            "run `gcloud auth application-default login`, on a Composer worker check the environment's service "
            "account, or pass a valid token"
        )
    elif status == 403:
        permission = _permission_in(error.get("details")) or call.permission
        text = (
            f"permission {permission} is missing for the {call.what} (403 {reason}); grant the caller's identity "
            f"(locally your gcloud account, on Composer the environment's service account) a role that includes "
            f"{permission} on the environment"
        )
    elif status == 404 and missing_is_the_environment(call, payload):
        text = (
            f"Composer environment {call.environment.name} was not found (404 {reason}: {api_message}); check the "
            "project, location and environment (connection fields or --project/--location/--environment), and that "
            "it is a Composer 3 environment"
        )
    elif status == 404:
        text = (
            f"{call.kind.label} {call.name!r} does not exist in environment {call.environment.name} (404 {reason}); "
            f"create it first (or check the name)"
        )
    elif status == 409:
        text = (
            f"{call.kind.label} {call.name!r} already exists in environment {call.environment.name} (409 {reason}); "
            "update it instead, or use apply (create-or-replace)"
        )
    else:
        text = f"Composer API answered HTTP {status} {reason} to the {call.what}: {api_message}; retry later"
    return ComposerApiError(
        f"{text}. gcloud equivalent: {gcloud}", status=status, reason=reason, permission=permission, gcloud=gcloud
    )


def unreachable(call: Call, endpoint: str, problem: Exception) -> ComposerApiError:
    """No answer at all; the exception's text names the host and the cause, nothing of the request's body."""
    text = (
        f"Composer API at {endpoint} could not be reached for the {call.what} ({type(problem).__name__}: "
        f"{_one_line(problem, call.hidden)}); check the endpoint (connection field or "
        "$COMPOSER_POD_COMPOSER_API_ENDPOINT) and the network"
    )
    return ComposerApiError(
        f"{text}. gcloud equivalent: {call.gcloud}", status=0, reason="UNAVAILABLE", gcloud=call.gcloud
    )


def no_credentials(call: Call, problem: Exception) -> ComposerApiError:
    """Application Default Credentials could not be found or refreshed: nothing was sent."""
    text = (
        f"no usable Google credentials for the {call.what} ({type(problem).__name__}: {_one_line(problem)}); locally "
        "run `gcloud auth application-default login`, on a Composer worker check the environment's service account, "
        "or pass a token"
    )
    return ComposerApiError(
        f"{text}. gcloud equivalent: {call.gcloud}", status=401, reason="UNAUTHENTICATED", gcloud=call.gcloud
    )
