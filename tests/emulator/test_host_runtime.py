"""The opt-in host runtime: real subprocesses with the pod's environment and materialised mounts."""

from __future__ import annotations

import shutil
import time
from typing import Any

import pytest

NS = "composer-user-workloads"


def test_host_runtime_env_and_mounted_secret(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(image="busybox*", runtime="host")
    k8s_emulator.create_secret("host-secret", {"token": "s3cr3t"})
    body = make_pod("host", 'echo "$FOO"; cat /etc/secret/token; echo; echo done > /dev/termination-log; exit 5')
    container = body["spec"]["containers"][0]
    container["env"] = [{"name": "FOO", "value": "from-env"}]
    container["volumeMounts"] = [{"name": "sec", "mountPath": "/etc/secret"}]
    body["spec"]["volumes"] = [{"name": "sec", "secret": {"secretName": "host-secret"}}]
    core.create_namespaced_pod(NS, body)

    pod = k8s_emulator.wait_for_pod("host")

    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert k8s_emulator.pod_log("host") == "from-env\ns3cr3t\n"
    assert (terminated["exitCode"], terminated["message"]) == (5, "done\n")


def test_host_runtime_delete_kills_the_process(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(pod_name="host-sleep", runtime="host")
    core.create_namespaced_pod(NS, make_pod("host-sleep", "echo up; exec sleep 30"))
    k8s_emulator.wait_for_pod("host-sleep", phases=("Running",))

    started = time.monotonic()
    core.delete_namespaced_pod("host-sleep", NS, grace_period_seconds=1)
    while k8s_emulator.pod("host-sleep") is not None and time.monotonic() - started < 5:
        time.sleep(0.05)

    assert k8s_emulator.pod("host-sleep") is None
    assert time.monotonic() - started < 3


@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")
def test_host_runtime_runs_perl_pi(k8s_emulator: Any, core: Any) -> None:
    k8s_emulator.scenario(image="perl*", runtime="host")
    body = {
        "metadata": {"name": "pi"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "pi", "image": "perl:5.34.0", "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(50)"]}
            ],
        },
    }
    core.create_namespaced_pod(NS, body)

    pod = k8s_emulator.wait_for_pod("pi", timeout=20)

    assert pod["status"]["phase"] == "Succeeded"
    assert k8s_emulator.pod_log("pi", "pi") == "3.1415926535897932384626433832795028841971693993751\n"
