"""The Airflow context a benchmark hands ``execute``: what KPO asks of ``context["ti"]`` on the benchmarked paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict


@dataclass
class FakeTaskInstance:
    dag_id: str
    task_id: str
    run_id: str
    map_index: int = -1
    try_number: int = 1
    start_date: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    xcoms: Dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self.xcoms[key] = value


def task_context(dag_id: str, task_id: str, run_id: str) -> Dict[str, Any]:
    """A context for one task instance of ``dag_id``."""
    ti = FakeTaskInstance(dag_id=dag_id, task_id=task_id, run_id=run_id)
    return {"ti": ti, "task_instance": ti, "run_id": run_id, "dag": None}
