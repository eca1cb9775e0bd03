"""What the API server asks of the node: the kubelet behind ``pods/{name}/log`` and ``pods/{name}/exec``.

kube-apiserver proxies those subresources to the kubelet's API. Here the API server calls the emulated kubelet
directly, through these protocols, so ``apiserver/`` needs nothing from ``kubelet/`` (which writes pod status and
Events through the API server's store).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Protocol

from airflow_provider_composer_pod.testing.apiserver.store import Store
from airflow_provider_composer_pod.testing.runtime.container_log import ContainerLog
from airflow_provider_composer_pod.testing.runtime.shell import Shell


class ContainerView(Protocol):
    """One container of a pod on the node: its state, its log, and the exec sessions to close when it ends."""

    created: bool
    state: Dict[str, Any]
    log: ContainerLog
    exec_closers: List[Callable[[], None]]

    @property
    def running(self) -> bool: ...


class PodView(Protocol):
    def find(self, name: str) -> Optional[ContainerView]: ...


class Node(Protocol):
    store: Store

    def pod_run(self, namespace: str, name: str) -> Optional[PodView]: ...

    # ``run`` and ``container`` are what pod_run() and find() returned.
    def exec_shell(self, run: Any, container: Any, emit: Callable[[int, bytes], None], argv: List[str]) -> Shell: ...
