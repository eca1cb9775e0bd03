"""Failure messages that explain (issue 8): the exception carries the exit code, the termination message, the last
log lines and a diagnosis from the pod's container states and events, all through the secrets masker; a pod
evicted or preempted before it started fails clearly (test 7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List
from uuid import uuid4

import pytest

from tests.integration.conftest import created_pods

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"


@pytest.fixture
def exception_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "exception.json"
    monkeypatch.setenv("RELIABILITY_EXCEPTION_FILE", str(path))  # written by the DAGs' on_failure_callback
    return path


def _exception(path: Path) -> Dict[str, str]:
    return json.loads(path.read_text())


def _active_pods(emulator: Any) -> List[str]:
    pods = emulator.list("pods", NAMESPACE)
    return [p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


@pytest.fixture
def secret_value(k8s_emulator: Any) -> str:
    value = f"secret-{uuid4().hex}"
    k8s_emulator.create_secret("reliability-secret", {"token": value}, NAMESPACE)
    return value


def test_exit_code_termination_message_and_last_lines(k8s_emulator, run_dag, exception_file, secret_value):
    def entrypoint(ctx: Any) -> int:
        for n in range(1, 31):
            ctx.print(f"step {n:02d}")
        ctx.print(f"token={ctx.env['TOKEN']}")
        ctx.write_file("/dev/termination-log", "could not reach the warehouse")
        return 3

    k8s_emulator.scenario(image="reliability/fails", entrypoint=entrypoint)

    result = run_dag("reliability_failure")

    assert result.state == "failed"
    message = _exception(exception_file)["str"]
    lines = message.splitlines()
    assert lines[0].startswith("container base exited with code 3 (Error); termination message: could not reach the ")
    assert "Diagnosis: the command failed with exit code 3; the log lines below are the last it printed." in lines
    start = lines.index("Last 5 log lines of container base:")
    assert lines[start + 1 : start + 6] == ["    step 27", "    step 28", "    step 29", "    step 30", "    token=***"]
    assert "step 26" not in message
    assert secret_value not in message  # the masker saw it: the pre-flight registered the Secret's value
    _assert_compact(message)
    assert "remote_pod: {" not in result.log
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert _active_pods(k8s_emulator) == []


def _assert_compact(message: str) -> None:
    """Our summary and KPO's first line, not KPO's pod dump (hundreds of lines in the task log and the UI)."""
    assert len(message.encode()) < 3 * 1024, message
    assert "remote_pod" not in message
    assert "'api_version'" not in message  # the client model's repr of the pod


async def _sleep(ctx: Any) -> int:
    await ctx.sleep(30)
    return 0


def test_out_of_memory_says_raise_memory_and_the_autopilot_maximum(k8s_emulator, run_dag, exception_file, secret_value):
    k8s_emulator.scenario(image="reliability/fails", logs=["loading 12 GB"], oom_kill_after=0.3, entrypoint=_sleep)

    result = run_dag("reliability_failure")

    assert result.state == "failed"
    message = _exception(exception_file)["str"]
    assert message.startswith("container base exited with code 137 (OOMKilled). Pod fails-")
    assert (
        "Diagnosis: out of memory (OOMKilled): it used more memory than its memory limit of 1Gi. Raise the memory "
        "request and limit (`container_resources`); Autopilot allows up to 110Gi per pod for the general-purpose "
        "class (https://cloud.google.com/composer/docs/composer-2/use-kubernetes-pod-operator)."
    ) in message.splitlines()
    assert message.splitlines()[2:4] == ["Last 1 log line of container base:", "    loading 12 GB"]
    _assert_compact(message)
    assert "remote_pod: {" not in result.log
    assert "remote_pod: {" not in result.log
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert _active_pods(k8s_emulator) == []


def test_active_deadline_exceeded(k8s_emulator, run_dag, exception_file):
    result = run_dag("reliability_deadline")

    assert result.state == "failed"
    message = _exception(exception_file)["str"]
    assert "pod Failed: DeadlineExceeded Pod was active on the node longer than the specified deadline" in message
    assert (
        "Diagnosis: the pod ran longer than its active deadline (spec.activeDeadlineSeconds=1, "
        "`active_deadline_seconds`) and the kubelet stopped it: raise or remove the deadline."
    ) in message.splitlines()
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert _active_pods(k8s_emulator) == []


def test_evicted_before_start_fails_clearly(k8s_emulator, run_dag, exception_file):
    k8s_emulator.scenario(image="reliability/disrupted", pull_delay=2.0, evict_after=0.3)

    result = run_dag("reliability_disrupted")

    assert result.state == "failed"
    message = _exception(exception_file)["str"]
    assert "pod Failed: Evicted The node was low on resource: memory." in message
    assert "Diagnosis: the node evicted the pod (The node was low on resource: memory." in message
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert _active_pods(k8s_emulator) == []


def test_preempted_before_start_fails_clearly(k8s_emulator, run_dag, exception_file):
    k8s_emulator.scenario(image="reliability/disrupted", pull_delay=2.0, preempt_after=0.3)

    result = run_dag("reliability_disrupted")

    assert result.state == "failed"
    message = _exception(exception_file)["str"]
    assert (
        "Diagnosis: the scheduler preempted the pod for a higher-priority one (Preempted: Preempted by pod" in message
    )
    assert "nothing is wrong with the task itself, and `retries` run it again." in message
    assert len(created_pods(k8s_emulator, acted_on=False)) == 1
    assert k8s_emulator.list("pods", NAMESPACE) == []
