"""The SNMP service as one stub over its shard replicas.

Each snmp replica polls the devices of its shard (`netscope_common.sharding.shard_of(device id, count)`) and answers
only for them. This stub gives the tools one SnmpService: per-device calls go to the owning replica, list calls
fan out to every replica concurrently and are merged in the order a single replica would use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import grpc

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope.snmp.v1 import snmp_pb2_grpc
from netscope_common.sharding import shard_of

# A replica that does not own a key: NOT_FOUND (unknown to it) or FAILED_PRECONDITION (another shard's device).
# An address several devices share is INVALID_ARGUMENT (naming their ids) on every replica: never a fallback.
_NOT_HERE = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION)


def _limit(request: Any) -> int:
    return int(request.limit) or pb.LIST_LIMIT_DEFAULT


def _utilization_order(interface: pb.Interface) -> tuple[float, str, int]:
    busy = interface.utilization_percent if interface.HasField("utilization_percent") else -1.0
    return (-busy, interface.device_id, interface.if_index)


class ShardedSnmpStub:
    """Same methods as `SnmpServiceStub`, routed over the replicas in shard order (index i = shard i)."""

    def __init__(self, stubs: Sequence[snmp_pb2_grpc.SnmpServiceStub]) -> None:
        if not stubs:
            raise ValueError("need at least one snmp replica")
        self._stubs = list(stubs)

    async def _on_device(self, method: str, device: str, request: Any, **call: Any) -> Any:
        """Ask the owner of `device`; when the key is not its own (an address hashes elsewhere), ask the others."""
        owner = shard_of(device, len(self._stubs))
        try:
            return await getattr(self._stubs[owner], method)(request, **call)
        except grpc.aio.AioRpcError as error:
            if error.code() not in _NOT_HERE or len(self._stubs) == 1:
                raise
            first_error = error
        others = [stub for index, stub in enumerate(self._stubs) if index != owner]
        answers = await asyncio.gather(*(getattr(s, method)(request, **call) for s in others), return_exceptions=True)
        for answer in answers:  # an address several devices share is refused, even if one replica knows only one
            if isinstance(answer, grpc.aio.AioRpcError) and answer.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise answer
        for answer in answers:
            if not isinstance(answer, BaseException):
                return answer
        for answer in answers:  # a real failure of the replica that owns it beats "not mine"
            if isinstance(answer, grpc.aio.AioRpcError) and answer.code() not in _NOT_HERE:
                raise answer
        raise first_error

    async def _everywhere(self, method: str, request: Any, **call: Any) -> list[Any]:
        """The answers of every replica; the first failure is raised (the tool then names the snmp service)."""
        return list(await asyncio.gather(*(getattr(stub, method)(request, **call) for stub in self._stubs)))

    async def GetDevice(self, request: pb.GetDeviceRequest, **call: Any) -> pb.Device:
        """One device from its owner."""
        return await self._on_device("GetDevice", request.device, request, **call)

    async def InterfaceHistory(self, request: pb.InterfaceHistoryRequest, **call: Any) -> Any:
        """An interface's history from the device's owner."""
        return await self._on_device("InterfaceHistory", request.device, request, **call)

    async def AddDevice(self, request: pb.AddDeviceRequest, **call: Any) -> Any:
        """Add a device on the replica whose shard owns its id."""
        owner = shard_of(request.device.id, len(self._stubs))
        return await self._stubs[owner].AddDevice(request, **call)

    async def RemoveDevice(self, request: pb.RemoveDeviceRequest, **call: Any) -> Any:
        """Remove a device on its owner."""
        return await self._on_device("RemoveDevice", request.device, request, **call)

    async def ListDevices(self, request: pb.ListDevicesRequest, **call: Any) -> pb.ListDevicesResponse:
        """Devices of every shard, by id."""
        if len(self._stubs) == 1:
            return await self._stubs[0].ListDevices(request, **call)
        replies = await self._everywhere("ListDevices", request, **call)
        limit = _limit(request)
        devices = sorted((d for r in replies for d in r.devices), key=lambda d: d.id)
        shard = pb.ShardInfo(
            shard_index=0,
            shard_count=len(self._stubs),
            inventory_devices=max(r.shard.inventory_devices for r in replies),
            shard_devices=sum(r.shard.shard_devices for r in replies),
        )
        return pb.ListDevicesResponse(
            devices=devices[:limit],
            truncated=any(r.truncated for r in replies) or len(devices) > limit,
            total=sum(r.total for r in replies),
            shard=shard,
        )

    async def ListInterfaces(self, request: pb.ListInterfacesRequest, **call: Any) -> pb.ListInterfacesResponse:
        """One device's interfaces from its owner, or the busiest interfaces of every shard."""
        if request.device:
            return await self._on_device("ListInterfaces", request.device, request, **call)
        if len(self._stubs) == 1:
            return await self._stubs[0].ListInterfaces(request, **call)
        replies = await self._everywhere("ListInterfaces", request, **call)
        limit = _limit(request)
        interfaces = sorted((i for r in replies for i in r.interfaces), key=_utilization_order)
        return pb.ListInterfacesResponse(
            interfaces=interfaces[:limit],
            truncated=any(r.truncated for r in replies) or len(interfaces) > limit,
            total=sum(r.total for r in replies),
            without_rates=sum(r.without_rates for r in replies),
        )

    async def DeviceAlerts(self, request: pb.DeviceAlertsRequest, **call: Any) -> pb.DeviceAlertsResponse:
        """One device's SNMP events from its owner, or every shard's, newest first."""
        if request.device:
            return await self._on_device("DeviceAlerts", request.device, request, **call)
        if len(self._stubs) == 1:
            return await self._stubs[0].DeviceAlerts(request, **call)
        replies = await self._everywhere("DeviceAlerts", request, **call)
        limit = _limit(request)
        alerts = sorted((a for r in replies for a in r.alerts), key=lambda a: a.time.ToNanoseconds(), reverse=True)
        return pb.DeviceAlertsResponse(
            alerts=alerts[:limit], truncated=any(r.truncated for r in replies) or len(alerts) > limit
        )

    async def PollNow(self, request: pb.PollNowRequest, **call: Any) -> pb.PollNowResponse:
        """Poll the named devices on their owners (or every device everywhere) and merge the outcomes."""
        if len(self._stubs) == 1:
            return await self._stubs[0].PollNow(request, **call)
        if not request.devices:
            replies = await self._everywhere("PollNow", request, **call)
            return _merged_polls(replies, sorted({d for r in replies for d in r.not_in_shard}))
        groups: dict[int, list[str]] = {}
        for device in request.devices:
            groups.setdefault(shard_of(device, len(self._stubs)), []).append(device)
        replies = list(await asyncio.gather(*(self._poll(i, ids, **call) for i, ids in groups.items())))
        # Keys the hashed replica does not own (an address hashes anywhere) go to every other replica.
        asked = {d: i for i, reply in zip(groups, replies, strict=True) for d in reply.not_in_shard}
        if asked:
            others = {i: [d for d, s in asked.items() if s != i] for i in range(len(self._stubs))}
            replies += await asyncio.gather(*(self._poll(i, ids, **call) for i, ids in others.items() if ids))
        polled = {o.device_id for r in replies for o in r.outcomes}
        return _merged_polls(replies, sorted(d for d in asked if d not in polled))

    def _poll(self, shard: int, devices: list[str], **call: Any) -> Any:
        return self._stubs[shard].PollNow(pb.PollNowRequest(devices=devices), **call)


def _merged_polls(replies: Sequence[pb.PollNowResponse], not_in_any_shard: list[str]) -> pb.PollNowResponse:
    return pb.PollNowResponse(
        outcomes=[o for r in replies for o in r.outcomes],
        not_in_shard=not_in_any_shard,
        elapsed_seconds=max(r.elapsed_seconds for r in replies),
    )
