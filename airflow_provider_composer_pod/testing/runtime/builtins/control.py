"""The shell's own builtins: exit status, variables and options, traps, read, exec and env."""

from __future__ import annotations

from typing import Dict, List

from airflow_provider_composer_pod.testing.runtime.builtins.common import err, registrar, signal_number
from airflow_provider_composer_pod.testing.runtime.shell_types import Builtin, Fds, ShellApi, ShellExit

COMMANDS: Dict[str, Builtin] = {}
builtin = registrar(COMMANDS)


@builtin("exit")
async def exit_(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    code = sh.status
    if len(argv) > 1:
        try:
            code = int(argv[1]) & 0xFF
        except ValueError:
            err(fds, f"{sh.name}: exit: Illegal number: {argv[1]}")
            code = 2
    raise ShellExit(code)


@builtin("return")
async def return_(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    raise ShellExit(int(argv[1]) if len(argv) > 1 else sh.status)


@builtin("true", ":")
async def true(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    return 0


@builtin("false")
async def false(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    return 1


@builtin("env", "printenv")
async def env(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args = argv[1:]
    if argv[0] == "printenv" and args:
        values = [sh.environ().get(a) for a in args]
        for value in values:
            if value is not None:
                fds[1].write((value + "\n").encode())
        return 0 if all(v is not None for v in values) else 1
    environ = sh.environ()
    while args and "=" in args[0]:
        name, value = args.pop(0).split("=", 1)
        environ[name] = value
    if args:
        child = sh.spawn(environ, fds)
        return await child.invoke(args, stdin, child.fds)
    for name, value in environ.items():
        fds[1].write((f"{name}={value}\n").encode())
    return 0


@builtin("export")
async def export(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    for arg in argv[1:]:
        if arg == "-p":
            continue
        name, _, value = arg.partition("=")
        if "=" in arg:
            sh.vars[name] = value
        sh.exported.add(name)
    return 0


@builtin("unset")
async def unset(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    for name in argv[1:]:
        if not name.startswith("-"):
            sh.vars.pop(name, None)
            sh.exported.discard(name)
    return 0


@builtin("set")
async def set_(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args = argv[1:]
    while args:
        arg = args.pop(0)
        if arg == "--":
            sh.positional = args
            return 0
        if arg in ("-o", "+o") and args:
            option = args.pop(0)
            if option == "errexit":
                sh.errexit = arg == "-o"
            elif option == "xtrace":
                sh.xtrace = arg == "-o"
            continue
        if arg[:1] in "-+":
            enable = arg[0] == "-"
            for letter in arg[1:]:
                if letter == "e":
                    sh.errexit = enable
                elif letter == "x":
                    sh.xtrace = enable
        else:
            sh.positional = [arg] + args
            return 0
    return 0


@builtin("trap")
async def trap(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) < 3:
        return 0
    action = argv[1]
    for name in argv[2:]:
        try:
            sh.traps[signal_number(name)] = action
        except ValueError:
            err(fds, f"trap: {name}: bad trap")
            return 1
    return 0


@builtin("read")
async def read(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    names = [a for a in argv[1:] if not a.startswith("-")] or ["REPLY"]
    text = stdin.decode("utf-8", "replace")
    if not text:
        return 1
    line = text.split("\n", 1)[0]
    parts = line.split(None, len(names) - 1)
    for index, name in enumerate(names):
        sh.vars[name] = parts[index] if index < len(parts) else ""
    return 0


@builtin("exec")
async def exec_(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) == 1:
        return 0
    raise ShellExit(await sh.invoke(argv[1:], stdin, fds))
