"""The cluster side of the lane: ``composer-pod emulator`` as a user runs it, and every pod it ever held.

The pods are seen as a user would see them, through the kubernetes client with the emulator's kube config: a list,
then a watch from that list's resourceVersion, on a thread of the test process. Each pod is kept by uid with its labels
and whether it was deleted, so a scenario can count the pods a task created even after the operator deleted them.
"""

from __future__ import annotations

import base64
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from tests.airflow.processes import Process

NAMESPACE = "composer-user-workloads"


@dataclass
class SeenPod:
    name: str
    labels: Dict[str, str]
    deleted: bool = False


class Cluster:
    def __init__(self, root: Path, log_dir: Path, env: Dict[str, str]) -> None:
        self.kubeconfig = root / "kubeconfig.yaml"
        command = [
            str(Path(sys.executable).with_name("composer-pod")),
            "emulator",
            "--kubeconfig",
            str(self.kubeconfig),
            "--namespace",
            NAMESPACE,
        ]
        self.process = Process("emulator", command, env, log_dir)
        self.pods: Dict[str, SeenPod] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lane-pod-watch", daemon=True)
        self.core: Any = None

    def start(self) -> Cluster:
        self.process.start()
        deadline = time.monotonic() + 60
        while not (self.kubeconfig.exists() and "export KUBECONFIG" in self.process.log()):
            if not self.process.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"composer-pod emulator did not start:\n{self.process.log()[-3000:]}")
            time.sleep(0.1)
        from kubernetes import client, config

        self.core = client.CoreV1Api(config.new_client_from_config(str(self.kubeconfig)))
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.process.stop()
        self._thread.join(timeout=10)

    def create_secret(self, name: str, data: Dict[str, str]) -> None:
        encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
        body = {"metadata": {"name": name}, "data": encoded}
        self.core.create_namespaced_secret(NAMESPACE, body)

    def pods_of(self, dag_id: str, task_id: str = "", run_id: str = "") -> List[SeenPod]:
        """Every pod the emulator held for this task (``run_id`` matched as KPO's label value)."""
        with self._lock:
            pods = list(self.pods.values())
        wanted = {"dag_id": dag_id, "task_id": task_id, "run_id": run_id}
        return [pod for pod in pods if all(pod.labels.get(key) == value for key, value in wanted.items() if value)]

    def _record(self, pod: Any, deleted: bool) -> None:
        with self._lock:
            seen = self.pods.setdefault(pod.metadata.uid, SeenPod(pod.metadata.name, dict(pod.metadata.labels or {})))
            seen.deleted = seen.deleted or deleted

    def _watch(self) -> None:
        from kubernetes import watch

        version = ""
        while not self._stop.is_set():
            try:
                if not version:
                    listed = self.core.list_namespaced_pod(NAMESPACE)
                    for pod in listed.items:
                        self._record(pod, deleted=False)
                    version = listed.metadata.resource_version
                # Each watch resumes where the last one ended, so no pod created and deleted in between is missed.
                for event in watch.Watch().stream(
                    self.core.list_namespaced_pod, NAMESPACE, resource_version=version, timeout_seconds=5
                ):
                    self._record(event["object"], deleted=event["type"] == "DELETED")
                    version = event["object"].metadata.resource_version
            except Exception:  # the emulator stopping, an expired resourceVersion: list again
                version = ""
                time.sleep(0.2)
