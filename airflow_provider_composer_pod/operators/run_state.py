"""What one execution of a ``ComposerPodOperator`` knows about its pod, in one object.

``execute`` starts a fresh one (unless it resumes after ``startup_wait="defer"``); ``cleanup``, ``on_kill`` and the
resume paths read it. Airflow runs each try on a fresh copy of the task, so nothing here outlives the try, except on
Airflow 2's ``dag.test()``, which resumes the very object that deferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence


@dataclass
class RunState:
    startup_failure: Optional[Exception] = None
    """Why the pod was not created or could not start, kept so that KPO's cleanup (which older providers run even
    when no pod exists, raising "returned a failure") does not hide it."""
    created_at: Optional[float] = None
    """When this worker created the pod (epoch seconds; the startup trigger's clock starts there)."""
    deferring_startup: bool = False
    """KPO's cleanup runs only because the task defers while its pod starts: the pod must live on."""
    startup_event: Optional[Dict[str, Any]] = None
    """The startup trigger's event, once the task resumes on a worker."""
    execution_deadline: Optional[float] = None
    """When ``execution_timeout`` passes (epoch seconds), for the triggers to enforce while the task is deferred."""
    secrets_registered: bool = False
    """The values of the pod's Secrets are registered with this process's secrets masker (pre-flight or resume)."""
    kill_requested: bool = False
    """Airflow asked this task to stop (``on_kill``)."""
    deleted_pods: Sequence[str] = ()
    """The pods deleted because of a kill or an ``execution_timeout``."""
