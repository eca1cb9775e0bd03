"""ComposerPodStartupTrigger: serialize(), and run() in a real event loop against the emulator, for every outcome.

The trigger reaches the emulator over HTTP through the shared pod watch; assertions are on its events and on what the
API server received (the request log), never on mocks.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any, Dict, List

import pytest

from airflow_provider_composer_pod import compat
from airflow_provider_composer_pod.compat import triggerer
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.startup.pod_watch import POD_SELECTOR, pod_watches
from airflow_provider_composer_pod.startup.story import describe_startup, startup_advice
from airflow_provider_composer_pod.triggers.startup import ComposerPodStartupTrigger

NS = "composer-user-workloads"
WATCH_PATH = f"/api/v1/namespaces/{NS}/pods"


def _pod(name: str, command: str = "true") -> Dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {POD_SELECTOR.split("=")[0]: "True"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "busybox:1.36", "command": ["sh", "-c", command]}],
        },
    }


@pytest.fixture
def cluster(k8s_emulator: Any) -> Dict[str, Any]:
    """What the worker hands the trigger: the kube config as data (resolved from kubernetes_default)."""
    return ComposerPodHook(conn_id="kubernetes_default").composer_connection.cluster().to_dict()


def _trigger(cluster: Dict[str, Any], name: str, timeout: float = 30, **kwargs: Any) -> ComposerPodStartupTrigger:
    return ComposerPodStartupTrigger(
        pod_name=name, pod_namespace=NS, cluster=cluster, startup_timeout=timeout, created_at=time.time(), **kwargs
    )


async def _first_event(trigger: ComposerPodStartupTrigger) -> Dict[str, Any]:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def _watches(emulator: Any) -> List[Any]:
    return emulator.requests(method="GET", path=WATCH_PATH, is_watch=True)


def _lists(emulator: Any) -> List[Any]:
    return emulator.requests(method="GET", path=WATCH_PATH, is_watch=False)


async def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_serialize_round_trip(cluster):
    trigger = _trigger(
        cluster, "p", timeout=600, on_kill_action="keep_pod", termination_grace_period=5, execution_deadline=1.5e9
    )

    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**kwargs)

    assert classpath == "airflow_provider_composer_pod.triggers.startup.ComposerPodStartupTrigger"
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs["cluster"]["config_dict"]["clusters"][0]["cluster"]["server"]  # data, not a file path
    assert set(kwargs) == {
        "pod_name",
        "pod_namespace",
        "cluster",
        "startup_timeout",
        "created_at",
        "on_kill_action",
        "termination_grace_period",
        "execution_deadline",
    }
    assert rebuilt.execution_deadline == 1.5e9


async def test_fires_started_when_the_pod_runs(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="slow-*", schedule_delay=1.0, pull_delay=0.3, run_duration=5)
    k8s_emulator.create("pods", _pod("slow-1", "sleep 5"), NS)

    event = await _first_event(_trigger(cluster, "slow-1"))

    assert event["status"] == "started"
    assert event["pod"]["status"]["phase"] == "Running"
    assert set(event["observed"]) == {"scheduled", "started"}  # both seen live on the watch
    assert event["observed"]["scheduled"] < event["observed"]["started"]
    assert len(_watches(k8s_emulator)) == 1
    assert k8s_emulator.requests(path_contains="/pods/slow-1") == []  # no per-pod reads, no polling


async def test_fires_finished_for_a_pod_done_before_the_watch_saw_it_run(k8s_emulator, cluster):
    k8s_emulator.create("pods", _pod("quick"), NS)
    k8s_emulator.wait_for_pod("quick", NS)

    event = await _first_event(_trigger(cluster, "quick"))

    assert event["status"] == "finished"
    assert event["reason"] == "Succeeded"
    assert event["observed"] == {}


async def test_fires_cannot_start_on_an_image_pull_failure(k8s_emulator, cluster, log_text):
    k8s_emulator.scenario(image="busybox", pull_error="manifest unknown", pull_delay=0.1)
    k8s_emulator.create("pods", _pod("bad-image"), NS)

    event = await _first_event(_trigger(cluster, "bad-image"))
    logged = log_text()

    assert event["status"] == "cannot_start"
    assert event["reason"] in ("ErrImagePull", "ImagePullBackOff")
    said = f"Pod {NS}/bad-image cannot start: a container waits in {event['reason']}, which waiting will not fix ("
    assert said in logged
    assert "cannot_start after" not in logged
    advice = startup_advice(event["status"], event["pod"], k8s_emulator.events(NS, "bad-image"), timeout=30)
    assert "the image busybox:1.36 of container base cannot be pulled" in advice
    assert "manifest unknown" in advice


async def test_unschedulable_then_scale_up_starts_with_the_scale_up_in_the_story(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="big-*", unschedulable_for=1.5, run_duration=5)
    k8s_emulator.create("pods", _pod("big-1", "sleep 5"), NS)

    event = await _first_event(_trigger(cluster, "big-1"))

    assert event["status"] == "started"
    story = describe_startup(
        event["pod"], k8s_emulator.events(NS, "big-1"), created_at=event["created_at"], observed=event["observed"]
    )
    assert story.summary.startswith("Pod startup: scheduled after 1.")
    assert "(TriggeredScaleUp)" in story.summary
    assert "started after" in story.summary
    assert any(line.startswith("FailedScheduling: 0/3 nodes are available") for line in story.details)
    assert any(line.startswith("TriggeredScaleUp: pod triggered scale-up") for line in story.details)


async def test_times_out_during_a_scale_up_with_advice_to_raise_the_timeout(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="stuck-*", unschedulable_for=60)
    k8s_emulator.create("pods", _pod("stuck-1"), NS)

    began = time.monotonic()
    event = await _first_event(_trigger(cluster, "stuck-1", timeout=1.5))

    assert event["status"] == "timeout"
    assert time.monotonic() - began >= 1.4  # not before the deadline (created_at + startup_timeout)
    advice = startup_advice("timeout", event["pod"], k8s_emulator.events(NS, "stuck-1"), timeout=1.5)
    assert "a scale-up was still in progress" in advice
    assert "raise startup_timeout_seconds" in advice


async def test_times_out_without_a_scale_up_saying_the_request_is_too_big(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="huge-*", unschedulable_for=math.inf, scale_up=False)
    body = _pod("huge-1")
    body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "30", "memory": "100Gi"}}
    k8s_emulator.create("pods", body, NS)

    event = await _first_event(_trigger(cluster, "huge-1", timeout=1.5))

    assert event["status"] == "timeout"
    advice = startup_advice("timeout", event["pod"], k8s_emulator.events(NS, "huge-1"), timeout=1.5)
    assert "no node can hold it and no scale-up can add one (NotTriggerScaleUp" in advice
    assert "base: cpu=30, memory=100Gi" in advice
    assert "too big for the compute class" in advice


async def test_a_dropped_watch_resumes_from_its_resource_version(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="drop-*", schedule_delay=1.5, run_duration=5)
    k8s_emulator.create("pods", _pod("drop-1", "sleep 5"), NS)
    waiting = asyncio.ensure_future(_first_event(_trigger(cluster, "drop-1")))
    await _until(lambda: len(_watches(k8s_emulator)) == 1)
    await asyncio.sleep(0.2)

    assert k8s_emulator.faults.cut_active_streams("watch") == 1
    event = await waiting

    assert event["status"] == "started"
    first, second = _watches(k8s_emulator)[:2]
    assert int(second.query["resourceVersion"]) >= int(first.query["resourceVersion"])
    assert len(_lists(k8s_emulator)) == 1  # resumed, not listed again


async def test_410_gone_lists_again_and_carries_on(k8s_emulator, cluster, monkeypatch):
    monkeypatch.setattr(k8s_emulator, "bookmark_interval", 3600.0)  # no bookmark may refresh the version meanwhile
    k8s_emulator.scenario(pod_name="gone-*", schedule_delay=2.0, run_duration=5)
    k8s_emulator.create("pods", _pod("gone-1", "sleep 5"), NS)
    waiting = asyncio.ensure_future(_first_event(_trigger(cluster, "gone-1")))
    await _until(lambda: len(_watches(k8s_emulator)) == 1)
    await asyncio.sleep(0.2)

    k8s_emulator.create_config_map("unrelated", {"k": "v"}, NS)  # the store moves on, the pod watch hears nothing
    k8s_emulator.expire_resource_versions(close_watches=True)
    event = await waiting

    assert event["status"] == "started"
    first, after_gone = _lists(k8s_emulator)  # the first list, and the one after 410 Gone
    assert first.query.get("resourceVersion") == "0"  # from the API server's watch cache
    assert "resourceVersion" not in after_gone.query  # consistent: nothing the watch missed is left out
    assert len(_watches(k8s_emulator)) >= 3  # the first, the one answered 410, the one after the relist


async def test_cancellation_unsubscribes_and_closes_the_watch(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="never-*", unschedulable_for=math.inf)
    k8s_emulator.create("pods", _pod("never-1"), NS)
    trigger = _trigger(cluster, "never-1", on_kill_action="keep_pod")
    task = asyncio.ensure_future(_first_event(trigger))
    await _until(lambda: len(_watches(k8s_emulator)) == 1)
    assert len(pod_watches().watches) == 1

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await trigger.cleanup()

    assert pod_watches().watches == {}
    await _until(lambda: not k8s_emulator.api.active_streams["watch"])  # the connection is closed too
    assert k8s_emulator.requests(method="DELETE") == []  # keep_pod


async def test_a_killed_task_deletes_its_pod(k8s_emulator, cluster, airflow_db):
    from types import SimpleNamespace

    k8s_emulator.scenario(pod_name="killed-*", unschedulable_for=math.inf)
    k8s_emulator.create("pods", _pod("killed-1"), NS)
    trigger = _trigger(cluster, "killed-1", termination_grace_period=0)
    # The task instance is gone from the database (Airflow 2's cleanup path reads its state).
    trigger.task_instance = SimpleNamespace(dag_id="gone", task_id="gone", run_id="gone", map_index=-1)
    task = asyncio.ensure_future(_first_event(trigger))
    await _until(lambda: len(_watches(k8s_emulator)) == 1)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await trigger.cleanup()
    if triggerer.trigger_has_on_kill():  # Airflow 3.3+: cleanup() never deletes (a restart runs it too), on_kill does
        assert k8s_emulator.requests(method="DELETE") == []
        await trigger.on_kill()

    (deleted,) = k8s_emulator.requests(method="DELETE")
    assert deleted.path == f"{WATCH_PATH}/killed-1"
    assert deleted.query.get("gracePeriodSeconds") == "0"


async def test_200_triggers_in_one_namespace_open_one_watch(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="many-*", schedule_delay=1.0, run_duration=5)
    names = [f"many-{i}" for i in range(200)]
    for name in names:
        k8s_emulator.create("pods", _pod(name, "sleep 5"), NS)

    events = await asyncio.gather(*(_first_event(_trigger(cluster, name)) for name in names))

    assert {e["status"] for e in events} == {"started"}
    assert sorted(e["name"] for e in events) == sorted(names)
    assert len(_watches(k8s_emulator)) == 1
    assert len(_lists(k8s_emulator)) == 1
    assert k8s_emulator.requests(path_contains="/pods/many-") == []
    assert pod_watches().watches == {}  # closed when the last trigger left


async def test_the_first_list_is_one_request_however_many_pods(k8s_emulator, cluster):
    from airflow_provider_composer_pod.startup.pod_watch import ClusterConnection, PodWatchRegistry, WatchSettings
    from airflow_provider_composer_pod.startup.watch import wait_for_start

    k8s_emulator.scenario(pod_name="paged-*", schedule_delay=1.0, run_duration=5)
    names = [f"paged-{i}" for i in range(120)]
    for name in names:
        k8s_emulator.create("pods", _pod(name, "sleep 5"), NS)
    registry = PodWatchRegistry(WatchSettings(list_limit=50))  # 3 pages, were the list paged
    connection = ClusterConnection.from_dict(cluster)

    outcomes = await asyncio.gather(
        *(wait_for_start(connection, NS, name, deadline=time.time() + 30, registry=registry) for name in names)
    )

    assert {o.state for o in outcomes} == {"started"}
    (listed,) = _lists(k8s_emulator)
    assert listed.query.get("resourceVersion") == "0"
    assert listed.query.get("limit") == "50"
    assert len(_watches(k8s_emulator)) == 1


async def test_a_pod_missing_from_the_first_list_is_read_before_it_counts_as_deleted(k8s_emulator, cluster):
    """The first list may come from a watch cache a little behind: a pod missing from it may just be newer."""
    from airflow_provider_composer_pod.startup.pod_watch import ClusterConnection, PodWatchRegistry, WatchSettings
    from airflow_provider_composer_pod.startup.watch import wait_for_start

    registry = PodWatchRegistry(WatchSettings(absent_grace=0.3))
    connection = ClusterConnection.from_dict(cluster)

    outcome = await wait_for_start(connection, NS, "ghost-first", deadline=time.time() + 30, registry=registry)

    assert outcome.state == "deleted"
    assert [r.status for r in k8s_emulator.requests(method="GET", path=f"{WATCH_PATH}/ghost-first")] == [404]


async def test_a_failing_watch_reconnects_with_backoff_and_carries_on(k8s_emulator, cluster):
    k8s_emulator.scenario(pod_name="flaky-*", schedule_delay=1.5, run_duration=60)  # still running after backoffs
    k8s_emulator.create("pods", _pod("flaky-1", "sleep 60"), NS)
    waiting = asyncio.ensure_future(_first_event(_trigger(cluster, "flaky-1")))
    await _until(lambda: len(_watches(k8s_emulator)) == 1)
    k8s_emulator.faults.fail_requests(count=3, status=503, method="GET", path=f"^{WATCH_PATH}$")

    assert k8s_emulator.faults.cut_active_streams("watch") == 1
    event = await waiting

    assert event["status"] == "started"
    statuses = [r.status for r in _watches(k8s_emulator)]
    assert statuses[1:4] == [503, 503, 503]  # three refused reconnects, then a watch that worked
    assert statuses[4] == 200
    assert len(_lists(k8s_emulator)) == 1  # it resumed from its resourceVersion: no relist


async def test_a_pod_the_watch_never_heard_of_is_read_once_then_reported_deleted(k8s_emulator, cluster):
    from airflow_provider_composer_pod.startup.pod_watch import ClusterConnection, PodWatchRegistry, WatchSettings
    from airflow_provider_composer_pod.startup.watch import wait_for_start

    k8s_emulator.scenario(pod_name="real-*", unschedulable_for=math.inf)
    k8s_emulator.create("pods", _pod("real-1"), NS)
    registry = PodWatchRegistry(WatchSettings(absent_grace=0.3))
    connection = ClusterConnection.from_dict(cluster)
    deadline = time.time() + 30
    keeps_the_watch_open = asyncio.ensure_future(
        wait_for_start(connection, NS, "real-1", deadline=deadline, registry=registry)
    )
    await _until(lambda: len(_watches(k8s_emulator)) == 1)

    outcome = await wait_for_start(connection, NS, "ghost", deadline=deadline, registry=registry)
    keeps_the_watch_open.cancel()

    assert outcome.state == "deleted"
    assert [r.status for r in k8s_emulator.requests(method="GET", path=f"{WATCH_PATH}/ghost")] == [404]


async def test_a_refused_watch_fails_every_waiting_trigger_at_once_without_retrying(k8s_emulator, cluster):
    # No "watch" on pods for this identity (RBAC): waiting out the startup timeout would only hide the cause.
    k8s_emulator.faults.fail_requests(count=10, status=403, method="GET", path=f"^{WATCH_PATH}$")
    for name in ("refused-1", "refused-2"):
        k8s_emulator.create("pods", _pod(name, "sleep 60"), NS)

    events = await asyncio.wait_for(
        asyncio.gather(*(_first_event(_trigger(cluster, name, timeout=600)) for name in ("refused-1", "refused-2"))),
        timeout=10,
    )

    for event in events:
        assert event["status"] == "error"
        assert "refused to list and watch pods in namespace 'composer-user-workloads' (HTTP 403" in event["message"]
        assert "needs get, list and watch on pods" in event["message"]
    assert [r.status for r in _lists(k8s_emulator)] == [403]  # one request for both triggers, not retried
    assert _watches(k8s_emulator) == []


# As the metadata database stores a deferred task's trigger: its classpath and kwargs, written by the layout before
# the house was rearranged (issue 14). The triggers kept their modules; a test pins that down.
PREVIOUS_LAYOUT_CLASSPATHS = (
    "airflow_provider_composer_pod.triggers.startup.ComposerPodStartupTrigger",
    "airflow_provider_composer_pod.triggers.pod.ComposerPodTrigger",
)


async def test_a_trigger_stored_by_the_previous_layout_deserializes_and_runs(k8s_emulator, cluster):
    try:  # what the triggerer uses to load a stored trigger
        from airflow.sdk.module_loading import import_string
    except ImportError:  # Airflow 2
        from airflow.utils.module_loading import import_string

    stored_kwargs = {
        "pod_name": "stored-1",
        "pod_namespace": NS,
        "cluster": cluster,
        "startup_timeout": 30.0,
        "created_at": time.time(),
        "on_kill_action": "delete_pod",
        "termination_grace_period": None,
        "execution_deadline": None,
    }
    trigger = import_string(PREVIOUS_LAYOUT_CLASSPATHS[0])(**stored_kwargs)
    k8s_emulator.create("pods", _pod("stored-1", "sleep 2"), NS)

    event = await _first_event(trigger)

    assert event["status"] == "started"
    assert trigger.serialize() == (PREVIOUS_LAYOUT_CLASSPATHS[0], stored_kwargs)
    if compat.KubernetesPodTrigger is not None:  # ComposerPodTrigger extends KPO's, from provider 5.2
        assert import_string(PREVIOUS_LAYOUT_CLASSPATHS[1]).__name__ == "ComposerPodTrigger"
