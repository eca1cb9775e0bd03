"""pod_watch's pieces that need no API server: backoff with jitter, and the connection key that decides sharing."""

from __future__ import annotations

import asyncio
import random

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


def test_a_subscription_wakes_on_a_change_times_out_and_passes_a_cancellation_on():
    from airflow_provider_composer_pod.startup.pod_watch import PodSubscription

    async def scenario() -> list:
        subscription = PodSubscription(None, "p")  # type: ignore[arg-type] - no watch: deliver() is called here
        results = [await subscription.wait_changed(0.01)]  # nothing happened: a timeout
        subscription.deliver({"status": {"phase": "Pending"}}, live=True)
        results.append(await subscription.wait_changed(10))  # changed before the wait: no waiting
        asyncio.get_running_loop().call_later(0.01, subscription.deliver, {"status": {"phase": "Running"}}, True)
        results.append(await subscription.wait_changed(10))  # woken by the change
        waiting = asyncio.ensure_future(subscription.wait_changed(10))
        await asyncio.sleep(0.01)
        waiting.cancel()
        try:
            await waiting
        except asyncio.CancelledError:
            results.append("cancelled")
        results.append(subscription._waiter is None)
        return results

    assert asyncio.run(scenario()) == [False, True, True, "cancelled", True]
