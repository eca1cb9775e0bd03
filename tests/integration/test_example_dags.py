from __future__ import annotations

import inspect
from pathlib import Path

from airflow.models.dagbag import DagBag

EXAMPLE_DAGS = Path(__file__).parents[2] / "example_dags"
GUIDE_TASKS = {"pod-ex-minimum", "ex-all-configs", "ex-kube-templates", "ex-kube-secrets"}


def _dagbag() -> DagBag:
    kwargs = {"dag_folder": str(EXAMPLE_DAGS)}
    if "include_examples" in inspect.signature(DagBag.__init__).parameters:  # Airflow 2 also loads its own examples
        kwargs["include_examples"] = False
    return DagBag(**kwargs)


def test_example_dags_import_without_errors():
    dagbag = _dagbag()

    assert dagbag.import_errors == {}
    assert len(dagbag.dag_ids) >= 4


def test_examples_hold_the_guides_four_tasks_as_composer_pod_operators():
    dagbag = _dagbag()

    tasks = {task.task_id: task for dag in dagbag.dags.values() for task in dag.tasks}

    assert GUIDE_TASKS <= set(tasks)
    assert {type(tasks[t]).__name__ for t in GUIDE_TASKS} == {"ComposerPodOperator"}
