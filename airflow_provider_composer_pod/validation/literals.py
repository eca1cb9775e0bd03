"""Literal argument values that Autopilot or Composer would reject, found when the DAG file is parsed.

``ComposerPodOperator.__init__`` calls :func:`check_literals` for every task on every DAG parse, so this module is
small and imports only what the check needs; the rules themselves (``validate``, and the rule tables it reads on first
use) are loaded only for a task that sets one of the arguments they rule on.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any, Dict, Iterator, Optional

from airflow_provider_composer_pod.compat import RESOURCES_ATTRIBUTE

# Only these literal arguments can hold something Autopilot or Composer rejects outright; a task without them skips
# the construction-time check, which keeps DAG parsing at KPO's speed.
_RULED_ARGUMENTS = (
    RESOURCES_ATTRIBUTE,
    "affinity",
    "node_selector",
    # Autopilot's security constraints (validation/security.py); volumes matter only where mounted
    "container_security_context",
    "hostnetwork",
    "ports",
    "volume_mounts",
    "init_containers",
)


_COLLECTED: ContextVar[Optional[Dict[int, BaseException]]] = ContextVar("composer_pod_literal_errors", default=None)


@contextlib.contextmanager
def collecting_literal_errors() -> Iterator[Dict[int, BaseException]]:
    """While open, :func:`check_literals` records each task's error under ``id(task)`` instead of raising it.

    A raise at construction ends the DAG file there, so ``composer-pod validate`` would never see the tasks after the
    first bad one; it loads DAG files inside this and reports each recorded error as that task's findings.
    """
    collected: Dict[int, BaseException] = {}
    token = _COLLECTED.set(collected)
    try:
        yield collected
    finally:
        _COLLECTED.reset(token)


def check_literals(task: Any) -> None:
    """At construction: raise for literal values that Autopilot or Composer would reject (a DAG import error)."""
    collected = _COLLECTED.get()
    if collected is None:
        _check_literals(task)
        return
    try:
        _check_literals(task)
    except Exception as error:  # recorded for `composer-pod validate`, which reports it as the task's findings
        collected[id(task)] = error


def _check_literals(task: Any) -> None:
    for name in _RULED_ARGUMENTS:  # a loop, not any(): this runs for every task on every DAG parse
        if getattr(task, name, None):
            break
    else:
        return
    from airflow_provider_composer_pod.environment import detect_environment
    from airflow_provider_composer_pod.validation.validate import raise_for_errors, validate_operator

    generation = detect_environment(generation=getattr(task, "composer_generation", None)).generation
    strict = bool(getattr(task, "strict_validation", False))
    raise_for_errors(validate_operator(task, generation=generation, strict=strict))
