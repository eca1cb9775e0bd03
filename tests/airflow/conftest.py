"""The Airflow lane (``make test-airflow``): a real Airflow 3.3 and 2.11 against ``composer-pod emulator``.

Each Airflow runs as separate processes (scheduler, triggerer, API server or webserver, and Airflow 3's dag-processor)
with the LocalExecutor on a throwaway PostgreSQL, in a throwaway home, on free ports of 127.0.0.1. It needs what only
``make test-airflow`` installs (PostgreSQL's server, psycopg2 in both venvs, the Airflow 2 venv .ui/af2), so a plain
``pytest`` never collects it: the Makefile target opts in with ``COMPOSER_POD_AIRFLOW_TESTS=1``. Server logs go to
tests/airflow/artifacts/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.airflow.cluster import Cluster
from tests.airflow.instance import Airflow
from tests.airflow.postgres import Postgres
from tests.airflow.processes import processes_mentioning
from tests.airflow.scenarios import EXAMPLES, INTERRUPTS, Lane

if os.environ.get("COMPOSER_POD_AIRFLOW_TESTS") != "1":
    collect_ignore_glob = ["*"]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AIRFLOW2_VENV = Path(os.environ.get("COMPOSER_POD_UI_AF2", str(ROOT / ".ui" / "af2")))


def pytest_report_header() -> str:
    if os.environ.get("COMPOSER_POD_AIRFLOW_TESTS") == "1":
        return f"Airflow lane: Airflow 3 from {Path(sys.executable).parent}, Airflow 2 from {AIRFLOW2_VENV}"
    return "Airflow lane: not collected without COMPOSER_POD_AIRFLOW_TESTS=1 (run `make test-airflow`)"


@pytest.fixture(scope="session")
def lane_root() -> Iterator[Path]:
    """Every home, database and kube config of the lane; at the end, no process may still mention it."""
    root = Path(tempfile.mkdtemp(prefix="composer-pod-airflow-lane-"))
    os.chmod(root, 0o755)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir()
    yield root
    left = processes_mentioning(str(root))
    for log in root.glob("*.log"):
        shutil.copyfile(log, ARTIFACTS / log.name)
    shutil.rmtree(root, ignore_errors=True)
    assert not left, f"processes left behind: {left}"


@pytest.fixture(scope="session")
def postgres(lane_root: Path) -> Iterator[Postgres]:
    server = Postgres(lane_root / "postgres", ARTIFACTS)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def canary() -> str:
    """A value made for this run only, so finding it anywhere means a leak."""
    return f"canary-{secrets.token_hex(12)}"


@pytest.fixture(scope="session")
def cluster(lane_root: Path, canary: str) -> Iterator[Cluster]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "KUBECONFIG"))}
    cluster = Cluster(lane_root, lane_root, env)
    try:
        cluster.start()
        cluster.create_secret("lane-canary", {"value": canary})
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=[3, 2], ids=["airflow3", "airflow2"])
def lane(request: pytest.FixtureRequest, lane_root: Path, postgres: Postgres, cluster: Cluster) -> Iterator[Lane]:
    """One Airflow, started, with every scenario's run triggered (they then go on concurrently)."""
    major = request.param
    if major == 3:
        bin_dir = Path(sys.executable).parent
    else:
        bin_dir = AIRFLOW2_VENV / "bin"
        if not (bin_dir / "airflow").exists():
            pytest.fail(
                f"{bin_dir / 'airflow'} is missing: `make test-airflow` builds it from requirements/ui-af2.lock"
            )
    database = f"airflow{major}"
    postgres.create_database(database)
    home = lane_root / f"airflow{major}"
    pid_dir = lane_root / f"pids{major}"
    pid_dir.mkdir()
    shutil.copytree(ROOT / "example_dags", home / "dags")
    shutil.copytree(Path(__file__).parent / "dags", home / "dags" / "lane", ignore=shutil.ignore_patterns("__py*"))
    env = {
        "KUBECONFIG": str(cluster.kubeconfig),
        "AIRFLOW_CONN_KUBERNETES_DEFAULT": f'{{"conn_type": "kubernetes", "extra": {{"kube_config_path": '
        f'"{cluster.kubeconfig}"}}}}',
        "AIRFLOW_VAR_MY_VALUE": "example_value",
        "LANE_PID_DIR": str(pid_dir),
    }
    airflow = Airflow(major, bin_dir, home, postgres.url(database), env)
    try:
        airflow.start()
        airflow.wait_for_dags([*EXAMPLES, "lane_canary", *INTERRUPTS])
        lane = Lane(airflow, cluster, pid_dir)
        lane.trigger_all()
        yield lane
        # Per-scenario timings, for the closing note and the README (tests/airflow/artifacts/timings-airflowN.md).
        (ARTIFACTS / f"timings-airflow{major}.md").write_text(lane.timings())
    finally:
        airflow.stop()
        # The task logs as Airflow wrote them, for reading after a failure (the canary is made for this run only).
        shutil.copytree(home / "logs", ARTIFACTS / f"airflow{major}-logs", dirs_exist_ok=True)
        for log in lane_root.glob(f"airflow{major}-*.log"):
            shutil.copyfile(log, ARTIFACTS / log.name)
