"""Start-up readiness on a real grpc.aio server: listening at once, NOT_SERVING with a reason, UNAVAILABLE RPCs
while the startup hook runs, retries with backoff after a failed startup, and a clean stop during startup."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from netscope.snmp.v1 import snmp_pb2, snmp_pb2_grpc
from netscope_common import readiness
from netscope_common.server import ServiceSpec, serve
from netscope_common.settings import ServiceSettings
from tests.support.processes import free_port

SERVICE = "netscope.snmp.v1.SnmpService"
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVING = health_pb2.HealthCheckResponse.SERVING


class Echo(snmp_pb2_grpc.SnmpServiceServicer):
    async def GetDevice(self, request: snmp_pb2.GetDeviceRequest, context: grpc.aio.ServicerContext) -> snmp_pb2.Device:
        return snmp_pb2.Device(id=request.device)


async def healthy() -> None:
    return None


@asynccontextmanager
async def running(
    startup: Callable[[], Awaitable[None]], shutdown: Callable[[], Awaitable[None]] | None = None
) -> AsyncIterator[tuple[str, asyncio.Event, asyncio.Task[None]]]:
    port = free_port()
    spec = ServiceSpec(
        name="scripted",
        settings=ServiceSettings(port=port, health_interval_seconds=0.1, grace_seconds=0.5),
        servicers=[(snmp_pb2_grpc.add_SnmpServiceServicer_to_server, Echo(), SERVICE)],
        health_check=healthy,
        startup=startup,
        shutdown=shutdown,
        starting="opening the test store",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(spec, stop))
    try:
        yield f"127.0.0.1:{port}", stop, task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def check(target: str, limit: float = 30) -> tuple[int, str]:
    """The first health answer (status, reason) once the server listens."""
    async with grpc.aio.insecure_channel(target) as channel:
        call = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=limit, wait_for_ready=True
        )
        reply = await call
        return reply.status, readiness.reason_of(await call.trailing_metadata())


async def until(target: str, wanted: Callable[[int, str], bool], limit: float = 30) -> tuple[int, str]:
    """Poll health until `wanted(status, reason)` holds (bounded by `limit` seconds)."""
    async with asyncio.timeout(limit):
        while True:
            status, reason = await check(target)
            if wanted(status, reason):
                return status, reason
            await asyncio.sleep(0.02)


async def get_device(target: str) -> snmp_pb2.Device:
    async with grpc.aio.insecure_channel(target) as channel:
        return await snmp_pb2_grpc.SnmpServiceStub(channel).GetDevice(snmp_pb2.GetDeviceRequest(device="r1"), timeout=5)


async def test_listens_while_starting_and_says_why_it_does_not_serve_yet() -> None:
    release = asyncio.Event()

    async def startup() -> None:
        await release.wait()

    async with running(startup) as (target, _, _):
        assert await check(target) == (NOT_SERVING, "scripted is starting: opening the test store")
        with pytest.raises(grpc.aio.AioRpcError) as starting:
            await get_device(target)
        assert starting.value.code() == grpc.StatusCode.UNAVAILABLE
        assert starting.value.details() == "scripted is starting: opening the test store"
        release.set()
        assert await until(target, lambda status, _: status == SERVING) == (SERVING, "")
        assert (await get_device(target)).id == "r1"


async def test_a_failed_startup_is_retried_with_the_failure_as_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readiness, "FIRST_RETRY_SECONDS", 0.05)
    attempts: list[float] = []
    go_on = asyncio.Event()

    async def startup() -> None:
        attempts.append(asyncio.get_running_loop().time())
        if not go_on.is_set():
            raise ConnectionError("the store at /data is locked")

    async with running(startup) as (target, _, _):
        status, reason = await until(target, lambda _, reason: "locked" in reason)
        assert status == NOT_SERVING
        assert reason.startswith("scripted is starting: the store at /data is locked (retrying in ")
        with pytest.raises(grpc.aio.AioRpcError) as starting:
            await get_device(target)
        assert starting.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "the store at /data is locked" in (starting.value.details() or "")
        async with asyncio.timeout(30):
            while len(attempts) < 4:
                await asyncio.sleep(0.02)
        gaps = [b - a for a, b in itertools.pairwise(attempts)]
        assert all(gap >= 0.05 * 2**i for i, gap in enumerate(gaps[:3])), gaps  # waits 0.05, 0.1, 0.2 s: doubling
        go_on.set()
        assert (await until(target, lambda status, _: status == SERVING))[0] == SERVING
        assert (await get_device(target)).id == "r1"


async def test_a_stop_during_startup_ends_cleanly() -> None:
    entered, shut_down = asyncio.Event(), asyncio.Event()

    async def startup() -> None:
        entered.set()
        await asyncio.Event().wait()  # a store that never opens

    async def shutdown() -> None:
        shut_down.set()
        raise RuntimeError("nothing to close: never opened")

    async with running(startup, shutdown) as (target, stop, task):
        await asyncio.wait_for(entered.wait(), 30)
        assert (await check(target))[0] == NOT_SERVING
        stop.set()
        await asyncio.wait_for(task, 30)  # returns: no hang on the pending startup, no raise from the shutdown
        assert shut_down.is_set() and task.exception() is None
