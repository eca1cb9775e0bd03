"""Google's error answers as the emulator gives them: ``{"error": {"code", "message", "status", "details"}}``.

The envelope is AIP-193's and the canonical codes are google/rpc/code.proto's. The exact wording of Composer's
own messages is UNCONFIRMED (docs/research/composer-api-user-workloads.md, section 3): the 401 text is the one
Google's front end is commonly seen to give, the 403 text follows the IAM pattern "Permission '<p>' denied on
resource '<r>' (or it may not exist)." seen from other Google APIs, and the 404/409/400 texts are our own.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

# The ErrorInfo domain Composer uses is UNCONFIRMED (composer.googleapis.com or iam.googleapis.com).
DOMAIN = "composer.googleapis.com"
UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential."
)


class GoogleError(Exception):
    """An error answer: the HTTP status, Google's status string, the message and any ``details``."""

    def __init__(self, code: int, status: str, message: str, details: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details = details or []

    def body(self) -> Dict[str, Any]:
        error: Dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid(message: str) -> GoogleError:
    return GoogleError(400, "INVALID_ARGUMENT", message)


def unauthenticated() -> GoogleError:
    return GoogleError(401, "UNAUTHENTICATED", UNAUTHENTICATED_MESSAGE)


def permission_denied(permission: str, resource: str) -> GoogleError:
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "IAM_PERMISSION_DENIED",
        "domain": DOMAIN,
        "metadata": {"permission": permission, "resource": resource},
    }
    message = f"Permission '{permission}' denied on resource '//{DOMAIN}/{resource}' (or it may not exist)."
    return GoogleError(403, "PERMISSION_DENIED", message, [info])


def not_found(what: str, resource: str) -> GoogleError:
    return GoogleError(404, "NOT_FOUND", f"{what} '{resource}' not found.")


def already_exists(what: str, resource: str) -> GoogleError:
    return GoogleError(409, "ALREADY_EXISTS", f"{what} '{resource}' already exists.")


def not_allowed(method: str, path: str) -> GoogleError:
    return GoogleError(404, "NOT_FOUND", f"The requested URL {path} was not found on this server ({method}).")
