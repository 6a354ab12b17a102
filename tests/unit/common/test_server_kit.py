"""The service kit on a real grpc.aio server: error mapping, health, reflection, deadlines, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from grpc_status import rpc_status

from netscope.snmp.v1 import snmp_pb2, snmp_pb2_grpc
from netscope_common.errors import InvalidArgument, NotFound
from netscope_common.readiness import reason_of
from netscope_common.server import ServiceSpec, serve
from netscope_common.settings import ServiceSettings
from tests.support.processes import free_port, serving

SERVICE = "netscope.snmp.v1.SnmpService"


class ScriptedSnmp(snmp_pb2_grpc.SnmpServiceServicer):
    """A servicer whose behaviour the test picks by device name (exercises the kit, not SNMP)."""

    async def GetDevice(self, request: snmp_pb2.GetDeviceRequest, context: grpc.aio.ServicerContext) -> snmp_pb2.Device:
        if request.device == "bad":
            raise InvalidArgument("device must be an id or an IPv4 address", field="device")
        if request.device == "missing":
            raise NotFound("device 'missing' is not in the inventory; known: r1")
        if request.device == "crash":
            raise RuntimeError("secret internal detail")
        if request.device == "slow":
            await asyncio.sleep(5)
        return snmp_pb2.Device(id=request.device)


class Backend:
    """A backend whose health the test switches."""

    healthy = True

    async def check(self) -> None:
        if not self.healthy:
            raise ConnectionError("store down")


@pytest.fixture
async def service() -> AsyncIterator[tuple[str, Backend, asyncio.Event]]:
    backend = Backend()
    port = free_port()
    settings = ServiceSettings(port=port, health_interval_seconds=0.1, grace_seconds=0.5)
    stop = asyncio.Event()
    spec = ServiceSpec(
        name="scripted",
        settings=settings,
        servicers=[(snmp_pb2_grpc.add_SnmpServiceServicer_to_server, ScriptedSnmp(), SERVICE)],
        health_check=backend.check,
        default_deadline_seconds=1.0,
    )
    task = asyncio.create_task(serve(spec, stop))
    target = f"127.0.0.1:{port}"
    await serving(target, SERVICE)
    yield target, backend, stop
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_domain_errors_map_to_status_codes_with_field_details(
    service: tuple[str, Backend, asyncio.Event],
) -> None:
    target, _, _ = service
    async with grpc.aio.insecure_channel(target) as channel:
        stub = snmp_pb2_grpc.SnmpServiceStub(channel)
        assert (await stub.GetDevice(snmp_pb2.GetDeviceRequest(device="r1"), timeout=2)).id == "r1"
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.GetDevice(snmp_pb2.GetDeviceRequest(device="bad"), timeout=2)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad.value.details() == "device must be an id or an IPv4 address"
        status = rpc_status.from_call(bad.value)
        assert status is not None
        violation = error_details_pb2.BadRequest()
        status.details[0].Unpack(violation)
        assert violation.field_violations[0].field == "device"
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.GetDevice(snmp_pb2.GetDeviceRequest(device="missing"), timeout=2)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert "known: r1" in (missing.value.details() or "")


async def test_unexpected_exception_is_internal_without_details(service: tuple[str, Backend, asyncio.Event]) -> None:
    target, _, _ = service
    async with grpc.aio.insecure_channel(target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as crash:
            await snmp_pb2_grpc.SnmpServiceStub(channel).GetDevice(snmp_pb2.GetDeviceRequest(device="crash"), timeout=2)
    assert crash.value.code() == grpc.StatusCode.INTERNAL
    assert "secret internal detail" not in (crash.value.details() or "")
    assert "request id" in (crash.value.details() or "")


async def test_server_side_deadline_cuts_handlers(service: tuple[str, Backend, asyncio.Event]) -> None:
    target, _, _ = service
    async with grpc.aio.insecure_channel(target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as slow:
            await snmp_pb2_grpc.SnmpServiceStub(channel).GetDevice(snmp_pb2.GetDeviceRequest(device="slow"), timeout=3)
    assert slow.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "did not finish within its time limit" in (slow.value.details() or "")


async def _status_when(health: health_pb2_grpc.HealthStub, service: str, wanted: int) -> tuple[int, str]:
    """Poll until health of `service` is `wanted` (bounded); (status, netscope-health-reason)."""
    async with asyncio.timeout(30):
        while True:
            call = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            reply = await call
            if reply.status == wanted:
                return reply.status, reason_of(await call.trailing_metadata())
            await asyncio.sleep(0.02)


async def test_health_follows_the_backend(service: tuple[str, Backend, asyncio.Event]) -> None:
    target, backend, _ = service
    serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
    async with grpc.aio.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        ok = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=1)
        assert ok.status == serving
        backend.healthy = False
        assert await _status_when(health, SERVICE, not_serving) == (not_serving, "store down")
        backend.healthy = True
        assert await _status_when(health, "", serving) == (serving, "")


async def test_reflection_lists_the_services(service: tuple[str, Backend, asyncio.Event]) -> None:
    target, _, _ = service

    def names() -> list[str]:
        with grpc.insecure_channel(target) as channel:
            return sorted(ProtoReflectionDescriptorDatabase(channel).get_services())

    assert SERVICE in await asyncio.to_thread(names)
