"""Adaptive concurrency for device walks: additive increase, multiplicative decrease on late answers.

An answer that takes more than `slow_fraction` of the request timeout means the process is not keeping
up (answers wait in the socket buffer while the event loop is busy) or the agents are overloaded: the
limit shrinks, so fewer answers are in flight than can be handled within the timeout, and requests stop
timing out for lack of CPU. Prompt answers grow the limit again, up to the configured maximum.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from types import TracebackType


class AdaptiveLimit:
    """An async context manager admitting at most `limit` holders, first come first served; the limit
    adapts between bounds. Waiters queue in FIFO order and each release wakes only as many as fit (a
    condition variable waking every waiter costs O(waiters) per release: quadratic for 1,000 devices)."""

    def __init__(self, maximum: int, minimum: int = 4, slow_fraction: float = 0.5, backoff: float = 0.7) -> None:
        self.maximum = maximum
        self.minimum = min(minimum, maximum)
        self.slow_fraction = slow_fraction
        self.backoff = backoff
        self.limit = float(maximum)
        self.in_flight = 0
        self.decreases = 0
        self._last_decrease = 0.0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def __aenter__(self) -> AdaptiveLimit:
        if not self._waiters and self.in_flight < int(self.limit):
            self.in_flight += 1
            return self
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():  # a slot was handed over: give it back
                self.in_flight -= 1
                self._wake()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(granted)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        """Hand free slots to the longest waiting callers."""
        while self._waiters and self.in_flight < int(self.limit):
            granted = self._waiters.popleft()
            if not granted.done():
                self.in_flight += 1
                granted.set_result(None)

    def observe(self, started: float, slowest_answer_s: float, timeout_s: float) -> None:
        """Feed one finished walk: when it started (monotonic) and its slowest answer's round trip.

        One decrease per congestion episode: walks that started before the last decrease saw the old
        limit and do not shrink it again.
        """
        if slowest_answer_s > self.slow_fraction * timeout_s:
            if started >= self._last_decrease:
                self.limit = max(float(self.minimum), self.limit * self.backoff)
                self._last_decrease = time.monotonic()
                self.decreases += 1
        else:
            self.limit = min(float(self.maximum), self.limit + 1.0 / max(self.limit, 1.0))
            self._wake()
