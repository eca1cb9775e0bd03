"""End-to-end helpers: a metadata database, the DAG folder, and ``run_dag`` through Airflow's ``dag.test()``."""

from __future__ import annotations

import inspect
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from tests.conftest import merged_log

ROOT = Path(__file__).parents[2]
DAG_SOURCES = (ROOT / "example_dags", Path(__file__).parent / "dags")


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """Fill the session's DAG folder and create the SQLite metadata database once."""
    dags_folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    os.makedirs(dags_folder, exist_ok=True)
    for source in DAG_SOURCES:
        for path in source.glob("*.py"):
            shutil.copy(path, dags_folder)
    from airflow.utils import db

    kwargs = {"load_connections": False} if "load_connections" in inspect.signature(db.initdb).parameters else {}
    db.initdb(**kwargs)
    return dags_folder


def pod_logged(log: str, line: str) -> bool:
    """The pod printed ``line``: "[base] line" from KPO 5.x on, a bare PodManager log line on 4.x."""
    prefix = r"(\[base\] |PodManager\S*\s+|\{pod_manager\.py:\d+\} \w+ - )"
    pattern = prefix + re.escape(line) + r"(\s+\[[\w.]+\] loc=\S+)?$"
    return re.search(pattern, log, re.MULTILINE) is not None


def created_pods(emulator: Any, acted_on: bool = True) -> List[Any]:
    """The pod creates the emulator received: by default those it carried out (answered 201, or done and then dropped
    unanswered); ``acted_on=False``: every pod POST, refused ones included."""
    posts = [r for r in emulator.requests(method="POST") if r.path.endswith("/pods")]
    return [r for r in posts if r.status == 201] if acted_on else posts


def delete_once_a_pod_is_created(emulator: Any, resource: str, name: str, namespace: str) -> threading.Thread:
    """A started thread that deletes ``resource`` ``name`` as soon as a pod create reaches the emulator (a Secret
    deleted after the pre-flight read it); join it after the run."""

    def delete() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not created_pods(emulator, acted_on=False):
            time.sleep(0.02)
        emulator.delete(resource, name, namespace)

    deleter = threading.Thread(target=delete)
    deleter.start()
    return deleter


def latest_run(dag_id: str) -> Any:
    from airflow.models.dagrun import DagRun

    return max(DagRun.find(dag_id=dag_id), key=lambda run: run.id)


@dataclass
class DagResult:
    state: str
    task_states: Dict[str, str]
    log: str
    dag_run: Any


@pytest.fixture
def run_dag(
    airflow_db: str, capfd: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture
) -> Callable[..., DagResult]:
    """Run one DAG of the DAG folder through ``dag.test()``, the real task-running path, and read its log."""
    from airflow.models.dagbag import DagBag

    def _run(dag_id: str, **test_kwargs: Any) -> DagResult:
        bag_kwargs: Dict[str, Any] = {"dag_folder": airflow_db}
        if "include_examples" in inspect.signature(DagBag.__init__).parameters:
            bag_kwargs["include_examples"] = False
        dagbag = DagBag(**bag_kwargs)
        assert not dagbag.import_errors, dagbag.import_errors
        capfd.readouterr()
        caplog.clear()
        caplog.set_level(logging.INFO)
        # Providers before 7.x log the container's lines through PodManager's own logger, which Airflow 2's dag.test
        # does not route to the console: listen to it directly.
        pod_manager_log = logging.getLogger("airflow.providers.cncf.kubernetes.utils.pod_manager")
        pod_manager_log.addHandler(caplog.handler)
        try:
            dag_run = dagbag.dags[dag_id].test(**test_kwargs) or latest_run(dag_id)  # Airflow 2.6 returns None
        finally:
            pod_manager_log.removeHandler(caplog.handler)
        out, err = capfd.readouterr()
        task_states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
        # A record that also propagates to caplog's handler arrives twice as the same object: count it once.
        records = list({id(record): record for record in caplog.records}.values())
        return DagResult(str(dag_run.state), task_states, merged_log(out + err, records), dag_run)

    return _run


@pytest.fixture
def composer3(monkeypatch: pytest.MonkeyPatch, k8s_emulator: Any, composer_api_emulator: Any) -> Any:
    """A Composer 3 worker as Composer sets it up: the generation and the environment's reserved variables."""
    from airflow_provider_composer_pod.testing.composer_api.fixtures import ENVIRONMENT, LOCATION, PROJECT

    monkeypatch.setenv("COMPOSER_POD_GENERATION", "3")
    monkeypatch.setenv("GCP_PROJECT", PROJECT)
    monkeypatch.setenv("COMPOSER_LOCATION", LOCATION)
    monkeypatch.setenv("COMPOSER_ENVIRONMENT", ENVIRONMENT)
    return composer_api_emulator
