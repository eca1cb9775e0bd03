"""Reading and writing the emulator's objects from a test's thread: CRUD, Secrets, ConfigMaps, pods, logs, files."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from airflow_provider_composer_pod.testing.apiserver.resources import EVENTS, STORED
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store
from airflow_provider_composer_pod.testing.kubelet.kubelet import Kubelet

T = TypeVar("T")


class ObjectHelpers:
    """Part of :class:`~.emulator.KubernetesEmulator`, which mixes it in and provides ``call`` and this state."""

    namespace: str
    kubeconfig_path: str
    store: Store
    kubelet: Kubelet

    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` on the emulator's loop; the emulator provides it."""
        raise NotImplementedError

        # ---------------------------------------------------------------------------------- object helpers

    def _resource(self, resource: str) -> Any:
        try:
            return STORED[resource]
        except KeyError:
            raise ValueError(f"unknown resource {resource!r}; use one of {sorted(STORED)}") from None

    def create(self, resource: str, body: Obj, namespace: Optional[str] = None) -> Obj:
        res = self._resource(resource)
        return self.call(self.store.create, res, (namespace or self.namespace) if res.namespaced else None, body)

    def get(self, resource: str, name: str, namespace: Optional[str] = None) -> Optional[Obj]:
        res = self._resource(resource)
        return self.call(self.store.find, res, (namespace or self.namespace) if res.namespaced else None, name)

    def list(self, resource: str, namespace: Optional[str] = None) -> List[Obj]:
        return self.call(self.store.list, self._resource(resource), namespace)

    def delete(self, resource: str, name: str, namespace: Optional[str] = None) -> Obj:
        res = self._resource(resource)
        return self.call(self.store.delete, res, (namespace or self.namespace) if res.namespaced else None, name)

    def create_secret(self, name: str, string_data: Dict[str, str], namespace: Optional[str] = None) -> Obj:
        return self.create("secrets", {"metadata": {"name": name}, "stringData": string_data}, namespace)

    def create_config_map(self, name: str, data: Dict[str, str], namespace: Optional[str] = None) -> Obj:
        return self.create("configmaps", {"metadata": {"name": name}, "data": data}, namespace)

    def pod(self, name: str, namespace: Optional[str] = None) -> Optional[Obj]:
        return self.get("pods", name, namespace)

    def wait_for_pod(
        self,
        name: str,
        namespace: Optional[str] = None,
        phases: Tuple[str, ...] = ("Succeeded", "Failed"),
        timeout: float = 10.0,
        predicate: Optional[Callable[[Obj], bool]] = None,
    ) -> Obj:
        """Poll until the pod is in one of ``phases`` (or ``predicate`` holds); ``TimeoutError`` otherwise."""
        deadline = time.monotonic() + timeout
        last: Optional[Obj] = None
        while time.monotonic() < deadline:
            last = self.pod(name, namespace)
            if last is not None:
                if predicate is not None and predicate(last):
                    return last
                if predicate is None and (last.get("status") or {}).get("phase") in phases:
                    return last
            time.sleep(0.02)
        raise TimeoutError(
            "pod {} did not reach {} within {}s; last status: {}".format(
                name, predicate or phases, timeout, (last or {}).get("status")
            )
        )

    def events(self, namespace: Optional[str] = None, involved_name: Optional[str] = None) -> List[Obj]:
        items = self.call(self.store.list, EVENTS, namespace)
        return [e for e in items if involved_name is None or e["involvedObject"].get("name") == involved_name]

    def pod_log(self, name: str, container: Optional[str] = None, namespace: Optional[str] = None) -> str:
        """The container log as the kubelet holds it (no timestamps)."""

        def read() -> str:
            run = self.kubelet.pod_run(namespace or self.namespace, name)
            if run is None:
                raise KeyError(f"no running pod {name}")
            target = run.find(container) if container else run.containers[0]
            if target is None:
                raise KeyError(f"pod {name} has no container {container}")
            return target.log.text()

        return self.call(read)

    def read_file(self, pod: str, container: str, path: str, namespace: Optional[str] = None) -> Optional[str]:
        """A file as the container sees it (volume mounts included)."""

        def read() -> Optional[str]:
            run = self.kubelet.pod_run(namespace or self.namespace, pod)
            target = run.find(container) if run is not None else None
            if target is None or target.fs is None:
                return None
            data = target.fs.read(path)
            return None if data is None else data.decode("utf-8", "replace")

        return self.call(read)

    def kubernetes_client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` configured from this emulator's kubeconfig."""
        from kubernetes import client, config

        configuration = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig_path, client_configuration=configuration)
        return client.ApiClient(configuration)
