"""The simulated scheduler and kubelet: status transitions, Events, and each scenario."""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest

from tests.conftest import wait_for

NS = "composer-user-workloads"


def _reasons(k8s_emulator: Any, name: str) -> List[str]:
    return [e["reason"] for e in k8s_emulator.events(NS, name)]


def _container(pod: Dict[str, Any], name: str = "base") -> Dict[str, Any]:
    return next(c for c in pod["status"]["containerStatuses"] if c["name"] == name)


def test_successful_pod_status_and_events(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("ok", "echo hello"))

    pod = k8s_emulator.wait_for_pod("ok")

    status = pod["status"]
    assert status["phase"] == "Succeeded"
    assert pod["spec"]["nodeName"]
    assert status["podIP"]
    assert status["startTime"]
    terminated = _container(pod)["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    assert terminated["startedAt"]
    assert terminated["finishedAt"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "Ready": "False",
        "ContainersReady": "False",
        "PodScheduled": "True",
    }
    assert _reasons(k8s_emulator, "ok") == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    scheduled = k8s_emulator.events(NS, "ok")[0]
    assert scheduled["reportingComponent"] == "default-scheduler"
    assert scheduled["eventTime"]
    pulled = k8s_emulator.events(NS, "ok")[2]
    assert pulled["source"]["component"] == "kubelet"
    assert pulled["involvedObject"]["fieldPath"] == "spec.containers{base}"
    assert pulled["type"] == "Normal"
    assert pulled["count"] == 1
    assert pulled["firstTimestamp"]


def test_running_pod_is_ready_until_it_exits(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("runner", "echo start; sleep 0.5; exit 4"))

    running = k8s_emulator.wait_for_pod("runner", phases=("Running",))
    failed = k8s_emulator.wait_for_pod("runner")

    assert _container(running)["ready"] is True
    assert "running" in _container(running)["state"]
    assert failed["status"]["phase"] == "Failed"
    assert _container(failed)["state"]["terminated"]["exitCode"] == 4
    assert _container(failed)["state"]["terminated"]["reason"] == "Error"


def test_xcom_sidecar_keeps_pod_running_until_killed(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    body = make_pod("xcom", "mkdir -p /airflow/xcom && echo '{\"a\": 1}' > /airflow/xcom/return.json")
    body["spec"]["volumes"] = [{"name": "xcom", "emptyDir": {}}]
    body["spec"]["containers"][0]["volumeMounts"] = [{"name": "xcom", "mountPath": "/airflow/xcom"}]
    body["spec"]["containers"].append(
        {
            "name": "airflow-xcom-sidecar",
            "image": "alpine",
            "command": ["sh", "-c", 'trap "exit 0" INT; while true; do sleep 1; done;'],
            "volumeMounts": [{"name": "xcom", "mountPath": "/airflow/xcom"}],
        }
    )
    core.create_namespaced_pod(NS, body)

    base_done = k8s_emulator.wait_for_pod(
        "xcom",
        predicate=lambda p: "terminated" in _container(p)["state"] if p["status"].get("containerStatuses") else False,
    )
    time.sleep(0.2)
    still = k8s_emulator.pod("xcom")

    assert base_done["status"]["phase"] == "Running"
    assert still["status"]["phase"] == "Running"
    assert "running" in _container(still, "airflow-xcom-sidecar")["state"]
    assert k8s_emulator.read_file("xcom", "airflow-xcom-sidecar", "/airflow/xcom/return.json") == '{"a": 1}\n'


def test_termination_message_from_file(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("msg", "echo 'bad input' > /dev/termination-log; exit 2"))

    pod = k8s_emulator.wait_for_pod("msg")

    assert _container(pod)["state"]["terminated"]["message"] == "bad input\n"


def test_env_from_secret_config_map_and_field_ref(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.create_secret("creds", {"user": "alice"})
    k8s_emulator.create_config_map("settings", {"MODE": "fast", "file.txt": "content"})
    body = make_pod("envs", "echo $USER_NAME $MODE $POD $CFG_MODE; cat /etc/cfg/file.txt /etc/sec/u")
    container = body["spec"]["containers"][0]
    container["env"] = [
        {"name": "USER_NAME", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "user"}}},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    container["envFrom"] = [
        {"configMapRef": {"name": "settings"}},
        {"prefix": "CFG_", "configMapRef": {"name": "settings"}},
    ]
    container["volumeMounts"] = [{"name": "cfg", "mountPath": "/etc/cfg"}, {"name": "sec", "mountPath": "/etc/sec"}]
    body["spec"]["volumes"] = [
        {"name": "cfg", "configMap": {"name": "settings"}},
        {"name": "sec", "secret": {"secretName": "creds", "items": [{"key": "user", "path": "u"}]}},
    ]
    core.create_namespaced_pod(NS, body)

    k8s_emulator.wait_for_pod("envs")

    assert k8s_emulator.pod_log("envs") == "alice fast envs fast\ncontentalice"


def test_scale_up_scenario(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(pod_name="big-*", unschedulable_for=0.4)
    core.create_namespaced_pod(NS, make_pod("big-job", "true"))

    pending = wait_for(lambda: (k8s_emulator.pod("big-job")["status"].get("conditions") or [None])[0])
    pod = k8s_emulator.wait_for_pod("big-job")

    assert pending["type"] == "PodScheduled"
    assert pending["reason"] == "Unschedulable"
    events = k8s_emulator.events(NS, "big-job")
    assert [e["reason"] for e in events][:3] == ["FailedScheduling", "TriggeredScaleUp", "Scheduled"]
    assert events[0]["type"] == "Warning"
    assert events[1]["source"]["component"] == "cluster-autoscaler"
    assert pod["status"]["phase"] == "Succeeded"


def test_unschedulable_without_scale_up(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    import math

    k8s_emulator.scenario(pod_name="huge-*", unschedulable_for=math.inf, scale_up=False)
    core.create_namespaced_pod(NS, make_pod("huge-job", "true"))

    wait_for(lambda: "NotTriggerScaleUp" in _reasons(k8s_emulator, "huge-job"))

    pod = k8s_emulator.pod("huge-job")
    events = k8s_emulator.events(NS, "huge-job")
    assert [e["reason"] for e in events] == ["FailedScheduling", "NotTriggerScaleUp"]
    assert events[1]["source"]["component"] == "cluster-autoscaler"
    assert events[1]["message"].startswith("pod didn't trigger scale-up: ")
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["conditions"][0]["reason"] == "Unschedulable"
    assert "nodeName" not in pod["spec"]


def test_image_pull_failure_backs_off(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(image="busybox", pull_error="manifest unknown", pull_delay=0.01)
    core.create_namespaced_pod(NS, make_pod("pull", "true"))

    waiting = wait_for(
        lambda: [
            _container(p)["state"]["waiting"]["reason"]
            for p in [k8s_emulator.pod("pull")]
            if p["status"].get("containerStatuses")
            and _container(p)["state"].get("waiting", {}).get("reason") == "ImagePullBackOff"
        ]
    )
    wait_for(
        lambda: (
            _reasons(k8s_emulator, "pull").count("Pulling") >= 1
            and any(e["count"] >= 2 for e in k8s_emulator.events(NS, "pull") if e["reason"] == "BackOff")
        ),
        timeout=5,
    )

    assert waiting == ["ImagePullBackOff"]
    reasons = _reasons(k8s_emulator, "pull")
    assert {"Pulling", "Failed", "BackOff"} <= set(reasons)
    messages = [e["message"] for e in k8s_emulator.events(NS, "pull")]
    assert "Error: ErrImagePull" in messages
    assert "Error: ImagePullBackOff" in messages
    assert k8s_emulator.pod("pull")["status"]["phase"] == "Pending"


def test_image_pull_recovers_after_pull_error_for(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(image="busybox*", pull_error="timeout", pull_error_for=0.3, pull_delay=0.01)
    core.create_namespaced_pod(NS, make_pod("pull-later", "true"))

    pod = k8s_emulator.wait_for_pod("pull-later")

    assert pod["status"]["phase"] == "Succeeded"
    assert "BackOff" in _reasons(k8s_emulator, "pull-later")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"name": "X", "valueFrom": {"secretKeyRef": {"name": "later", "key": "k"}}},
            'secret "later" not found',
            id="missing-secret",
        ),
        pytest.param(
            {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "later", "key": "k"}}},
            'configmap "later" not found',
            id="missing-configmap",
        ),
    ],
)
def test_create_container_config_error_recovers(
    k8s_emulator: Any, core: Any, make_pod: Any, env: Any, message: str
) -> None:
    body = make_pod("cfg", "echo $X")
    body["spec"]["containers"][0]["env"] = [env]
    core.create_namespaced_pod(NS, body)

    waiting = wait_for(
        lambda: [
            _container(p)["state"]["waiting"]
            for p in [k8s_emulator.pod("cfg")]
            if p["status"].get("containerStatuses")
            and _container(p)["state"].get("waiting", {}).get("reason") == "CreateContainerConfigError"
        ]
    )[0]
    if "secret" in message:
        k8s_emulator.create_secret("later", {"k": "value"})
    else:
        k8s_emulator.create_config_map("later", {"k": "value"})
    pod = k8s_emulator.wait_for_pod("cfg")

    assert waiting["message"] == message
    assert f"Error: {message}" in [e["message"] for e in k8s_emulator.events(NS, "cfg")]
    assert pod["status"]["phase"] == "Succeeded"
    assert k8s_emulator.pod_log("cfg") == "value\n"


def test_missing_key_message(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.create_secret("partial", {"other": "x"})
    body = make_pod("key", "true")
    body["spec"]["containers"][0]["env"] = [
        {"name": "X", "valueFrom": {"secretKeyRef": {"name": "partial", "key": "k"}}}
    ]
    core.create_namespaced_pod(NS, body)

    waiting = wait_for(
        lambda: [
            _container(p)["state"]["waiting"].get("message")
            for p in [k8s_emulator.pod("key")]
            if p["status"].get("containerStatuses")
            and _container(p)["state"].get("waiting", {}).get("reason") == "CreateContainerConfigError"
        ]
    )

    assert waiting == ["couldn't find key k in Secret composer-user-workloads/partial"]


def test_missing_secret_volume_is_failed_mount(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    body = make_pod("mount", "cat /s/k")
    body["spec"]["volumes"] = [{"name": "s", "secret": {"secretName": "vol-secret"}}]
    body["spec"]["containers"][0]["volumeMounts"] = [{"name": "s", "mountPath": "/s"}]
    core.create_namespaced_pod(NS, body)

    wait_for(lambda: "FailedMount" in _reasons(k8s_emulator, "mount"))
    k8s_emulator.create_secret("vol-secret", {"k": "mounted"})
    k8s_emulator.wait_for_pod("mount")

    message = next(e["message"] for e in k8s_emulator.events(NS, "mount") if e["reason"] == "FailedMount")
    assert message == 'MountVolume.SetUp failed for volume "s" : secret "vol-secret" not found'
    assert k8s_emulator.pod_log("mount") == "mounted"


def test_oom_killed(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(image="busybox", oom_kill_after=0.1)
    core.create_namespaced_pod(NS, make_pod("oom", "sleep 30"))

    pod = k8s_emulator.wait_for_pod("oom")

    terminated = _container(pod)["state"]["terminated"]
    assert (pod["status"]["phase"], terminated["exitCode"], terminated["reason"]) == ("Failed", 137, "OOMKilled")


@pytest.mark.parametrize(
    ("scenario", "exit_code", "message"),
    [
        pytest.param({"exit_code": 42}, 42, None, id="exit-code"),
        pytest.param({"exit_code": 1, "termination_message": "boom"}, 1, "boom", id="termination-message"),
    ],
)
def test_exit_code_scenarios(
    k8s_emulator: Any, core: Any, make_pod: Any, scenario: Any, exit_code: int, message: Any
) -> None:
    k8s_emulator.scenario(pod_name="exit", **scenario)
    core.create_namespaced_pod(NS, make_pod("exit", "true"))

    terminated = _container(k8s_emulator.wait_for_pod("exit"))["state"]["terminated"]

    assert terminated["exitCode"] == exit_code
    assert terminated.get("message") == message


@pytest.mark.parametrize("evict_after", [pytest.param(0.0, id="before-run"), pytest.param(0.3, id="during-run")])
def test_eviction(k8s_emulator: Any, core: Any, make_pod: Any, evict_after: float) -> None:
    k8s_emulator.scenario(pod_name="evictee", evict_after=evict_after, pull_delay=0.2 if evict_after == 0 else 0.0)
    core.create_namespaced_pod(NS, make_pod("evictee", "sleep 30"))

    pod = k8s_emulator.wait_for_pod("evictee")

    assert (pod["status"]["phase"], pod["status"]["reason"]) == ("Failed", "Evicted")
    assert pod["status"]["message"].startswith("The node was low on resource: memory.")
    assert "Evicted" in _reasons(k8s_emulator, "evictee")
    assert _container(pod)["state"]["terminated"]["exitCode"] == 137


def test_active_deadline_fails_the_pod_with_deadline_exceeded(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("deadline", "sleep 30", activeDeadlineSeconds=1))

    pod = k8s_emulator.wait_for_pod("deadline", timeout=10)

    assert (pod["status"]["phase"], pod["status"]["reason"]) == ("Failed", "DeadlineExceeded")
    assert pod["status"]["message"] == "Pod was active on the node longer than the specified deadline"
    assert "DeadlineExceeded" in _reasons(k8s_emulator, "deadline")
    assert _container(pod)["state"]["terminated"]["exitCode"] == 143  # SIGTERM from the kubelet's kill


def test_preemption_deletes_the_pod(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.scenario(pod_name="victim", preempt_after=0.2)
    core.create_namespaced_pod(NS, make_pod("victim", "sleep 30"))

    wait_for(lambda: k8s_emulator.pod("victim") is None)

    reasons = _reasons(k8s_emulator, "victim")
    assert "Preempted" in reasons
    assert "Killing" in reasons


def test_graceful_delete_sets_deletion_timestamp_then_removes(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    core.create_namespaced_pod(NS, make_pod("graceful", "sleep 30"))
    k8s_emulator.wait_for_pod("graceful", phases=("Running",))

    deleted = core.delete_namespaced_pod("graceful", NS, grace_period_seconds=5)
    gone = wait_for(lambda: k8s_emulator.pod("graceful") is None)

    assert deleted.metadata.deletion_timestamp is not None
    assert deleted.metadata.deletion_grace_period_seconds == 5
    assert gone
    assert "Killing" in [e["reason"] for e in k8s_emulator.events(NS)]


def test_entrypoint_hook_simulates_any_program(k8s_emulator: Any, core: Any) -> None:
    def fake_perl(ctx: Any) -> int:
        ctx.print("3.14159 from", ctx.argv[0], ctx.env["GREETING"])
        ctx.write_file("/airflow/xcom/return.json", '{"pi": 3.14}')
        return 0

    k8s_emulator.scenario(image="perl*", entrypoint=fake_perl)
    body = {
        "metadata": {"name": "hooked"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "base",
                    "image": "perl:5.40",
                    "command": ["perl", "-e", "print 1"],
                    "env": [{"name": "GREETING", "value": "hi"}],
                }
            ],
        },
    }
    core.create_namespaced_pod(NS, body)

    k8s_emulator.wait_for_pod("hooked")

    assert k8s_emulator.pod_log("hooked") == "3.14159 from perl hi\n"


def test_unknown_command_exits_127_with_hint(k8s_emulator: Any, core: Any) -> None:
    body = {
        "metadata": {"name": "perl"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "perl", "command": ["perl", "-e", "print 1"]}],
        },
    }
    core.create_namespaced_pod(NS, body)

    pod = k8s_emulator.wait_for_pod("perl")

    assert _container(pod)["state"]["terminated"]["exitCode"] == 127
    assert k8s_emulator.pod_log("perl").startswith("sh: perl: not found\n")


def test_time_scale_speeds_up_sleep(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    k8s_emulator.time_scale = 0.01
    core.create_namespaced_pod(NS, make_pod("fast", "sleep 50"))

    started = time.monotonic()
    k8s_emulator.wait_for_pod("fast")

    assert time.monotonic() - started < 2.0


def test_init_container_runs_first(k8s_emulator: Any, core: Any, make_pod: Any) -> None:
    body = make_pod("init", "cat /work/ready")
    body["spec"]["volumes"] = [{"name": "w", "emptyDir": {}}]
    body["spec"]["containers"][0]["volumeMounts"] = [{"name": "w", "mountPath": "/work"}]
    body["spec"]["initContainers"] = [
        {
            "name": "prep",
            "image": "busybox",
            "command": ["sh", "-c", "echo ok > /work/ready"],
            "volumeMounts": [{"name": "w", "mountPath": "/work"}],
        }
    ]
    core.create_namespaced_pod(NS, body)

    pod = k8s_emulator.wait_for_pod("init")

    assert pod["status"]["phase"] == "Succeeded"
    assert pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert k8s_emulator.pod_log("init") == "ok\n"
