"""The aggregator's /status: each service's health and reason, version, uptime, last error and recent rates."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import Gauge

from netscope_aggregator.backends import Backends
from netscope_aggregator.contracts import SERVICES
from netscope_aggregator.http_guard import RATE_LIMITED
from netscope_aggregator.tracing import TOOL_STATUS
from netscope_common.status import status_from_metadata

BACKEND_SERVING = Gauge(
    "netscope_backend_serving", "1 when the service answered SERVING to the aggregator's health check", ["service"]
)


async def _reported(backends: Backends, service: str, timeout: float) -> dict[str, object]:
    """What a service reports about itself with its health answer ({} when it cannot be reached)."""
    stub = health_pb2_grpc.HealthStub(backends.channel(service))
    call = stub.Check(health_pb2.HealthCheckRequest(service=SERVICES[service.split("-")[0]].full_name), timeout=timeout)
    try:
        await call
        return status_from_metadata(await call.initial_metadata())
    except grpc.aio.AioRpcError:
        return {}


async def _service(backends: Backends, service: str, timeout: float) -> dict[str, object]:
    (serving, reason), reported = await asyncio.gather(
        backends.health(service, timeout), _reported(backends, service, timeout)
    )
    return {"serving": serving, "reason": reason, "target": backends.targets[service], **reported}


def _rate_limited() -> int:
    return int(sum(s.value for m in RATE_LIMITED.collect() for s in m.samples if s.name.endswith("_total")))


async def collect(backends: Backends, timeout: float = 2.0) -> dict[str, object]:
    """The aggregator's own status and every service's, asked concurrently."""
    names = list(backends.targets)
    services = await asyncio.gather(*(_service(backends, name, timeout) for name in names))
    aggregator = {**TOOL_STATUS.snapshot(), "rate_limited_total": _rate_limited()}
    return {"aggregator": aggregator, "services": dict(zip(names, services, strict=True))}


async def refresh_serving(backends: Backends, timeout: float = 2.0) -> None:
    """Ask every service for its health now (before a scrape) and set netscope_backend_serving."""
    names = list(backends.targets)
    results = await asyncio.gather(*(backends.health(name, timeout) for name in names))
    for name, (serving, _) in zip(names, results, strict=True):
        BACKEND_SERVING.labels(name).set(1 if serving else 0)
