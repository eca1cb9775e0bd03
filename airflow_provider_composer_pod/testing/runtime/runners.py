"""Container runtimes: the deterministic built-in shell, a Python entrypoint hook, or a real host subprocess.

Nothing is pulled or isolated. The host runtime runs the command with the pod's environment in a scratch
directory that stands in for the container root: absolute volume mount paths and the termination-message path
found in ``command``/``args`` are rewritten to ``<root><path>``, and ``K8S_EMULATOR_ROOT`` names that root.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import threading
import traceback
from typing import Any, Callable, Dict, List, Optional, Union

from airflow_provider_composer_pod.testing.runtime.container_log import ContainerLog
from airflow_provider_composer_pod.testing.runtime.shell import Shell
from airflow_provider_composer_pod.testing.runtime.shell_types import Process
from airflow_provider_composer_pod.testing.runtime.vfs import DiskFS, FileSystem

log = logging.getLogger(__name__)
SleepFn = Callable[[float, Process], Any]


def make_sleep(scale: Callable[[], float]) -> SleepFn:
    """Scaled, signal-interruptible sleep shared by the shell and entrypoint hooks."""

    async def sleep(seconds: float, process: Process) -> None:
        if process.pending or seconds <= 0:
            await asyncio.sleep(0)
            return
        try:
            await asyncio.wait_for(process.wakeup.wait(), seconds * scale())
        except asyncio.TimeoutError:
            pass

    return sleep


class ContainerContext:
    """What an entrypoint hook sees: argv, env, filesystem, and output that lands in the container log."""

    def __init__(
        self,
        pod: Dict[str, Any],
        container: Dict[str, Any],
        argv: List[str],
        env: Dict[str, str],
        fs: FileSystem,
        log_: ContainerLog,
        process: Process,
        sleep: SleepFn,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.pod = pod
        self.container = container
        self.argv = argv
        self.env = env
        self.fs = fs
        self.process = process
        self._log = log_
        self._sleep = sleep
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def write(self, data: Union[str, bytes], stream: str = "stdout", timestamp_ns: Optional[int] = None) -> None:
        """Append raw output; safe from the worker thread a synchronous hook runs in.

        ``timestamp_ns`` gives every line of ``data`` that one log timestamp (see ``ContainerLog.write``).
        """
        payload = data.encode("utf-8") if isinstance(data, str) else data
        fd = 2 if stream == "stderr" else 1
        if threading.get_ident() == self._loop_thread:
            self._log.write(fd, payload, timestamp_ns)
        else:
            self._loop.call_soon_threadsafe(self._log.write, fd, payload, timestamp_ns)

    def print(self, *args: Any, stream: str = "stdout") -> None:
        self.write(" ".join(str(a) for a in args) + "\n", stream)

    async def sleep(self, seconds: float) -> None:
        """Scaled sleep that returns early when the container is signalled."""
        await self._sleep(seconds, self.process)

    @property
    def signalled(self) -> Optional[int]:
        return self.process.pending[0] if self.process.pending else None

    def read_file(self, path: str) -> Optional[str]:
        data = self.fs.read(path)
        return None if data is None else data.decode("utf-8", "replace")

    def write_file(self, path: str, data: Union[str, bytes]) -> None:
        self.fs.write(path, data.encode("utf-8") if isinstance(data, str) else data)


async def run_builtin(
    argv: List[str],
    env: Dict[str, str],
    fs: FileSystem,
    log_: ContainerLog,
    process: Process,
    sleep: SleepFn,
    workdir: str = "/",
) -> int:
    shell = Shell(fs, env, log_.write, sleep, process, cwd=workdir)
    return await shell.run_argv(argv)


async def run_entrypoint(hook: Callable[..., Any], ctx: ContainerContext) -> int:
    try:
        if inspect.iscoroutinefunction(hook):
            result = await hook(ctx)
        else:
            result = await asyncio.get_running_loop().run_in_executor(None, hook, ctx)
            if inspect.isawaitable(result):
                result = await result
    except Exception:
        ctx.write(traceback.format_exc(), "stderr")
        return 1
    if ctx.process.pending and result is None:
        return 128 + ctx.process.pending[0]
    return int(result or 0)


def rewrite_paths(argv: List[str], root: str, paths: List[str]) -> List[str]:
    """Point absolute container paths (mounts, termination log) into the scratch root."""
    ordered = sorted({p.rstrip("/") for p in paths if p and p != "/"}, key=len, reverse=True)
    if not ordered:
        return list(argv)
    pattern = re.compile(r"(?<![\w./-])({})(?=/|$|[^\w.-])".format("|".join(re.escape(p) for p in ordered)))
    return [pattern.sub(lambda m: root + m.group(1), arg) for arg in argv]


async def run_host(
    argv: List[str],
    env: Dict[str, str],
    fs: DiskFS,
    log_: ContainerLog,
    process: Process,
    paths: List[str],
    workdir: Optional[str] = None,
) -> int:
    """A real subprocess; stdout/stderr become the container log, signals are forwarded."""
    host_env = dict(env)
    for name in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"):
        if name in os.environ:
            host_env[name] = os.environ[name]
    host_env["HOME"] = fs.root
    host_env["K8S_EMULATOR_ROOT"] = fs.root
    command = rewrite_paths(argv, fs.root, paths)
    cwd = fs.host_path(workdir) if workdir else fs.root
    os.makedirs(cwd, exist_ok=True)
    try:
        proc = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=host_env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        log_.write(2, (f"exec {argv[0]}: {exc.strerror or exc}\n").encode())
        return 127 if isinstance(exc, FileNotFoundError) else 126

    def forward(signum: int) -> None:
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass

    process.on_signal = forward

    async def pump(stream: Optional[asyncio.StreamReader], fd: int) -> None:
        while stream is not None:
            chunk = await stream.read(65536)
            if not chunk:
                return
            log_.write(fd, chunk)

    try:
        await asyncio.gather(pump(proc.stdout, 1), pump(proc.stderr, 2))
        code = await proc.wait()
    except asyncio.CancelledError:
        forward(9)
        raise
    finally:
        process.on_signal = None
    return 128 - code if code < 0 else code
