"""Commands that print and filter text: echo, printf, cat, head, tail, wc, seq, basename."""

from __future__ import annotations

import re
from typing import Any, Dict, List

from airflow_provider_composer_pod.testing.runtime.builtins.common import err, registrar
from airflow_provider_composer_pod.testing.runtime.shell_types import Builtin, Fds, ShellApi
from airflow_provider_composer_pod.testing.runtime.vfs import normalize

COMMANDS: Dict[str, Builtin] = {}
builtin = registrar(COMMANDS)


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
async def echo(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
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
async def printf(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) < 2:
        err(fds, "printf: usage: printf format [arguments]")
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
                    err(fds, f"printf: {value}: invalid number")
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


def _read_inputs(sh: ShellApi, names: List[str], stdin: bytes, fds: Fds, tool: str) -> tuple[List[bytes], int]:
    if not names:
        return [stdin], 0
    chunks, status = [], 0
    for name in names:
        if name == "-":
            chunks.append(stdin)
            continue
        path = normalize(name, sh.cwd)
        if sh.fs.is_dir(path):
            err(fds, f"{tool}: read error: Is a directory")
            status = 1
            continue
        content = sh.fs.read(path)
        if content is None:
            err(fds, f"{tool}: can't open '{name}': No such file or directory")
            status = 1
            continue
        chunks.append(content)
    return chunks, status


@builtin("cat")
async def cat(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    chunks, status = _read_inputs(sh, [a for a in argv[1:] if a != "-u"], stdin, fds, "cat")
    for chunk in chunks:
        fds[1].write(chunk)
    return status


@builtin("head", "tail")
async def head_tail(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
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
async def wc(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    names = [a for a in argv[1:] if not a.startswith("-")]
    chunks, status = _read_inputs(sh, names, stdin, fds, "wc")
    data = b"".join(chunks)
    if "-c" in argv:
        fds[1].write(b"%d\n" % len(data))
    else:
        fds[1].write(b"%d\n" % data.count(b"\n"))
    return status


@builtin("seq")
async def seq(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    try:
        numbers = [int(a) for a in argv[1:]]
    except ValueError:
        err(fds, "seq: invalid number '{}'".format(" ".join(argv[1:])))
        return 1
    first, step, last = 1, 1, 0
    if len(numbers) == 1:
        last = numbers[0]
    elif len(numbers) == 2:
        first, last = numbers
    elif len(numbers) == 3:
        first, step, last = numbers
    else:
        err(fds, "seq: missing operand")
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


@builtin("basename")
async def basename(sh: ShellApi, argv: List[str], stdin: bytes, fds: Fds) -> int:
    if len(argv) > 1:
        fds[1].write((argv[1].rstrip("/").rsplit("/", 1)[-1] + "\n").encode())
    return 0
