"""``pods/{name}/exec`` over WebSocket with the kubelet's channel protocols (v5, v4, and base64 variants).

Frames are ``[channel byte] + payload`` (binary) or, for ``*.base64.channel.k8s.io``, ``"<digit>" + base64``
text. Channel 0 is stdin, 1 stdout, 2 stderr, 3 the final ``Status``; v5 adds ``[255, channel]`` to close a
channel (stdin EOF). Commands run in the built-in shell against the container's filesystem and environment,
so ``kill -2 1`` (or ``kill -s SIGINT 1``, or ``kill -2 $(pgrep …)``) reaches the container's PID 1.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any, Dict, List, Optional

from aiohttp import WSMsgType, web

from airflow_provider_composer_pod.testing.apiserver import errors
from airflow_provider_composer_pod.testing.apiserver.node import Node
from airflow_provider_composer_pod.testing.apiserver.resources import PODS
from airflow_provider_composer_pod.testing.runtime.shell_types import SHELL_NAMES

PROTOCOLS = (
    "v5.channel.k8s.io",
    "v4.channel.k8s.io",
    "v4.base64.channel.k8s.io",
    "v3.channel.k8s.io",
    "v2.channel.k8s.io",
    "channel.k8s.io",
    "base64.channel.k8s.io",
)
CLOSE_CHANNEL = 255


def exit_status(argv: List[str], code: int) -> Dict[str, Any]:
    """The Status the kubelet writes on channel 3 (``reason: NonZeroExitCode`` with an ``ExitCode`` cause)."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    command = " ".join(argv)
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command [{command}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def pick_container(pod: Dict[str, Any], requested: Optional[str]) -> str:
    """The API server's container defaulting and errors for exec/attach/log."""
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    init_names = [c["name"] for c in spec.get("initContainers") or []]
    name = pod["metadata"]["name"]
    if not requested:
        if len(names) == 1:
            return names[0]
        message = "a container name must be specified for pod {}, choose one of: [{}]".format(name, " ".join(names))
        if init_names:
            message += " or one of the init containers: [{}]".format(" ".join(init_names))
        raise errors.bad_request(message)
    if requested not in names + init_names:
        raise errors.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


class ExecSession:
    def __init__(self, ws: web.WebSocketResponse, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.base64 = "base64" in protocol
        self.outbox: asyncio.Queue[Optional[bytes]] = asyncio.Queue()
        self.stdin = bytearray()
        self.stdin_closed = asyncio.Event()
        self.stdin_changed = asyncio.Event()

    def emit(self, channel: int, data: bytes) -> None:
        if data:
            self.outbox.put_nowait(bytes([channel]) + data)

    async def writer(self) -> None:
        while True:
            frame = await self.outbox.get()
            if frame is None or self.ws.closed:
                return
            try:
                if self.base64:
                    await self.ws.send_str(str(frame[0]) + base64.b64encode(frame[1:]).decode("ascii"))
                else:
                    await self.ws.send_bytes(frame)
            except (ConnectionResetError, RuntimeError):
                return

    async def reader(self) -> None:
        async for message in self.ws:
            if message.type == WSMsgType.BINARY:
                payload: bytes = message.data
            elif message.type == WSMsgType.TEXT:
                text: str = message.data
                if self.base64 and text[:1].isdigit():
                    payload = bytes([int(text[0])]) + base64.b64decode(text[1:])
                else:
                    payload = text.encode("utf-8")
            else:
                break
            if not payload:
                continue
            channel, data = payload[0], payload[1:]
            if channel == CLOSE_CHANNEL and self.protocol.startswith("v5") and data[:1] == b"\x00":
                self.stdin_closed.set()
            elif channel == 0:
                self.stdin.extend(data)
            self.stdin_changed.set()
        self.stdin_closed.set()
        self.stdin_changed.set()


async def handle_exec(
    request: web.Request, kubelet: Node, namespace: str, name: str, record: Optional[Any] = None
) -> web.StreamResponse:
    pod = kubelet.store.get(PODS, namespace, name)
    query = request.rel_url.query
    container = pick_container(pod, query.get("container"))
    argv = query.getall("command", [])
    if not argv:
        raise errors.bad_request("you must specify at least 1 command")
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise errors.bad_request("Upgrade request required")
    run = kubelet.pod_run(namespace, name)
    target = run.find(container) if run is not None else None
    if run is None or target is None or not target.running:
        raise errors.ApiError(500, "InternalError", f'container not found ("{container}")')
    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True)
    await ws.prepare(request)
    if record is not None:
        record.status = 101
    session = ExecSession(ws, ws.ws_protocol or "channel.k8s.io")
    writer = asyncio.ensure_future(session.writer())
    reader = asyncio.ensure_future(session.reader())
    shell = kubelet.exec_shell(run, target, session.emit, argv)
    use_stdin = query.get("stdin") in ("true", "1", "True")
    interactive = use_stdin and argv[0].rsplit("/", 1)[-1] in SHELL_NAMES and "-c" not in "".join(argv[1:2] or [""])

    async def work() -> int:
        if interactive:
            return await _interactive(session, shell)
        stdin = b""
        if use_stdin:
            await session.stdin_closed.wait()
            stdin = bytes(session.stdin)
        return await shell.run_argv(argv, stdin)

    task = asyncio.ensure_future(work())
    killed = asyncio.Event()
    closer = killed.set
    target.exec_closers.append(closer)
    killed_waiter = asyncio.ensure_future(killed.wait())
    try:
        await asyncio.wait([task, killed_waiter], return_when=asyncio.FIRST_COMPLETED)
        killed_waiter.cancel()
        if task.done():
            code = task.result()
        else:
            task.cancel()
            code = 137
        session.emit(3, json.dumps(exit_status(argv, code)).encode())
    finally:
        if closer in target.exec_closers:
            target.exec_closers.remove(closer)
        session.outbox.put_nowait(None)
        await asyncio.wait([writer], timeout=2)
        reader.cancel()
        await ws.close()
    return ws


async def _interactive(session: ExecSession, shell: Any) -> int:
    """``sh`` with stdin: run each complete line as it arrives, until stdin closes."""
    position = 0
    while True:
        data = bytes(session.stdin)
        newline = data.find(b"\n", position)
        if newline >= 0:
            line = data[position:newline].decode("utf-8", "replace")
            position = newline + 1
            shell.status = await shell.run_script(line)
            if shell.exited:
                return shell.status
            continue
        if session.stdin_closed.is_set():
            rest = data[position:].decode("utf-8", "replace")
            if rest.strip():
                shell.status = await shell.run_script(rest)
            return shell.status
        session.stdin_changed.clear()
        await session.stdin_changed.wait()
