"""The built-in container runtime's shell interpreter (see :mod:`.shell_parse` for the grammar).

It is deterministic and asynchronous: ``sleep`` awaits the emulator's scaled clock and can be interrupted by a
signal, which is how ``kill -2 1`` stops the xcom sidecar's ``trap "exit 0" INT; while true; do sleep 1; done``.
Commands outside the subset (``perl``, ``python``…) print ``sh: NAME: not found`` and exit 127.
"""

from __future__ import annotations

import asyncio
import os
import shlex
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.testing.runtime.builtins.table import BUILTINS
from airflow_provider_composer_pod.testing.runtime.expansion import WordExpansion
from airflow_provider_composer_pod.testing.runtime.shell_parse import Node, parse
from airflow_provider_composer_pod.testing.runtime.shell_tokens import ShellSyntaxError, Word
from airflow_provider_composer_pod.testing.runtime.shell_types import SHELL_NAMES, Emit, Fds, Process, ShellExit, Sink
from airflow_provider_composer_pod.testing.runtime.vfs import FileSystem, normalize


class Shell(WordExpansion):
    """One shell instance: variables, options, traps, cwd, and the fds it writes to."""

    def __init__(
        self,
        fs: FileSystem,
        env: Dict[str, str],
        emit: Emit,
        sleep: Callable[[float, Process], Awaitable[None]],
        process: Process,
        name: str = "sh",
        cwd: str = "/",
    ) -> None:
        self.fs = fs
        self.vars: Dict[str, str] = dict(env)
        self.exported = set(env)
        self.fds: Fds = {1: Sink(emit, 1), 2: Sink(emit, 2)}
        self.sleep_fn = sleep
        self.process = process
        self.pid1 = process
        self.name = name
        self.cwd = cwd
        self.status = 0
        self.errexit = False
        self.xtrace = False
        self.traps: Dict[int, str] = {}
        self.positional: List[str] = []
        self._in_condition = 0
        self._in_trap = False
        self.exited = False

    # --------------------------------------------------------------------------------------------- entry
    async def run_script(self, text: str, stdin: bytes = b"") -> int:
        """Run a script; returns its exit status (``exit`` and fatal errors included)."""
        try:
            tree = parse(text)
        except ShellSyntaxError as exc:
            self.fds[2].write((f"{self.name}: syntax error: {exc}\n").encode())
            self.status = 2
            return 2
        try:
            await self.run(tree, stdin, self.fds)
        except ShellExit as exc:
            self.status = exc.code
            self.exited = True
        if 0 in self.traps and not self._in_trap:
            await self._run_trap(0)
        return self.status

    async def run_argv(self, argv: List[str], stdin: bytes = b"") -> int:
        """Run a container command line (``command`` + ``args``) as PID 1."""
        try:
            status = await self.invoke(argv, stdin, self.fds)
        except ShellExit as exc:
            status = exc.code
        self.status = status
        return status

    # ------------------------------------------------------------------------------------------- signals
    async def check_signals(self) -> None:
        while self.process.pending:
            signum = self.process.pending.pop(0)
            if not self.process.pending:
                self.process.wakeup.clear()
            if signum in self.traps and signum != 9:
                await self._run_trap(signum)
            else:
                raise ShellExit(128 + signum)

    async def _run_trap(self, signum: int) -> None:
        action = self.traps.get(signum, "")
        if not action or action == "-":
            if action == "-":
                raise ShellExit(128 + signum)
            return
        self._in_trap = True
        try:
            await self.run(parse(action), b"", self.fds)
        finally:
            self._in_trap = False

    async def sleep(self, seconds: float) -> None:
        await self.sleep_fn(seconds, self.process)
        await self.check_signals()

    # ------------------------------------------------------------------------------------------ execution
    async def run(self, node: Node, stdin: bytes, fds: Fds) -> int:
        kind = node[0]
        if kind == "list":
            status = 0
            for item in node[1]:
                status = await self.run(item, stdin, fds)
            return status
        if kind == "andor":
            self._in_condition += bool(node[2])
            try:
                status = await self.run(node[1], stdin, fds)
            finally:
                self._in_condition -= bool(node[2])
            for index, (op, pipeline) in enumerate(node[2]):
                if (op == "&&" and status == 0) or (op == "||" and status != 0):
                    last = index == len(node[2]) - 1
                    self._in_condition += not last
                    try:
                        status = await self.run(pipeline, stdin, fds)
                    finally:
                        self._in_condition -= not last
            self.status = status
            return status
        if kind == "pipe":
            return await self._pipeline(node, stdin, fds)
        if kind == "simple":
            return await self._simple(node, stdin, fds)
        if kind == "if":
            return await self._if(node, stdin, fds)
        if kind == "while":
            status = 0
            while True:
                await self.check_signals()
                self._in_condition += 1
                try:
                    cond = await self.run(node[1], stdin, fds)
                finally:
                    self._in_condition -= 1
                if (cond == 0) == node[3]:
                    break
                status = await self.run(node[2], stdin, fds)
                await asyncio.sleep(0)
            self.status = status
            return status
        if kind == "for":
            items = await self._expand_words(node[2]) if node[2] is not None else list(self.positional)
            status = 0
            for item in items:
                self.vars[node[1]] = item
                status = await self.run(node[3], stdin, fds)
            return status
        if kind == "group":
            local = await self._redirect(node[3], fds)
            if local is None:
                return 1
            if node[2]:
                saved = (dict(self.vars), self.cwd)
                try:
                    return await self.run(node[1], stdin, local)
                except ShellExit as exc:
                    return exc.code
                finally:
                    self.vars, self.cwd = saved
            return await self.run(node[1], stdin, local)
        raise ShellSyntaxError(f"unknown node {kind}")

    async def _pipeline(self, node: Node, stdin: bytes, fds: Fds) -> int:
        data = stdin
        status = 0
        commands = node[2]
        for index, command in enumerate(commands):
            if index < len(commands) - 1:
                capture = Sink.capture()
                local = dict(fds)
                local[1] = capture
                status = await self.run(command, data, local)
                data = bytes(capture.buffer or b"")
            else:
                status = await self.run(command, data, fds)
        if node[1]:
            status = 0 if status else 1
        self.status = status
        if status != 0 and self.errexit and not self._in_condition and not node[1]:
            raise ShellExit(status)
        return status

    async def _if(self, node: Node, stdin: bytes, fds: Fds) -> int:
        local = await self._redirect(node[3], fds)
        if local is None:
            return 1
        for cond, body in node[1]:
            self._in_condition += 1
            try:
                matched = await self.run(cond, stdin, local) == 0
            finally:
                self._in_condition -= 1
            if matched:
                return await self.run(body, stdin, local)
        if node[2] is not None:
            return await self.run(node[2], stdin, local)
        self.status = 0
        return 0

    async def _simple(self, node: Node, stdin: bytes, fds: Fds) -> int:
        await self.check_signals()
        _, assigns, words, redirs = node
        argv = await self._expand_words(words)
        values = [(name, "".join(await self._expand_word(word, split=False))) for name, word in assigns]
        local = await self._redirect(redirs, fds)
        if local is None:
            self.status = 1
            return 1
        if -1 in local:
            stdin = bytes(local.pop(-1).buffer or b"")
        if not argv:
            for name, value in values:
                self.vars[name] = value
            self.status = 0
            return 0
        if self.xtrace:
            shown = [(f"{n}={shlex.quote(v)}") for n, v in values] + [shlex.quote(a) for a in argv]
            local[2].write(("+ {}\n".format(" ".join(shown))).encode())
        saved = {name: self.vars.get(name) for name, _ in values}
        for name, value in values:
            self.vars[name] = value
            self.exported.add(name)
        try:
            status = await self.invoke(argv, stdin, local)
        finally:
            for name, old in saved.items():
                if old is None:
                    self.vars.pop(name, None)
                else:
                    self.vars[name] = old
        self.status = status
        await self.check_signals()
        return status

    async def invoke(self, argv: List[str], stdin: bytes, fds: Fds) -> int:
        name = argv[0].rsplit("/", 1)[-1]
        if name in SHELL_NAMES:
            return await self._subshell(argv, stdin, fds)
        builtin = BUILTINS.get(name)
        if builtin is None:
            fds[2].write((f"{self.name}: {argv[0]}: not found\n").encode())
            fds[2].write(
                (
                    f"[k8s-emulator] '{argv[0]}' is not part of the built-in runtime's shell subset; register "
                    'scenario(entrypoint=...) or use runtime="host"\n'
                ).encode()
            )
            return 127
        return await builtin(self, argv, stdin, fds)

    async def _subshell(self, argv: List[str], stdin: bytes, fds: Fds) -> int:
        """``sh [-ex] -c SCRIPT [NAME ARGS…]`` or ``sh`` reading the script from stdin."""
        child = Shell(
            self.fs,
            self.environ(),
            fds[1].emit or (lambda fd, d: None),
            self.sleep_fn,
            self.process,
            argv[0].rsplit("/", 1)[-1],
            self.cwd,
        )
        child.fds = {1: fds[1], 2: fds[2]}
        child.pid1 = self.pid1
        script: Optional[str] = None
        args = argv[1:]
        while args and args[0].startswith(("-", "+")) and args[0] not in ("-", "--"):
            flag = args.pop(0)
            enable = flag.startswith("-")
            for letter in flag[1:]:
                if letter == "c":
                    if not args:
                        fds[2].write((f"{child.name}: -c requires an argument\n").encode())
                        return 2
                    script = args.pop(0)
                elif letter == "e":
                    child.errexit = enable
                elif letter == "x":
                    child.xtrace = enable
                elif letter == "o" and args:
                    option = args.pop(0)
                    if option == "errexit":
                        child.errexit = enable
                    elif option == "xtrace":
                        child.xtrace = enable
        if args and args[0] == "--":
            args.pop(0)
        if script is None:
            if args:
                content = self.fs.read(normalize(args[0], self.cwd))
                if content is None:
                    fds[2].write((f"{child.name}: can't open '{args[0]}': No such file or directory\n").encode())
                    return 127
                script, args = content.decode("utf-8", "replace"), args[1:]
            else:
                script = stdin.decode("utf-8", "replace")
        else:
            if args:
                child.name = args[0]
                args = args[1:]
        child.positional = args
        return await child.run_script(script, stdin)

    def environ(self) -> Dict[str, str]:
        return {k: v for k, v in self.vars.items() if k in self.exported}

    def spawn(self, env: Dict[str, str], fds: Fds) -> Shell:
        """A child shell with ``env``, writing to ``fds`` (``env NAME=VALUE COMMAND``)."""
        child = Shell(
            self.fs, env, fds[1].emit or (lambda fd, d: None), self.sleep_fn, self.process, self.name, self.cwd
        )
        child.fds = dict(fds)
        child.pid1 = self.pid1
        return child

    # ------------------------------------------------------------------------------------------ redirects
    async def _redirect(self, redirs: List[Tuple[int, str, Word]], fds: Fds) -> Optional[Fds]:
        if not redirs:
            return fds
        local = dict(fds)
        for fd, op, word in redirs:
            target = "".join(await self._expand_word(word, split=False))
            if op == ">&":
                if target.isdigit() and int(target) in local:
                    local[fd] = local[int(target)]
                continue
            path = normalize(target, self.cwd)
            if op in (">", ">>"):
                if path != "/dev/null":
                    parent = os.path.dirname(path)
                    if parent != "/" and not self.fs.is_dir(parent):
                        fds[2].write((f"{self.name}: can't create {target}: nonexistent directory\n").encode())
                        return None
                    if op == ">":
                        self.fs.write(path, b"")
                local[fd] = Sink(fs=self.fs, path=path)
            elif op == "<":
                content = b"" if path == "/dev/null" else self.fs.read(path)
                if content is None:
                    fds[2].write((f"{self.name}: can't open {target}: no such file\n").encode())
                    return None
                local[-1] = Sink.capture()
                local[-1].buffer = bytearray(content)
        return local

    # ------------------------------------------------------------------ expansion (the rest: expansion.py)
    async def _command_substitution(self, text: str) -> str:
        capture = Sink.capture()
        child = Shell(self.fs, self.environ(), lambda fd, d: None, self.sleep_fn, self.process, self.name, self.cwd)
        child.vars = dict(self.vars)
        child.pid1 = self.pid1
        child.fds = {1: capture, 2: self.fds[2]}
        status = await child.run_script(text)
        self.status = status
        return bytes(capture.buffer or b"").decode("utf-8", "replace").rstrip("\n")
