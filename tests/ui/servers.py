"""Airflow web UIs for the browser lane: a throwaway AIRFLOW_HOME, a port the OS picks, health, always a stop."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

# Both servers are started with `-p 0` and log the port they got: uvicorn (Airflow 3) and gunicorn (Airflow 2).
_LISTENING = re.compile(r"(?:Uvicorn running on|Listening at:) (http://127\.0\.0\.1:\d+)")
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 20.0

# Anything the test process or the machine set for Airflow or Kubernetes stays out of the servers.
_INHERITED_PREFIXES = ("AIRFLOW", "KUBECONFIG", "GUNICORN")


class AirflowServer:
    """One Airflow web UI as its own process group, so that stopping it also stops gunicorn's workers.

    :param name: for the log file name and messages (``airflow3``, ``airflow2``).
    :param airflow: the command that runs Airflow's CLI (``[".venv/bin/airflow"]``).
    :param server_args: the CLI arguments that start the UI, without host and port.
    :param home: a fresh directory to use as ``AIRFLOW_HOME``.
    :param env: settings for this server, on top of a cleaned copy of this process's environment.
    :param health_path: the JSON health endpoint.
    :param log_dir: where ``<name>.log`` goes (migrate and server output).
    """

    def __init__(
        self,
        name: str,
        airflow: List[str],
        server_args: List[str],
        home: Path,
        env: Dict[str, str],
        health_path: str,
        log_dir: Path,
    ) -> None:
        self.name = name
        self.airflow = airflow
        self.server_args = server_args
        self.home = home
        self.health_path = health_path
        self.log_path = log_dir / f"{name}.log"
        self.url = ""
        self._process: Optional[subprocess.Popen] = None
        base = {key: value for key, value in os.environ.items() if not key.startswith(_INHERITED_PREFIXES)}
        bin_dir = str(Path(airflow[0]).parent)
        self.env = {
            **base,
            "PATH": os.pathsep.join([bin_dir, base.get("PATH", "")]),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            **env,
        }

    def start(self) -> AirflowServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            migrated = subprocess.call(
                [*self.airflow, "db", "migrate"], env=self.env, stdout=log, stderr=subprocess.STDOUT, timeout=300
            )
        if migrated != 0:
            raise RuntimeError(f"{self.name}: `airflow db migrate` exited with {migrated}:\n{self._log_tail()}")
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [*self.airflow, *self.server_args, "-H", "127.0.0.1", "-p", "0"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            self.url = self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_healthy(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        url = ""
        last_error = "no port in the log yet"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._process.returncode}:\n{self._log_tail()}")
            if not url:
                match = _LISTENING.search(self.log_path.read_text(errors="replace"))
                url = match.group(1) if match else ""
            if url:
                try:
                    with urllib.request.urlopen(url + self.health_path, timeout=5) as response:
                        health = json.load(response)
                    if health.get("metadatabase", {}).get("status") == "healthy":
                        return url
                    last_error = f"health: {health}"
                except (urllib.error.URLError, OSError, ValueError) as error:
                    last_error = str(error)
            time.sleep(0.5)
        raise RuntimeError(
            f"{self.name} was not healthy after {START_TIMEOUT_SECONDS:.0f}s ({last_error}):\n{self._log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL to whatever is left after the grace period."""
        process, self._process = self._process, None
        if process is None:
            return
        group = process.pid  # start_new_session: the leader's pid is the group id
        _signal_group(group, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while _group_alive(group) and time.monotonic() < deadline:
            time.sleep(0.2)
        _signal_group(group, signal.SIGKILL)

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
