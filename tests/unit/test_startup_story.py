"""startup_story: classification, the plain-words story and the advice, from API-shaped dicts (no Airflow, no API)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

from airflow_provider_composer_pod.startup.story import (
    CANNOT_START,
    DELETED,
    FINISHED,
    PENDING,
    STARTED,
    classify,
    describe_outcome,
    describe_startup,
    go_duration,
    parse_time,
    startup_advice,
    trimmed,
)

T0 = parse_time("2026-01-01T10:00:00Z")
assert T0 is not None


def _pod(
    phase: str = "Pending",
    waiting: Optional[Dict[str, str]] = None,
    scheduled: bool = False,
    requests: Optional[Dict[str, str]] = None,
    image: str = "bash",
) -> Dict[str, Any]:
    status: Dict[str, Any] = {"phase": phase}
    if scheduled:
        status["conditions"] = [{"type": "PodScheduled", "status": "True"}]
    else:
        status["conditions"] = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]
    if waiting is not None:
        status["containerStatuses"] = [{"name": "base", "image": image, "state": {"waiting": waiting}}]
    container: Dict[str, Any] = {"name": "base", "image": image}
    if requests:
        container["resources"] = {"requests": requests}
    return {
        "metadata": {"name": "p", "namespace": "ns", "creationTimestamp": "2026-01-01T10:00:00Z"},
        "spec": {"containers": [container]},
        "status": status,
    }


def _event(reason: str, at: float, message: str = "", type_: str = "Normal", count: int = 1) -> Dict[str, Any]:
    return {
        "metadata": {"name": f"p.{int((T0 + at) * 1e9):x}"},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": f"2026-01-01T10:00:{int(at):02d}Z",
    }


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(None, (DELETED, None), id="deleted"),
        pytest.param(_pod("Running", scheduled=True), (STARTED, None), id="running"),
        pytest.param(_pod("Succeeded", scheduled=True), (FINISHED, "Succeeded"), id="succeeded"),
        pytest.param(_pod("Failed", scheduled=True), (FINISHED, "Failed"), id="failed"),
        pytest.param(_pod(), (PENDING, None), id="unschedulable"),
        pytest.param(_pod(waiting={"reason": "ContainerCreating"}), (PENDING, None), id="creating"),
        pytest.param(
            _pod(waiting={"reason": "CreateContainerConfigError", "message": 'secret "s" not found'}),
            (CANNOT_START, "CreateContainerConfigError"),
            id="config-error",
        ),
        pytest.param(
            _pod(waiting={"reason": "ImagePullBackOff", "message": 'Back-off pulling image "x"'}),
            (CANNOT_START, "ImagePullBackOff"),
            id="pull-back-off",
        ),
        pytest.param(
            _pod(waiting={"reason": "ErrImagePull", "message": "429 Too Many Requests"}),
            (PENDING, None),
            id="pull-rate-limited-is-transient",
        ),
        pytest.param(_pod(waiting={"reason": "InvalidImageName"}), (CANNOT_START, "InvalidImageName"), id="bad-name"),
    ],
)
def test_classify(pod, expected):
    assert classify(pod) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("12.3s", 12.3), ("803ms", 0.803), ("1m2.5s", 62.5), ("1h0m0s", 3600.0), ("250us", 0.00025), ("12x", None)],
)
def test_go_duration(text, seconds):
    assert go_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_story_tells_scale_up_pull_and_start():
    pod = _pod("Running", scheduled=True)
    events: List[Dict[str, Any]] = [
        _event("FailedScheduling", 0, "0/3 nodes are available: 3 Insufficient cpu.", "Warning", count=3),
        _event("TriggeredScaleUp", 1, "pod triggered scale-up: [{pool 1->2 (max: 6)}]"),
        _event("Scheduled", 41),
        _event("Pulling", 42, 'Pulling image "bash"'),
        _event("Pulled", 54, 'Successfully pulled image "bash" in 12.3s (12.3s including waiting). Image size: 1.'),
        _event("Started", 55),
    ]
    observed = {"scheduled": T0 + 41.2, "started": T0 + 55.0}

    story = describe_startup(pod, events, created_at=T0, observed=observed)

    assert story.summary == (
        "Pod startup: scheduled after 41.2 s (TriggeredScaleUp), image pulled in 12.3 s, started after 55.0 s."
    )
    assert story.details == [
        "FailedScheduling (x3): 0/3 nodes are available: 3 Insufficient cpu.",
        "TriggeredScaleUp: pod triggered scale-up: [{pool 1->2 (max: 6)}]",
    ]


def test_story_without_live_observations_uses_the_api_timestamps():
    pod = _pod("Running", scheduled=True)
    pod["status"]["containerStatuses"] = [{"name": "base", "state": {"running": {"startedAt": "2026-01-01T10:00:07Z"}}}]
    events = [
        {**_event("Scheduled", 2), "eventTime": "2026-01-01T10:00:02.500000Z", "firstTimestamp": None},
        _event("Pulled", 3, 'Container image "bash" already present on machine'),
    ]

    story = describe_startup(pod, events)

    assert story.summary == "Pod startup: scheduled after 2.5 s, image already on the node, started after 7.0 s."


def test_advice_for_a_missing_secret():
    pod = _pod(waiting={"reason": "CreateContainerConfigError", "message": 'secret "db" not found'})

    advice = startup_advice(CANNOT_START, pod, [], timeout=600)

    assert 'container base waits in CreateContainerConfigError (secret "db" not found)' in advice
    assert "A Secret or ConfigMap it uses, or a key in one, is missing" in advice


@pytest.mark.parametrize(
    ("image", "hint"),
    [
        pytest.param("europe-docker.pkg.dev/p/r/app:1", "roles/artifactregistry.reader", id="artifact-registry"),
        pytest.param("registry.example.com/app:1", "imagePullSecret", id="private-registry"),
    ],
)
def test_advice_for_an_image_that_cannot_be_pulled(image, hint):
    pod = _pod(waiting={"reason": "ImagePullBackOff", "message": "manifest unknown"}, image=image)

    advice = startup_advice(CANNOT_START, pod, [], timeout=600)

    assert f"the image {image} of container base cannot be pulled (ImagePullBackOff: manifest unknown)" in advice
    assert "Check the image name and tag." in advice
    assert hint in advice


def test_advice_for_a_timeout_during_a_scale_up():
    events = [_event("FailedScheduling", 0, "0/3 nodes", "Warning"), _event("TriggeredScaleUp", 1, "1->2")]

    advice = startup_advice("timeout", _pod(), events, timeout=600, waited=600.4)

    assert advice.startswith("Pod p was still Pending after 600 s (startup_timeout_seconds=600): a scale-up")
    assert "raise startup_timeout_seconds" in advice


def test_advice_for_a_request_no_node_can_hold():
    pod = _pod(requests={"cpu": "30", "memory": "100Gi"})
    events = [_event("FailedScheduling", 0, "0/3 nodes are available: 3 Insufficient memory.", "Warning")]

    advice = startup_advice("timeout", pod, events, timeout=120)

    assert "no node can hold it and no scale-up can add one (FailedScheduling: 0/3 nodes" in advice
    assert "The pod's requests (base: cpu=30, memory=100Gi) are too big for the compute class" in advice


def test_advice_for_a_slow_image_pull():
    events = [_event("Scheduled", 1), _event("Pulling", 2, 'Pulling image "big"')]

    advice = startup_advice("timeout", _pod(scheduled=True), events, timeout=120)

    assert "its image was still being pulled" in advice


def test_trimmed_keeps_what_the_story_reads_and_drops_the_rest():
    pod = _pod("Running", scheduled=True, requests={"cpu": "1"})
    pod["spec"]["containers"][0]["env"] = [{"name": "SECRET_VALUE", "value": "hunter2"}]
    pod["metadata"]["annotations"] = {"a": "b"}

    kept = trimmed(pod)

    assert kept["spec"]["containers"] == [{"name": "base", "image": "bash", "resources": {"requests": {"cpu": "1"}}}]
    assert "annotations" not in kept["metadata"]
    assert "hunter2" not in repr(kept)  # env values never reach a trigger event


def _decoded(name: str, status: Dict[str, Any], resources: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A pod decoded from its own response, as a watch gets each."""
    container: Dict[str, Any] = {"name": "base", "image": "bash", "env": [{"name": "A", "value": "b"}]}
    if resources is not None:
        container["resources"] = resources
    meta = {"name": name, "namespace": "ns", "uid": name, "creationTimestamp": "2026-01-01T10:00:00Z"}
    return json.loads(json.dumps({"metadata": meta, "spec": {"containers": [container]}, "status": status}))


_WAITING = {
    "phase": "Pending",
    "qosClass": "BestEffort",
    "conditions": [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "lastTransitionTime": "2026-01-01T10:00:01Z",
        }
    ],
}
_CREATING = {
    "phase": "Pending",
    "hostIPs": [{"ip": "10.0.0.1"}],
    "conditions": [
        {"type": "Initialized", "status": "True"},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T10:00:41Z"},
    ],
    "containerStatuses": [
        {
            "name": "base",
            "image": "bash",
            "imageID": "",
            "restartCount": 0,
            "lastState": {},
            "state": {"waiting": {"reason": "ContainerCreating"}},
        }
    ],
}


def test_trimmed_copies_keep_what_is_read():
    creating = trimmed(_decoded("a", _CREATING), {})

    assert creating == {
        "metadata": {"name": "a", "namespace": "ns", "creationTimestamp": "2026-01-01T10:00:00Z"},
        "spec": {"containers": [{"name": "base", "image": "bash"}]},
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T10:00:41Z"}],
            "containerStatuses": [
                {"name": "base", "image": "bash", "state": {"waiting": {"reason": "ContainerCreating"}}}
            ],
        },
    }
    for status in (_WAITING, _CREATING):  # with a watch's shared parts or without, the same copy
        assert trimmed(_decoded("a", status), {}) == trimmed(_decoded("a", status))


def test_copies_of_pods_waiting_for_a_node_share_their_equal_parts():
    shared: Dict[Any, Any] = {}
    one, two = (trimmed(_decoded(name, _WAITING), shared) for name in ("a", "b"))
    other_time = {
        **_WAITING,
        "conditions": [{**_WAITING["conditions"][0], "lastTransitionTime": "2026-01-01T10:00:02Z"}],
    }
    three = trimmed(_decoded("c", other_time), shared)
    bigger = trimmed(_decoded("d", _WAITING, resources={"requests": {"cpu": "1"}}), shared)
    counted = trimmed(_decoded("e", {**_WAITING, "phase": 1}), shared)
    flagged = trimmed(_decoded("f", {**_WAITING, "phase": True}), shared)

    assert one["spec"] is two["spec"] is three["spec"]  # one task's pods
    assert one["status"] is two["status"]  # and, waiting since the same second, their status
    assert one["status"] is not three["status"]
    assert one["status"] != three["status"]
    assert bigger["spec"] is not one["spec"]
    assert bigger["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "1"}}
    assert counted["status"]["phase"] == 1  # 1 and True: equal in Python, not in JSON
    assert flagged["status"]["phase"] is True
    assert one["metadata"] is not two["metadata"]
    assert (one["metadata"]["name"], two["metadata"]["name"]) == ("a", "b")
    assert one["metadata"]["creationTimestamp"] is two["metadata"]["creationTimestamp"]  # its strings interned
    creating = [trimmed(_decoded(name, _CREATING), shared) for name in ("g", "h")]
    assert creating[0]["status"] == creating[1]["status"]
    assert creating[0]["status"] is not creating[1]["status"]  # about to run: not worth sharing


def test_a_watch_keeps_a_bounded_number_of_shared_parts():
    shared: Dict[Any, Any] = {}
    for second in range(3000):
        condition = {
            **_WAITING["conditions"][0],
            "lastTransitionTime": f"2026-01-01T10:{second // 60:02d}:{second % 60:02d}Z",
        }
        trimmed(_decoded(f"p{second}", {**_WAITING, "conditions": [condition]}), shared)
        assert len(shared) <= 1024


@pytest.mark.parametrize(
    ("state", "reason", "waited", "said"),
    [
        pytest.param(
            "cannot_start",
            "ErrImagePull",
            0.0,
            "cannot start: a container waits in ErrImagePull, which waiting will not fix "
            "(already when the trigger began watching)",
            id="cannot-start-at-once",
        ),
        pytest.param("started", None, 12.34, "is running (seen after the trigger watched for 12.3 s)", id="started"),
        pytest.param(
            "finished",
            "Succeeded",
            0.0,
            "finished (Succeeded) before it was seen running (already when the trigger began watching)",
            id="finished",
        ),
        pytest.param(
            "timeout",
            None,
            600.0,
            "was still Pending at the startup deadline (seen after the trigger watched for 600.0 s)",
            id="timeout",
        ),
    ],
)
def test_the_trigger_says_how_the_wait_ended_in_words(state, reason, waited, said):
    assert describe_outcome(state, reason, waited) == said
