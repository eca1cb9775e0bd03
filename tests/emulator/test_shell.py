"""The built-in runtime's shell subset, without a server."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest

from airflow_provider_composer_pod.testing.runtime.runners import make_sleep
from airflow_provider_composer_pod.testing.runtime.shell import Shell
from airflow_provider_composer_pod.testing.runtime.shell_types import Process
from airflow_provider_composer_pod.testing.runtime.vfs import MemoryFS, PodVolumes


def _run(argv: List[str], env: Dict[str, str] = None) -> Tuple[int, str, str]:  # type: ignore[assignment]
    out: List[Tuple[int, bytes]] = []

    async def main() -> int:
        fs = MemoryFS(PodVolumes(), "c", [("/data", "data")])
        shell = Shell(fs, dict(env or {}), lambda fd, d: out.append((fd, d)), make_sleep(lambda: 0.001), Process(argv))
        return await shell.run_argv(argv)

    code = asyncio.run(main())
    stdout = b"".join(d for fd, d in out if fd == 1).decode()
    stderr = b"".join(d for fd, d in out if fd == 2).decode()
    return code, stdout, stderr


@pytest.mark.parametrize(
    ("script", "env", "stdout", "code"),
    [
        pytest.param('echo "a  b" c', {}, "a  b c\n", 0, id="quoting"),
        pytest.param("echo -n x; echo -e 'y\\tz'", {}, "xy\tz\n", 0, id="echo-flags"),
        pytest.param("printf '%s=%d\\n' a 1 b 2", {}, "a=1\nb=2\n", 0, id="printf-reuse"),
        pytest.param("echo $FOO ${FOO}x ${MISSING:-dflt}", {"FOO": "v"}, "v vx dflt\n", 0, id="expansion"),
        pytest.param("X=$(echo sub); echo $X `echo tick`", {}, "sub tick\n", 0, id="substitution"),
        pytest.param("false || echo or; true && echo and; false; echo $?", {}, "or\nand\n1\n", 0, id="and-or"),
        pytest.param("set -e; echo one; false; echo never", {}, "one\n", 1, id="errexit"),
        pytest.param("exit 7", {}, "", 7, id="exit"),
        pytest.param("echo hi > /data/f; echo more >> /data/f; cat /data/f", {}, "hi\nmore\n", 0, id="redirects"),
        pytest.param("mkdir -p /a/b && [ -d /a/b ] && echo dir", {}, "dir\n", 0, id="mkdir-test"),
        pytest.param("seq 3; seq 2 2 6", {}, "1\n2\n3\n2\n4\n6\n", 0, id="seq"),
        pytest.param(
            "for i in 1 2; do echo i$i; done; n=0; while [ $n -lt 2 ]; do n=$((n+1)); done; echo $n",
            {},
            "i1\ni2\n2\n",
            0,
            id="loops",
        ),
        pytest.param(
            "if [ -s /nope ]; then echo y; elif true; then echo elif; else echo n; fi", {}, "elif\n", 0, id="if"
        ),
        pytest.param("env", {"A": "1"}, "A=1\n", 0, id="env"),
        pytest.param("p=/proc/12/comm; echo ${p%/comm} ${p##*/}", {}, "/proc/12 comm\n", 0, id="param-strip"),
        pytest.param("seq 5 | tail -n 2", {}, "4\n5\n", 0, id="pipe"),
    ],
)
def test_shell_subset(script: str, env: Dict[str, str], stdout: str, code: int) -> None:
    result = _run(["sh", "-c", script], env)

    assert result[:2] == (code, stdout)


def test_xtrace_goes_to_stderr() -> None:
    code, stdout, stderr = _run(["bash", "-cx", "echo 'a b'"])

    assert (code, stdout, stderr) == (0, "a b\n", "+ echo 'a b'\n")


def test_unknown_command_is_127() -> None:
    code, _, stderr = _run(["python3", "-c", "print(1)"])

    assert code == 127
    assert stderr.startswith("sh: python3: not found\n")


def test_syntax_error_is_2() -> None:
    code, _, stderr = _run(["sh", "-c", "if true; then echo"])

    assert code == 2
    assert "syntax error" in stderr


def test_trap_turns_sigint_into_clean_exit() -> None:
    async def main() -> int:
        process = Process(["sh", "-c", 'trap "exit 0" INT; while true; do sleep 1; done'])
        shell = Shell(MemoryFS(PodVolumes(), "c", []), {}, lambda fd, d: None, make_sleep(lambda: 0.01), process)
        task = asyncio.ensure_future(shell.run_argv(process.argv))
        await asyncio.sleep(0.05)
        process.signal(2)
        return await asyncio.wait_for(task, 2)

    assert asyncio.run(main()) == 0


def test_untrapped_sigterm_is_143() -> None:
    async def main() -> Any:
        process = Process(["sh", "-c", "sleep 100"])
        shell = Shell(MemoryFS(PodVolumes(), "c", []), {}, lambda fd, d: None, make_sleep(lambda: 1.0), process)
        task = asyncio.ensure_future(shell.run_argv(process.argv))
        await asyncio.sleep(0.05)
        process.signal(15)
        return await asyncio.wait_for(task, 2)

    assert asyncio.run(main()) == 143
