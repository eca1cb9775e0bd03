"""``KubernetesEmulator``: the API server, scheduler and kubelet test double, served on 127.0.0.1.

It runs an aiohttp server in a background thread with its own event loop, so the real ``kubernetes`` client,
``kubernetes_asyncio`` and ``kubectl`` talk to it through an ordinary kubeconfig. Images are never pulled and
nothing is isolated: it is a test double, not a cluster.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import secrets
import socket
import tempfile
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

from aiohttp import web

from airflow_provider_composer_pod.testing.apiserver.faults import FaultInjector
from airflow_provider_composer_pod.testing.apiserver.recording import RequestLog, RequestRecord
from airflow_provider_composer_pod.testing.apiserver.resources import CORE, EVENTS, NAMESPACES, SERVICE_ACCOUNTS
from airflow_provider_composer_pod.testing.apiserver.routes import DenyRule
from airflow_provider_composer_pod.testing.apiserver.server import ApiServer
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store, namespace_object
from airflow_provider_composer_pod.testing.harness import kubeconfig as kubeconfig_mod
from airflow_provider_composer_pod.testing.kubelet.kubelet import Kubelet
from airflow_provider_composer_pod.testing.kubelet.scenarios import PodScenario

log = logging.getLogger(__name__)
T = TypeVar("T")
_AUTO = "auto"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "composer-user-workloads")


class KubernetesEmulator:
    """A fake Kubernetes control plane plus one simulated node.

    :param host: address to bind; keep the default ``127.0.0.1``.
    :param port: ``0`` picks a free port.
    :param https: serve TLS with a throwaway CA written into the kubeconfig.
    :param token: bearer token clients must send; ``"auto"`` generates one, ``None`` disables authentication.
    :param user: the user name that RBAC denial messages mention.
    :param runtime: default container runtime, ``"builtin"`` (shell subset) or ``"host"`` (real subprocesses).
    :param time_scale: multiplier for simulated durations (``0.1`` makes ``sleep 10`` take one second).
    :param kubeconfig_path: where to write the kubeconfig (default: a temporary file removed on ``stop``).
    :param namespace: the kubeconfig context's namespace and the default for the Python helpers.
    :param history_size: watch history window; older resourceVersions answer 410 Expired.
    :param bookmark_interval: real seconds between BOOKMARK events on watches that allow them.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        https: bool = False,
        token: Optional[str] = _AUTO,
        user: str = "emulator-admin",
        runtime: str = "builtin",
        time_scale: float = 1.0,
        kubeconfig_path: Optional[str] = None,
        namespace: str = "default",
        history_size: int = 1000,
        bookmark_interval: float = 1.0,
        namespaces: Iterable[str] = DEFAULT_NAMESPACES,
        k8s_minor: str = "32",
    ) -> None:
        if runtime not in ("builtin", "host"):
            raise ValueError(f"runtime must be 'builtin' or 'host', got {runtime!r}")
        self.host = host
        self.port = port
        self.https = https
        self.token: Optional[str] = secrets.token_urlsafe(24) if token == _AUTO else token
        self.user = user
        self.runtime = runtime
        self.default_time_scale = time_scale
        self.time_scale = time_scale
        self.namespace = namespace
        self.history_size = history_size
        self.bookmark_interval = bookmark_interval
        self.initial_namespaces = tuple(namespaces)
        self.k8s_minor = k8s_minor
        self._kubeconfig_requested = kubeconfig_path
        self.kubeconfig_path: str = ""
        self.ca_pem: Optional[bytes] = None
        self.faults = FaultInjector()
        self.request_log = RequestLog()
        self._scenarios: List[PodScenario] = []
        self._deny: List[DenyRule] = []
        self._extra_tokens: Dict[str, str] = {}
        self._lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._workdir: Optional[str] = None
        self._ssl: Any = None
        self._servers: List[Any] = []
        self._relisten_handle: Optional[asyncio.TimerHandle] = None
        self._runner: Optional[web.AppRunner] = None
        self.store: Store
        self.kubelet: Kubelet
        self.api: ApiServer

    # ---------------------------------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        scheme = "https" if self.https else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def started(self) -> bool:
        return self._loop is not None

    def start(self) -> KubernetesEmulator:
        if self._loop is not None:
            return self
        self._workdir = tempfile.mkdtemp(prefix="k8s-emulator-")
        if self.https:
            material = kubeconfig_mod.generate_tls(self.host)
            self.ca_pem = material.ca_pem
            self._ssl = material.server_context(self._workdir)
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._thread_main, args=(ready,), name="k8s-emulator", daemon=True)
        self._thread.start()
        ready.result(timeout=30)
        config = kubeconfig_mod.kubeconfig_dict(self.url, self.token, self.ca_pem, self.namespace)
        self.kubeconfig_path = kubeconfig_mod.write_kubeconfig(self._kubeconfig_requested, config, self._workdir)
        log.info("Kubernetes emulator listening on %s (kubeconfig %s)", self.url, self.kubeconfig_path)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=15)
        except Exception:
            log.exception("k8s emulator shutdown failed")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=15)
        self._loop = None
        self._thread = None
        if self._workdir:
            import shutil

            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._kubeconfig_requested is None:
            self.kubeconfig_path = ""

    def __enter__(self) -> KubernetesEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _thread_main(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:
            ready.set_exception(exc)
            self._loop = None
            loop.close()
            return
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _startup(self) -> None:
        self.store = Store(self.history_size)
        self.kubelet = Kubelet(self.store, self.scenarios, lambda: self.time_scale, self.runtime)
        self.kubelet.scratch_dir = self._workdir
        self.store.listeners.append(self._on_namespace_added)
        self.api = ApiServer(
            self.store,
            self.kubelet,
            self.faults,
            self.request_log,
            self._tokens,
            self._deny_rules,
            lambda: self.bookmark_interval,
            lambda: f"{self.host}:{self.port}",
            self.k8s_minor,
        )
        self.faults.refuse_hook = self._refuse_from_thread
        self.faults.compact_hook = lambda close: self.call(self._compact, close)
        self.faults.cut_hook = lambda kind: self.call(self.api.cut_active, kind)
        try:
            self._runner = web.AppRunner(self.api.app(), handler_cancellation=True, access_log=None)
        except TypeError:  # aiohttp < 3.9
            self._runner = web.AppRunner(self.api.app(), access_log=None)
        await self._runner.setup()
        sock = self._bind(self.port)
        self.port = sock.getsockname()[1]
        await self._listen(sock)
        self._seed()

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(128)
        sock.setblocking(False)
        return sock

    async def _listen(self, sock: socket.socket) -> None:
        assert self._runner is not None
        assert self._runner.server is not None
        server = await asyncio.get_running_loop().create_server(self._runner.server, sock=sock, ssl=self._ssl)
        self._servers.append(server)

    async def _shutdown(self) -> None:
        self.kubelet.reset()
        self.store.close_watches()
        self._abort_connections()
        for server in self._servers:
            server.close()
        self._servers = []
        if self._runner is not None:
            try:
                await asyncio.wait_for(self._runner.cleanup(), 5)
            except asyncio.TimeoutError:
                pass

    def _abort_connections(self) -> None:
        if self._runner is None or self._runner.server is None:
            return
        for handler in list(self._runner.server.connections):
            transport = getattr(handler, "transport", None)
            if transport is not None:
                transport.abort()

    def _seed(self) -> None:
        for name in self.initial_namespaces:
            self.store.create(NAMESPACES, None, namespace_object(name))

    def _on_namespace_added(self, type_: str, resource: str, obj: Obj, old: Optional[Obj]) -> None:
        """Every namespace gets a ``default`` ServiceAccount, as the service-account controller does."""
        if resource == "namespaces" and type_ == "ADDED":
            name = obj["metadata"]["name"]
            loop = asyncio.get_running_loop()
            loop.call_soon(self._create_default_sa, name)

    def _create_default_sa(self, namespace: str) -> None:
        if self.store.find(NAMESPACES, None, namespace) is None:
            return
        if self.store.find(SERVICE_ACCOUNTS, namespace, "default") is None:
            self.store.create(SERVICE_ACCOUNTS, namespace, {"metadata": {"name": "default"}})

    def reset(self) -> None:
        """Fresh state: objects, pods, scenarios, faults, RBAC rules, request log and time scale."""
        with self._lock:
            self._scenarios = []
            self._deny = []
        self.faults.clear()
        self.time_scale = self.default_time_scale
        self.call(self._reset_in_loop)
        if self._loop is not None and not self._servers:
            asyncio.run_coroutine_threadsafe(self._relisten(), self._loop).result(timeout=10)
        self.request_log.clear()

    def _reset_in_loop(self) -> None:
        if self._relisten_handle is not None:
            self._relisten_handle.cancel()
            self._relisten_handle = None
        self.kubelet.reset()
        self.store.close_watches()
        self.api.cut_active("log")
        self.store.reset()
        self._seed()

    # -------------------------------------------------------------------------------------- loop bridge
    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` on the emulator loop (store access is single-threaded) and return its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the emulator is not running; call start() first")

        async def runner() -> T:
            return func(*args, **kwargs)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return func(*args, **kwargs)
        return asyncio.run_coroutine_threadsafe(runner(), loop).result(timeout=30)

    # ------------------------------------------------------------------------------------------- faults
    def _refuse_from_thread(self, seconds: float, drop_existing: bool) -> None:
        self.call(self._refuse, seconds, drop_existing)

    def _refuse(self, seconds: float, drop_existing: bool) -> None:
        for server in self._servers:
            server.close()
        self._servers = []
        if drop_existing:
            self._abort_connections()
        if self._relisten_handle is not None:
            self._relisten_handle.cancel()
        self._relisten_handle = asyncio.get_running_loop().call_later(
            seconds, lambda: asyncio.ensure_future(self._relisten())
        )

    async def _relisten(self) -> None:
        """Listen again on the same port (after an injected outage)."""
        self._relisten_handle = None
        if self._servers:
            return
        for _ in range(50):
            try:
                sock = self._bind(self.port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            log.error("k8s emulator could not listen again on port %d", self.port)
            return
        await self._listen(sock)

    def _compact(self, close_watches: bool) -> int:
        floor = self.store.compact()
        if close_watches:
            self.store.close_watches()
        return floor

    def expire_resource_versions(self, close_watches: bool = False) -> int:
        """Compact the watch history (older resourceVersions -> 410 Expired); returns the new floor."""
        return self.faults.expire_resource_versions(close_watches)

    compact = expire_resource_versions

    # ---------------------------------------------------------------------------------------- scenarios
    def scenarios(self) -> List[PodScenario]:
        with self._lock:
            return list(self._scenarios)

    def scenario(self, **fields: Any) -> PodScenario:
        """Register a :class:`PodScenario` from keyword arguments, e.g. ``scenario(image="busybox", pull_delay=2)``."""
        return self.add_scenario(PodScenario(**fields))

    def add_scenario(self, scenario: PodScenario) -> PodScenario:
        if scenario.runtime not in (None, "builtin", "host"):
            raise ValueError(f"runtime must be 'builtin' or 'host', got {scenario.runtime!r}")
        with self._lock:
            self._scenarios.append(scenario)
        return scenario

    def clear_scenarios(self) -> None:
        with self._lock:
            self._scenarios = []

    # --------------------------------------------------------------------------------------- auth, RBAC
    def _tokens(self) -> Dict[str, str]:
        tokens = dict(self._extra_tokens)
        if self.token:
            tokens[self.token] = self.user
        return tokens

    def add_token(self, token: str, user: str) -> None:
        """Accept another bearer token as ``user`` (for tests on 403 messages naming a different user)."""
        self._extra_tokens[token] = user

    def _deny_rules(self) -> List[DenyRule]:
        with self._lock:
            return list(self._deny)

    def deny(self, verb: str, resource: str, namespace: Optional[str] = None, name: Optional[str] = None) -> DenyRule:
        """Make matching requests answer 403 Forbidden (``"*"`` wildcards verb or resource; ``pods/exec`` works)."""
        rule = DenyRule(verb, resource, namespace, name)
        with self._lock:
            self._deny.append(rule)
        return rule

    def allow_all(self) -> None:
        with self._lock:
            self._deny = []

    # ------------------------------------------------------------------------------------- request log
    def requests(
        self, method: Optional[str] = None, path_contains: Optional[str] = None, **filters: Any
    ) -> List[RequestRecord]:
        """Recorded requests, filtered by method, path substring, ``path``, ``status``, ``is_watch``, ``verb``…"""
        return self.request_log.select(method=method, path_contains=path_contains, **filters)

    def clear_requests(self) -> None:
        self.request_log.clear()

    # ---------------------------------------------------------------------------------- object helpers
    def _resource(self, resource: str) -> Any:
        try:
            return CORE[resource]
        except KeyError:
            raise ValueError(f"unknown resource {resource!r}; use one of {sorted(CORE)}") from None

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


__all__ = ["KubernetesEmulator", "PodScenario"]
