"""The command line reads connections as ``airflow connections get`` does (issue 19, item 4).

On Airflow 3, ``composer-pod secret apply`` said ``Connection 'kubernetes_default' does not exist`` for a connection
in the metadata database and fell back to ``~/.kube/config``: a hook's ``get_connection`` goes through the Task SDK,
which outside a task reads only ``AIRFLOW_CONN_*`` and secrets backends. These run the real commands in processes of
their own, with an Airflow home whose database ``airflow db migrate`` made, against the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import DB_MIGRATE_COMMAND

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("airflow-home")
    done = subprocess.run(
        [str(BIN / "airflow"), *DB_MIGRATE_COMMAND], env=_env(home), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return home


def _env(home: Path, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_") and k != "KUBECONFIG"}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        HOME=str(home),  # no ~/.kube/config to fall back to
        **extra,
    )
    return env


def _run(home: Path, argv: List[str], **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=_env(home, **extra), capture_output=True, text=True, timeout=300)


def _composer_pod(home: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess:
    return _run(home, [sys.executable, "-m", "airflow_provider_composer_pod.cli.main", *argv], **extra)


def _secret_posts(k8s_emulator) -> list:
    return k8s_emulator.requests(method="POST", path_contains="/secrets")


def test_secret_apply_through_a_connection_in_the_metadata_database(airflow_home, k8s_emulator):
    extra = json.dumps({"kube_config_path": k8s_emulator.kubeconfig_path, "namespace": "db-team"})
    added = _run(
        airflow_home,
        [str(BIN / "airflow"), "connections", "add", "k8s_in_db", "--conn-type", "kubernetes", "--conn-extra", extra],
    )
    assert added.returncode == 0, added.stderr[-2000:]
    k8s_emulator.create("namespaces", {"metadata": {"name": "db-team"}})

    applied = _composer_pod(
        airflow_home,
        "secret",
        "apply",
        "--name",
        "from-db",
        "--from-literal",
        "token=abc-123",
        "--conn-id",
        "k8s_in_db",
    )
    tested = _composer_pod(airflow_home, "connection", "test", "k8s_in_db")

    assert applied.returncode == 0, applied.stderr[-2000:]
    assert applied.stdout.strip() == "secret/from-db created"
    assert "does not exist" not in applied.stderr
    assert k8s_emulator.get("secrets", "from-db", namespace="db-team") is not None
    assert tested.returncode == 0, tested.stderr[-2000:]
    assert tested.stdout.strip() == f"OK: 0 pods visible in namespace db-team on {k8s_emulator.url}."


@pytest.mark.parametrize(
    ("value", "said"),
    [
        pytest.param('{"conn_type": "kubernetes", "extra": {"namespace": ', "is set but is not valid JSON", id="json"),
        pytest.param(
            "kubernetes://?__extra__=%7B%22namespace%22%3A", "has an __extra__ that is not valid JSON", id="uri"
        ),
    ],
)
def test_an_extra_that_is_not_json_is_named_not_skipped(airflow_home, k8s_emulator, value, said):
    applied = _composer_pod(
        airflow_home,
        "secret",
        "apply",
        "--name",
        "never",
        "--from-literal",
        "token=abc-123",
        "--conn-id",
        "broken",
        AIRFLOW_CONN_BROKEN=value,
    )

    assert applied.returncode == 1
    # Airflow 2.6 parses a URI's __extra__ only when the extra is read: the same answer, said of the extra.
    assert (f"Connection 'broken': AIRFLOW_CONN_BROKEN {said} (" in applied.stderr) or (
        "Connection 'broken': its extra is not valid JSON (" in applied.stderr and compat.AIRFLOW_VERSION.major == 2
    )
    assert "isn't defined" not in applied.stderr
    assert _secret_posts(k8s_emulator) == []


def test_a_kube_config_file_that_does_not_exist_says_so(airflow_home, k8s_emulator, tmp_path):
    missing = tmp_path / "nope"
    connection = json.dumps({"conn_type": "kubernetes", "extra": {"kube_config_path": str(missing)}})

    applied = _composer_pod(
        airflow_home,
        "secret",
        "apply",
        "--name",
        "never",
        "--from-literal",
        "a=b-123",
        AIRFLOW_CONN_KUBERNETES_DEFAULT=connection,
    )

    assert applied.returncode == 1
    assert f"The kube config file {missing} does not exist (connection 'kubernetes_default')" in applied.stderr
    assert "No configuration found" not in applied.stderr
    assert _secret_posts(k8s_emulator) == []
