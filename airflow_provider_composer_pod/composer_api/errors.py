"""The two errors the Composer API client raises: one for the API's answers, one for input refused before a request."""

from __future__ import annotations

from typing import Optional


class ComposerApiError(Exception):
    """The Composer API (or the way to it) refused a call; ``str()`` is one line that says what to do.

    :param status: the HTTP status, ``0`` when no answer came (connection refused, timeout).
    :param reason: Google's status string (``PERMISSION_DENIED``, ``NOT_FOUND``, ...).
    :param permission: the IAM permission the call needs (``composer.userworkloadssecrets.create``), for 403s.
    :param gcloud: the equivalent ``gcloud`` command line; never carries values.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        reason: str,
        permission: Optional[str] = None,
        gcloud: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.permission = permission
        self.gcloud = gcloud

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, reason={self.reason!r}, message={self.message!r})"


class ComposerApiInputError(ValueError):
    """Input the client refuses before sending anything: names the argument, its value (never a secret's), the rule
    and the fix."""
