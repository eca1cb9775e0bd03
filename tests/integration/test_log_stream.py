"""``log_stream`` with KPO's own PodManager and the real client against the emulator: the resume point among lines
that share one timestamp, and what each read asks the API server."""

from __future__ import annotations

import logging
import time
from typing import Any, List

import pytest
from kubernetes import client

from airflow_provider_composer_pod.kube.log_stream import LogPositions, follow_resumably

NAMESPACE = "composer-user-workloads"


def _pod(name: str, command: str = "lines") -> Any:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, namespace=NAMESPACE),
        spec=client.V1PodSpec(
            restart_policy="Never", containers=[client.V1Container(name="base", image="lines", command=[command])]
        ),
    )


def _manager(core: Any, positions: LogPositions) -> Any:
    from airflow.providers.cncf.kubernetes.utils.pod_manager import PodManager

    return follow_resumably(PodManager(kube_client=core), core, positions, idle_timeout=5, give_up_after=30)


def _read(manager: Any, pod: Any, **kwargs: Any) -> List[str]:
    lines = manager.read_pod_logs(pod=pod, container_name="base", timestamps=True, **kwargs)
    return [raw.decode().rstrip("\n").partition(" ")[2] for raw in lines]


def test_a_resume_among_lines_with_one_timestamp_skips_exactly_those_handed_out(k8s_emulator, core):
    stamp = time.time_ns()

    async def entrypoint(ctx: Any) -> int:
        ctx.write("".join(f"same {n}\n" for n in range(1, 101)), timestamp_ns=stamp)  # one timestamp for all 100
        await ctx.sleep(0.3)
        ctx.print("after")
        return 0

    k8s_emulator.scenario(image="lines", entrypoint=entrypoint)
    k8s_emulator.faults.cut_streams("log", after_items=37)  # mid-group
    k8s_emulator.faults.cut_streams("log", after_items=80)  # again, 43 lines further in the same group
    pod = _pod("same-stamp")
    core.create_namespaced_pod(NAMESPACE, pod)
    k8s_emulator.wait_for_pod("same-stamp", phases=("Running",))
    positions = LogPositions(tail_lines=3)

    lines = _read(_manager(core, positions), pod, follow=True)

    assert lines == [f"same {n}" for n in range(1, 101)] + ["after"]
    reads = k8s_emulator.requests(method="GET", path_contains="/same-stamp/log")
    assert len(reads) == 3
    assert "sinceTime" not in reads[0].query
    assert reads[1].query["sinceTime"] == reads[2].query["sinceTime"]  # the group's second, twice
    assert positions.tail(NAMESPACE, "same-stamp", "base") == ["same 99", "same 100", "after"]


def test_a_later_read_of_the_same_container_continues_where_the_last_stopped(k8s_emulator, core, caplog):
    caplog.set_level(logging.INFO)
    k8s_emulator.scenario(image="lines", logs=[f"line {n}" for n in range(1, 11)])
    pod = _pod("twice", "true")
    core.create_namespaced_pod(NAMESPACE, pod)
    k8s_emulator.wait_for_pod("twice")
    positions = LogPositions()
    manager = _manager(core, positions)

    first = _read(manager, pod, follow=False)
    # KPO asks again (its own retry loop, or a deferred task's next look) with a coarse sinceSeconds.
    again = _read(manager, pod, follow=False, since_seconds=3600)

    assert first == [f"line {n}" for n in range(1, 11)]
    assert again == []
    second_read = k8s_emulator.requests(method="GET", path_contains="/twice/log")[1]
    assert "sinceTime" in second_read.query
    assert "sinceSeconds" not in second_read.query


def test_reads_without_timestamps_are_the_providers_own(k8s_emulator, core):
    k8s_emulator.scenario(image="lines", logs=["plain"])
    pod = _pod("plain", "true")
    core.create_namespaced_pod(NAMESPACE, pod)
    k8s_emulator.wait_for_pod("plain")
    manager = _manager(core, LogPositions())

    lines = list(manager.read_pod_logs(pod=pod, container_name="base", timestamps=False, follow=False))

    assert b"".join(lines).decode() == "plain\n"


def _final_line_entrypoint(count: int, final_newline: bool) -> Any:
    async def entrypoint(ctx: Any) -> int:
        for start in range(1, count + 1, 50):
            text = "".join(f"line {n}\n" for n in range(start, min(count, start + 49) + 1))
            ctx.write(text if final_newline or start + 50 <= count else text[:-1])
            await ctx.sleep(0.01)
        return 0

    return entrypoint


@pytest.mark.parametrize("final_newline", [pytest.param(True, id="newline"), pytest.param(False, id="no-newline")])
@pytest.mark.parametrize(
    "cut",
    [
        pytest.param({}, id="unbroken"),
        pytest.param({"after_items": 199}, id="broken-before-the-last-line"),
        pytest.param({"after_items": 200}, id="broken-after-the-last-line"),
    ],
)
def test_the_last_line_reaches_the_task_log_once_and_as_written(k8s_emulator, core, caplog, final_newline, cut):
    # Stock KPO logs its last line through consume_logs' `finally`, with the empty item PodLogsConsumer yields after
    # a final "\n" glued on ("line 200\n"); ours hands KPO complete lines only, so the last is logged as written.
    k8s_emulator.scenario(image="lines", entrypoint=_final_line_entrypoint(200, final_newline))
    if cut:
        k8s_emulator.faults.cut_streams("log", **cut)
    name = f"last-{int(final_newline)}-{len(cut) and next(iter(cut.values()))}"
    pod = _pod(name)
    core.create_namespaced_pod(NAMESPACE, pod)
    k8s_emulator.wait_for_pod(name, phases=("Running",))
    manager = _manager(core, LogPositions())
    logger = logging.getLogger(f"tests.log_stream.{name}")
    manager._log = logger  # a plain logger caplog sees (Airflow 3's is structlog's)
    caplog.set_level(logging.INFO, logger=logger.name)

    status = manager.fetch_container_logs(pod=pod, container_name="base", follow=True)

    messages = [r.getMessage() for r in caplog.records if r.name == logger.name and "line " in r.getMessage()]
    bare = [f"line {n}" for n in range(1, 201)]  # as providers before 5.3 log a container's lines
    assert messages in (bare, [f"[base] {line}" for line in bare])
    assert status.running is False
    assert len(k8s_emulator.requests(method="GET", path_contains=f"/{name}/log")) == (2 if cut else 1)
