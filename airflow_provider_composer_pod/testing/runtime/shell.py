"""The built-in container runtime's shell interpreter (see :mod:`shell_parse` for the grammar).

It is deterministic and asynchronous: ``sleep`` awaits the emulator's scaled clock and can be interrupted by a
signal, which is how ``kill -2 1`` stops the xcom sidecar's ``trap "exit 0" INT; while true; do sleep 1; done``.
Commands outside the subset (``perl``, ``python``…) print ``sh: NAME: not found`` and exit 127.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import shlex
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.testing.runtime.shell_parse import Node, ShellSyntaxError, Word, parse
from airflow_provider_composer_pod.testing.runtime.vfs import FileSystem, normalize

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


class Shell:
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
            status = await self._invoke(argv, stdin, self.fds)
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
            status = await self._invoke(argv, stdin, local)
        finally:
            for name, old in saved.items():
                if old is None:
                    self.vars.pop(name, None)
                else:
                    self.vars[name] = old
        self.status = status
        await self.check_signals()
        return status

    async def _invoke(self, argv: List[str], stdin: bytes, fds: Fds) -> int:
        from airflow_provider_composer_pod.testing.runtime.builtins import BUILTINS

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

    # ------------------------------------------------------------------------------------------ expansion
    async def _expand_words(self, words: List[Word]) -> List[str]:
        result: List[str] = []
        for word in words:
            result.extend(await self._expand_word(word))
        return result

    async def _expand_word(self, word: Word, split: bool = True) -> List[str]:
        fields: List[str] = []
        current: Optional[str] = None
        for kind, text, quoted in word.parts:
            if kind == "lit":
                value = text
            elif kind == "var":
                value = self._var(text)
            elif kind == "param":
                value = self._param(text)
            elif kind == "arith":
                value = str(self._arith(text))
            else:
                value = await self._command_substitution(text)
            if kind == "lit" or quoted or not split:
                current = (current or "") + value
                continue
            pieces = value.split()
            if not pieces:
                if value and current is not None:
                    fields.append(current)
                    current = None
                continue
            if value[:1].isspace() and current is not None:
                fields.append(current)
                current = None
            current = (current or "") + pieces[0]
            for piece in pieces[1:]:
                fields.append(current)
                current = piece
            if value[-1:].isspace():
                fields.append(current)
                current = None
        if current is not None:
            fields.append(current)
        return fields

    def _var(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return "1"
        if name == "#":
            return str(len(self.positional))
        if name in ("@", "*"):
            return " ".join(self.positional)
        if name == "0":
            return self.name
        if name.isdigit():
            index = int(name) - 1
            return self.positional[index] if index < len(self.positional) else ""
        return self.vars.get(name, "")

    def _param(self, text: str) -> str:
        if text.startswith("#") and len(text) > 1:
            return str(len(self._var(text[1:])))
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*|[0-9?#$@*])(.*)$", text, re.S)
        if not match:
            raise ShellExit(2)
        name, op = match.groups()
        value = self._var(name)
        is_set = name in self.vars or not name.isidentifier()
        for prefix in (":-", "-", ":=", "=", ":+", "+"):
            if op.startswith(prefix):
                word = op[len(prefix) :]
                empty = (not value) if prefix.startswith(":") else not is_set
                if prefix.endswith("-"):
                    return word if empty else value
                if prefix.endswith("="):
                    if empty:
                        self.vars[name] = word
                        return word
                    return value
                return "" if empty else word
        for prefix in ("##", "#", "%%", "%"):
            if op.startswith(prefix):
                return _strip(value, op[len(prefix) :], prefix)
        return value

    def _arith(self, expr: str) -> int:
        def lookup(match: re.Match[str]) -> str:
            raw = self.vars.get(match.group(1), "0") or "0"
            return raw if raw.lstrip("-").isdigit() else "0"

        expr = re.sub(r"\$?([A-Za-z_][A-Za-z0-9_]*)", lookup, expr)
        if not re.match(r"^[\d\s+\-*/%()<>=!&|]*$", expr):
            raise ShellExit(2)
        expr = expr.replace("/", "//").replace("&&", " and ").replace("||", " or ")
        try:
            return int(eval(expr, {"__builtins__": {}}, {}))
        except Exception:
            raise ShellExit(2) from None

    async def _command_substitution(self, text: str) -> str:
        capture = Sink.capture()
        child = Shell(self.fs, self.environ(), lambda fd, d: None, self.sleep_fn, self.process, self.name, self.cwd)
        child.vars = dict(self.vars)
        child.pid1 = self.pid1
        child.fds = {1: capture, 2: self.fds[2]}
        status = await child.run_script(text)
        self.status = status
        return bytes(capture.buffer or b"").decode("utf-8", "replace").rstrip("\n")


def _strip(value: str, pattern: str, op: str) -> str:
    """``${v#p}`` family: shortest/longest prefix or suffix matching a glob."""
    indices = range(len(value) + 1)
    if op in ("#", "##"):
        order = reversed(indices) if op == "##" else indices
        for i in order:
            if fnmatch.fnmatchcase(value[:i], pattern):
                return value[i:]
    else:
        order = indices if op == "%%" else reversed(indices)
        for i in order:
            if fnmatch.fnmatchcase(value[i:], pattern):
                return value[:i]
    return value
