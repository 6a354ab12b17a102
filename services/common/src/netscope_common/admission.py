"""Fair admission of expensive calls: N slots, per-caller caps, a bounded wait, least recent use first.

Callers are identified by a token (the principal name). At most `slots` calls run at once, at most
`per_token_running` of them for one token; at most `per_token_waiting` calls of one token wait, and none
waits longer than `wait_seconds`. When a slot frees, the waiting call of the token that used the least
engine time recently goes first (usage decays with a half-life; among equals, the token with fewer calls
waiting), so one caller's runaway calls cost the others at most a bounded wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from netscope_common.errors import ResourceExhausted


@dataclass(frozen=True)
class AdmissionLimits:
    """The limits one Admission enforces."""

    slots: int = 4
    per_token_running: int = 2
    per_token_waiting: int = 8
    wait_seconds: float = 10.0
    half_life_seconds: float = 60.0


@dataclass(order=True)
class _Waiter:
    usage: float
    order: int
    token: str = field(compare=False)
    future: asyncio.Future[None] = field(compare=False)


class Admission:
    """Slots for one kind of call (e.g. assistant SQL), shared by every caller of one process."""

    def __init__(self, limits: AdmissionLimits, what: str = "SQL queries", clock: Callable[[], float] | None = None):
        self.limits = limits
        self._what = what
        self._clock = clock or time.monotonic
        self._running: dict[str, int] = {}
        self._waiting: list[_Waiter] = []
        self._usage: dict[str, tuple[float, float]] = {}  # token -> (decayed engine seconds, at)
        self._order = itertools.count()

    @property
    def running(self) -> int:
        """Calls holding a slot now."""
        return sum(self._running.values())

    @property
    def waiting(self) -> int:
        """Calls waiting for a slot now."""
        return len(self._waiting)

    def usage(self, token: str) -> float:
        """The token's engine seconds, decayed to now."""
        spent, at = self._usage.get(token, (0.0, 0.0))
        if not spent:
            return 0.0
        return spent * math.pow(0.5, (self._clock() - at) / self.limits.half_life_seconds)

    def _can_run(self, token: str) -> bool:
        return self.running < self.limits.slots and self._running.get(token, 0) < self.limits.per_token_running

    def _take(self, token: str) -> None:
        self._running[token] = self._running.get(token, 0) + 1

    def _release(self, token: str, seconds: float) -> None:
        self._running[token] -= 1
        if not self._running[token]:
            del self._running[token]
        self._usage[token] = (self.usage(token) + seconds, self._clock())
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand free slots to waiters: least recent usage first, then the token with fewer calls waiting (one
        that floods the queue goes behind one that asks once), then first come."""
        queued: dict[str, int] = {}
        for waiter in self._waiting:
            queued[waiter.token] = queued.get(waiter.token, 0) + 1
        for waiter in sorted(self._waiting, key=lambda w: (self.usage(w.token), queued[w.token], w.order)):
            if self.running >= self.limits.slots:
                return
            if waiter.future.done() or not self._can_run(waiter.token):
                continue
            self._waiting.remove(waiter)
            self._take(waiter.token)
            waiter.future.set_result(None)

    def _busy(self, token: str) -> ResourceExhausted:
        return ResourceExhausted(
            f"{self._what} are saturated: {self.running} running (limit {self.limits.slots}, "
            f"{self.limits.per_token_running} per token) and this call waited {self.limits.wait_seconds:g} s "
            f"(the wait limit) without a slot; retry shortly, or ask for less (a narrower window, a LIMIT)"
        )

    @contextlib.asynccontextmanager
    async def slot(self, token: str) -> AsyncIterator[None]:
        """Hold one slot for the body; raises ResourceExhausted naming the limit that refused the call."""
        if self._can_run(token) and not self._waiting:
            self._take(token)
        else:
            queued = sum(1 for w in self._waiting if w.token == token)
            if queued >= self.limits.per_token_waiting:
                raise ResourceExhausted(
                    f"token '{token or 'anonymous'}' already has {queued} {self._what} waiting "
                    f"(limit {self.limits.per_token_waiting} waiting, {self.limits.per_token_running} running "
                    f"per token); wait for them to finish"
                )
            waiter = _Waiter(self.usage(token), next(self._order), token, asyncio.get_running_loop().create_future())
            self._waiting.append(waiter)
            self._dispatch()
            try:
                async with asyncio.timeout(self.limits.wait_seconds):
                    await asyncio.shield(waiter.future)
            except (TimeoutError, asyncio.CancelledError) as exc:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
                elif waiter.future.done():  # granted at the moment we gave up: give the slot back
                    self._release(token, 0.0)
                if isinstance(exc, TimeoutError):
                    raise self._busy(token) from None
                raise
        started = self._clock()
        try:
            yield
        finally:
            self._release(token, self._clock() - started)
