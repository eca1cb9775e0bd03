"""``pods/{name}/log``: follow, timestamps, sinceTime/sinceSeconds, tailLines, container, errors."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
import urllib3
from kubernetes.client.rest import ApiException

NS = "composer-user-workloads"
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z ")


def _raw(k8s_emulator: Any, path: str) -> Any:
    """sinceTime is not exposed by the Python client (KPO converts it to sinceSeconds), so go raw."""
    http = urllib3.PoolManager()
    return http.request("GET", k8s_emulator.url + path, headers={"Authorization": f"Bearer {k8s_emulator.token}"})


def _log(core: Any, name: str, **kwargs: Any) -> str:
    response = core.read_namespaced_pod_log(name, NS, _preload_content=False, **kwargs)
    return response.data.decode()


def test_timestamps_prefix_each_line_with_rfc3339_nano(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("ts", "echo one; echo two"))
    k8s_emulator.wait_for_pod("ts")

    lines = _log(core, "ts", timestamps=True).splitlines()

    assert [TS.sub("", line) for line in lines] == ["one", "two"]
    assert all(TS.match(line) for line in lines)


def test_tail_lines(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("tail", "seq 100"))
    k8s_emulator.wait_for_pod("tail")

    assert _log(core, "tail", tail_lines=3) == "98\n99\n100\n"
    assert _log(core, "tail", tail_lines=0) == ""


def test_since_time_has_second_precision(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("since", "echo early; sleep 1.2; echo late"))
    k8s_emulator.wait_for_pod("since")
    lines = _log(core, "since", timestamps=True).splitlines()
    late_ts = lines[1].split(" ")[0]

    since = late_ts[:19] + ".999999Z"
    result = _raw(k8s_emulator, f"/api/v1/namespaces/{NS}/pods/since/log?sinceTime={since}").data.decode()

    assert result.endswith("late\n")
    assert "early" not in result or lines[0][:19] == late_ts[:19]


def test_since_seconds_and_conflicting_options(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("secs", "echo x"))
    k8s_emulator.wait_for_pod("secs")

    assert _log(core, "secs", since_seconds=60) == "x\n"
    conflict = _raw(
        k8s_emulator, f"/api/v1/namespaces/{NS}/pods/secs/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z"
    )
    assert conflict.status == 422
    assert json.loads(conflict.data)["reason"] == "Invalid"


def test_follow_streams_until_container_exits(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("follow", "for i in 1 2 3; do echo line $i; sleep 0.2; done"))
    k8s_emulator.wait_for_pod("follow", phases=("Running",))

    started = time.monotonic()
    response = core.read_namespaced_pod_log("follow", NS, follow=True, _preload_content=False)
    chunks = [chunk for chunk in response.stream(amt=None)]

    assert b"".join(chunks).decode() == "line 1\nline 2\nline 3\n"
    assert 0.2 < time.monotonic() - started < 5


def test_container_must_be_named_when_pod_has_several(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    body = make_pod("multi", "echo main")
    body["spec"]["containers"].append({"name": "side", "image": "busybox", "command": ["sh", "-c", "echo side"]})
    core.create_namespaced_pod(NS, body)
    k8s_emulator.wait_for_pod("multi")

    with pytest.raises(ApiException) as info:
        core.read_namespaced_pod_log("multi", NS)

    assert info.value.status == 400
    assert json.loads(info.value.body)["message"] == (
        "a container name must be specified for pod multi, choose one of: [base side]"
    )
    assert _log(core, "multi", container="side") == "side\n"


def test_waiting_container_is_400(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(pod_name="slowpull", pull_delay=30)
    core.create_namespaced_pod(NS, make_pod("slowpull", "true"))
    k8s_emulator.wait_for_pod("slowpull", predicate=lambda p: bool(p["status"].get("containerStatuses")))

    with pytest.raises(ApiException) as info:
        core.read_namespaced_pod_log("slowpull", NS)

    assert info.value.status == 400
    assert json.loads(info.value.body)["message"] == (
        'container "base" in pod "slowpull" is waiting to start: ContainerCreating'
    )


def test_stderr_is_part_of_the_log(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("stderr", "echo out; echo err >&2"))
    k8s_emulator.wait_for_pod("stderr")

    assert _log(core, "stderr") == "out\nerr\n"


def test_kpo_style_log_fetch(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    """What KPO does: ``follow=True, timestamps=True, _preload_content=False`` then parse each line."""
    core.create_namespaced_pod(NS, make_pod("kpo", "echo a; printf 'partial'; sleep 0.1; echo ' done'"))

    k8s_emulator.wait_for_pod("kpo", phases=("Running", "Succeeded"))
    response = core.read_namespaced_pod_log(
        "kpo", NS, container="base", follow=True, timestamps=True, _preload_content=False
    )
    lines = [line.decode() for line in response]

    messages = [line.split(" ", 1)[1] for line in b"".join(part.encode() for part in lines).decode().splitlines()]
    assert messages == ["a", "partial done"]


def test_lines_written_together_can_share_one_timestamp(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    def entrypoint(ctx: Any) -> int:
        ctx.write("a\nb\nc\n", timestamp_ns=1_700_000_000_123_456_789)
        ctx.write("d\n")
        return 0

    k8s_emulator.scenario(pod_name="shared", entrypoint=entrypoint)
    core.create_namespaced_pod(NS, make_pod("shared", "true"))
    k8s_emulator.wait_for_pod("shared")

    lines = _log(core, "shared", timestamps=True).splitlines()

    assert [line.split(" ", 1)[0] for line in lines[:3]] == ["2023-11-14T22:13:20.123456789Z"] * 3
    assert [line.split(" ", 1)[1] for line in lines] == ["a", "b", "c", "d"]
    assert lines[3].split(" ", 1)[0] != lines[0].split(" ", 1)[0]


def test_hanging_follow_keeps_the_response_open_after_the_container_ended(
    k8s_emulator: Any, core: Any, make_pod: Any
) -> None:
    k8s_emulator.faults.hang_log_follows()
    core.create_namespaced_pod(NS, make_pod("hangs", "echo done"))
    k8s_emulator.wait_for_pod("hangs")

    response = core.read_namespaced_pod_log("hangs", NS, follow=True, _preload_content=False, _request_timeout=(5, 1))
    received: list = []

    def read_all() -> None:
        received.extend(response.stream(amt=None))

    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        read_all()

    assert b"".join(received) == b"done\n"
    # Without follow the same log ends as usual.
    assert _log(core, "hangs") == "done\n"
