"""What the shell and its builtin commands share: PID 1, the fds they write to, and the shell a builtin is given.

The builtins (:mod:`.builtins`) depend on this module, never on :mod:`.shell`; the shell looks its commands up in
``builtins.table``. So the two no longer import each other.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Dict, List, Optional, Protocol, Set

from airflow_provider_composer_pod.testing.runtime.vfs import FileSystem

SIGNALS = {"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15, "EXIT": 0}
SHELL_NAMES = {"sh", "bash", "dash", "ash", "busybox"}
Emit = Callable[[int, bytes], None]


class ShellExit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Process:
    """PID 1 of a simulated container: the target of ``kill`` and the owner of pending signals."""

    def __init__(self, argv: List[str]) -> None:
        self.argv = argv
        self.pending: List[int] = []
        self.wakeup = asyncio.Event()
        self.on_signal: Optional[Callable[[int], None]] = None

    def signal(self, signum: int) -> None:
        if self.on_signal is not None:
            self.on_signal(signum)
            return
        self.pending.append(signum)
        self.wakeup.set()


class Sink:
    """Where an fd writes: the container's stdout/stderr, a file, or a capture buffer."""

    def __init__(
        self, emit: Optional[Emit] = None, fd: int = 1, fs: Optional[FileSystem] = None, path: str = ""
    ) -> None:
        self.emit = emit
        self.fd = fd
        self.fs = fs
        self.path = path
        self.buffer: Optional[bytearray] = None

    @classmethod
    def capture(cls) -> Sink:
        sink = cls()
        sink.buffer = bytearray()
        return sink

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self.buffer is not None:
            self.buffer.extend(data)
        elif self.fs is not None:
            if self.path != "/dev/null":
                self.fs.write(self.path, data, append=True)
        elif self.emit is not None:
            self.emit(self.fd, data)


Fds = Dict[int, Sink]


class ShellApi(Protocol):
    """The part of :class:`~.shell.Shell` a builtin command uses: its state, signals, and running other commands."""

    fs: FileSystem
    fds: Fds
    vars: Dict[str, str]
    exported: Set[str]
    positional: List[str]
    traps: Dict[int, str]
    cwd: str
    name: str
    status: int
    errexit: bool
    xtrace: bool
    pid1: Process

    def environ(self) -> Dict[str, str]: ...

    async def sleep(self, seconds: float) -> None: ...

    async def check_signals(self) -> None: ...

    async def invoke(self, argv: List[str], stdin: bytes, fds: Fds) -> int:
        """Run one command line: a builtin, a nested ``sh``, or ``not found`` (127)."""
        ...

    def spawn(self, env: Dict[str, str], fds: Fds) -> ShellApi:
        """A child shell with its own environment, writing to ``fds``."""
        ...


Builtin = Callable[[ShellApi, List[str], bytes, Fds], Awaitable[int]]
