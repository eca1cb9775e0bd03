"""A throwaway PostgreSQL for the Airflow lane: Debian's server binaries, a fresh cluster on a free port, trust auth.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user (Debian's package creates
it) and ``initdb``/``pg_ctl`` run through ``runuser``. Nothing is installed here: ``make test-airflow`` installs
Debian's ``postgresql`` where its binaries are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import List, Optional

from tests.airflow.processes import free_port

_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def server_bin() -> Optional[Path]:
    """The newest Debian PostgreSQL server directory holding ``pg_ctl``, if any."""
    found = sorted(glob.glob(_BIN_GLOB), key=lambda path: int(Path(path).parent.name))
    for path in reversed(found):
        if (Path(path) / "pg_ctl").exists():
            return Path(path)
    return None


class Postgres:
    """``start()`` makes and starts a cluster in ``root`` (a new directory); ``stop()`` stops it, deletes ``root``."""

    def __init__(self, root: Path, log_dir: Path) -> None:
        self.bin = server_bin()
        self.port = 0
        self.root = root
        self.data = self.root / "data"
        self.log_path = log_dir / "postgres.log"
        self._user = "postgres" if os.geteuid() == 0 else ""

    def _run(self, args: List[str]) -> None:
        command = ["runuser", "-u", self._user, "--", *args] if self._user else args
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} exited with {result.returncode}:\n{result.stdout}{result.stderr}")

    def start(self) -> Postgres:
        if self.bin is None:
            raise RuntimeError(f"no PostgreSQL server under {_BIN_GLOB}: `make test-airflow` installs `postgresql`")
        self.root.mkdir()
        if self._user:
            shutil.chown(self.root, self._user)
        self.port = free_port()
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"])
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        log = self.root / "server.log"
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start"])
        return self

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        self.psql(f"CREATE DATABASE {name}")

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-At", "-c", sql],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return result.stdout

    def dump(self, database: str) -> str:
        """The whole database as SQL text (``pg_dump``): what a leak check reads."""
        result = subprocess.run(
            [str(self.bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return result.stdout

    def stop(self) -> None:
        if self.bin is not None and (self.data / "postmaster.pid").exists():
            server_log = self.root / "server.log"
            try:
                self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
            finally:
                if server_log.exists():
                    shutil.copyfile(server_log, self.log_path)
        shutil.rmtree(self.root, ignore_errors=True)
