from __future__ import annotations

import pytest

from airflow_provider_composer_pod import k8s
from airflow_provider_composer_pod.kube.diagnosis import FailureFacts, describe_failure, diagnose, failure_message


def _pod(state: k8s.V1ContainerState, **status: object) -> k8s.V1Pod:
    return k8s.V1Pod(
        status=k8s.V1PodStatus(
            container_statuses=[
                k8s.V1ContainerStatus(name="base", state=state, image="i", image_id="", ready=False, restart_count=0)
            ],
            **status,
        )
    )


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(
            _pod(k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=3, reason="Error"))),
            "container base exited with code 3 (Error)",
            id="exit-code",
        ),
        pytest.param(
            _pod(
                k8s.V1ContainerState(
                    terminated=k8s.V1ContainerStateTerminated(
                        exit_code=137, reason="OOMKilled", message="out of memory\n"
                    )
                )
            ),
            "container base exited with code 137 (OOMKilled); termination message: out of memory",
            id="oom-with-message",
        ),
        pytest.param(
            _pod(
                k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason="ImagePullBackOff")),
                phase="Failed",
                reason="Evicted",
                message="The node was low on resource: memory.",
            ),
            "container base never started: ImagePullBackOff; pod Failed: Evicted The node was low on resource: memory.",
            id="evicted-before-start",
        ),
        pytest.param(k8s.V1Pod(), None, id="no-status"),
    ],
)
def test_describe_failure(pod, expected):
    assert describe_failure(pod, "base") == expected


def _oom_pod(memory: str, node_selector: dict) -> k8s.V1Pod:
    pod = _pod(k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=137, reason="OOMKilled")))
    resources = k8s.V1ResourceRequirements(limits={"memory": memory}, requests={"memory": memory})
    pod.spec = k8s.V1PodSpec(
        containers=[k8s.V1Container(name="base", image="i", resources=resources)], node_selector=node_selector
    )
    return pod


@pytest.mark.parametrize(
    ("memory", "selector", "generation", "expected"),
    [
        pytest.param(
            "2Gi",
            {},
            2,
            "out of memory (OOMKilled): it used more memory than its memory limit of 2Gi. Raise the memory request "
            "and limit (`container_resources`); Autopilot allows up to 110Gi per pod for the general-purpose class",
            id="composer-2-general-purpose",
        ),
        pytest.param(
            "110Gi",
            {},
            3,
            "Autopilot allows up to 110Gi per pod for the general-purpose class, which this pod already asks for: "
            "choose a compute class with more memory, or split the work",
            id="already-at-the-maximum",
        ),
        pytest.param(
            "64Gi",
            {"cloud.google.com/compute-class": "Balanced"},
            2,
            "Autopilot allows up to 851Gi per pod for the Balanced class",
            id="balanced",
        ),
        pytest.param(
            "2Gi",
            {},
            1,
            "Raise the memory request and limit (`container_resources`) or lower the task's memory use",
            id="composer-1-no-autopilot",
        ),
    ],
)
def test_out_of_memory_advice(memory, selector, generation, expected):
    (diagnosis,) = diagnose(FailureFacts(pod=_oom_pod(memory, selector)), "base", generation)

    assert expected in diagnosis
    if generation == 1:
        assert "Autopilot" not in diagnosis


def _events(*reasons_and_messages: tuple) -> list:
    return [k8s.CoreV1Event(reason=r, message=m, involved_object=k8s.V1ObjectReference(), metadata=k8s.V1ObjectMeta())
            for r, m in reasons_and_messages]  # fmt: skip


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(
            FailureFacts(pod=_pod(k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=127)))),
            "the command was not found (exit 127)",
            id="exit-127",
        ),
        pytest.param(
            FailureFacts(pod=_pod(k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=2)))),
            "the command failed with exit code 2",
            id="exit-2",
        ),
        pytest.param(
            FailureFacts(
                pod=_pod(k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason="ContainerCreating"))),
                deleted=True,
                events=_events(("Preempted", "Preempted by pod x on node n")),
            ),
            "the scheduler preempted the pod for a higher-priority one (Preempted: Preempted by pod x on node n)",
            id="preempted",
        ),
        pytest.param(
            FailureFacts(
                pod=_pod(k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=143))),
                deleted=True,
                events=_events(("Killing", "Stopping container base")),
            ),
            "the pod was deleted while the task ran (by a user, another process or a node drain); last event "
            "Killing: Stopping container base",
            id="deleted",
        ),
        pytest.param(
            FailureFacts(
                pod=_pod(k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason="ImagePullBackOff"))),
                events=_events(("Failed", 'Failed to pull image "nope": not found')),
            ),
            'the image could not be pulled (ImagePullBackOff: Failed: Failed to pull image "nope": not found)',
            id="image-pull",
        ),
        pytest.param(
            FailureFacts(
                pod=k8s.V1Pod(status=k8s.V1PodStatus(phase="Pending")),
                events=_events(("FailedScheduling", "0/3 nodes are available")),
            ),  # fmt: skip
            "the pod was never scheduled (FailedScheduling: 0/3 nodes are available)",
            id="never-scheduled",
        ),
    ],
)
def test_diagnose(facts, expected):
    assert any(expected in line for line in diagnose(facts, "base")), diagnose(facts, "base")


def test_failure_message_layout():
    facts = FailureFacts(
        pod=_pod(k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=3, reason="Error"))),
        log_tail=["a", "b"],
    )

    message = failure_message("Pod p returned a failure.\nremote_pod: {...}", facts, "base", pod_dump="{...}")

    assert message.splitlines() == [
        "container base exited with code 3 (Error). Pod p returned a failure.",
        "Diagnosis: the command failed with exit code 3; the log lines below are the last it printed.",
        "Last 2 log lines of container base:",
        "    a",
        "    b",
    ]  # KPO's pod dump stays out of the exception (the operator logs it at debug level)


@pytest.mark.parametrize(
    ("termination", "kpo_rest", "expected_last"),
    [
        pytest.param("could not reach the warehouse", "could not reach the warehouse", None, id="said-once"),
        pytest.param(None, "my-failure", "my-failure", id="kpo-knows-more"),
    ],
)
def test_failure_message_keeps_what_kpo_said_once(termination, kpo_rest, expected_last):
    state = k8s.V1ContainerStateTerminated(exit_code=1, reason="Error", message=termination)
    facts = FailureFacts(pod=_pod(k8s.V1ContainerState(terminated=state)))
    dump = "{'api_version': 'v1', 'kind': 'Pod'}"
    kpo_message = f"Pod p returned a failure.\n{kpo_rest}\nremote_pod: {dump}"

    message = failure_message(kpo_message, facts, "base", pod_dump=dump)

    assert dump not in message
    assert message.count(kpo_rest) == 1
    assert message.splitlines()[-1] == (expected_last or message.splitlines()[-1])
    if expected_last is None:
        assert message.splitlines()[0].startswith("container base exited with code 1 (Error); termination message: ")
