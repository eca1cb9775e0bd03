"""One container on the simulated node: its status block as the kubelet reports it, its log and PID 1."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, Callable, Dict, List, Optional

from airflow_provider_composer_pod.testing.kubelet.scenarios import Settings
from airflow_provider_composer_pod.testing.runtime.container_log import ContainerLog
from airflow_provider_composer_pod.testing.runtime.shell_types import Process
from airflow_provider_composer_pod.testing.runtime.vfs import FileSystem


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


def digest(text: str) -> str:
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
            "imageID": "docker.io/{}@sha256:{}".format(image.split(":")[0], digest(image)) if self.created else "",
            "started": self.started,
        }
        if self.container_id:
            block["containerID"] = self.container_id
        return block
