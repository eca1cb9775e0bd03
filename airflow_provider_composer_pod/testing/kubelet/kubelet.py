"""The simulated kubelet: starts a :class:`~.pod.PodRun` for each new pod and reacts to deletions and resets."""

from __future__ import annotations

import asyncio
from typing import Callable, Dict, List, Optional

from airflow_provider_composer_pod.testing.apiserver.resources import PODS
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store
from airflow_provider_composer_pod.testing.kubelet.containers import ContainerRun
from airflow_provider_composer_pod.testing.kubelet.events import EventRecorder
from airflow_provider_composer_pod.testing.kubelet.pod import PodRun
from airflow_provider_composer_pod.testing.kubelet.scenarios import PodScenario
from airflow_provider_composer_pod.testing.runtime.runners import make_sleep
from airflow_provider_composer_pod.testing.runtime.shell import Shell
from airflow_provider_composer_pod.testing.runtime.shell_types import Process


class Kubelet:
    """Reacts to pod ADDED / deletionTimestamp / DELETED changes in the store."""

    def __init__(
        self,
        store: Store,
        scenarios: Callable[[], List[PodScenario]],
        time_scale: Callable[[], float],
        default_runtime: str = "builtin",
        node_name: str = "gke-composer-default-pool-1a2b3c4d-x1y2",
    ) -> None:
        self.store = store
        self.scenarios = scenarios
        self.time_scale = time_scale
        self.default_runtime = default_runtime
        self.node_name = node_name
        self.host_ip = "10.128.0.5"
        self.recorder = EventRecorder(store)
        self.pods: Dict[str, PodRun] = {}
        self.pulled_images: set = set()
        self.scratch_dir: Optional[str] = None
        self._next_ip = 10
        store.listeners.append(self._on_change)

    def allocate_ip(self) -> str:
        self._next_ip += 1
        return f"10.8.{self._next_ip // 250}.{self._next_ip % 250 + 2}"

    def reset(self) -> None:
        for run in list(self.pods.values()):
            run.stop()
        self.pods.clear()
        self.pulled_images.clear()
        self.recorder.reset()
        self._next_ip = 10

    def pod_run(self, namespace: str, name: str) -> Optional[PodRun]:
        pod = self.store.find(PODS, namespace, name)
        if pod is None:
            return None
        return self.pods.get(pod["metadata"]["uid"])

    def _on_change(self, type_: str, resource: str, obj: Obj, old: Optional[Obj]) -> None:
        if resource != "pods":
            return
        uid = obj["metadata"]["uid"]
        if type_ == "ADDED":
            run = PodRun(self, obj)
            self.pods[uid] = run
            run.start()
        elif type_ == "MODIFIED" and obj["metadata"].get("deletionTimestamp"):
            existing = self.pods.get(uid)
            if existing is not None and not existing.deleting:
                grace = int(obj["metadata"].get("deletionGracePeriodSeconds") or 0)
                existing.side_tasks.append(asyncio.ensure_future(existing.delete(grace)))
        elif type_ == "DELETED":
            removed = self.pods.pop(uid, None)
            if removed is not None:
                removed.stop()

    def exec_shell(
        self, run: PodRun, container: ContainerRun, emit: Callable[[int, bytes], None], argv: List[str]
    ) -> Shell:
        """A shell in the container's filesystem and environment; ``kill 1`` reaches the container's PID 1."""
        assert container.fs is not None
        assert container.process is not None
        shell = Shell(
            container.fs,
            dict(container.env),
            emit,
            make_sleep(self.time_scale),
            Process(argv),
            cwd=container.spec.get("workingDir") or "/",
        )
        shell.pid1 = container.process
        return shell
