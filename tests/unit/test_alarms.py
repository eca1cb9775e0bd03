"""The shared time-outs of a pod watch's waits: ``startup/alarms.py`` and the subscriptions that use it."""

from __future__ import annotations

import asyncio
import random
from typing import List, Optional, Tuple

from airflow_provider_composer_pod.startup.alarms import Alarms
from airflow_provider_composer_pod.startup.subscription import PodSubscription


class Sleeper:
    def __init__(self, name: int, rings: List[Tuple[int, float, float]], again: Optional[float] = None) -> None:
        self.name, self.rings, self.again = name, rings, again

    def alarm(self, when: float, now: float) -> Optional[float]:
        self.rings.append((self.name, when, now))
        again, self.again = self.again, None
        return again


def test_many_alarms_ring_once_each_in_time_order_and_never_early():
    async def scenario() -> List[Tuple[int, float, float]]:
        loop = asyncio.get_running_loop()
        alarms, rings = Alarms(), []
        start = loop.time()
        offsets = [i * 0.0003 for i in range(1000)] + [0.0003 * 500]  # two sleepers at one time
        random.Random(3).shuffle(offsets)
        for name, offset in enumerate(offsets):
            alarms.set(start + offset, Sleeper(name, rings))
        await asyncio.sleep(0.5)
        assert len(alarms) == 0
        return rings

    rings = asyncio.run(scenario())

    assert len(rings) == 1001
    assert len({name for name, _, _ in rings}) == 1001
    assert [when for _, when, _ in rings] == sorted(when for _, when, _ in rings)
    assert all(now >= when - 0.001 for _, when, now in rings)


def test_a_sleeper_can_ask_to_ring_again_and_dropped_sleepers_never_ring():
    async def scenario() -> List[int]:
        loop = asyncio.get_running_loop()
        alarms, rings = Alarms(), []
        now = loop.time()
        alarms.set(now + 0.01, Sleeper(1, rings, again=now + 0.05))
        gone = Sleeper(2, rings)
        alarms.set(now + 0.02, gone)
        alarms.set(now + 0.03, Sleeper(3, rings))
        alarms.drop(lambda sleeper: sleeper is not gone)
        await asyncio.sleep(0.1)
        alarms.set(loop.time() + 0.01, Sleeper(4, rings))
        alarms.close()
        await asyncio.sleep(0.05)
        return [name for name, _, _ in rings]

    assert asyncio.run(scenario()) == [1, 3, 1]


class Watch:  # the subscriptions' side of pod_watch.NamespaceWatch, without an API
    def __init__(self) -> None:
        self.alarms = Alarms()

    def unsubscribe(self, subscription: PodSubscription) -> None:
        pass


def test_waits_of_a_subscription_share_one_alarm_wake_only_on_news_that_matters_and_time_out_at_the_deadline():
    async def scenario() -> Tuple[List[object], float, int, float]:
        loop = asyncio.get_running_loop()
        watch = Watch()
        subscription = PodSubscription(watch, "p")
        began = loop.time()
        deadline = began + 0.3
        loop.call_later(0.01, subscription.deliver, {"status": {"phase": "Pending"}}, True)  # the first news
        results: List[object] = [await subscription.changed(deadline - loop.time())]
        loop.call_later(0.01, subscription.deliver, {"status": {"phase": "Pending", "conditions": []}}, True)
        loop.call_later(0.05, subscription.deliver, {"status": {"phase": "Running"}}, True)  # ends the wait
        results.append(await subscription.changed(deadline - loop.time()))
        woke = loop.time() - began
        entries = len(watch.alarms)
        results.append(await subscription.changed(deadline - loop.time()))  # nothing more: the deadline
        return results, woke, entries, loop.time() - deadline

    results, woke, entries, late = asyncio.run(scenario())

    assert results == [True, True, False]
    assert woke >= 0.045  # not at the update of a pod still starting
    assert entries == 1
    assert -0.011 <= late < 0.1


def test_a_shorter_wait_after_a_longer_one_times_out_on_time():
    async def scenario() -> Tuple[bool, bool, float]:
        loop = asyncio.get_running_loop()
        subscription = PodSubscription(Watch(), "p")
        waiting = asyncio.ensure_future(subscription.changed(10))
        await asyncio.sleep(0.01)
        waiting.cancel()
        began = loop.time()
        timed_out = await subscription.changed(0.05)
        return waiting.cancelled(), timed_out, loop.time() - began

    cancelled, changed, took = asyncio.run(scenario())

    assert cancelled
    assert changed is False
    assert 0.04 <= took < 1.0


def test_closed_subscriptions_do_not_keep_their_alarms():
    async def scenario() -> Tuple[int, int]:
        from airflow_provider_composer_pod.kube.cluster import ClusterConnection
        from airflow_provider_composer_pod.startup.pod_watch import PodWatchRegistry

        registry = PodWatchRegistry()
        connection = ClusterConnection(config_dict={"clusters": []})
        keep = registry.subscribe(connection, "ns", "stays")
        keep.changed(600)
        subscriptions = [registry.subscribe(connection, "ns", f"p{i}") for i in range(500)]
        for subscription in subscriptions:
            subscription.changed(600)
        watch = registry.watches[(connection.key, "ns")]
        before = len(watch.alarms)
        for subscription in subscriptions:
            subscription.close()
        after = len(watch.alarms)
        keep.close()
        return before, after

    before, after = asyncio.run(scenario())

    assert before == 501
    assert after <= 64 + 2
