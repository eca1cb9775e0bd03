"""Commands on the container's filesystem: mkdir, touch, rm, ls, cd, pwd, and test / ``[``."""

from __future__ import annotations

from typing import Dict, List

from airflow_provider_composer_pod.testing.runtime.builtins.common import err, registrar
from airflow_provider_composer_pod.testing.runtime.shell_types import Builtin, Fds, ShellApi
from airflow_provider_composer_pod.testing.runtime.vfs import normalize

COMMANDS: Dict[str, Builtin] = {}
builtin = registrar(COMMANDS)


@builtin("mkdir")
async def mkdir(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    parents = any(a in ("-p", "--parents") for a in argv[1:])
    status = 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        path = normalize(name, sh.cwd)
        parent = path.rsplit("/", 1)[0] or "/"
        if sh.fs.is_dir(path) and not parents:
            err(fds, f"mkdir: can't create directory '{name}': File exists")
            status = 1
        elif not parents and not sh.fs.is_dir(parent):
            err(fds, f"mkdir: can't create directory '{name}': No such file or directory")
            status = 1
        else:
            sh.fs.mkdir(path)
    return status


@builtin("touch")
async def touch(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    for name in argv[1:]:
        path = normalize(name, sh.cwd)
        if sh.fs.read(path) is None:
            sh.fs.write(path, b"")
    return 0


@builtin("rm")
async def rm(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    force = any(a.startswith("-") and "f" in a for a in argv[1:])
    status = 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        if not sh.fs.remove(normalize(name, sh.cwd)) and not force:
            err(fds, f"rm: can't remove '{name}': No such file or directory")
            status = 1
    return status


@builtin("ls")
async def ls(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    names = [a for a in argv[1:] if not a.startswith("-")] or ["."]
    status = 0
    for name in names:
        path = normalize(name, sh.cwd)
        if sh.fs.is_dir(path):
            for entry in sh.fs.listdir(path):
                fds[1].write((entry + "\n").encode())
        elif sh.fs.read(path) is not None:
            fds[1].write((name + "\n").encode())
        else:
            err(fds, f"ls: {name}: No such file or directory")
            status = 1
    return status


@builtin("cd")
async def cd(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    path = normalize(argv[1] if len(argv) > 1 else sh.vars.get("HOME", "/"), sh.cwd)
    if not sh.fs.is_dir(path):
        err(fds, f"{sh.name}: cd: can't cd to {argv[1] if len(argv) > 1 else path}: No such file or directory")
        return 2
    sh.cwd = path
    return 0


@builtin("pwd")
async def pwd(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write((sh.cwd + "\n").encode())
    return 0


def _test(sh: ShellApi, args: List[str]) -> bool:
    if not args:
        return False
    if args[0] == "!":
        return not _test(sh, args[1:])
    for joiner, combine in (("-o", any), ("-a", all)):
        if joiner in args[1:-1]:
            index = args.index(joiner, 1)
            return combine([_test(sh, args[:index]), _test(sh, args[index + 1 :])])
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, operand = args
        path = normalize(operand, sh.cwd)
        if op == "-z":
            return operand == ""
        if op == "-n":
            return operand != ""
        if op in ("-e", "-r", "-w", "-O", "-G"):
            return sh.fs.exists(path)
        if op == "-f":
            return sh.fs.read(path) is not None
        if op == "-d":
            return sh.fs.is_dir(path)
        if op == "-s":
            return bool(sh.fs.read(path))
        if op == "-x":
            return False
        raise ValueError(f"{op}: unknown operand")
    left, op, right = args[0], args[1], args[2]
    if op in ("=", "=="):
        return left == right
    if op == "!=":
        return left != right
    numeric = {"-eq": "__eq__", "-ne": "__ne__", "-lt": "__lt__", "-le": "__le__", "-gt": "__gt__", "-ge": "__ge__"}
    if op in numeric:
        return bool(getattr(int(left), numeric[op])(int(right)))
    raise ValueError(f"{op}: unknown operand")


@builtin("test", "[")
async def test(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            err(fds, f"{sh.name}: missing ]")
            return 2
        args = args[:-1]
    try:
        return 0 if _test(sh, args) else 1
    except ValueError as exc:
        err(fds, f"{sh.name}: {exc}")
        return 2
