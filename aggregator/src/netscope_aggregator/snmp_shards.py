"""The SNMP service as one service over its shard replicas.

Each snmp replica polls the devices of its shard (`netscope_common.sharding.shard_of(device id, count)`) and answers
only for them. `SnmpShards.call` gives the tools one SnmpService: per-device calls go to the owning replica, list
calls fan out to every replica concurrently and are merged in the order a single replica would use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.contracts import Rpc
from netscope_common.sharding import shard_of

# Calls one RPC on the replica of a shard: (shard index, rpc, request, timeout/metadata) -> awaitable reply.
Invoke = Callable[..., Awaitable[Any]]

# A replica that does not own a key: NOT_FOUND (unknown to it) or FAILED_PRECONDITION (another shard's device).
# An address several devices share is INVALID_ARGUMENT (naming their ids) on every replica: never a fallback.
_NOT_HERE = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION)


def _limit(request: Any) -> int:
    return int(request.limit) or pb.LIST_LIMIT_DEFAULT


def _utilization_order(interface: pb.Interface) -> tuple[float, str, int]:
    busy = interface.utilization_percent if interface.HasField("utilization_percent") else -1.0
    return (-busy, interface.device_id, interface.if_index)


class SnmpShards:
    """Routes SnmpService calls over `count` replicas (index i = shard i)."""

    def __init__(self, count: int, invoke: Invoke) -> None:
        if count < 1:
            raise ValueError("need at least one snmp replica")
        self._count = count
        self._invoke = invoke
        snmp = contracts.snmp
        self._routes: dict[Rpc[Any, Any], Callable[..., Awaitable[Any]]] = {
            snmp.GetDevice: lambda request, **call: self._on_device(snmp.GetDevice, request.device, request, **call),
            snmp.InterfaceHistory: lambda request, **call: self._on_device(
                snmp.InterfaceHistory, request.device, request, **call
            ),
            snmp.RemoveDevice: lambda request, **call: self._on_device(
                snmp.RemoveDevice, request.device, request, **call
            ),
            snmp.AddDevice: lambda request, **call: self._invoke(
                shard_of(request.device.id, self._count), snmp.AddDevice, request, **call
            ),
            snmp.ListDevices: self._list_devices,
            snmp.ListInterfaces: self._list_interfaces,
            snmp.DeviceAlerts: self._device_alerts,
            snmp.PollNow: self._poll_now,
        }

    async def call(self, rpc: Rpc[Any, Any], request: Message, **call: Any) -> Any:
        """The answer one SnmpService would give, from the replica(s) that hold it."""
        route = self._routes.get(rpc)
        if route is None:
            raise ValueError(f"{rpc.name} has no route over snmp shards")
        return await route(request, **call)

    async def _on_device(self, rpc: Rpc[Any, Any], device: str, request: Message, **call: Any) -> Any:
        """Ask the owner of `device`; when the key is not its own (an address hashes elsewhere), ask the others."""
        owner = shard_of(device, self._count)
        try:
            return await self._invoke(owner, rpc, request, **call)
        except grpc.aio.AioRpcError as error:
            if error.code() not in _NOT_HERE or self._count == 1:
                raise
            first_error = error
        others = [index for index in range(self._count) if index != owner]
        answers = await asyncio.gather(*(self._invoke(i, rpc, request, **call) for i in others), return_exceptions=True)
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

    async def _everywhere(self, rpc: Rpc[Any, Any], request: Message, **call: Any) -> list[Any]:
        """The answers of every replica; the first failure is raised (the tool then names the snmp service)."""
        return list(await asyncio.gather(*(self._invoke(i, rpc, request, **call) for i in range(self._count))))

    async def _list_devices(self, request: pb.ListDevicesRequest, **call: Any) -> pb.ListDevicesResponse:
        """Devices of every shard, by id."""
        replies = await self._everywhere(contracts.snmp.ListDevices, request, **call)
        limit = _limit(request)
        devices = sorted((d for r in replies for d in r.devices), key=lambda d: d.id)
        shard = pb.ShardInfo(
            shard_index=0,
            shard_count=self._count,
            inventory_devices=max(r.shard.inventory_devices for r in replies),
            shard_devices=sum(r.shard.shard_devices for r in replies),
        )
        return pb.ListDevicesResponse(
            devices=devices[:limit],
            truncated=any(r.truncated for r in replies) or len(devices) > limit,
            total=sum(r.total for r in replies),
            shard=shard,
        )

    async def _list_interfaces(self, request: pb.ListInterfacesRequest, **call: Any) -> pb.ListInterfacesResponse:
        """One device's interfaces from its owner, or the busiest interfaces of every shard."""
        rpc = contracts.snmp.ListInterfaces
        if request.device:
            return await self._on_device(rpc, request.device, request, **call)
        replies = await self._everywhere(rpc, request, **call)
        limit = _limit(request)
        interfaces = sorted((i for r in replies for i in r.interfaces), key=_utilization_order)
        return pb.ListInterfacesResponse(
            interfaces=interfaces[:limit],
            truncated=any(r.truncated for r in replies) or len(interfaces) > limit,
            total=sum(r.total for r in replies),
            without_rates=sum(r.without_rates for r in replies),
        )

    async def _device_alerts(self, request: pb.DeviceAlertsRequest, **call: Any) -> pb.DeviceAlertsResponse:
        """One device's SNMP events from its owner, or every shard's, newest first."""
        rpc = contracts.snmp.DeviceAlerts
        if request.device:
            return await self._on_device(rpc, request.device, request, **call)
        replies = await self._everywhere(rpc, request, **call)
        limit = _limit(request)
        alerts = sorted((a for r in replies for a in r.alerts), key=lambda a: a.time.ToNanoseconds(), reverse=True)
        return pb.DeviceAlertsResponse(
            alerts=alerts[:limit], truncated=any(r.truncated for r in replies) or len(alerts) > limit
        )

    async def _poll_now(self, request: pb.PollNowRequest, **call: Any) -> pb.PollNowResponse:
        """Poll the named devices on their owners (or every device everywhere) and merge the outcomes."""
        if not request.devices:
            replies = await self._everywhere(contracts.snmp.PollNow, request, **call)
            return _merged_polls(replies, sorted({d for r in replies for d in r.not_in_shard}))
        groups: dict[int, list[str]] = {}
        for device in request.devices:
            groups.setdefault(shard_of(device, self._count), []).append(device)
        replies = list(await asyncio.gather(*(self._poll(i, ids, **call) for i, ids in groups.items())))
        # Keys the hashed replica does not own (an address hashes anywhere) go to every other replica.
        asked = {d: i for i, reply in zip(groups, replies, strict=True) for d in reply.not_in_shard}
        if asked:
            others = {i: [d for d, s in asked.items() if s != i] for i in range(self._count)}
            replies += await asyncio.gather(*(self._poll(i, ids, **call) for i, ids in others.items() if ids))
        polled = {o.device_id for r in replies for o in r.outcomes}
        return _merged_polls(replies, sorted(d for d in asked if d not in polled))

    def _poll(self, shard: int, devices: list[str], **call: Any) -> Awaitable[Any]:
        return self._invoke(shard, contracts.snmp.PollNow, pb.PollNowRequest(devices=devices), **call)


def _merged_polls(replies: Sequence[pb.PollNowResponse], not_in_any_shard: list[str]) -> pb.PollNowResponse:
    return pb.PollNowResponse(
        outcomes=[o for r in replies for o in r.outcomes],
        not_in_shard=not_in_any_shard,
        elapsed_seconds=max(r.elapsed_seconds for r in replies),
    )
