"""pod_watch's pieces that need no API server: backoff with jitter, and the connection key that decides sharing."""

from __future__ import annotations

import asyncio
import random
from typing import Tuple

import pytest

from airflow_provider_composer_pod.kube.backoff import Backoff
from airflow_provider_composer_pod.kube.cluster import ClusterConnection


def test_backoff_doubles_with_full_jitter_up_to_the_cap_and_resets():
    random.seed(7)
    backoff = Backoff(initial=0.5, cap=4.0)

    delays = [backoff.next_delay() for _ in range(6)]
    backoff.reset()

    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert all(ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings))
    assert len(set(delays)) == len(delays)  # jittered: two triggerers do not reconnect in step
    assert 0.25 <= backoff.next_delay() <= 0.5


@pytest.mark.parametrize(
    ("other", "shared"),
    [
        pytest.param(ClusterConnection(config_dict={"clusters": [{"name": "a"}]}, context="c"), True, id="same"),
        pytest.param(ClusterConnection(config_dict={"clusters": [{"name": "b"}]}, context="c"), False, id="cluster"),
        pytest.param(ClusterConnection(config_dict={"clusters": [{"name": "a"}]}, context="d"), False, id="context"),
        pytest.param(ClusterConnection(in_cluster=True), False, id="in-cluster"),
    ],
)
def test_triggers_share_a_watch_only_for_the_same_cluster_and_credentials(other, shared):
    one = ClusterConnection(config_dict={"clusters": [{"name": "a"}]}, context="c")

    assert (one.key == other.key) is shared
    assert ClusterConnection.from_dict(one.to_dict()) == one


@pytest.mark.parametrize(
    ("other", "shared"),
    [
        pytest.param({"clusters": [{"name": "a"}]}, True, id="same-config-another-copy"),
        pytest.param({"clusters": [{"name": "b"}]}, False, id="another-cluster"),
    ],
)
def test_the_registry_shares_a_namespace_watch_only_for_the_same_cluster_and_credentials(other, shared):
    from airflow_provider_composer_pod.startup.pod_watch import PodWatchRegistry

    async def scenario() -> Tuple[int, int]:
        registry = PodWatchRegistry()
        one = registry.subscribe(ClusterConnection(config_dict={"clusters": [{"name": "a"}]}), "ns", "p1")
        two = registry.subscribe(ClusterConnection(config_dict=other), "ns", "p2")
        elsewhere = registry.subscribe(ClusterConnection(config_dict={"clusters": [{"name": "a"}]}), "ns2", "p3")
        watches = len(registry.watches)
        for subscription in (one, two, elsewhere):
            subscription.close()
        return watches, len(registry.watches)

    watches, left = asyncio.run(scenario())

    assert watches == (2 if shared else 3)
    assert left == 0


def test_a_subscription_wakes_on_a_change_times_out_and_passes_a_cancellation_on():
    from airflow_provider_composer_pod.startup.alarms import Alarms
    from airflow_provider_composer_pod.startup.pod_watch import PodSubscription

    class Watch:  # no API: deliver() is called here
        alarms = Alarms()

        def unsubscribe(self, subscription: PodSubscription) -> None:
            pass

    async def scenario() -> list:
        subscription = PodSubscription(Watch(), "p")
        results = [await subscription.changed(0.01)]  # nothing happened: a timeout
        subscription.deliver({"status": {"phase": "Pending"}}, live=True)
        results.append(await subscription.changed(10))  # changed before the wait: no waiting
        asyncio.get_running_loop().call_later(0.01, subscription.deliver, {"status": {"phase": "Running"}}, True)
        results.append(await subscription.changed(10))  # woken by the change
        waiting = asyncio.ensure_future(subscription.changed(10))
        await asyncio.sleep(0.01)
        waiting.cancel()
        try:
            await waiting
        except asyncio.CancelledError:
            results.append("cancelled")
        subscription.close()
        results.append(subscription._waiter is None)
        return results

    assert asyncio.run(scenario()) == [False, True, True, "cancelled", True]
