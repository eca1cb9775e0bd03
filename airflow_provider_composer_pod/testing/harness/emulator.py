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
from typing import Any, Callable, Dict, Iterable, List, Optional, TypeVar

from aiohttp import web

from airflow_provider_composer_pod.testing.apiserver.faults import FaultInjector
from airflow_provider_composer_pod.testing.apiserver.recording import RequestLog
from airflow_provider_composer_pod.testing.apiserver.resources import NAMESPACES, SERVICE_ACCOUNTS
from airflow_provider_composer_pod.testing.apiserver.routes import DenyRule
from airflow_provider_composer_pod.testing.apiserver.server import ApiServer
from airflow_provider_composer_pod.testing.apiserver.store import Obj, Store, namespace_object
from airflow_provider_composer_pod.testing.harness import kubeconfig as kubeconfig_mod
from airflow_provider_composer_pod.testing.harness.controls import Controls
from airflow_provider_composer_pod.testing.harness.objects import ObjectHelpers
from airflow_provider_composer_pod.testing.kubelet.kubelet import Kubelet
from airflow_provider_composer_pod.testing.kubelet.scenarios import PodScenario

log = logging.getLogger(__name__)
T = TypeVar("T")
_AUTO = "auto"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "composer-user-workloads")


class KubernetesEmulator(Controls, ObjectHelpers):
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


__all__ = ["KubernetesEmulator", "PodScenario"]
