"""The exception raised when a pod would be rejected; kept apart because it imports Airflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from airflow.exceptions import AirflowException

if TYPE_CHECKING:
    from airflow_provider_composer_pod.validation import Finding


class ComposerPodValidationError(AirflowException):
    """Autopilot or Composer would reject the pod; the message lists every reason, one per line."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        lines = [finding.render() for finding in self.findings]
        count = len(lines)
        header = f"{count} problem{'' if count == 1 else 's'} would stop this pod on Cloud Composer:"
        super().__init__("\n".join([header, *("- " + line for line in lines)]))
