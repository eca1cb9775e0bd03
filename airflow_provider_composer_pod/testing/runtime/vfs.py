"""Container filesystems: what ``cat``, ``>`` and ``[ -s FILE ]`` see inside a simulated container.

Each container has a private root; volume mounts (emptyDir, Secret, ConfigMap) map a path prefix onto storage
shared by the pod, so a file the main container writes to ``/airflow/xcom/return.json`` is what the xcom sidecar
reads. The in-memory backend serves the built-in runtime; the disk backend serves the host runtime, where each
container root is a scratch directory and mounts are symlinks into per-pod volume directories.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from typing import Dict, List, Optional, Set, Tuple


class FileSystem:
    """The interface the shell interpreter uses; paths are absolute container paths."""

    def read(self, path: str) -> Optional[bytes]:
        raise NotImplementedError

    def write(self, path: str, data: bytes, append: bool = False) -> None:
        raise NotImplementedError

    def is_dir(self, path: str) -> bool:
        raise NotImplementedError

    def mkdir(self, path: str) -> None:
        raise NotImplementedError

    def listdir(self, path: str) -> List[str]:
        raise NotImplementedError

    def remove(self, path: str) -> bool:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        return self.read(path) is not None or self.is_dir(path)


def normalize(path: str, cwd: str = "/") -> str:
    return posixpath.normpath(posixpath.join(cwd, path)) if path else cwd


# Directories every image has; writing ``/dev/termination-log`` or ``/tmp/x`` must just work.
STANDARD_DIRS = (
    "/bin",
    "/dev",
    "/etc",
    "/home",
    "/opt",
    "/proc",
    "/root",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/var",
    "/var/log",
)


class PodVolumes:
    """In-memory storage shared by a pod's containers: ``(space, relative path) -> bytes``."""

    def __init__(self) -> None:
        self.files: Dict[Tuple[str, str], bytes] = {}
        self.dirs: Set[Tuple[str, str]] = set()


class MemoryFS(FileSystem):
    """One container's view: a private space plus mounts onto shared volume spaces."""

    def __init__(self, volumes: PodVolumes, container: str, mounts: List[Tuple[str, str]]) -> None:
        self.volumes = volumes
        self.private = "container:" + container
        # Longest mount path first so nested mounts win.
        self.mounts = sorted(((normalize(p), "volume:" + v) for p, v in mounts), key=lambda m: -len(m[0]))
        for directory in STANDARD_DIRS:
            self.volumes.dirs.add((self.private, directory))

    def _resolve(self, path: str) -> Tuple[str, str]:
        path = normalize(path)
        for mount_path, space in self.mounts:
            if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
                return space, "/" + path[len(mount_path) :].lstrip("/")
        return self.private, path

    def read(self, path: str) -> Optional[bytes]:
        return self.volumes.files.get(self._resolve(path))

    def write(self, path: str, data: bytes, append: bool = False) -> None:
        key = self._resolve(path)
        self.volumes.files[key] = (self.volumes.files.get(key, b"") if append else b"") + data

    def is_dir(self, path: str) -> bool:
        path = normalize(path)
        if path == "/" or any(path == m for m, _ in self.mounts):
            return True
        space, rel = self._resolve(path)
        if (space, rel) in self.volumes.dirs or rel == "/":
            return True
        prefix = rel.rstrip("/") + "/"
        return any(s == space and p.startswith(prefix) for s, p in self.volumes.files) or any(
            m.startswith(path.rstrip("/") + "/") for m, _ in self.mounts
        )

    def mkdir(self, path: str) -> None:
        self.volumes.dirs.add(self._resolve(path))

    def listdir(self, path: str) -> List[str]:
        space, rel = self._resolve(path)
        prefix = rel.rstrip("/") + "/"
        names = set()
        for s, p in list(self.volumes.files) + list(self.volumes.dirs):
            if s == space and p.startswith(prefix) and p != prefix:
                names.add(p[len(prefix) :].split("/")[0])
        return sorted(names)

    def remove(self, path: str) -> bool:
        return self.volumes.files.pop(self._resolve(path), None) is not None


class DiskFS(FileSystem):
    """A scratch directory standing in for the container root; mounts are symlinks created by the runtime."""

    def __init__(self, root: str) -> None:
        self.root = root

    def host_path(self, path: str) -> str:
        """Map a container path under the scratch root (``/airflow/xcom`` -> ``<root>/airflow/xcom``)."""
        return os.path.join(self.root, normalize(path).lstrip("/"))

    def read(self, path: str) -> Optional[bytes]:
        try:
            with open(self.host_path(path), "rb") as handle:
                return handle.read()
        except OSError:
            return None

    def write(self, path: str, data: bytes, append: bool = False) -> None:
        target = self.host_path(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "ab" if append else "wb") as handle:
            handle.write(data)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(self.host_path(path))

    def mkdir(self, path: str) -> None:
        os.makedirs(self.host_path(path), exist_ok=True)

    def listdir(self, path: str) -> List[str]:
        try:
            return sorted(os.listdir(self.host_path(path)))
        except OSError:
            return []

    def remove(self, path: str) -> bool:
        try:
            os.remove(self.host_path(path))
            return True
        except OSError:
            return False


def make_disk_root(base: str, container: str, mounts: List[Tuple[str, str]]) -> DiskFS:
    """Create ``<base>/containers/<name>`` with symlinks ``<root><mountPath> -> <base>/volumes/<volume>``."""
    root = os.path.join(base, "containers", container)
    for directory in STANDARD_DIRS:
        os.makedirs(os.path.join(root, directory.lstrip("/")), exist_ok=True)
    for mount_path, volume in mounts:
        shared = os.path.join(base, "volumes", volume)
        os.makedirs(shared, exist_ok=True)
        link = os.path.join(root, normalize(mount_path).lstrip("/"))
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link) or os.path.exists(link):
            continue
        os.symlink(shared, link)
    return DiskFS(root)


def remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
