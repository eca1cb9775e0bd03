"""Stand-in for upstream's ``tests_common.pytest_plugin``: test configuration, a metadata DB, and DAG fixtures.

The sdist's ``tests/conftest.py`` loads this module by name. Like upstream's, it sets Airflow's configuration through
the environment before anything imports Airflow, and it creates the metadata database once per session. Only the
fixtures the pod tests use are provided: ``session``, ``dag_maker`` and ``create_task_instance_of_operator``.
"""

from __future__ import annotations

import logging
import os
import tempfile

import pytest

# Set before Airflow is imported: Airflow reads its configuration once, at import.
if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="upstream-airflow-home-")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES"] = "airflow.*\nunit.*\n"
os.environ["_IN_UNIT_TESTS"] = "true"

_MARKERS = [
    "db_test: the test uses the metadata database",
    "execution_timeout(seconds): upstream's per-test time limit",
    "backend(name): run only on that database backend",
    "quarantined: flaky upstream",
    "need_serialized_dag: dag_maker serializes the DAG",
    "want_activate_assets: dag_maker activates assets",
]


def pytest_configure(config: pytest.Config) -> None:
    for line in _MARKERS:
        config.addinivalue_line("markers", line)


def _db_initialized() -> bool:
    from airflow import settings
    from sqlalchemy import inspect

    return inspect(settings.engine).has_table("dag_run")


@pytest.fixture(scope="session", autouse=True)
def initialize_airflow_db():
    """Create the metadata schema once, as upstream does when the database has none yet."""
    if not _db_initialized():
        from airflow.utils import db

        db.resetdb()
    return


# Structlog events seen while a test's ``caplog`` is active: (level name, logger name, message).
_STRUCTLOG_EVENTS: list = []
_CAPTURING: list = []


def _capture_structlog(logger, method_name, event_dict):
    """Structlog processor: keep each Airflow log event the test's log level lets through, for ``caplog.text``.

    Upstream swaps ``caplog`` for a structlog capture (``cap_structlog``) because Airflow 3 logs through structlog,
    not stdlib, so pytest's handler never sees those events. Making stdlib records instead would call
    ``time.time()``, which some tests mock with a fixed list of values; this keeps the events as plain tuples.
    """
    if _CAPTURING:
        name = event_dict.get("logger") or getattr(logger, "name", None) or "airflow"
        level = logging.getLevelName(method_name.upper())
        if isinstance(level, int) and logging.getLogger(name).isEnabledFor(level):
            _STRUCTLOG_EVENTS.append((method_name.upper(), name, str(event_dict.get("event"))))
    return event_dict


class StructlogCaplog:
    """pytest's ``caplog`` whose ``text`` also holds the structlog events logged during the test."""

    def __init__(self, fixture: pytest.LogCaptureFixture) -> None:
        self._fixture = fixture

    def __getattr__(self, name):
        return getattr(self._fixture, name)

    @property
    def text(self) -> str:
        lines = [f"{level:<8} {name} {message}\n" for level, name, message in _STRUCTLOG_EVENTS]
        return self._fixture.text + "".join(lines)

    def clear(self) -> None:
        self._fixture.clear()
        del _STRUCTLOG_EVENTS[:]


@pytest.fixture(scope="session", autouse=True)
def _ensure_configured_logging():
    """Configure Airflow's structlog once, as upstream does, at DEBUG so ``caplog.set_level`` decides what counts."""
    try:
        from airflow.sdk._shared.logging import configure_logging
    except ImportError:  # Airflow before 3.1 logs through stdlib already
        yield
        return
    import structlog

    configure_logging(log_level="DEBUG")
    processors = structlog.get_config()["processors"]
    processors.insert(0, _capture_structlog)
    structlog.configure(processors=processors)
    yield


@pytest.fixture(name="caplog")
def structlog_caplog(request):
    """``caplog`` that also sees Airflow's structlog events (upstream: ``override_caplog``/``cap_structlog``)."""
    fixture = pytest.LogCaptureFixture(request.node, _ispytest=True)
    del _STRUCTLOG_EVENTS[:]
    _CAPTURING.append(True)
    try:
        yield StructlogCaplog(fixture)
    finally:
        _CAPTURING.pop()
        del _STRUCTLOG_EVENTS[:]
        fixture._finalize()


@pytest.fixture
def session():
    """A session for the test; rolled back afterwards, as upstream's fixture does."""
    from airflow.utils.session import create_session

    with create_session() as s:
        yield s
        s.rollback()


class DagMaker:
    """``with dag_maker(dag_id=...) as dag:`` builds an SDK DAG; leaving the block writes it to the database.

    ``create_dagrun()`` then makes a run (and its task instances) from the serialized DAG, the way the scheduler
    would, in ``dag_maker.session``.
    """

    def __init__(self, session) -> None:
        self.session = session
        self.dag = None
        self.serialized_dag = None

    def __call__(self, dag_id: str = "test_dag", schedule=None, start_date=None, **kwargs):
        from airflow.sdk import DAG
        from airflow.utils import timezone

        kwargs.setdefault("default_args", {})
        self.dag = DAG(dag_id, schedule=schedule, start_date=start_date or timezone.datetime(2016, 1, 1), **kwargs)
        return self

    def __enter__(self):
        self.dag.__enter__()
        return self.dag

    def __exit__(self, exc_type, exc, tb):
        self.dag.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return
        from tests_common.test_utils.dag import sync_dag_to_db

        self.serialized_dag = sync_dag_to_db(self.dag, bundle_name="dag_maker", session=self.session)
        self.session.commit()

    def create_dagrun(self, run_id: str = "test", logical_date=None, state=None, run_type=None, **kwargs):
        from airflow.utils import timezone
        from airflow.utils.state import DagRunState
        from airflow.utils.types import DagRunTriggeredByType, DagRunType

        logical_date = logical_date or self.dag.start_date or timezone.datetime(2016, 1, 1)
        kwargs.setdefault("data_interval", (logical_date, logical_date))
        kwargs.setdefault("run_after", logical_date)
        kwargs.setdefault("triggered_by", DagRunTriggeredByType.TEST)
        dag_run = self.serialized_dag.create_dagrun(
            run_id=run_id,
            logical_date=logical_date,
            run_type=run_type or DagRunType.MANUAL,
            state=state or DagRunState.RUNNING,
            session=self.session,
            **kwargs,
        )
        self.session.flush()
        return dag_run


@pytest.fixture
def dag_maker():
    """Upstream's ``dag_maker``, reduced to DAG creation, DB sync and ``create_dagrun``."""
    from airflow import settings

    session = settings.Session()
    maker = DagMaker(session)
    try:
        yield maker
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def create_task_instance_of_operator(dag_maker):
    """Make ``operator_class(**kwargs)`` in a one-task DAG, run it once, return its task instance (with the task)."""
    from tests_common.test_utils.taskinstance import TaskInstanceWrapper

    def _create(operator_class, *, dag_id, logical_date=None, session=None, **operator_kwargs):
        with dag_maker(dag_id=dag_id):
            task = operator_class(**operator_kwargs)
        dag_run = dag_maker.create_dagrun(logical_date=logical_date)
        (ti,) = dag_run.task_instances
        return TaskInstanceWrapper(ti, task)

    return _create
