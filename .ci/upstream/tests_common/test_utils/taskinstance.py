"""Task instances for SDK operators on Airflow 3, where a ``TaskInstance`` holds the serialized operator.

The tests build the instance from the scheduler-side task but render and execute the SDK operator they made, so
these helpers take both, as upstream's do.
"""

from __future__ import annotations

from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import NEW_SESSION

from tests_common.test_utils.dag import create_scheduler_dag
from tests_common.test_utils.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_2_PLUS


class TaskInstanceWrapper:
    """A task instance that also knows its SDK operator, so ``render_templates()`` renders that operator.

    Attribute access goes to the task instance (SQLAlchemy's ``session.add`` included, through ``_sa_instance_state``).
    """

    def __init__(self, ti, task) -> None:
        self.__dict__.update(_ti=ti, _task=task)

    def __getattr__(self, name):
        return getattr(self.__dict__["_ti"], name)

    def __setattr__(self, name, value):
        setattr(self.__dict__["_ti"], name, value)

    def render_templates(self, **kwargs):
        return render_template_fields(self.__dict__["_ti"], self.__dict__["_task"], **kwargs)

    def get_template_context(self):
        return get_template_context(self.__dict__["_ti"], self.__dict__["_task"])


def create_task_instance(task, *, dag_version_id, run_id=None, state=None, map_index=-1, ti_type=TaskInstance):
    """A task instance for ``task`` built, as the scheduler does, from the serialized form of its DAG."""
    from airflow.serialization.serialized_objects import (
        SerializedBaseOperator,
        create_scheduler_operator,
    )

    if isinstance(task, SerializedBaseOperator):
        serialized_task = task
    elif task.get_dag():
        serialized_task = create_scheduler_dag(task.get_dag()).get_task(task.task_id)
    else:
        serialized_task = create_scheduler_operator(task)
    if AIRFLOW_V_3_0_PLUS:
        return ti_type(serialized_task, dag_version_id=dag_version_id, run_id=run_id, state=state, map_index=map_index)
    return ti_type(serialized_task, run_id=run_id, state=state, map_index=map_index)


def get_template_context(ti, task, *, session=NEW_SESSION):
    """The context a worker would pass to ``execute``: built for the SDK operator, with XCom going to the DB."""
    if not AIRFLOW_V_3_2_PLUS:
        ti.refresh_from_task(task)
        return ti.get_template_context(session=session)

    from airflow.cli.commands.task_command import _get_template_context
    from airflow.utils.context import ConnectionAccessor, VariableAccessor

    context = _get_template_context(ti, task)
    # The runtime task instance would push through the execution API, which tests do not run.
    context["ti"].__dict__.update(xcom_push=ti.xcom_push, xcom_pull=ti.xcom_pull)
    context.update(
        conn=ConnectionAccessor(),
        test_mode=ti.test_mode,
        var={"json": VariableAccessor(deserialize_json=True), "value": VariableAccessor(deserialize_json=False)},
    )
    return context


def render_template_fields(ti, task, *, context=None, jinja_env=None, session=NEW_SESSION):
    """Render ``task``'s template fields in the task instance's context and return the rendered operator."""
    if AIRFLOW_V_3_2_PLUS:
        task.render_template_fields(context or get_template_context(ti, task), jinja_env)
        return task
    ti.refresh_from_task(task)
    ti.render_templates(context or ti.get_template_context(session=session), jinja_env)
    return ti.task
