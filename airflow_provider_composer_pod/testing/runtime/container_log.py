"""Container logs as the kubelet keeps them: one timestamp per line, partial lines merged as CRI does.

The runtimes write a container's output here; the API server's ``pods/{name}/log`` endpoint (``apiserver/logs.py``)
streams it.
"""

from __future__ import annotations

import asyncio
from typing import Dict, List, Optional, Tuple

from airflow_provider_composer_pod.testing import clock

Entry = Tuple[int, int, bytes]  # (timestamp ns, stream fd, line bytes including "\n" when complete)


class ContainerLog:
    """Lines of one container, with a condition so ``follow`` readers wake on new output or exit."""

    def __init__(self) -> None:
        self.entries: List[Entry] = []
        self.finished = False
        self._partial: Dict[int, Tuple[int, bytearray]] = {}
        self.changed = asyncio.Event()

    def write(self, fd: int, data: bytes, timestamp_ns: Optional[int] = None) -> None:
        """Split into lines; a line keeps the timestamp of its first byte, like CRI partial-line merging.

        ``timestamp_ns`` stamps every line this write starts with one time, as a runtime reading several lines in
        one go on a coarse clock does (several log lines then share a timestamp).
        """
        if self.finished or not data:
            return
        started, buffer = self._partial.get(fd, (timestamp_ns or clock.now_ns(), bytearray()))
        buffer.extend(data)
        while b"\n" in buffer:
            index = buffer.index(b"\n")
            self.entries.append((started, fd, bytes(buffer[: index + 1])))
            del buffer[: index + 1]
            started = timestamp_ns or clock.now_ns()
        if buffer:
            self._partial[fd] = (started, buffer)
        else:
            self._partial.pop(fd, None)
        self._wake()

    def finish(self) -> None:
        for fd, (started, buffer) in sorted(self._partial.items(), key=lambda i: i[1][0]):
            self.entries.append((started, fd, bytes(buffer)))
        self._partial.clear()
        self.finished = True
        self._wake()

    def _wake(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def text(self) -> str:
        return b"".join(e[2] for e in self.entries).decode("utf-8", "replace")
