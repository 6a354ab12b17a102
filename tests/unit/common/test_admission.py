"""Fair admission: slots, per-token caps, the bounded wait and least-recent-use ordering."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from netscope_common.admission import Admission, AdmissionLimits
from netscope_common.errors import ResourceExhausted


class Clock:
    """A clock the test moves by hand (engine seconds are measured with it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _hold(admission: Admission, token: str, release: asyncio.Event, started: asyncio.Event | None = None) -> str:
    async with admission.slot(token):
        if started is not None:
            started.set()
        await release.wait()
    return token


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0)


async def test_per_token_running_cap_leaves_slots_to_others() -> None:
    admission = Admission(AdmissionLimits(slots=4, per_token_running=2, per_token_waiting=8, wait_seconds=5))
    release = asyncio.Event()
    hogs = [asyncio.create_task(_hold(admission, "hog", release)) for _ in range(5)]
    await _until(lambda: admission.running == 2 and admission.waiting == 3)
    async with admission.slot("other"):
        assert admission.running == 3
    release.set()
    assert await asyncio.gather(*hogs) == ["hog"] * 5


async def test_waiting_cap_refuses_at_once_naming_the_limit() -> None:
    admission = Admission(AdmissionLimits(slots=1, per_token_running=1, per_token_waiting=2, wait_seconds=5))
    release = asyncio.Event()
    tasks = [asyncio.create_task(_hold(admission, "hog", release)) for _ in range(3)]
    await _until(lambda: admission.running == 1 and admission.waiting == 2)
    with pytest.raises(ResourceExhausted, match=r"already has 2 SQL queries waiting \(limit 2 waiting"):
        async with admission.slot("hog"):
            pass
    release.set()
    await asyncio.gather(*tasks)


async def test_wait_is_bounded_and_the_error_names_the_limit() -> None:
    admission = Admission(AdmissionLimits(slots=1, per_token_running=1, wait_seconds=0.2))
    release = asyncio.Event()
    hog = asyncio.create_task(_hold(admission, "hog", release))
    await _until(lambda: admission.running == 1)
    with pytest.raises(ResourceExhausted, match=r"waited 0\.2 s \(the wait limit\)"):
        async with admission.slot("other"):
            pass
    assert admission.waiting == 0
    release.set()
    await hog


async def test_least_recent_engine_time_goes_first() -> None:
    clock = Clock()
    admission = Admission(AdmissionLimits(slots=1, per_token_running=1, wait_seconds=5), clock=clock)
    async with admission.slot("heavy"):
        clock.now += 30  # heavy used 30 engine seconds
    release = asyncio.Event()
    first = asyncio.create_task(_hold(admission, "light", release))
    await _until(lambda: admission.running == 1)
    order: list[str] = []

    async def record(token: str) -> None:
        async with admission.slot(token):
            order.append(token)

    heavy = asyncio.create_task(record("heavy"))  # queued first
    await _until(lambda: admission.waiting == 1)
    other = asyncio.create_task(record("fresh"))  # queued second, but never used the engine
    await _until(lambda: admission.waiting == 2)
    release.set()
    await asyncio.gather(first, heavy, other)
    assert order == ["fresh", "heavy"]


async def test_usage_decays_with_the_half_life() -> None:
    clock = Clock()
    admission = Admission(AdmissionLimits(half_life_seconds=60), clock=clock)
    async with admission.slot("t"):
        clock.now += 8
    clock.now += 60
    assert admission.usage("t") == pytest.approx(4.0)


async def test_a_cancelled_waiter_frees_its_place_and_slots_are_returned() -> None:
    admission = Admission(AdmissionLimits(slots=1, per_token_running=1, wait_seconds=5))
    release = asyncio.Event()
    hog = asyncio.create_task(_hold(admission, "hog", release))
    await _until(lambda: admission.running == 1)
    waiter = asyncio.create_task(_hold(admission, "other", asyncio.Event()))
    await _until(lambda: admission.waiting == 1)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert admission.waiting == 0
    release.set()
    await hog
    assert admission.running == 0
    async with admission.slot("other"):
        assert admission.running == 1


async def test_a_token_that_floods_the_queue_goes_behind_one_that_asks_once() -> None:
    admission = Admission(AdmissionLimits(slots=1, per_token_running=1, per_token_waiting=8, wait_seconds=5))
    release = asyncio.Event()
    first = asyncio.create_task(_hold(admission, "flood", release))
    await _until(lambda: admission.running == 1)
    order: list[str] = []

    async def record(token: str) -> None:
        async with admission.slot(token):
            order.append(token)

    flood = [asyncio.create_task(record("other-flood")) for _ in range(3)]
    await _until(lambda: admission.waiting == 3)
    once = asyncio.create_task(record("once"))
    await _until(lambda: admission.waiting == 4)
    release.set()
    await asyncio.gather(first, *flood, once)
    assert order[0] == "once"
