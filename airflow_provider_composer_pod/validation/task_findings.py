"""Every finding for one pod task, as ``composer-pod validate`` reports it: nothing raised, everything collected.

The same checks the operator runs before it creates the pod (``preflight.check_pod``): the fields the API server
checks (``pod_fields``), then Autopilot's and Composer's rules (``validate``), on the pod built offline before
rendering. Outside Composer without ``--generation``, the operator checks Autopilot's rules alone, so only those are
errors here; what Composer would add is reported as a ``warning``.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from airflow_provider_composer_pod.errors import ComposerPodInputError, ComposerPodValidationError
from airflow_provider_composer_pod.validation.dags import DEFAULT_GENERATION, PodTask, build_pod
from airflow_provider_composer_pod.validation.model import ERROR, Finding
from airflow_provider_composer_pod.validation.quantities import is_template

WARNING = "warning"
"""A finding that stops the pod on Composer only, reported where the environment is not Composer."""


def error_findings(task_id: str, error: BaseException) -> List[Finding]:
    """What a construction or pod build raised, as findings."""
    if isinstance(error, ComposerPodValidationError):
        return list(error.findings)
    if isinstance(error, ComposerPodInputError):
        value = (
            "(hidden)" if error.value is None else error.value if isinstance(error.value, str) else repr(error.value)
        )
        return [Finding(ERROR, task_id, error.parameter, value, error.rule, "", error.fix)]
    rule = f"{type(error).__name__}: {error}"
    return [Finding(ERROR, task_id, "task", "(not built)", rule, "", "fix the task's arguments")]


def field_findings(task_id: str, pod: Any) -> List[Finding]:
    """The first name, label or reference the API server would refuse (templates are checked after rendering)."""
    from airflow_provider_composer_pod.compat import KPO_LABELS
    from airflow_provider_composer_pod.validation.pod_fields import check_pod_fields

    try:
        check_pod_fields(pod.to_dict() if hasattr(pod, "to_dict") else pod, skip_labels=KPO_LABELS)
    except ComposerPodInputError as error:
        if is_template(error.value) or is_template(error.parameter):
            return []
        return error_findings(task_id, error)
    return []


def check_pod_task(
    pod_task: PodTask,
    *,
    generation: Optional[int],
    compute_class: Optional[str],
    strict: bool,
    pod_bursting: bool,
    warn_for_generation: bool,
) -> List[Finding]:
    """Findings for one task; ``warn_for_generation``: also check as on Composer DEFAULT_GENERATION, as warnings."""
    from airflow_provider_composer_pod.validation.validate import validate_pod

    task_id = pod_task.task_id
    try:
        pod = build_pod(pod_task.task)
    except Exception as error:  # a broken task must not hide the others' findings
        return _unique([*error_findings(task_id, pod_task.error or error)])
    findings: List[Finding] = []
    if pod_task.error is not None and not isinstance(pod_task.error, ComposerPodValidationError):
        findings.extend(error_findings(task_id, pod_task.error))  # rule findings come again from the built pod
    findings.extend(field_findings(task_id, pod))

    def rules(for_generation: Optional[int]) -> List[Finding]:
        return validate_pod(
            pod,
            task_id=task_id,
            generation=for_generation,
            compute_class=compute_class,
            strict=strict,
            pod_bursting=pod_bursting,
            defer_templates=True,  # not rendered here; the operator checks rendered values before creating the pod
        )

    checked = rules(generation)
    findings.extend(checked)
    if warn_for_generation:
        seen = {_key(finding) for finding in checked}
        findings.extend(_as_warning(f) for f in rules(DEFAULT_GENERATION) if f.level == ERROR and _key(f) not in seen)
    return _unique(findings)


def _key(finding: Finding) -> Tuple[str, str, str, str]:
    return (finding.level, finding.field, finding.value, finding.rule)


def _unique(findings: List[Finding]) -> List[Finding]:
    seen = set()
    unique = []
    for finding in findings:
        if _key(finding) not in seen:
            seen.add(_key(finding))
            unique.append(finding)
    return unique


def _as_warning(finding: Finding) -> Finding:
    return Finding(
        WARNING,
        finding.task_id,
        finding.field,
        finding.value,
        f"{finding.rule} (on Composer {DEFAULT_GENERATION} only: this is not a Composer environment, so the task runs "
        f"here; pass --generation {DEFAULT_GENERATION} to make it an error)",
        finding.source,
        finding.fix,
        finding.effective,
    )
