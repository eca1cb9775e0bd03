"""Every exception the package raises, each worded for the person who has to fix the DAG, connection or command.

``ComposerPodInputError`` is a ``ValueError`` (bad input, caught before anything exists); the others are
``AirflowException`` subclasses, raised while a task runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from airflow.exceptions import AirflowException

from airflow_provider_composer_pod.wording import counted

if TYPE_CHECKING:
    from airflow_provider_composer_pod.validation.model import Finding

# Long values make a message unreadable; the start is enough to find the typo.
_MAX_SHOWN = 80


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 4] + "...'"


class ComposerPodInputError(ValueError):
    """An argument, manifest field or command-line value that Kubernetes or Composer would reject.

    A ``ValueError`` so callers that already catch bad values keep working. The message names the parameter, the
    value, the rule and the fix; with ``hide_value=True`` (secret data) the value is neither shown nor kept. Pass
    ``...`` as the value when the argument's presence, not its value, is the problem.
    """

    def __init__(self, parameter: str, value: Any, rule: str, fix: str, *, hide_value: bool = False) -> None:
        self.parameter = parameter
        self.value = None if hide_value else value
        self.rule = rule
        self.fix = fix
        shown = " (value hidden)" if hide_value else "" if value is ... else "=" + _shown(value)
        super().__init__(f"{parameter}{shown} is not valid: {rule}. Fix: {fix}")

    @classmethod
    def from_message(cls, message: str) -> ComposerPodInputError:
        """One already worded with the parameter, value, rule and fix (the Composer API client's input errors)."""
        error = cls.__new__(cls)
        ValueError.__init__(error, message)
        error.parameter, error.value, error.rule, error.fix = "", None, message, ""
        return error


class ComposerPodValidationError(AirflowException):
    """Autopilot or Composer would reject the pod; the message lists every reason, one per line."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        lines = [finding.render() for finding in self.findings]
        header = f"{counted(len(lines), 'problem')} would stop this pod on Cloud Composer:"
        super().__init__("\n".join([header, *("- " + line for line in lines)]))


class ComposerPodPreflightError(AirflowException):
    """The pod would not start: something it references does not exist."""


class ComposerPodRejectedError(AirflowException):
    """The API server refused to create the pod (no pod exists): what it said, and what to do."""


class ComposerPodApiError(AirflowException):
    """The Kubernetes API kept failing (5xx, unreachable) until the retrying gave up: the request, the last answer,
    how long it was retried and what to do."""


class ComposerPodStartupError(AirflowException):
    """The pod did not start: the message says why, from its status and events, and what to change."""


class ComposerPodConfigError(AirflowException):
    """The kube config the task resolved cannot be loaded (a missing file, a context it does not have)."""


class ComposerPodObjectError(AirflowException):
    """A Secret or ConfigMap could not be written through the Kubernetes API; the message says what to run instead."""
