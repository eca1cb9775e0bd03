from __future__ import annotations

import pytest

from airflow_provider_composer_pod import k8s
from airflow_provider_composer_pod.diagnosis import describe_failure


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
