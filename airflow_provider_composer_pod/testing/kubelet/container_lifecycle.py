"""A pod's containers, one at a time: image pull, environment, start, the runtime, and termination."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from airflow_provider_composer_pod.testing import clock
from airflow_provider_composer_pod.testing.kubelet.containers import ContainerRun, digest, normalize_image
from airflow_provider_composer_pod.testing.kubelet.pod_state import PodState
from airflow_provider_composer_pod.testing.kubelet.podenv import container_env, expand
from airflow_provider_composer_pod.testing.kubelet.scenarios import Settings
from airflow_provider_composer_pod.testing.runtime.runners import (
    ContainerContext,
    make_sleep,
    run_builtin,
    run_entrypoint,
    run_host,
)
from airflow_provider_composer_pod.testing.runtime.shell_types import Process


class ContainerLifecycle(PodState):
    """Runs each container of the pod through pull, create, start and exit (or OOM kill)."""

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
        run.container_id = "containerd://" + digest(self.uid + run.name)
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
