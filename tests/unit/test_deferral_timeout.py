"""The deadline primitive the triggers use for ``execution_timeout`` while a task is deferred."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from airflow_provider_composer_pod.startup.deadline import BACKSTOP_SECONDS, backstop, execution_deadline, within


async def test_an_answer_before_the_deadline_is_the_answer():
    async def answer() -> str:
        await asyncio.sleep(0.01)
        return "started"

    assert await within(answer(), time.time() + 5) == (True, "started")
    assert await within(answer(), None) == (True, "started")


async def test_at_the_deadline_the_awaitable_is_cancelled_and_unwinds():
    unwound = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            unwound.set()

    assert await within(forever(), time.time() + 0.05) == (False, None)
    assert unwound.is_set()


async def test_an_event_given_in_answer_to_the_cancellation_is_not_the_answer():
    # KubernetesPodTrigger 5.x to 9.x catches its cancellation and yields "Pod execution was cancelled".
    async def answers_its_cancellation() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return "Pod execution was cancelled"
        return "finished"

    assert await within(answers_its_cancellation(), time.time() + 0.05) == (False, None)


async def test_cancelling_the_caller_cancels_the_awaitable():
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    caller = asyncio.ensure_future(within(forever(), time.time() + 3600))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.sleep(0)
    assert cancelled.is_set()


def test_the_deadline_counts_from_the_task_instances_start():
    start = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
    task = SimpleNamespace(execution_timeout=timedelta(minutes=5))

    assert execution_deadline(task, {"ti": SimpleNamespace(start_date=start)}) == start.timestamp() + 300
    assert (
        execution_deadline(SimpleNamespace(execution_timeout=None), {"ti": SimpleNamespace(start_date=start)}) is None
    )


def test_airflow_resumes_the_task_a_minute_after_the_triggers_deadline():
    assert backstop(None) is None
    assert backstop(time.time() + 30).total_seconds() == pytest.approx(30 + BACKSTOP_SECONDS, abs=1)
    assert backstop(time.time() - 30).total_seconds() == pytest.approx(BACKSTOP_SECONDS, abs=1)  # already past
