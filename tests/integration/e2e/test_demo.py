"""``composer-pod demo`` on a DAG whose task fails: the table says why (issue 19, item 5)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from airflow_provider_composer_pod.testing.demo.cli import add_arguments, run

pytestmark = pytest.mark.e2e

FAILING_DAG = """\
from datetime import datetime

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator

with DAG(dag_id="demo_fails", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
    ComposerPodOperator(task_id="fails", image="bash", cmds=["bash", "-c", "echo about to fail; exit 3"])
"""


def test_demo_table_shows_why_a_task_failed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "fails.py").write_text(FAILING_DAG)
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    code = run(parser.parse_args(["--dags", str(dags)]))

    shown = capsys.readouterr().out
    assert code == 1
    assert "Reason: AirflowException: container base exited with code 3 (Error)." in shown
    table_row = next(line for line in shown.splitlines() if "demo_fails" in line and "│" in line)
    assert "failed: AirflowException: container base" in table_row
