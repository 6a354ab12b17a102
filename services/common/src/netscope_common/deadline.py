"""The time left of the call being served, for backend clients to fit their timeouts and retries into.

The server interceptor opens `deadline_in(seconds)` around every handler (the caller's gRPC deadline, capped by the
service's default); a client reads `time_left()` before each attempt, so its own error (which names the backend)
reaches the caller before the caller's deadline expires.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("netscope_deadline", default=None)


@contextmanager
def deadline_in(seconds: float) -> Iterator[None]:
    """Run the block with a deadline `seconds` from now (an outer, earlier deadline wins)."""
    ends = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(ends if outer is None else min(outer, ends))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds until the current deadline (0 when passed); None outside any `deadline_in` block."""
    ends = _DEADLINE.get()
    return None if ends is None else max(0.0, ends - time.monotonic())
