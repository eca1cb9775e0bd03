"""Commands of the built-in runtime: enough of busybox for KPO, xcom, and log-heavy test containers."""

from __future__ import annotations

import re
import time
from typing import Any, Awaitable, Callable, Dict, List

from airflow_provider_composer_pod.testing.runtime.shell import SIGNALS, Fds, Shell, ShellExit
from airflow_provider_composer_pod.testing.runtime.vfs import normalize

Builtin = Callable[[Shell, List[str], bytes, Fds], Awaitable[int]]
BUILTINS: Dict[str, Builtin] = {}


def builtin(*names: str) -> Callable[[Builtin], Builtin]:
    def register(func: Builtin) -> Builtin:
        for name in names:
            BUILTINS[name] = func
        return func

    return register


def _err(fds: Fds, text: str) -> None:
    fds[2].write((text + "\n").encode())


def _escapes(text: str) -> tuple[str, bool]:
    """``echo -e`` / ``printf`` backslash escapes; returns (text, stop_output) for ``\\c``."""
    out: List[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            mapping = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "0": "\0"}
            if nxt == "c":
                return "".join(out), True
            if nxt in mapping:
                out.append(mapping[nxt])
                i += 2
                continue
        out.append(char)
        i += 1
    return "".join(out), False


@builtin("echo")
async def echo(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args, newline, interpret = argv[1:], True, False
    while args and re.match(r"^-[neE]+$", args[0]):
        flags = args.pop(0)[1:]
        newline = newline and "n" not in flags
        interpret = ("e" in flags) or (interpret and "E" not in flags)
    text = " ".join(args)
    if interpret:
        text, stop = _escapes(text)
        newline = newline and not stop
    fds[1].write((text + ("\n" if newline else "")).encode())
    return 0


@builtin("printf")
async def printf(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) < 2:
        _err(fds, "printf: usage: printf format [arguments]")
        return 2
    fmt, args = argv[1], argv[2:]
    specs = re.findall(r"%[-+ #0]*\d*(?:\.\d+)?[sdifxXoc%]", fmt)
    consumers = [s for s in specs if s != "%%"]
    output = []
    while True:
        chunk = fmt
        taken = args[: len(consumers)]
        args = args[len(consumers) :]
        values: List[Any] = []
        for spec, value in zip(consumers, taken + [""] * (len(consumers) - len(taken))):
            if spec[-1] in "dixXoc":
                try:
                    values.append(int(value or 0) if spec[-1] != "c" else (value or "\0")[0])
                except ValueError:
                    _err(fds, f"printf: {value}: invalid number")
                    values.append(0)
            elif spec[-1] == "f":
                values.append(float(value or 0))
            else:
                values.append(value)
        try:
            rendered = chunk % tuple(values)
        except (TypeError, ValueError):
            rendered = chunk
        output.append(_escapes(rendered)[0])
        if not consumers or not args:
            break
    fds[1].write("".join(output).encode())
    return 0


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


@builtin("sleep")
async def sleep(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    try:
        total = sum(_seconds(a) for a in argv[1:])
    except ValueError:
        _err(fds, "sleep: invalid number '{}'".format(" ".join(argv[1:])))
        return 1
    await sh.sleep(total)
    return 0


@builtin("exit")
async def exit_(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    code = sh.status
    if len(argv) > 1:
        try:
            code = int(argv[1]) & 0xFF
        except ValueError:
            _err(fds, f"{sh.name}: exit: Illegal number: {argv[1]}")
            code = 2
    raise ShellExit(code)


@builtin("return")
async def return_(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    raise ShellExit(int(argv[1]) if len(argv) > 1 else sh.status)


@builtin("true", ":")
async def true(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    return 0


@builtin("false")
async def false(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    return 1


def _read_inputs(sh: Shell, names: List[str], stdin: bytes, fds: Fds, tool: str) -> tuple[List[bytes], int]:
    if not names:
        return [stdin], 0
    chunks, status = [], 0
    for name in names:
        if name == "-":
            chunks.append(stdin)
            continue
        path = normalize(name, sh.cwd)
        if sh.fs.is_dir(path):
            _err(fds, f"{tool}: read error: Is a directory")
            status = 1
            continue
        content = sh.fs.read(path)
        if content is None:
            _err(fds, f"{tool}: can't open '{name}': No such file or directory")
            status = 1
            continue
        chunks.append(content)
    return chunks, status


@builtin("cat")
async def cat(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    chunks, status = _read_inputs(sh, [a for a in argv[1:] if a != "-u"], stdin, fds, "cat")
    for chunk in chunks:
        fds[1].write(chunk)
    return status


@builtin("head", "tail")
async def head_tail(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    count, names, args, by_bytes = 10, [], argv[1:], False
    while args:
        arg = args.pop(0)
        if arg in ("-n", "-c") and args:
            by_bytes = arg == "-c"
            count = int(args.pop(0))
        elif re.match(r"^-n?\d+$", arg):
            count = int(arg.lstrip("-n"))
        else:
            names.append(arg)
    chunks, status = _read_inputs(sh, names, stdin, fds, argv[0])
    if by_bytes:
        data = b"".join(chunks)
        fds[1].write(data[:count] if argv[0] == "head" else data[-count:] if count else b"")
        return status
    lines = b"".join(chunks).splitlines(keepends=True)
    selected = lines[:count] if argv[0] == "head" else lines[-count:] if count else []
    fds[1].write(b"".join(selected))
    return status


@builtin("wc")
async def wc(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    names = [a for a in argv[1:] if not a.startswith("-")]
    chunks, status = _read_inputs(sh, names, stdin, fds, "wc")
    data = b"".join(chunks)
    if "-c" in argv:
        fds[1].write(b"%d\n" % len(data))
    else:
        fds[1].write(b"%d\n" % data.count(b"\n"))
    return status


@builtin("env", "printenv")
async def env(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
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
        child = Shell(sh.fs, environ, fds[1].emit or (lambda fd, d: None), sh.sleep_fn, sh.process, sh.name, sh.cwd)
        child.fds = dict(fds)
        child.pid1 = sh.pid1
        return await child._invoke(args, stdin, child.fds)
    for name, value in environ.items():
        fds[1].write((f"{name}={value}\n").encode())
    return 0


@builtin("export")
async def export(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    for arg in argv[1:]:
        if arg == "-p":
            continue
        name, _, value = arg.partition("=")
        if "=" in arg:
            sh.vars[name] = value
        sh.exported.add(name)
    return 0


@builtin("unset")
async def unset(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    for name in argv[1:]:
        if not name.startswith("-"):
            sh.vars.pop(name, None)
            sh.exported.discard(name)
    return 0


@builtin("set")
async def set_(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
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


@builtin("mkdir")
async def mkdir(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    parents = any(a in ("-p", "--parents") for a in argv[1:])
    status = 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        path = normalize(name, sh.cwd)
        parent = path.rsplit("/", 1)[0] or "/"
        if sh.fs.is_dir(path) and not parents:
            _err(fds, f"mkdir: can't create directory '{name}': File exists")
            status = 1
        elif not parents and not sh.fs.is_dir(parent):
            _err(fds, f"mkdir: can't create directory '{name}': No such file or directory")
            status = 1
        else:
            sh.fs.mkdir(path)
    return status


@builtin("touch")
async def touch(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    for name in argv[1:]:
        path = normalize(name, sh.cwd)
        if sh.fs.read(path) is None:
            sh.fs.write(path, b"")
    return 0


@builtin("rm")
async def rm(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    force = any(a.startswith("-") and "f" in a for a in argv[1:])
    status = 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        if not sh.fs.remove(normalize(name, sh.cwd)) and not force:
            _err(fds, f"rm: can't remove '{name}': No such file or directory")
            status = 1
    return status


@builtin("ls")
async def ls(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
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
            _err(fds, f"ls: {name}: No such file or directory")
            status = 1
    return status


@builtin("cd")
async def cd(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    path = normalize(argv[1] if len(argv) > 1 else sh.vars.get("HOME", "/"), sh.cwd)
    if not sh.fs.is_dir(path):
        _err(fds, f"{sh.name}: cd: can't cd to {argv[1] if len(argv) > 1 else path}: No such file or directory")
        return 2
    sh.cwd = path
    return 0


@builtin("pwd")
async def pwd(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write((sh.cwd + "\n").encode())
    return 0


@builtin("seq")
async def seq(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    try:
        numbers = [int(a) for a in argv[1:]]
    except ValueError:
        _err(fds, "seq: invalid number '{}'".format(" ".join(argv[1:])))
        return 1
    first, step, last = 1, 1, 0
    if len(numbers) == 1:
        last = numbers[0]
    elif len(numbers) == 2:
        first, last = numbers
    elif len(numbers) == 3:
        first, step, last = numbers
    else:
        _err(fds, "seq: missing operand")
        return 1
    value, batch = first, []
    while (step > 0 and value <= last) or (step < 0 and value >= last):
        batch.append(b"%d\n" % value)
        value += step
        if len(batch) >= 1000:
            fds[1].write(b"".join(batch))
            batch = []
            await sh.check_signals()
    fds[1].write(b"".join(batch))
    return 0


def _test(sh: Shell, args: List[str]) -> bool:
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
async def test(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            _err(fds, f"{sh.name}: missing ]")
            return 2
        args = args[:-1]
    try:
        return 0 if _test(sh, args) else 1
    except ValueError as exc:
        _err(fds, f"{sh.name}: {exc}")
        return 2


def _signal_number(text: str) -> int:
    text = text.upper()
    if text.isdigit():
        return int(text)
    if text.startswith("SIG"):
        text = text[3:]
    if text not in SIGNALS:
        raise ValueError(text)
    return SIGNALS[text]


@builtin("kill")
async def kill(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    args, signum = argv[1:], 15
    try:
        if args and args[0] == "-s" and len(args) > 1:
            signum = _signal_number(args[1])
            args = args[2:]
        elif args and args[0].startswith("-") and args[0] != "--":
            signum = _signal_number(args[0][1:])
            args = args[1:]
    except ValueError as exc:
        _err(fds, f"kill: bad signal name '{exc}'")
        return 1
    if not args:
        _err(fds, "kill: usage: kill [-s sigspec | -signum] pid")
        return 2
    status = 0
    for pid in args:
        if pid == "1":
            sh.pid1.signal(signum)
        elif pid not in ("$$",):
            _err(fds, f"{sh.name}: kill: ({pid}) - No such process")
            status = 1
    return status


@builtin("pgrep", "pidof")
async def pgrep(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
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
async def id_(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write(b"0\n" if any(a in ("-u", "-g") for a in argv[1:]) else b"uid=0(root) gid=0(root) groups=0(root)\n")
    return 0


@builtin("whoami")
async def whoami(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write(b"root\n")
    return 0


@builtin("hostname")
async def hostname(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fds[1].write((sh.vars.get("HOSTNAME", "localhost") + "\n").encode())
    return 0


@builtin("date")
async def date(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    fmt = next((a[1:] for a in argv[1:] if a.startswith("+")), "%a %b %e %H:%M:%S UTC %Y")
    fds[1].write((time.strftime(fmt, time.gmtime()) + "\n").encode())
    return 0


@builtin("trap")
async def trap(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) < 3:
        return 0
    action = argv[1]
    for name in argv[2:]:
        try:
            sh.traps[_signal_number(name)] = action
        except ValueError:
            _err(fds, f"trap: {name}: bad trap")
            return 1
    return 0


@builtin("read")
async def read(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
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
async def exec_(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) == 1:
        return 0
    raise ShellExit(await sh._invoke(argv[1:], stdin, fds))


@builtin("basename")
async def basename(sh: Shell, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) > 1:
        fds[1].write((argv[1].rstrip("/").rsplit("/", 1)[-1] + "\n").encode())
    return 0
