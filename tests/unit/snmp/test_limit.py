"""AdaptiveLimit: shrinks once per congestion episode on late answers, grows back on prompt ones."""

from __future__ import annotations

import asyncio
import time

from netscope_snmp.limit import AdaptiveLimit


def test_late_answers_shrink_once_per_episode_and_prompt_ones_grow_back() -> None:
    limit = AdaptiveLimit(maximum=32, minimum=4)
    before = time.monotonic()
    limit.observe(before, slowest_answer_s=0.9, timeout_s=1.0)
    assert limit.limit == 32 * 0.7
    limit.observe(before, slowest_answer_s=0.9, timeout_s=1.0)  # started before the decrease: same episode
    assert limit.limit == 32 * 0.7 and limit.decreases == 1
    for _ in range(10):
        limit.observe(time.monotonic(), slowest_answer_s=0.9, timeout_s=1.0)
    assert limit.limit == 4  # never below the minimum
    for _ in range(1000):
        limit.observe(time.monotonic(), slowest_answer_s=0.01, timeout_s=1.0)
    assert limit.limit == 32  # never above the maximum


async def test_admits_at_most_limit_holders() -> None:
    limit = AdaptiveLimit(maximum=3, minimum=1)
    peak = 0

    async def hold() -> None:
        nonlocal peak
        async with limit:
            peak = max(peak, limit.in_flight)
            await asyncio.sleep(0.01)

    await asyncio.wait_for(asyncio.gather(*(hold() for _ in range(20))), 10)
    assert peak == 3 and limit.in_flight == 0


async def test_cancelled_waiters_leave_no_slot_behind() -> None:
    limit = AdaptiveLimit(maximum=1, minimum=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with limit:
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(hold()) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, *waiters[1:]), 10)
    assert waiters[0].cancelled() and limit.in_flight == 0
    async with limit:
        assert limit.in_flight == 1
