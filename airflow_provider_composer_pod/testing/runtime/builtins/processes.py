"""Commands about processes, time and identity: sleep, kill, pgrep, id, whoami, hostname, date."""

from __future__ import annotations

import re
import time
from typing import Dict, List

from airflow_provider_composer_pod.testing.runtime.builtins.common import err, registrar, signal_number
from airflow_provider_composer_pod.testing.runtime.shell_types import Builtin, Fds, ShellApi

COMMANDS: Dict[str, Builtin] = {}
builtin = registrar(COMMANDS)


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


@builtin("sleep")
async def sleep(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    try:
        total = sum(_seconds(a) for a in argv[1:])
    except ValueError:
        err(fds, "sleep: invalid number '{}'".format(" ".join(argv[1:])))
        return 1
    await sh.sleep(total)
    return 0


@builtin("kill")
async def kill(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args, signum = argv[1:], 15
    try:
        if args and args[0] == "-s" and len(args) > 1:
            signum = signal_number(args[1])
            args = args[2:]
        elif args and args[0].startswith("-") and args[0] != "--":
            signum = signal_number(args[0][1:])
            args = args[1:]
    except ValueError as exc:
        err(fds, f"kill: bad signal name '{exc}'")
        return 1
    if not args:
        err(fds, "kill: usage: kill [-s sigspec | -signum] pid")
        return 2
    status = 0
    for pid in args:
        if pid == "1":
            sh.pid1.signal(signum)
        elif pid not in ("$$",):
            err(fds, f"{sh.name}: kill: ({pid}) - No such process")
            status = 1
    return status


@builtin("pgrep", "pidof")
async def pgrep(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args, patterns = argv[1:], []
    while args:
        arg = args.pop(0)
        if arg in ("-u", "-U", "-g", "-P") and args:
            args.pop(0)
        elif not arg.startswith("-"):
            patterns.append(arg)
    command = " ".join(sh.pid1.argv)
    if patterns and all(re.search(p, command) for p in patterns):
        fds[1].write(b"1\n")
        return 0
    return 1


@builtin("id")
async def id_(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write(b"0\n" if any(a in ("-u", "-g") for a in argv[1:]) else b"uid=0(root) gid=0(root) groups=0(root)\n")
    return 0


@builtin("whoami")
async def whoami(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write(b"root\n")
    return 0


@builtin("hostname")
async def hostname(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write((sh.vars.get("HOSTNAME", "localhost") + "\n").encode())
    return 0


@builtin("date")
async def date(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fmt = next((a[1:] for a in argv[1:] if a.startswith("+")), "%a %b %e %H:%M:%S UTC %Y")
    fds[1].write((time.strftime(fmt, time.gmtime()) + "\n").encode())
    return 0
