"""The simulated scheduler, image puller and kubelet: drive each pod's status through its lifecycle.

Per pod, one asyncio task walks Pending -> scheduled -> ContainerCreating -> Running -> Succeeded/Failed, writing
status and Events as it goes, with timings and failures taken from the matching :class:`PodScenario`. The pod
stays Running while any container runs (e.g. the xcom sidecar until it is killed through exec), as on a real node.
``restartPolicy`` is treated as ``Never``: containers are not restarted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from typing import Any, Callable

from airflow_provider_composer_pod.testing import clock
from airflow_provider_composer_pod.testing.apiserver.resources import PODS
from airflow_provider_composer_pod.testing.kubelet.container_lifecycle import ContainerLifecycle
from airflow_provider_composer_pod.testing.kubelet.containers import digest
from airflow_provider_composer_pod.testing.kubelet.podenv import volume_files
from airflow_provider_composer_pod.testing.runtime.vfs import MemoryFS, make_disk_root, remove_tree

log = logging.getLogger(__name__)
SCHEDULER = "default-scheduler"
EVICTION_MESSAGE = (
    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 20Mi. Container %s was using "
    "1Gi, request is 0, has larger consumption of memory. "
)


class PodRun(ContainerLifecycle):
    """One pod on the simulated node: scheduling, volumes, its containers in order, and disruptions."""

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
            self.kubelet.store.bind(self.namespace, self.name, self.node_name)
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
            "Preempted by pod {} on node {}".format(digest(self.uid)[:8] + "-preemptor", self.node_name),
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
