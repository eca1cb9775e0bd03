"""``ComposerApiEmulator``: Cloud Composer's user-workloads API (v1) for one environment, on 127.0.0.1.

A test double for the API the provider's Composer client talks to. It serves plain HTTP (or HTTPS with a
throwaway CA), wants a bearer token, can deny any IAM permission, and, linked to a ``KubernetesEmulator``,
makes every Secret or ConfigMap written through it appear in ``composer-user-workloads`` after ``sync_delay``
seconds, as Composer's own sync does. Nothing here calls Google.
"""

from __future__ import annotations

import copy
import os
import tempfile
import threading
from http.server import ThreadingHTTPServer
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Set

from airflow_provider_composer_pod.testing.composer_api import faults
from airflow_provider_composer_pod.testing.composer_api.server import Handler
from airflow_provider_composer_pod.testing.composer_api.sync import KubernetesSync
from airflow_provider_composer_pod.testing.composer_api.workloads import Kind, Workloads


class ReceivedRequest(NamedTuple):
    """One request as received: method, path with query, and the JSON body with every ``data`` value blanked."""

    method: str
    path: str
    body: Any


class ComposerApiEmulator:
    """One Composer environment's user-workloads Secrets and ConfigMaps, served over HTTP.

    :param kube: a running ``KubernetesEmulator`` (what the ``k8s_emulator`` fixture yields) or its ``Store``;
        writes are mirrored into its ``composer-user-workloads`` namespace. ``None``: no Kubernetes side.
    :param token: the bearer token clients must send (``None`` accepts any request).
    :param sync_delay: seconds between an accepted write and its appearance in the Kubernetes emulator.
    :param denied: IAM permissions to deny from the start (``composer.userworkloadssecrets.create``, ...).
    :param https: serve TLS; clients verify with ``ca_cert_path``.
    """

    def __init__(
        self,
        project: str,
        location: str,
        environment: str,
        *,
        token: Optional[str] = "test-token",
        kube: Any = None,
        sync_delay: float = 0.0,
        denied: Iterable[str] = (),
        https: bool = False,
    ) -> None:
        self.project = project
        self.location = location
        self.environment = environment
        self.token = token
        self.kube = kube
        self.sync_delay = sync_delay
        self.https = https
        self.denied: Set[str] = set(denied)
        self._failures: Dict[str, faults.GoogleError] = {}
        self.requests: List[ReceivedRequest] = []
        self.ca_cert_path = ""
        self.workloads = Workloads(f"projects/{project}/locations/{location}/environments/{environment}")
        self._sync = KubernetesSync(kube, lambda: self.sync_delay) if kube is not None else None
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._workdir = ""
        self._lock = threading.Lock()

    # --------------------------------------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Composer API emulator is not running; call start() first")
        scheme = "https" if self.https else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def environment_name(self) -> str:
        return self.workloads.environment_name

    def start(self) -> ComposerApiEmulator:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.emulator = self  # type: ignore[attr-defined]
        if self.https:
            server.socket = self._tls_context().wrap_socket(server.socket, server_side=True)
        self._server = server
        if self._sync is not None:
            self._sync.start()
        self._thread = threading.Thread(target=server.serve_forever, name="composer-api-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._sync is not None:
            self._sync.stop()
        if self._workdir:
            import shutil

            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = ""

    def __enter__(self) -> ComposerApiEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ComposerApiEmulator({self.environment_name!r}, running={self._server is not None})"

    def _tls_context(self) -> Any:
        from airflow_provider_composer_pod.testing.harness.kubeconfig import generate_tls

        self._workdir = tempfile.mkdtemp(prefix="composer-api-emulator-")
        material = generate_tls("127.0.0.1")
        self.ca_cert_path = os.path.join(self._workdir, "ca.crt")
        with open(self.ca_cert_path, "wb") as handle:
            handle.write(material.ca_pem)
        return material.server_context(self._workdir)

    # ---------------------------------------------------------------------------------------------- controls
    def deny(self, permission: str) -> None:
        """Answer 403 PERMISSION_DENIED to every call needing ``permission`` (``composer.userworkloadssecrets.get``)."""
        with self._lock:
            self.denied.add(permission)

    def allow(self, permission: str) -> None:
        with self._lock:
            self.denied.discard(permission)

    def fail_next(self, permission: str, code: int, status: str, message: str) -> None:
        """Answer the next call needing ``permission`` with this Google error (``400, "INVALID_ARGUMENT", ...``)."""
        with self._lock:
            self._failures[permission] = faults.GoogleError(code, status, message)

    def sync_now(self) -> None:
        """Apply every write still waiting for its sync delay."""
        if self._sync is not None:
            self._sync.flush()

    @property
    def pending_syncs(self) -> int:
        return self._sync.pending if self._sync is not None else 0

    def names(self, collection: str = "userWorkloadsSecrets") -> List[str]:
        """The names the emulator holds (``userWorkloadsSecrets`` or ``userWorkloadsConfigMaps``)."""
        with self.workloads.lock:
            return sorted(self.workloads.objects[collection])

    # ----------------------------------------------------------------------------------- used by the server
    def record(self, method: str, path: str, body: Any) -> None:
        with self._lock:
            self.requests.append(ReceivedRequest(method, path, _without_values(body)))

    def check_token(self, authorization: str) -> None:
        if self.token is not None and authorization != f"Bearer {self.token}":
            raise faults.unauthenticated()

    def check_permission(self, permission: str, resource: str) -> None:
        with self._lock:
            denied = permission in self.denied
            failure = self._failures.pop(permission, None)
        if denied:
            raise faults.permission_denied(permission, resource)
        if failure is not None:
            raise failure

    def synced_put(self, kind: Kind, name: str, data: Any) -> None:
        if self._sync is not None:
            self._sync.put(kind.k8s_resource, name, data)

    def synced_delete(self, kind: Kind, name: str) -> None:
        if self._sync is not None:
            self._sync.delete(kind.k8s_resource, name)


def _without_values(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    shown = copy.deepcopy(body)
    if isinstance(shown.get("data"), dict):
        shown["data"] = {key: "<value>" for key in shown["data"]}
    return shown
