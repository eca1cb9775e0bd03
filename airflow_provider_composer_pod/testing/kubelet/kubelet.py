"""The simulated scheduler, image puller and kubelet: drive each pod's status through its lifecycle.

Per pod, one asyncio task walks Pending -> scheduled -> ContainerCreating -> Running -> Succeeded/Failed, writing
status and Events as it goes, with timings and failures taken from the matching :class:`PodScenario`. The pod
stays Running while any container runs (e.g. the xcom sidecar until it is killed through exec), as on a real node.
``restartPolicy`` is treated as ``Never``: containers are not restarted.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from typing import Any, Callable, Dict, List, Optional

from airflow_provider_composer_pod.testing import clock
from airflow_provider_composer_pod.testing.apiserver.resources import PODS
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store
from airflow_provider_composer_pod.testing.kubelet.events import EventRecorder
from airflow_provider_composer_pod.testing.kubelet.podenv import container_env, expand, volume_files
from airflow_provider_composer_pod.testing.kubelet.scenarios import PodScenario, Settings, resolve
from airflow_provider_composer_pod.testing.runtime.container_log import ContainerLog
from airflow_provider_composer_pod.testing.runtime.runners import (
    ContainerContext,
    make_sleep,
    run_builtin,
    run_entrypoint,
    run_host,
)
from airflow_provider_composer_pod.testing.runtime.shell import Shell
from airflow_provider_composer_pod.testing.runtime.shell_types import Process
from airflow_provider_composer_pod.testing.runtime.vfs import (
    FileSystem,
    MemoryFS,
    PodVolumes,
    make_disk_root,
    remove_tree,
)

log = logging.getLogger(__name__)
SCHEDULER = "default-scheduler"
EVICTION_MESSAGE = (
    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 20Mi. Container %s was using "
    "1Gi, request is 0, has larger consumption of memory. "
)


def normalize_image(image: str) -> str:
    """``busybox`` -> ``docker.io/library/busybox:latest``, as containerd reports it in status.image."""
    name = image
    last = name.rsplit("/", 1)[-1]
    if "@" not in last and ":" not in last:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first and first != "localhost":
        name = "docker.io/" + name
    return name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class ContainerRun:
    """Runtime state of one container: its status block, log, PID 1 and open exec sessions."""

    def __init__(self, spec: Dict[str, Any], init: bool) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        self.init = init
        self.state: Dict[str, Any] = {"waiting": {"reason": "ContainerCreating"}}
        self.ready = False
        self.started = False
        self.created = False
        self.container_id = ""
        self.log = ContainerLog()
        self.process: Optional[Process] = None
        self.fs: Optional[FileSystem] = None
        self.env: Dict[str, str] = {}
        self.exec_closers: List[Callable[[], None]] = []
        self.done = asyncio.Event()
        # Set once the kubelet has tried to start the container: it runs, or its image pull failed (then retried).
        self.start_tried = asyncio.Event()
        self.settings: Optional[Settings] = None

    @property
    def running(self) -> bool:
        return "running" in self.state

    @property
    def terminated(self) -> bool:
        return "terminated" in self.state

    def status(self) -> Dict[str, Any]:
        image = self.spec.get("image", "")
        block: Dict[str, Any] = {
            "name": self.name,
            "state": self.state,
            "lastState": {},
            "ready": self.ready,
            "restartCount": 0,
            "image": normalize_image(image),
            "imageID": "docker.io/{}@sha256:{}".format(image.split(":")[0], _digest(image)) if self.created else "",
            "started": self.started,
        }
        if self.container_id:
            block["containerID"] = self.container_id
        return block


class PodRun:
    """One pod on the simulated node."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
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
        if self.kubelet.store.find(PODS, self.namespace, self.name) is None:
            return
        self._readiness()
        current = self.current()
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

    # ---------------------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        self.task = asyncio.ensure_future(self._lifecycle())
        if self.settings.evict_after is not None:
            self.side_tasks.append(asyncio.ensure_future(self._after(self.settings.evict_after, self.evict)))
        if self.settings.preempt_after is not None:
            self.side_tasks.append(asyncio.ensure_future(self._after(self.settings.preempt_after, self.preempt)))
        deadline = (self.pod.get("spec") or {}).get("activeDeadlineSeconds")
        if deadline is not None:
            self.side_tasks.append(asyncio.ensure_future(self._deadline(float(deadline))))

    async def _deadline(self, seconds: float) -> None:
        """``spec.activeDeadlineSeconds``, counted (scaled, like every simulated duration) from the pod's start."""
        await self.scheduled.wait()
        await self.sleep(seconds)
        if not self.finished and not self.deleting:
            await self.deadline_exceeded()

    async def _after(self, seconds: float, action: Callable[[], Any]) -> None:
        await self.sleep(seconds)
        if not self.finished and not self.deleting:
            await self.scheduled.wait()
            result = action()
            if asyncio.iscoroutine(result):
                await result

    async def _lifecycle(self) -> None:
        try:
            await self._schedule()
            if not await self._mount_volumes():
                return
            for run in self.init_containers:
                code = await self._run_container(run)
                if code != 0:
                    self.phase = "Failed"
                    for main in self.containers:
                        main.state = {"waiting": {"reason": "PodInitializing"}}
                    self.sync()
                    return
            self.container_tasks = [asyncio.ensure_future(self._run_container(r)) for r in self.containers]
            await asyncio.gather(*self.container_tasks)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("emulated kubelet failed on pod %s/%s", self.namespace, self.name)
        finally:
            self.finished = all(r.terminated for r in self.containers) or self.phase is not None
            self.sync()

    async def _schedule(self) -> None:
        settings = self.settings
        if settings.unschedulable_for:
            message = (
                "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 nodes "
                "are available: 3 No preemption victims found for incoming pod."
            )
            self.set_condition("PodScheduled", "False", "Unschedulable", message)
            self.sync()
            self.event("FailedScheduling", message, "Warning", SCHEDULER)
            await self.sleep(min(settings.unschedulable_for / 2.0, 1.0))
            if settings.scale_up:
                self.event(
                    "TriggeredScaleUp",
                    "pod triggered scale-up: [{https://www.googleapis.com/compute/v1/projects/emulator/zones/"
                    "us-central1-a/instanceGroups/gke-composer-default-pool-1a2b3c4d-grp 1->2 (max: 6)}]",
                    "Normal",
                    "cluster-autoscaler",
                )
            else:  # no node group the autoscaler could grow fits the pod
                self.event(
                    "NotTriggerScaleUp",
                    "pod didn't trigger scale-up: 1 Insufficient memory, 1 max node group size reached",
                    "Normal",
                    "cluster-autoscaler",
                )
            await self.sleep(settings.unschedulable_for - min(settings.unschedulable_for / 2.0, 1.0))
        else:
            await self.sleep(settings.schedule_delay)
        self.node_name = self.kubelet.node_name
        pod = self.current()
        if not (pod.get("spec") or {}).get("nodeName"):
            pod["spec"]["nodeName"] = self.node_name
            self.kubelet.store.objects["pods"][(self.namespace, self.name)]["spec"]["nodeName"] = self.node_name
        self.set_condition("PodScheduled", "True")
        self.start_time = clock.rfc3339()
        self.event(
            "Scheduled",
            f"Successfully assigned {self.namespace}/{self.name} to {self.node_name}",
            "Normal",
            SCHEDULER,
            action="Binding",
        )
        self.sync()
        self.scheduled.set()

    async def _mount_volumes(self) -> bool:
        """Resolve Secret/ConfigMap volumes; missing ones keep the pod ContainerCreating with FailedMount events."""
        while True:
            files, error = volume_files(self.kubelet.store, self.current())
            if error is None:
                break
            self.event("FailedMount", error, "Warning")
            await self.sleep(self.settings.config_retry_interval)
        if self.uses_host:
            self.disk_base = tempfile.mkdtemp(prefix=f"k8s-emulator-{self.name}-", dir=self.kubelet.scratch_dir)
        for run in self.all_runs():
            mounts = [(m.get("mountPath", ""), m.get("name", "")) for m in run.spec.get("volumeMounts") or []]
            if self.disk_base:
                run.fs = make_disk_root(self.disk_base, run.name, mounts)
            else:
                run.fs = MemoryFS(self.volumes, run.name, mounts)
            for mount_path, volume in mounts:
                run.fs.mkdir(mount_path)
                for rel, data in files.get(volume, {}).items():
                    if run.fs.read(os.path.join(mount_path, rel)) is None:
                        run.fs.write(os.path.join(mount_path, rel), data)
        self.pod_ip = self.kubelet.allocate_ip()
        self.set_condition("PodReadyToStartContainers", "True")
        self.sync()
        return True

    async def _pull(self, run: ContainerRun) -> None:
        settings = run.settings
        assert settings is not None
        image = run.spec.get("image", "")
        policy = run.spec.get("imagePullPolicy", "IfNotPresent")
        cached = image in self.kubelet.pulled_images and policy != "Always"
        if (settings.image_present or cached or policy == "Never") and not settings.pull_error:
            self.event("Pulled", f'Container image "{image}" already present on machine', container=run.name)
            return
        started = asyncio.get_running_loop().time()
        backoff = 0.2
        while True:
            self.event("Pulling", f'Pulling image "{image}"', container=run.name)
            pull_started = asyncio.get_running_loop().time()
            await self.sleep(settings.pull_delay)
            elapsed_sim = (asyncio.get_running_loop().time() - started) / max(self.kubelet.time_scale(), 1e-9)
            failing = settings.pull_error and (settings.pull_error_for is None or elapsed_sim < settings.pull_error_for)
            if not failing:
                took = int((asyncio.get_running_loop().time() - pull_started) * 1000)
                size = 4_000_000 + len(image)
                self.event(
                    "Pulled",
                    f'Successfully pulled image "{image}" in {took}ms ({took}ms including waiting). '
                    f"Image size: {size} bytes.",
                    container=run.name,
                )
                self.kubelet.pulled_images.add(image)
                return
            error = f'failed to pull and unpack image "{normalize_image(image)}": {settings.pull_error}'
            detail = f"rpc error: code = NotFound desc = {error}"
            self.event("Failed", f'Failed to pull image "{image}": {detail}', "Warning", container=run.name)
            self.event("Failed", "Error: ErrImagePull", "Warning", container=run.name)
            run.state = {"waiting": {"reason": "ErrImagePull", "message": detail}}
            self.sync()
            run.start_tried.set()
            await self.sleep(backoff)
            message = f'Back-off pulling image "{image}"'
            self.event("BackOff", message, "Normal", container=run.name)
            self.event("Failed", "Error: ImagePullBackOff", "Warning", container=run.name)
            run.state = {"waiting": {"reason": "ImagePullBackOff", "message": message}}
            self.sync()
            await self.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    async def _resolve_env(self, run: ContainerRun) -> Dict[str, str]:
        assert run.settings is not None
        while True:
            env, error = container_env(self.kubelet.store, self.current(), run.spec)
            if error is None:
                return env
            if run.state.get("waiting", {}).get("reason") != "CreateContainerConfigError":
                run.state = {"waiting": {"reason": "CreateContainerConfigError", "message": error}}
                self.sync()
            self.event("Failed", f"Error: {error}", "Warning", container=run.name)
            await self.sleep(run.settings.config_retry_interval)

    async def _run_container(self, run: ContainerRun) -> int:
        settings = run.settings
        assert settings is not None
        await self._pull(run)
        run.env = await self._resolve_env(run)
        run.created = True
        run.container_id = "containerd://" + _digest(self.uid + run.name)
        self.event("Created", f"Created container: {run.name}", container=run.name)
        await self.sleep(settings.start_delay)
        argv = [expand(a, run.env) for a in (run.spec.get("command") or []) + (run.spec.get("args") or [])]
        run.process = Process(argv)
        run.state = {"running": {"startedAt": clock.rfc3339()}}
        run.started = True
        run.ready = not run.init
        self.event("Started", f"Started container {run.name}", container=run.name)
        self.sync()
        run.start_tried.set()
        if not run.init:
            # The kubelet starts a pod's containers within moments of each other (SyncPod, in spec order), so a quick
            # first container never finishes before its sidecar was tried; hold each process until all were.
            await asyncio.gather(*(other.start_tried.wait() for other in self.containers))
        code, oom = await self._execute(run, argv, settings)
        return self._terminate(run, code, "OOMKilled" if oom else None)

    async def _execute(self, run: ContainerRun, argv: List[str], settings: Settings) -> tuple[int, bool]:
        assert run.process is not None
        assert run.fs is not None
        for line in settings.logs or []:
            run.log.write(1, (line + "\n").encode())
        sleep = make_sleep(self.kubelet.time_scale)
        runtime = settings.runtime or self.kubelet.default_runtime
        workdir = run.spec.get("workingDir") or "/"
        if settings.entrypoint is not None:
            ctx = ContainerContext(
                self.current(), run.spec, argv, run.env, run.fs, run.log, run.process, sleep, asyncio.get_running_loop()
            )
            work = run_entrypoint(settings.entrypoint, ctx)
        elif not argv:
            work = asyncio.sleep(0, result=0)
        elif runtime == "host":
            paths = [m.get("mountPath", "") for m in run.spec.get("volumeMounts") or []]
            paths.append(run.spec.get("terminationMessagePath") or "/dev/termination-log")
            work = run_host(argv, run.env, run.fs, run.log, run.process, paths, run.spec.get("workingDir"))  # type: ignore[arg-type]
        else:
            work = run_builtin(argv, run.env, run.fs, run.log, run.process, sleep, workdir)
        task = asyncio.ensure_future(work)
        started = asyncio.get_running_loop().time()
        oom_at = settings.oom_kill_after
        timeout = None if oom_at is None else oom_at * self.kubelet.time_scale()
        try:
            done, _ = await asyncio.wait([task], timeout=timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if oom_at is not None:
            if not done:
                run.process.signal(9)
                await self._reap(task)
            return 137, True
        code = task.result()
        if settings.run_duration:
            remaining = settings.run_duration * self.kubelet.time_scale() - (
                asyncio.get_running_loop().time() - started
            )
            if remaining > 0:
                await asyncio.sleep(remaining)
        if settings.exit_code is not None:
            code = settings.exit_code
        return code, False

    async def _reap(self, task: asyncio.Future[Any]) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(task), 0.5)
        except (asyncio.TimeoutError, Exception):
            task.cancel()

    def _termination_message(self, run: ContainerRun, code: int) -> str:
        assert run.settings is not None
        if run.settings.termination_message is not None:
            return run.settings.termination_message
        path = run.spec.get("terminationMessagePath") or "/dev/termination-log"
        data = run.fs.read(path) if run.fs is not None else None
        message = (data or b"")[:4096].decode("utf-8", "replace")
        if not message and code != 0 and run.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError":
            lines = run.log.text().splitlines()[-80:]
            message = "\n".join(lines)[-2048:]
        return message

    def _terminate(self, run: ContainerRun, code: int, reason: Optional[str] = None) -> int:
        if run.terminated:
            return run.state["terminated"]["exitCode"]
        started = (run.state.get("running") or {}).get("startedAt")
        terminated: Dict[str, Any] = {
            "exitCode": code,
            "reason": reason or ("Completed" if code == 0 else "Error"),
            "startedAt": started or clock.rfc3339(),
            "finishedAt": clock.rfc3339(),
            "containerID": run.container_id,
        }
        message = self._termination_message(run, code) if run.created else ""
        if message:
            terminated["message"] = message
        if not run.container_id:
            terminated.pop("containerID")
        run.state = {"terminated": terminated}
        run.ready = False
        run.started = False
        run.log.finish()
        run.done.set()
        for closer in list(run.exec_closers):
            closer()
        self.sync()
        return code

    # ------------------------------------------------------------------------------------ disruptions
    async def _stop_containers(self, grace: float, signum: int = 15) -> None:
        running = [r for r in self.all_runs() if r.running and r.process is not None]
        for run in running:
            self.event("Killing", f"Stopping container {run.name}", container=run.name)
            run.process.signal(signum)  # type: ignore[union-attr]
        if running:
            waiters = [asyncio.ensure_future(r.done.wait()) for r in running]
            await asyncio.wait(waiters, timeout=max(grace * self.kubelet.time_scale(), 0.01))
            for waiter in waiters:
                waiter.cancel()
        for run in running:
            if not run.terminated and run.process is not None:
                run.process.signal(9)
        await asyncio.sleep(0.01)

    def _cancel_lifecycle(self) -> None:
        for task in [self.task] + self.container_tasks:
            if task is not None and not task.done():
                task.cancel()

    async def evict(self) -> None:
        main = self.containers[0].name if self.containers else "unknown"
        message = EVICTION_MESSAGE % main
        self.event("Evicted", message, "Warning")
        self.phase, self.reason, self.message = "Failed", "Evicted", message
        self.set_condition("DisruptionTarget", "True", "TerminationByKubelet", message)
        await self._stop_containers(0, 9)
        self._cancel_lifecycle()
        self._kill_remaining(137)
        self.finished = True
        self.sync()

    async def deadline_exceeded(self) -> None:
        """The kubelet's active-deadline handler: kill the containers and fail the pod with DeadlineExceeded."""
        message = "Pod was active on the node longer than the specified deadline"
        self.event("DeadlineExceeded", message, "Warning")
        self.phase, self.reason, self.message = "Failed", "DeadlineExceeded", message
        grace = int((self.current().get("spec") or {}).get("terminationGracePeriodSeconds", 30))
        await self._stop_containers(grace)
        self._cancel_lifecycle()
        self._kill_remaining(137)
        self.finished = True
        self.sync()

    async def preempt(self) -> None:
        """The scheduler preempts the pod for a higher-priority one; it is then deleted gracefully."""
        self.event(
            "Preempted",
            "Preempted by pod {} on node {}".format(_digest(self.uid)[:8] + "-preemptor", self.node_name),
            "Normal",
            SCHEDULER,
            action="Preempting",
        )
        self.set_condition(
            "DisruptionTarget",
            "True",
            "PreemptionByScheduler",
            f"{SCHEDULER}: preempting to accommodate a higher priority pod",
        )
        self.sync()
        grace = int((self.current().get("spec") or {}).get("terminationGracePeriodSeconds", 30))
        self.kubelet.store.mark_deleting(PODS, self.namespace, self.name, grace)

    def _kill_remaining(self, code: int) -> None:
        for run in self.all_runs():
            if run.running:
                self._terminate(run, code)
            elif not run.terminated:
                run.state = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "ContainerStatusUnknown",
                        "message": "The container could not be located when the pod was terminated",
                        "startedAt": None,
                        "finishedAt": None,
                    }
                }
                run.log.finish()
                run.done.set()

    async def delete(self, grace: int) -> None:
        """Graceful deletion: SIGTERM, wait out the grace period, SIGKILL, then remove the object."""
        if self.deleting:
            return
        self.deleting = True
        await self._stop_containers(grace)
        self._cancel_lifecycle()
        self._kill_remaining(137)
        if not self.phase:
            self.phase = self.computed_phase() if all(r.terminated for r in self.containers) else "Failed"
        self.sync()
        self.stop()
        pod = self.kubelet.store.find(PODS, self.namespace, self.name)
        if pod is not None and pod["metadata"]["uid"] == self.uid:
            self.kubelet.store.delete(PODS, self.namespace, self.name)

    def stop(self) -> None:
        """Cancel everything this pod runs (server reset or pod removed)."""
        self._cancel_lifecycle()
        for task in self.side_tasks:
            if not task.done() and task is not asyncio.current_task():
                task.cancel()
        for run in self.all_runs():
            if run.process is not None and not run.terminated:
                run.process.signal(9)
            if not run.log.finished:
                run.log.finish()
            for closer in list(run.exec_closers):
                closer()
        if self.disk_base:
            remove_tree(self.disk_base)
            self.disk_base = None


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
