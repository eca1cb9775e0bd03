"""The lane's processes: each in its own process group, stopped with its children, and a check that none is left."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

from tests.ui.servers import _group_alive, _signal_group

STOP_TIMEOUT_SECONDS = 15.0
# Every group the lane started, so that atexit stops them even when a fixture's teardown never ran.
_GROUPS: List[int] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """One long-running command (an Airflow component, the emulator) writing to ``<log_dir>/<name>.log``."""

    def __init__(self, name: str, command: List[str], env: Dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.popen: Optional[subprocess.Popen] = None

    def start(self) -> Process:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _GROUPS.append(self.popen.pid)
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group, as when a machine loses the process: no shutdown code runs."""
        if self.popen is not None:
            _signal_group(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL to whatever is left after the grace period."""
        popen, self.popen = self.popen, None
        if popen is not None:
            stop_group(popen.pid, popen)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def stop_group(group: int, popen: Optional[subprocess.Popen] = None) -> None:
    _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if popen is not None:
            popen.poll()
        if not _group_alive(group):
            break
        time.sleep(0.2)
    _signal_group(group, signal.SIGKILL)
    if popen is not None:
        popen.wait(timeout=STOP_TIMEOUT_SECONDS)


def processes_mentioning(marker: str) -> List[str]:
    """Live processes whose command line or environment contains ``marker`` (the lane's temp root)."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if state != "Z" and (needle in cmdline or needle in environ):
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")[:200]
            found.append(f"{entry.name}: {command}")
    return found


@atexit.register
def _stop_all() -> None:
    for group in _GROUPS:
        if _group_alive(group):
            _signal_group(group, signal.SIGKILL)
