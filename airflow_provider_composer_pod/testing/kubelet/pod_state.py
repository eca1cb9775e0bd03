"""One pod on the simulated node: its state, and the status and conditions written to the store from it.

:class:`PodState` is the base of :class:`~.pod.PodRun`; :mod:`.container_lifecycle` and :mod:`.pod` add the behaviour.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Optional, Protocol, Set

from airflow_provider_composer_pod.testing import clock
from airflow_provider_composer_pod.testing.apiserver.resources import PODS
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store
from airflow_provider_composer_pod.testing.kubelet.containers import ContainerRun
from airflow_provider_composer_pod.testing.kubelet.events import EventRecorder
from airflow_provider_composer_pod.testing.kubelet.scenarios import PodScenario, resolve
from airflow_provider_composer_pod.testing.runtime.vfs import PodVolumes


class KubeletApi(Protocol):
    """The part of the :class:`~.kubelet.Kubelet` a pod uses: the node it runs on, the store, scenarios, time scale."""

    store: Store
    scenarios: Callable[[], List[PodScenario]]
    time_scale: Callable[[], float]
    default_runtime: str
    node_name: str
    host_ip: str
    recorder: EventRecorder
    pulled_images: Set[str]
    scratch_dir: Optional[str]

    def allocate_ip(self) -> str: ...


class PodState:
    """One pod on the simulated node."""

    def __init__(self, kubelet: KubeletApi, pod: Obj) -> None:
        self.kubelet = kubelet
        self.pod = pod
        self.namespace: str = pod["metadata"]["namespace"]
        self.name: str = pod["metadata"]["name"]
        self.uid: str = pod["metadata"]["uid"]
        spec = pod.get("spec") or {}
        self.init_containers = [ContainerRun(c, True) for c in spec.get("initContainers") or []]
        self.containers = [ContainerRun(c, False) for c in spec.get("containers") or []]
        self.settings = resolve(kubelet.scenarios(), pod)
        for run in self.init_containers + self.containers:
            run.settings = resolve(kubelet.scenarios(), pod, run.spec)
        self.scheduled = asyncio.Event()
        self.node_name = ""
        self.conditions: Dict[str, Dict[str, Any]] = {}
        self.phase: Optional[str] = None
        self.reason: Optional[str] = None
        self.message: Optional[str] = None
        self.start_time: Optional[str] = None
        self.pod_ip = ""
        self.volumes = PodVolumes()
        self.disk_base: Optional[str] = None
        self.task: Optional[asyncio.Task[None]] = None
        self.side_tasks: List[asyncio.Task[Any]] = []
        self.container_tasks: List[asyncio.Task[Any]] = []
        self.finished = False
        self.deleting = False
        self.uses_host = any(
            ((r.settings.runtime if r.settings else None) or kubelet.default_runtime) == "host" for r in self.all_runs()
        )

    # ------------------------------------------------------------------------------------------ helpers
    def all_runs(self) -> List[ContainerRun]:
        return self.init_containers + self.containers

    def find(self, name: str) -> Optional[ContainerRun]:
        return next((r for r in self.all_runs() if r.name == name), None)

    async def sleep(self, seconds: Optional[float]) -> None:
        await asyncio.sleep(max(0.0, (seconds or 0.0) * self.kubelet.time_scale()))

    def event(
        self,
        reason: str,
        message: str,
        type_: str = "Normal",
        component: str = "kubelet",
        container: Optional[str] = None,
        action: Optional[str] = None,
    ) -> None:
        host = self.node_name or self.kubelet.node_name
        self.kubelet.recorder.record(self.current(), reason, message, type_, component, container, host, action)

    def current(self) -> Obj:
        latest = self.kubelet.store.find(PODS, self.namespace, self.name)
        if latest is not None and latest["metadata"]["uid"] == self.uid:
            self.pod = latest
        return self.pod

    def set_condition(
        self, type_: str, status: str, reason: Optional[str] = None, message: Optional[str] = None
    ) -> None:
        old = self.conditions.get(type_)
        condition: Dict[str, Any] = {"type": type_, "status": status, "lastProbeTime": None}
        condition["lastTransitionTime"] = (
            old["lastTransitionTime"] if old and old["status"] == status else clock.rfc3339()
        )
        if reason:
            condition["reason"] = reason
        if message:
            condition["message"] = message
        self.conditions[type_] = condition

    def computed_phase(self) -> str:
        if self.phase:
            return self.phase
        if not self.node_name:
            return "Pending"
        if any(not (r.terminated and r.state["terminated"].get("exitCode") == 0) for r in self.init_containers):
            return "Pending"
        if any("waiting" in r.state for r in self.containers):
            return "Pending"
        if all(r.terminated for r in self.containers):
            failed = any(r.state["terminated"].get("exitCode") != 0 for r in self.containers)
            return "Failed" if failed else "Succeeded"
        return "Running"

    def _readiness(self) -> None:
        if not self.node_name:
            return
        phase = self.computed_phase()
        pending_init = [
            r.name for r in self.init_containers if not (r.terminated and r.state["terminated"].get("exitCode") == 0)
        ]
        if pending_init and phase not in ("Succeeded", "Failed"):
            self.set_condition(
                "Initialized",
                "False",
                "ContainersNotInitialized",
                "containers with incomplete status: [{}]".format(" ".join(pending_init)),
            )
        else:
            self.set_condition("Initialized", "True")
        unready = [r.name for r in self.containers if not r.ready]
        if not unready:
            self.set_condition("ContainersReady", "True")
            self.set_condition("Ready", "True")
        elif phase in ("Succeeded", "Failed"):
            self.set_condition("ContainersReady", "False", "PodCompleted")
            self.set_condition("Ready", "False", "PodCompleted")
        else:
            message = "containers with unready status: [{}]".format(" ".join(unready))
            self.set_condition("ContainersReady", "False", "ContainersNotReady", message)
            self.set_condition("Ready", "False", "ContainersNotReady", message)

    def sync(self) -> None:
        """Write the computed status to the store (a MODIFIED event when anything changed)."""
        latest = self.kubelet.store.find(PODS, self.namespace, self.name)
        if latest is None:
            return
        if latest["metadata"]["uid"] == self.uid:  # as current() does, without a second copy
            self.pod = latest
        current = self.pod
        self._readiness()
        status: Dict[str, Any] = {"phase": self.computed_phase()}
        order = [
            "DisruptionTarget",
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        ]
        conditions = [self.conditions[t] for t in order if t in self.conditions]
        if conditions:
            status["conditions"] = conditions
        if self.reason:
            status["reason"] = self.reason
        if self.message:
            status["message"] = self.message
        if self.node_name:
            status["hostIP"] = self.kubelet.host_ip
            status["hostIPs"] = [{"ip": self.kubelet.host_ip}]
            if self.pod_ip:
                status["podIP"] = self.pod_ip
                status["podIPs"] = [{"ip": self.pod_ip}]
            status["startTime"] = self.start_time
            if self.init_containers:
                status["initContainerStatuses"] = [r.status() for r in self.init_containers]
            status["containerStatuses"] = [r.status() for r in self.containers]
        status["qosClass"] = (current.get("status") or {}).get("qosClass", "BestEffort")
        if self.conditions.get("PodScheduled", {}).get("reason") == "Unschedulable" and not self.node_name:
            status.pop("startTime", None)
        self.kubelet.store.set_status(PODS, self.namespace, self.name, status)
