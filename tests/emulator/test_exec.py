"""Exec over WebSocket: v4 and v5 through ``kubernetes.stream``, ``kubernetes_asyncio``, and KPO's xcom flow."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest
from kubernetes.stream import stream, ws_client

NS = "composer-user-workloads"
SIDECAR = "airflow-xcom-sidecar"
V4 = "v4.channel.k8s.io"
V5 = "v5.channel.k8s.io"
# What the installed client offers when the caller sets no subprotocol: clients that define V5_CHANNEL_PROTOCOL
# (36.0.3 does) offer "v5, v4"; older ones (23.6.0 to 31.0.0, which providers 4.4 to 9.x resolve to) offer v4 only.
CLIENT_DEFAULT = V5 if hasattr(ws_client, "V5_CHANNEL_PROTOCOL") else V4


def _xcom_pod(name: str, value: str = '{"answer": 42}') -> Dict[str, Any]:
    mount = [{"name": "xcom", "mountPath": "/airflow/xcom"}]
    return {
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "volumes": [{"name": "xcom", "emptyDir": {}}],
            "containers": [
                {
                    "name": "base",
                    "image": "busybox",
                    "command": ["sh", "-c", f"mkdir -p /airflow/xcom && echo '{value}' > /airflow/xcom/return.json"],
                    "volumeMounts": mount,
                },
                {
                    "name": SIDECAR,
                    "image": "alpine",
                    "volumeMounts": mount,
                    "command": ["sh", "-c", 'trap "exit 0" INT; while true; do sleep 1; done;'],
                },
            ],
        },
    }


def _wait_base_done(k8s_emulator: Any, name: str) -> None:
    k8s_emulator.wait_for_pod(
        name,
        predicate=lambda p: any(
            c["name"] == "base" and "terminated" in c["state"] for c in p["status"].get("containerStatuses") or []
        ),
    )


def _negotiated_protocol(client: Any) -> Optional[str]:
    """The subprotocol the server chose, from its 101 response (31.0.0 and older have no ``WSClient.subprotocol``)."""
    for key, value in (client.sock.getheaders() or {}).items():
        if key.lower() == "sec-websocket-protocol":
            return str(value)
    return None


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        pytest.param(None, CLIENT_DEFAULT, id=f"client-default-{CLIENT_DEFAULT.split('.')[0]}"),
        # v5 differs from v4 only in the client-to-server close channel, which this stdin-less exec never sends, so
        # clients that predate v5 can still read the answer when v5 is offered first.
        pytest.param(f"{V5},{V4}", V5, id="v5-offered-first"),
        pytest.param(V4, V4, id="v4"),
    ],
)
def test_exec_reads_xcom_and_returns_exit_status(
    k8s_emulator: Any, core: Any, protocol: Optional[str], expected: str
) -> None:
    core.create_namespaced_pod(NS, _xcom_pod("ex"))
    _wait_base_done(k8s_emulator, "ex")
    headers = {"sec-websocket-protocol": protocol} if protocol else None
    command = [
        "/bin/sh",
        "-c",
        "if [ -s /airflow/xcom/return.json ]; then cat /airflow/xcom/return.json; "
        "else echo __airflow_xcom_result_empty__; fi",
    ]

    if headers:
        core.api_client.default_headers.update(headers)
    try:
        client = stream(
            core.connect_get_namespaced_pod_exec,
            "ex",
            NS,
            container=SIDECAR,
            command=command,
            stdin=False,
            stdout=True,
            stderr=True,
            tty=False,
            _preload_content=False,
        )
        negotiated = _negotiated_protocol(client)
        client.run_forever(timeout=5)
        code = client.returncode  # read before read_all(), which also drops the status channel
        output = client.read_all()
    finally:
        core.api_client.default_headers.pop("sec-websocket-protocol", None)

    assert negotiated == expected
    assert json.loads(output) == {"answer": 42}
    assert code == 0
    exec_request = k8s_emulator.requests(path_contains="/exec")[-1]
    assert exec_request.query["command"] == command
    assert exec_request.query["container"] == SIDECAR


def test_exec_is_recorded_as_switching_protocols_while_still_open(k8s_emulator: Any, core: Any) -> None:
    """The 101 is the API server's answer to the upgrade, so the log shows it before the session ends.

    Recording it only when the handler returned (after the close handshake) raced with clients that return as soon
    as they read the close frame: ``kubernetes_asyncio`` and ``kubectl exec`` saw ``status None`` now and then.
    """
    core.create_namespaced_pod(NS, _xcom_pod("open"))
    _wait_base_done(k8s_emulator, "open")
    resp = stream(
        core.connect_get_namespaced_pod_exec,
        "open",
        NS,
        container=SIDECAR,
        command=["/bin/sh"],
        stdin=True,
        stdout=True,
        stderr=True,
        tty=False,
        _preload_content=False,
    )
    try:
        resp.write_stdin("echo ready\n")
        ready = resp.readline_stdout(timeout=5)
        still_open = resp.is_open()
        during = k8s_emulator.requests(path_contains="/exec")[-1].status
        resp.write_stdin("exit 0\n")
        resp.run_forever(timeout=5)
    finally:
        resp.close()

    assert ready == "ready"
    assert still_open
    assert during == 101
    assert resp.returncode == 0


def test_exec_nonzero_exit_and_stderr(k8s_emulator: Any, core: Any) -> None:
    core.create_namespaced_pod(NS, _xcom_pod("fail"))
    _wait_base_done(k8s_emulator, "fail")

    client = stream(
        core.connect_get_namespaced_pod_exec,
        "fail",
        NS,
        container=SIDECAR,
        command=["sh", "-c", "echo oops >&2; exit 3"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    client.run_forever(timeout=5)

    assert client.read_stderr() == "oops\n"
    assert client.returncode == 3


def test_kill_through_exec_stops_the_sidecar_and_completes_the_pod(k8s_emulator: Any, core: Any) -> None:
    core.create_namespaced_pod(NS, _xcom_pod("kill"))
    _wait_base_done(k8s_emulator, "kill")

    resp = stream(
        core.connect_get_namespaced_pod_exec,
        "kill",
        NS,
        container=SIDECAR,
        command=["/bin/sh"],
        stdin=True,
        stdout=True,
        stderr=True,
        tty=False,
        _preload_content=False,
    )
    resp.write_stdin("kill -2 $(pgrep -u $(id -u) -f 'sh')\n")
    resp.run_forever(timeout=5)
    pod = k8s_emulator.wait_for_pod("kill")

    sidecar = next(c for c in pod["status"]["containerStatuses"] if c["name"] == SIDECAR)
    assert sidecar["state"]["terminated"]["exitCode"] == 0
    assert pod["status"]["phase"] == "Succeeded"


@pytest.mark.parametrize(
    "command", [pytest.param("kill -s SIGINT 1", id="kill-s"), pytest.param("kill -2 1", id="kill-2")]
)
def test_old_provider_kill_forms(k8s_emulator: Any, core: Any, command: str) -> None:
    core.create_namespaced_pod(NS, _xcom_pod("oldkill"))
    _wait_base_done(k8s_emulator, "oldkill")

    stream(
        core.connect_get_namespaced_pod_exec,
        "oldkill",
        NS,
        container=SIDECAR,
        command=["sh", "-c", command],
        stdin=False,
        stdout=True,
        stderr=True,
        tty=False,
    )

    assert k8s_emulator.wait_for_pod("oldkill")["status"]["phase"] == "Succeeded"


def test_kpo_pod_manager_extract_xcom(k8s_emulator: Any, core: Any) -> None:
    """The installed cncf-kubernetes provider's own extract_xcom against the emulator."""
    pod_manager = pytest.importorskip("airflow.providers.cncf.kubernetes.utils.pod_manager")
    core.create_namespaced_pod(NS, _xcom_pod("kpo-xcom", '{"rows": [1, 2]}'))
    _wait_base_done(k8s_emulator, "kpo-xcom")
    pod = core.read_namespaced_pod("kpo-xcom", NS)

    result = pod_manager.PodManager(kube_client=core).extract_xcom(pod)
    final = k8s_emulator.wait_for_pod("kpo-xcom")

    assert json.loads(result) == {"rows": [1, 2]}
    assert final["status"]["phase"] == "Succeeded"


def test_exec_errors(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    from kubernetes.client.rest import ApiException

    core.create_namespaced_pod(NS, _xcom_pod("errs"))
    _wait_base_done(k8s_emulator, "errs")

    # kubernetes 36 turns the failed upgrade into ApiException(body=None) and then trips over decoding it.
    with pytest.raises((ApiException, AttributeError)):
        stream(
            core.connect_get_namespaced_pod_exec,
            "errs",
            NS,
            container="nope",
            command=["true"],
            stdin=False,
            stdout=True,
            stderr=True,
            tty=False,
        )

    answered = k8s_emulator.requests(path_contains="/exec")[-1]
    assert answered.status == 400


async def test_kubernetes_asyncio_ws_client(k8s_emulator: Any, core: Any) -> None:
    from kubernetes_asyncio import client, config
    from kubernetes_asyncio.stream import WsApiClient

    core.create_namespaced_pod(NS, _xcom_pod("aio"))
    configuration = client.Configuration()
    await config.load_kube_config(config_file=k8s_emulator.kubeconfig_path, client_configuration=configuration)
    import asyncio

    for _ in range(200):
        pod = await asyncio.get_running_loop().run_in_executor(None, k8s_emulator.pod, "aio")
        if any(
            c["name"] == "base" and "terminated" in c["state"] for c in pod["status"].get("containerStatuses") or []
        ):
            break
        await asyncio.sleep(0.02)

    async with WsApiClient(configuration=configuration) as ws_api:
        api = client.CoreV1Api(api_client=ws_api)
        output = await api.connect_get_namespaced_pod_exec(
            "aio",
            NS,
            container=SIDECAR,
            command=[
                "sh",
                "-c",
                "head -c 100 /airflow/xcom/return.json | wc -c; wc -c < /airflow/xcom/return.json; echo from-aio",
            ],
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
        )

    assert output == "15\n15\nfrom-aio\n"
    assert k8s_emulator.requests(path_contains="/exec")[-1].status == 101
