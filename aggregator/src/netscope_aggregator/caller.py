"""Who the current tool call is for: set once per call by the access layer, read by every service call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from netscope_aggregator.auth import Principal

_CURRENT: ContextVar[Principal | None] = ContextVar("netscope_caller", default=None)


@contextmanager
def acting_for(principal: Principal) -> Iterator[None]:
    """Attribute the service calls made inside this block to `principal`."""
    token = _CURRENT.set(principal)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def caller_name() -> str:
    """The name of the caller of the current tool call ('' outside one, e.g. a resource read)."""
    principal = _CURRENT.get()
    return principal.name if principal is not None else ""
