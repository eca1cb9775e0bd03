"""The Kubernetes API emulator in a child process, so its CPU is not the measured side's.

The child is the benchmark script itself, run with ``--serve``: it starts the emulator, writes one JSON line with the
kubeconfig path, then answers one JSON command a line on stdin with one JSON line on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any, Dict


class EmulatorProcess:
    def __init__(self, script: str, stop_timeout: float = 60) -> None:
        self.process = subprocess.Popen(
            [sys.executable, script, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.kubeconfig: str = self._read()["kubeconfig"]
        self.stop_timeout = stop_timeout
        self._lock = threading.Lock()

    def _read(self) -> Dict[str, Any]:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())

    def send(self, **command: Any) -> Dict[str, Any]:
        assert self.process.stdin is not None
        with self._lock:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            return self._read()

    def stop(self) -> None:
        try:
            self.send(cmd="stop")
        except Exception:
            pass
        self.process.wait(timeout=self.stop_timeout)
