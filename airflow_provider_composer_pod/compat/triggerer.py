"""What the triggerer may ask of Airflow about a deferred task, on every Airflow version."""

from __future__ import annotations

from typing import Any

from airflow_provider_composer_pod.compat import AIRFLOW_3


def trigger_has_on_kill() -> bool:
    """Airflow 3.3+ calls ``BaseTrigger.on_kill()`` when a user kills a deferred task (and never on a triggerer
    restart); before, a trigger's ``cleanup()`` must tell the two apart from the task instance's state."""
    from airflow.triggers.base import BaseTrigger

    return "on_kill" in vars(BaseTrigger)


def _task_state_sync(task_instance: Any) -> Any:
    if AIRFLOW_3:  # the triggerer has no database session: ask the API server through the Task SDK
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

        states = RuntimeTaskInstance.get_task_states(
            dag_id=task_instance.dag_id,
            task_ids=[task_instance.task_id],
            run_ids=[task_instance.run_id],
            map_index=task_instance.map_index,
        )
        key = task_instance.task_id
        if task_instance.map_index is not None and task_instance.map_index >= 0:
            key = f"{key}_{task_instance.map_index}"
        return (states.get(task_instance.run_id) or {}).get(key)
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return (
            session.query(TaskInstance.state)
            .filter(
                TaskInstance.dag_id == task_instance.dag_id,
                TaskInstance.task_id == task_instance.task_id,
                TaskInstance.run_id == task_instance.run_id,
                TaskInstance.map_index == task_instance.map_index,
            )
            .scalar()
        )


async def task_state(task_instance: Any) -> Any:
    """The deferred task's current state, looked up off the event loop (None if the task instance is gone)."""
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, _task_state_sync, task_instance)


def dag_test_runs_triggers() -> bool:
    """``dag.test()`` runs a deferred task's trigger inline from Airflow 2.8; before, it waits for a triggerer."""
    if AIRFLOW_3:
        return True
    import airflow.models.dag as dag_module

    return hasattr(dag_module, "_run_inline_trigger")
