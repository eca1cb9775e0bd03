"""Table clearing used by the pod tests' ``clear_db`` fixture.

Upstream's helpers delete every row of the tables a DAG or a DAG run owns; the tests rely on that to start each test
with no DAG, run or bundle left by the previous one. Tables are deleted children first so foreign keys hold.
"""

from __future__ import annotations

import importlib

from airflow.utils.session import create_session

# (module, class) in delete order: rows that point at a run or a DAG go before the run or the DAG.
_RUN_MODELS = [
    ("airflow.models.xcom", "XComModel"),
    ("airflow.models.renderedtifields", "RenderedTaskInstanceFields"),
    ("airflow.models.taskreschedule", "TaskReschedule"),
    ("airflow.models.taskmap", "TaskMap"),
    ("airflow.models.taskinstancehistory", "TaskInstanceHistory"),
    ("airflow.models.taskinstance", "TaskInstance"),
    ("airflow.models.trigger", "Trigger"),
    ("airflow.models.dagrun", "DagRun"),
]
_DAG_MODELS = [
    ("airflow.models.serialized_dag", "SerializedDagModel"),
    ("airflow.models.dagcode", "DagCode"),
    ("airflow.models.dag_version", "DagVersion"),
    ("airflow.models.dag", "DagTag"),
    ("airflow.models.dag", "DagOwnerAttributes"),
    ("airflow.models.dag", "DagModel"),
]
_BUNDLE_MODELS = [("airflow.models.dagbundle", "DagBundleModel")]


def _delete(models: list[tuple[str, str]]) -> None:
    with create_session() as session:
        for module_name, class_name in models:
            try:
                model = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError):
                continue  # not in this Airflow version
            session.query(model).delete(synchronize_session=False)


def clear_db_runs() -> None:
    """Delete every DAG run and what hangs off it (task instances, XComs, triggers)."""
    _delete(_RUN_MODELS)


def clear_db_dags() -> None:
    """Delete every DAG, its serialized form and versions; runs go first, as they reference versions."""
    _delete(_RUN_MODELS + _DAG_MODELS)


def clear_db_dag_bundles() -> None:
    """Delete every DAG bundle row (``sync_dag_to_db`` writes one)."""
    _delete(_BUNDLE_MODELS)
