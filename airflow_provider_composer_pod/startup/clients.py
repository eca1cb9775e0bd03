"""The API clients of one event loop's pod watches: one per cluster and user, shared by its namespaces' watches.

Each ``kubernetes_asyncio`` client loads the kube config (in a thread) and builds an SSL context and an aiohttp
session: about 35 ms of CPU, and a megabyte when the kube config names no CA and the system's CA store is loaded.
A triggerer waiting in 20 namespaces of one cluster needs one client, not 20. Each watch still holds its own HTTP
connection from the session's pool, whose limit is lifted so that any number of namespaces can watch at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from airflow_provider_composer_pod.kube.cluster import ClusterConnection, close_quietly, new_api_client


@dataclass(eq=False)
class Lease:
    """A watch's use of a shared client; ``api`` once :meth:`ApiClients.acquire` returned it."""

    key: str
    ready: asyncio.Future = field(repr=False)
    users: int = 0

    @property
    def api(self) -> Any:
        return self.ready.result()


class ApiClients:
    """Clients by the connection's key; a client closes when its last watch lets it go."""

    def __init__(self) -> None:
        self._current: Dict[str, Lease] = {}

    def __len__(self) -> int:
        return len(self._current)

    @property
    def users(self) -> int:
        """The watches using the current clients."""
        return sum(lease.users for lease in self._current.values())

    async def acquire(self, connection: ClusterConnection) -> Lease:
        """The cluster's current client (made once, however many watches ask at the same time)."""
        lease = self._current.get(connection.key)
        if lease is None:  # no cap on the pool: each watch holds a connection for as long as it streams
            lease = self._current[connection.key] = Lease(
                connection.key, asyncio.ensure_future(new_api_client(connection, connections=None))
            )
        lease.users += 1
        try:
            await asyncio.shield(lease.ready)
        except BaseException:
            await self.release(lease, renew=lease.ready.done())  # a client that failed to load is not kept
            raise
        return lease

    async def release(self, lease: Optional[Lease], renew: bool = False) -> None:
        """A watch is done with ``lease``; ``renew`` (its credentials expired: 401) makes the next
        :meth:`acquire` load a new client, while the watches still on this one finish with it."""
        if lease is None:
            return
        lease.users -= 1
        if renew and self._current.get(lease.key) is lease:
            del self._current[lease.key]
        if lease.users > 0:
            return
        if self._current.get(lease.key) is lease:
            del self._current[lease.key]
        if not lease.ready.done():
            lease.ready.cancel()
        elif not lease.ready.cancelled() and lease.ready.exception() is None:
            await close_quietly(lease.ready.result())
