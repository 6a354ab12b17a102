"""Adaptive concurrency for device walks: additive increase, multiplicative decrease on late answers.

An answer that takes more than `slow_fraction` of the request timeout means the process is not keeping
up (answers wait in the socket buffer while the event loop is busy) or the agents are overloaded: the
limit shrinks, so fewer answers are in flight than can be handled within the timeout, and requests stop
timing out for lack of CPU. Prompt answers grow the limit again, up to the configured maximum.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType


class AdaptiveLimit:
    """An async context manager admitting at most `limit` holders; the limit adapts between bounds."""

    def __init__(self, maximum: int, minimum: int = 4, slow_fraction: float = 0.5, backoff: float = 0.7) -> None:
        self.maximum = maximum
        self.minimum = min(minimum, maximum)
        self.slow_fraction = slow_fraction
        self.backoff = backoff
        self.limit = float(maximum)
        self.in_flight = 0
        self.decreases = 0
        self._last_decrease = 0.0
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> AdaptiveLimit:
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < int(self.limit))
            self.in_flight += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

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
