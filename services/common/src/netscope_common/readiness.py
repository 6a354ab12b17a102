"""Start-up readiness: the server listens at once and says why it is not serving yet.

A service's startup hook (open the store, bind a collector, load an inventory) runs after the gRPC server
listens. Until it has succeeded, health is NOT_SERVING with the reason in the trailing metadata key
`netscope-health-reason`, and every RPC answers UNAVAILABLE "<service> is starting: <reason>". A failed
startup is retried with exponential backoff; a stop while it runs cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2

from netscope_common.errors import Unavailable
from netscope_common.logs import get_logger

log = get_logger("netscope.readiness")

REASON_KEY = "netscope-health-reason"
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 10.0


class Readiness:
    """Whether the service has started, and if not, why (the text health and UNAVAILABLE answers carry)."""

    def __init__(self, service: str, reason: str) -> None:
        self.service = service
        self.reason = reason
        self.ready = False

    def require(self) -> None:
        """Raise Unavailable naming the reason while the service is still starting."""
        if not self.ready:
            raise Unavailable(f"{self.service} is starting: {self.reason}")


class ReasonedHealthServicer(health.aio.HealthServicer):
    """The standard gRPC health service; a NOT_SERVING answer carries its reason as trailing metadata."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = ""

    async def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        """The status of the named service, with `netscope-health-reason` when it is not SERVING."""
        reply = await super().Check(request, context)
        if reply.status != health_pb2.HealthCheckResponse.SERVING and self.reason:
            context.set_trailing_metadata(((REASON_KEY, self.reason),))
        return reply


def reason_of(trailing_metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    """The `netscope-health-reason` value of a health answer's trailing metadata ('' when absent)."""
    for key, value in trailing_metadata or ():
        if key == REASON_KEY:
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


async def start_with_retries(
    startup: Callable[[], Awaitable[None]],
    readiness: Readiness,
    stop: asyncio.Event,
    on_failure: Callable[[str], Awaitable[None]],
) -> None:
    """Run `startup` until it succeeds (then mark ready) or `stop` is set; back off between attempts.

    `on_failure(reason)` is awaited after every failed attempt, so health can say why the service waits.
    """
    delay = FIRST_RETRY_SECONDS
    while not stop.is_set():
        try:
            await startup()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            readiness.reason = f"{str(exc) or type(exc).__name__} (retrying in {delay:g} s)"
            log.warning("startup_failed", service=readiness.service, error=readiness.reason)
            await on_failure(readiness.reason)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
            continue
        readiness.ready, readiness.reason = True, ""
        return
