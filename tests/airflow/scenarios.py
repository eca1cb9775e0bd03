"""What the lane does to a running Airflow while its runs go on: each intervention on its own thread.

All runs are triggered at once and the interventions wait for their moment concurrently, so one Airflow start serves
every scenario. An intervention's failure is kept and raised by the test that reads its outcome.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from tests.airflow.cluster import Cluster
from tests.airflow.instance import Airflow

EXAMPLES = [
    "composer_pod_ex_all_configs",
    "composer_pod_ex_kube_secrets",
    "composer_pod_ex_kube_templates",
    "composer_pod_ex_minimum",
    "composer_pod_ex_startup_wait",
]
LOGICAL_DATE = "2024-06-01T00:00:00+00:00"
INTERRUPTS = [
    "lane_mark_failed_running",
    "lane_mark_failed_deferred",
    "lane_timeout_deferred",
    "lane_triggerer_restart",
    "lane_worker_killed",
]
TASK = "sleeper"
WAIT_SECONDS = 120.0


class Lane:
    """One started Airflow with every run triggered and the interventions under way."""

    def __init__(self, airflow: Airflow, cluster: Cluster, pid_dir: Path) -> None:
        self.airflow = airflow
        self.cluster = cluster
        self.pid_dir = pid_dir
        self.run_id = f"af{airflow.major}"
        self.outcomes: Dict[str, Any] = {}
        self.triggered: List[Tuple[str, str]] = []
        self._threads: Dict[str, threading.Thread] = {}
        # The triggerer restart SIGKILLs the one triggerer every deferred run shares: not before the kill of the
        # deferred task has had its trigger delete the pod (a SIGKILL runs no trigger's on_kill or cleanup).
        self._deferred_kill_done = threading.Event()

    def trigger_all(self) -> None:
        for dag_id in EXAMPLES:
            self._trigger(dag_id, f"{self.run_id}-dated", LOGICAL_DATE)
            self._trigger(dag_id, f"{self.run_id}-undated", None)
        for dag_id in ["lane_canary", *INTERRUPTS]:
            self._trigger(dag_id, self.run_id, None)
        self._start("lane_mark_failed_running", self._mark_failed_and_clear, "running")
        self._start("lane_mark_failed_deferred", self._mark_failed_and_clear, "deferred")
        self._start("lane_triggerer_restart", self._restart_triggerer)
        self._start("lane_worker_killed", self._kill_worker)

    def _trigger(self, dag_id: str, run_id: str, logical_date: Optional[str]) -> None:
        self.airflow.trigger(dag_id, run_id, logical_date)
        self.triggered.append((dag_id, run_id))

    def timings(self) -> str:
        """Each run as Airflow recorded it (a Markdown table): state, the run's seconds, each task's tries and
        seconds; then what each intervention measured."""
        rows = ["| DAG | run | state | run (s) | task: try, seconds |", "|---|---|---|---|---|"]
        for dag_id, run_id in self.triggered:
            try:
                run = self.airflow.get(f"/dags/{dag_id}/dagRuns/{run_id}")
                tasks = self.airflow.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
            except AssertionError as error:
                rows.append(f"| {dag_id} | {run_id} | unknown: {error} | | |")
                continue
            tries = ", ".join(f"{t['task_id']}: {t['try_number']}, {t.get('duration') or 0:.1f}" for t in tasks)
            rows.append(f"| {dag_id} | {run_id} | {run['state']} | {_seconds(run)} | {tries} |")
        rows.append("")
        rows.extend(f"- {dag_id}: {outcome!r}" for dag_id, outcome in sorted(self.outcomes.items()))
        return "\n".join(rows) + "\n"

    def outcome(self, dag_id: str) -> Any:
        """What the intervention on ``dag_id`` saw, once it is done (re-raising its failure)."""
        self._threads[dag_id].join(timeout=WAIT_SECONDS * 2)
        result = self.outcomes.get(dag_id)
        if isinstance(result, BaseException):
            raise result
        return result

    def _start(self, dag_id: str, action: Callable[..., Any], *args: Any) -> None:
        def run() -> None:
            try:
                self.outcomes[dag_id] = action(dag_id, *args)
            except BaseException as error:  # kept for the test to raise
                self.outcomes[dag_id] = error

        thread = threading.Thread(target=run, name=f"lane-{dag_id}", daemon=True)
        self._threads[dag_id] = thread
        thread.start()

    def _wait_for_pod(self, dag_id: str, state: str) -> None:
        self.airflow.wait_for_task_state(dag_id, self.run_id, TASK, [state], WAIT_SECONDS)
        _until(lambda: self.live_pods(dag_id), f"{dag_id}: no pod while {state}")
        if state == "deferred":
            # Deferred means the triggerer runs the trigger (it has written its log). A task marked failed before the
            # triggerer picked its trigger up leaves the pod running on both versions: nothing cancels a trigger that
            # never ran, and KPO deletes the pod only on the cancel of a running trigger.
            folder = self.airflow.logs / f"dag_id={dag_id}" / f"run_id={self.run_id}" / f"task_id={TASK}"
            _until(lambda: list(folder.glob("attempt=1.log.trigger.*.log")), f"{dag_id}: the trigger never started")

    def live_pods(self, dag_id: str) -> List[str]:
        return [pod.name for pod in self.cluster.pods_of(dag_id, TASK, self.run_id) if not pod.deleted]

    def _mark_failed_and_clear(self, dag_id: str, state: str) -> Tuple[float, List[str]]:
        """Mark the task failed while ``state``; once its pod is gone, clear it. Returns the seconds to deletion."""
        try:
            self._wait_for_pod(dag_id, state)
            pods = self.live_pods(dag_id)
            marked = time.monotonic()
            self.airflow.mark_failed(dag_id, self.run_id, TASK)
            _until(lambda: not self.live_pods(dag_id), f"{dag_id}: pod {pods} not deleted after mark failed", 60)
        finally:
            if state == "deferred":
                self._deferred_kill_done.set()
        deleted_after = time.monotonic() - marked
        # A clear made before the scheduler has heard from the executor that the marked try ended is undone by that
        # report (the cleared task is failed as "finished although queued"), in Airflow 2 and 3 alike.
        _until(lambda: self._executor_reported(dag_id), f"{dag_id}: no executor event for the marked try", 60)
        # As a user does, clear a run seen failed. A clear made while the scheduler is failing the run is lost: the
        # clear resets only a finished run, and the scheduler's commit of "failed" (decided from the task's state
        # before the clear) lands after it, leaving a failed run whose task never runs again (seen on Airflow 2.11).
        _until(lambda: self.airflow.run_state(dag_id, self.run_id) == "failed", f"{dag_id}: run not failed", 60)
        self.airflow.clear(dag_id, self.run_id, TASK)
        return deleted_after, pods

    def _executor_reported(self, dag_id: str) -> bool:
        keys = (f"dag_id='{dag_id}'", f"run_id='{self.run_id}'")
        for line in self.airflow.components["scheduler"].log().splitlines():
            if "Received executor event with state" in line and all(key in line for key in keys):
                return True
        return False

    def _restart_triggerer(self, dag_id: str) -> float:
        """SIGKILL the triggerer while the task is deferred, start a new one; returns the seconds it was down."""
        self._deferred_kill_done.wait(WAIT_SECONDS)
        self._wait_for_pod(dag_id, "deferred")
        killed = time.monotonic()
        self.airflow.components["triggerer"].kill()
        time.sleep(2)
        self.airflow.start_component("triggerer", "triggerer")
        return time.monotonic() - killed

    def _kill_worker(self, dag_id: str) -> int:
        """SIGKILL the first try's task process while its pod runs; returns the pid killed."""
        pid_file = self.pid_dir / f"{dag_id}.{self.run_id}.pid"
        self._wait_for_pod(dag_id, "running")
        _until(pid_file.exists, f"{dag_id}: the task wrote no pid file")
        time.sleep(2)  # the pod's logs are being followed now
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGKILL)
        return pid


def _seconds(run: Dict[str, Any]) -> str:
    if not run.get("start_date") or not run.get("end_date"):
        return ""
    start, end = (datetime.fromisoformat(run[key].replace("Z", "+00:00")) for key in ("start_date", "end_date"))
    return f"{(end - start).total_seconds():.1f}"


def _until(condition: Callable[[], Any], message: str, timeout: Optional[float] = None) -> None:
    deadline = time.monotonic() + (timeout or WAIT_SECONDS)
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.3)
