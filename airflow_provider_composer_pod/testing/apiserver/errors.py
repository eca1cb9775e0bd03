"""API errors rendered as ``meta/v1 Status`` objects with the real server's reasons, codes and messages."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class ApiError(Exception):
    """An error that the server answers with a ``Status`` body; raised anywhere in a handler."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Optional[Dict[str, Any]] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> Dict[str, Any]:
        """The ``Status`` object exactly as kube-apiserver serialises it."""
        body: Dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(name: Optional[str], resource: str, group: str = "", **extra: Any) -> Dict[str, Any]:
    details: Dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    details.update(extra)
    return details


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        404, "NotFound", f'{_qualified(resource, group)} "{name}" not found', _details(name, resource, group)
    )


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{_qualified(resource, group)} "{name}" already exists',
        _details(name, resource, group),
    )


def conflict(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": the object has been modified; '
        "please apply your changes to the "
        "latest version and try again",
        _details(name, resource, group),
    )


def invalid(kind: str, name: str, causes: List[Dict[str, str]], group: str = "") -> ApiError:
    """422 with one cause per field error, message joined like ``ErrorList.ToAggregate()``."""
    messages = ["{}: {}".format(c["field"], c["message"]) if c.get("field") else c["message"] for c in causes]
    joined = messages[0] if len(messages) == 1 else "[{}]".format(", ".join(messages))
    label = f"{kind}.{group}" if group else kind
    return ApiError(
        422,
        "Invalid",
        f'{label} "{name}" is invalid: {joined}',
        {"name": name, "group": group, "kind": kind, "causes": causes}
        if group
        else {"name": name, "kind": kind, "causes": causes},
    )


def too_large_resource_version(requested: int, current: int) -> ApiError:
    """504, as kube-apiserver answers a list or watch from a resourceVersion it has not reached yet."""
    return ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
    )


def field_invalid(field: str, value: Any, detail: str) -> Dict[str, str]:
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {shown}: {detail}", "field": field}


def field_required(field: str, detail: str = "") -> Dict[str, str]:
    return {
        "reason": "FieldValueRequired",
        "message": "Required value" + (": " + detail if detail else ""),
        "field": field,
    }


def field_not_found(field: str, value: Any) -> Dict[str, str]:
    return {"reason": "FieldValueNotFound", "message": f'Not found: "{value}"', "field": field}


def field_duplicate(field: str, value: Any) -> Dict[str, str]:
    return {"reason": "FieldValueDuplicate", "message": f'Duplicate value: "{value}"', "field": field}


def field_forbidden(field: str, detail: str) -> Dict[str, str]:
    return {"reason": "FieldValueForbidden", "message": f"Forbidden: {detail}", "field": field}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(
    user: str, verb: str, resource: str, name: Optional[str], namespace: Optional[str], group: str = ""
) -> ApiError:
    """The RBAC denial text of kube-apiserver, subresources included (``pods/exec``)."""
    base = resource.split("/")[0]
    subject = f'{_qualified(base, group)} "{name}"' if name else _qualified(base, group)
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}" {scope}'
    )
    return ApiError(403, "Forbidden", message, _details(name, base, group))


def namespace_terminating(resource: str, name: str, namespace: str) -> ApiError:
    return ApiError(
        403,
        "Forbidden",
        f'{resource} "{name}" is forbidden: unable to create new content in namespace {namespace} '
        "because it is being terminated",
        {
            "name": name,
            "kind": resource,
            "causes": [
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }
            ],
        },
    )


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unsupported_media_type(content_type: str, hint: str = "") -> ApiError:
    if hint:  # a body, not a patch, in a format the emulator does not read: what it does read
        return ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, "
            f"application/yaml ({hint})",
        )
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
        "application/strategic-merge-patch+json"
        if content_type
        else "unsupported media type",
    )


def not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def internal_error(message: str) -> ApiError:
    return ApiError(
        500,
        "InternalError",
        f"Internal error occurred: {message}",
        {"causes": [{"message": message}]},
    )


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "TooManyRequests",
        f"The API server is overloaded; please retry after {retry_after} second{'' if retry_after == 1 else 's'}",
        {"retryAfterSeconds": retry_after},
        {"Retry-After": str(retry_after)},
    )


def service_unavailable(message: str = "the server is currently unable to handle the request") -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)
