"""One real Airflow for the lane: its components as separate processes, its REST API as a user calls it, its logs.

Airflow 3 (this venv): scheduler, dag-processor, triggerer and api-server, LocalExecutor, SimpleAuthManager with
every user an admin (a token from ``GET /auth/token``), ``/api/v2``. Airflow 2.11 (the browser lane's venv):
scheduler, triggerer and webserver, LocalExecutor, ``/api/v1`` with basic auth. Both on a PostgreSQL database.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

from tests.airflow.processes import Process, free_port

START_TIMEOUT_SECONDS = 150.0
_INHERITED_PREFIXES = ("AIRFLOW", "KUBECONFIG", "GUNICORN")
_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
_WEBSERVER_CONFIG = "from airflow.www.fab_security.manager import AUTH_DB\n\nAUTH_TYPE = AUTH_DB\n"
USER = "lane"
# Airflow 2's task log line: "[<time>] {file:line} INFO - message".
_AIRFLOW2_LINE = re.compile(r"^\[[^\]]+\] \{[^}]+\} \w+ - (?P<message>.*)$")


class Airflow:
    def __init__(self, major: int, bin_dir: Path, home: Path, database_url: str, env: Dict[str, str]) -> None:
        self.major = major
        self.bin_dir = bin_dir
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.url}/api/v2" if major == 3 else f"{self.url}/api/v1"
        self.logs = home / "logs"
        self.dags = home / "dags"
        self.components: Dict[str, Process] = {}
        self._auth = ""
        base = {key: value for key, value in os.environ.items() if not key.startswith(_INHERITED_PREFIXES)}
        base.pop("PYTHONDONTWRITEBYTECODE", None)  # dozens of task processes import the same modules
        self.env = {
            **base,
            "PATH": os.pathsep.join([str(bin_dir), base.get("PATH", "")]),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "32",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            # Every run starts at once on two shared cores: a task process may take long to import its DAG file.
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
            "AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT": "300",
            # A killed triggerer's triggers go to the next one after a few seconds, not the default 30.
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "5",
            "AIRFLOW__SCHEDULER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "5",
            **env,
        }
        if major == 3:
            self.env.update(
                {
                    "AIRFLOW__CORE__AUTH_MANAGER": _AUTH_MANAGER,
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                    "AIRFLOW__API__BASE_URL": self.url,
                    "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
                    "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "2",
                }
            )
        else:
            self.env.update(
                {
                    "AIRFLOW__API__AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth",
                    "AIRFLOW__WEBSERVER__SECRET_KEY": secrets.token_hex(16),
                    "AIRFLOW__WEBSERVER__CONFIG_FILE": str(home / "webserver_config.py"),
                    "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "2",
                    "GUNICORN_CMD_ARGS": "--no-control-socket",
                }
            )

    # -- processes -------------------------------------------------------------------------------------------
    def _command(self, *args: str) -> List[str]:
        return [str(self.bin_dir / "airflow"), *args]

    def _run(self, *args: str) -> None:
        result = subprocess.run(self._command(*args), env=self.env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} exited with {result.returncode}:\n{result.stderr[-3000:]}")

    def start(self) -> Airflow:
        self.home.mkdir(parents=True, exist_ok=True)
        self._run("db", "migrate")
        if self.major == 3:
            names = {
                "api-server": ("api-server", "-H", "127.0.0.1", "-p", str(self.port), "--workers", "1"),
                "scheduler": ("scheduler",),
                "dag-processor": ("dag-processor",),
                "triggerer": ("triggerer",),
            }
        else:
            (self.home / "webserver_config.py").write_text(_WEBSERVER_CONFIG)
            password = secrets.token_hex(8)
            self._run("users", "create", "-u", USER, "-p", password, "-r", "Admin", "-f", "l", "-l", "l", "-e", "l@l")
            self._auth = "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()
            names = {
                "webserver": ("webserver", "-H", "127.0.0.1", "-p", str(self.port), "--workers", "1"),
                "scheduler": ("scheduler",),
                "triggerer": ("triggerer",),
            }
        for name, args in names.items():
            self.start_component(name, *args)
        self._wait_until_serving()
        return self

    def start_component(self, name: str, *args: str) -> Process:
        process = Process(f"airflow{self.major}-{name}", self._command(*args), self.env, self.home.parent)
        self.components[name] = process.start()
        return process

    def stop(self) -> None:
        for process in self.components.values():
            process.stop()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        last = ""
        while time.monotonic() < deadline:
            for process in self.components.values():
                if not process.alive():
                    raise RuntimeError(f"{process.name} exited:\n{process.log()[-3000:]}")
            try:
                if self.major == 3 and not self._auth:
                    with urllib.request.urlopen(f"{self.url}/auth/token", timeout=5) as response:
                        self._auth = "Bearer " + json.load(response)["access_token"]
                self.get("/dags?limit=1")
                return
            except (urllib.error.URLError, OSError, ValueError) as error:
                last = str(error)
            time.sleep(0.3)
        raise RuntimeError(f"Airflow {self.major} API not serving after {START_TIMEOUT_SECONDS:.0f}s: {last}")

    # -- REST API --------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("Authorization", self._auth)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}") from None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def wait_for_dags(self, dag_ids: List[str], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listed = {dag["dag_id"] for dag in self.get("/dags?limit=100")["dags"]}
            if set(dag_ids) <= listed:
                return
            time.sleep(0.5)
        errors = self.get("/importErrors")
        raise AssertionError(f"DAGs not parsed: {sorted(set(dag_ids) - listed)}; import errors: {errors}")

    def trigger(self, dag_id: str, run_id: str, logical_date: Optional[str]) -> None:
        """A manual run. ``logical_date=None``: Airflow 3 makes a run without one; Airflow 2 always sets one (now)."""
        body: Dict[str, Any] = {"dag_run_id": run_id}
        if logical_date is not None or self.major == 3:
            body["logical_date"] = logical_date
        self.request("POST", f"/dags/{dag_id}/dagRuns", body)

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def task(self, dag_id: str, run_id: str, task_id: str) -> Dict[str, Any]:
        return dict(self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"))

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 240.0) -> str:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                return state
            time.sleep(1)
        raise AssertionError(f"{dag_id} {run_id} still {state} after {timeout:.0f}s")

    def wait_for_task_state(self, dag_id: str, run_id: str, task_id: str, states: List[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = str(self.task(dag_id, run_id, task_id)["state"])
            if state in states:
                return
            time.sleep(0.5)
        raise AssertionError(f"{dag_id} {run_id} {task_id} is {state}, not {states}, after {timeout:.0f}s")

    def mark_failed(self, dag_id: str, run_id: str, task_id: str) -> None:
        body: Dict[str, Any] = {"new_state": "failed"}
        if self.major == 2:
            body["dry_run"] = False
        self.request("PATCH", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", body)

    def clear(self, dag_id: str, run_id: str, task_id: str) -> None:
        body = {"dry_run": False, "task_ids": [task_id], "dag_run_id": run_id, "only_failed": False}
        self.request("POST", f"/dags/{dag_id}/clearTaskInstances", {**body, "reset_dag_runs": True})

    # -- logs --------------------------------------------------------------------------------------------------
    def task_log(self, dag_id: str, run_id: str, task_id: str) -> Dict[int, str]:
        """Each attempt's messages as Airflow wrote them to its log files (the triggerer's parts included)."""
        folder = self.logs / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        attempts: Dict[int, str] = {}
        for path in sorted(folder.glob("attempt=*.log*")):
            attempt = int(path.name.split("=")[1].split(".")[0])
            attempts[attempt] = attempts.get(attempt, "") + "\n".join(_messages(path))
        return attempts


def _messages(path: Path) -> List[str]:
    """Airflow 3 writes JSON lines (the message is ``event``); Airflow 2 writes text lines."""
    lines = path.read_text(errors="replace").splitlines()
    messages = []
    for line in lines:
        if line.startswith("{"):
            try:
                messages.append(str(json.loads(line).get("event", line)))
                continue
            except ValueError:
                pass
        match = _AIRFLOW2_LINE.match(line)
        messages.append(match.group("message") if match else line)
    return messages
