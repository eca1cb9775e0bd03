"""Tasks the lane interrupts while their pods run: one DAG each, so each run is its own scenario.

``lane_worker_killed`` writes its task process's pid (first try only) to ``$LANE_PID_DIR`` so that the lane can kill
that process mid-run, as a worker lost to an OOM kill or a node going away.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow import DAG

from airflow_provider_composer_pod import ComposerPodOperator


def _write_pid(context: Any) -> None:
    ti = context["ti"]
    if ti.try_number == 1:
        Path(os.environ["LANE_PID_DIR"], f"{ti.dag_id}.{ti.run_id}.pid").write_text(str(os.getpid()))


def _sleeper(seconds: int) -> list:
    return ["sh", "-c", f"echo started; sleep {seconds}; echo finished"]


def _dag(dag_id: str) -> DAG:
    return DAG(dag_id=dag_id, start_date=datetime(2024, 1, 1), schedule=None, catchup=False)


with _dag("lane_mark_failed_running"):
    ComposerPodOperator(task_id="sleeper", image="busybox", cmds=_sleeper(20))

with _dag("lane_mark_failed_deferred"):
    ComposerPodOperator(task_id="sleeper", image="busybox", cmds=_sleeper(20), deferrable=True)

with _dag("lane_timeout_deferred"):
    ComposerPodOperator(
        task_id="sleeper",
        image="busybox",
        cmds=_sleeper(120),
        deferrable=True,
        execution_timeout=timedelta(seconds=15),
    )

with _dag("lane_triggerer_restart"):  # long enough to be deferred still after lane_mark_failed_deferred's kill
    ComposerPodOperator(task_id="sleeper", image="busybox", cmds=_sleeper(60), deferrable=True)

with _dag("lane_worker_killed"):
    # Long enough for the retry to find the pod still running: KPO replaces a finished pod of an earlier try.
    ComposerPodOperator(
        task_id="sleeper",
        image="busybox",
        cmds=_sleeper(45),
        retries=1,
        retry_delay=timedelta(seconds=1),
        on_execute_callback=_write_pid,
    )
