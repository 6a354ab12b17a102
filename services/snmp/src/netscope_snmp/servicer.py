"""gRPC SnmpService: validates requests, reads the runtime's state, raises kit errors."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import grpc

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope.snmp.v1 import snmp_pb2_grpc
from netscope_common.errors import FailedPrecondition, InvalidArgument, NotFound
from netscope_common.timeutil import resolve_window
from netscope_snmp import convert
from netscope_snmp.inventory import DeviceConfig, parse_device
from netscope_snmp.runtime import SnmpRuntime
from netscope_snmp.state import DeviceView, InterfaceView

_STATUS_FILTER = {v: k for k, v in convert.STATUS.items()}


def _limit(value: int, default: int, maximum: int, field: str) -> int:
    if value > maximum:
        raise InvalidArgument(f"{field} must be at most {maximum} (got {value})", field=field)
    return value or default


def _labels_match(view: DeviceView, labels: Any) -> bool:
    return all(view.config.labels.get(k) == v for k, v in labels.items())


def _spec_to_mapping(spec: pb.DeviceSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"id": spec.id, "address": spec.address, "labels": dict(spec.labels)}
    for name in ("port", "poll_interval_seconds"):
        if getattr(spec, name):
            data[name] = getattr(spec, name)
    for name in ("version", "community", "user", "auth_protocol", "auth_key", "priv_protocol", "priv_key"):
        if getattr(spec, name):
            data[name] = getattr(spec, name)
    if spec.context:
        data["context"] = spec.context
    if spec.profile:
        data["profile"] = spec.profile
    if spec.management_ip:
        data["management_ip"] = spec.management_ip
    if spec.HasField("timeout_seconds"):
        data["timeout_seconds"] = spec.timeout_seconds
    if spec.HasField("retries"):
        data["retries"] = spec.retries
    return data


class SnmpServicer(snmp_pb2_grpc.SnmpServiceServicer):
    """Answers from the runtime's in-memory state; PollNow and Add/Remove act on it."""

    def __init__(self, runtime: SnmpRuntime) -> None:
        self.runtime = runtime

    async def ListDevices(self, request: pb.ListDevicesRequest, context: grpc.aio.ServicerContext) -> Any:
        limit = _limit(request.limit, pb.LIST_LIMIT_DEFAULT, pb.LIST_LIMIT_MAX, "limit")
        if request.status and request.status not in _STATUS_FILTER:
            raise InvalidArgument(f"unknown status {request.status}", field="status")
        now = time.time()
        views = []
        for view in sorted(self.runtime.state.devices.values(), key=lambda v: v.config.id):
            if not _labels_match(view, request.labels):
                continue
            if request.status and view.status is not _STATUS_FILTER[request.status]:
                continue
            if request.not_seen_for_seconds and (
                view.last_seen is not None and now - view.last_seen < request.not_seen_for_seconds
            ):
                continue
            views.append(view)
        shard = self.runtime.shard
        info = pb.ShardInfo(
            shard_index=shard.index,
            shard_count=shard.count,
            inventory_devices=len(self.runtime.inventory.devices()),
            shard_devices=len(self.runtime.state.devices),
        )
        max_ifaces = 5000 if request.include_interfaces else 0
        return pb.ListDevicesResponse(
            devices=[convert.device(v, max_ifaces) for v in views[:limit]],
            truncated=len(views) > limit,
            total=len(views),
            shard=info,
        )

    async def GetDevice(self, request: pb.GetDeviceRequest, context: grpc.aio.ServicerContext) -> Any:
        if not request.device:
            raise InvalidArgument("device is required (a device id or address)", field="device")
        limit = _limit(request.max_interfaces, 500, 5000, "max_interfaces")
        return convert.device(self.runtime.find(request.device), limit)

    async def ListInterfaces(self, request: pb.ListInterfacesRequest, context: grpc.aio.ServicerContext) -> Any:
        limit = _limit(request.limit, pb.LIST_LIMIT_DEFAULT, pb.LIST_LIMIT_MAX, "limit")
        views = [self.runtime.find(request.device)] if request.device else list(self.runtime.state.devices.values())
        needle = request.name_contains.lower()
        found: list[tuple[str, InterfaceView]] = []
        without_rates = 0
        for view in views:
            if not _labels_match(view, request.labels):
                continue
            for iface in view.interfaces.values():
                s, r = iface.sample, iface.rates
                if request.oper_status and s.oper_status != request.oper_status:
                    continue
                if needle and not any(needle in t.lower() for t in (s.name, s.descr, s.alias)):
                    continue
                if r.in_bps is None and r.out_bps is None:
                    without_rates += 1
                if request.HasField("min_utilization_percent") and (
                    r.utilization is None or r.utilization < request.min_utilization_percent
                ):
                    continue
                if request.HasField("min_errors_per_second"):
                    errors = (r.in_errors_per_s or 0.0) + (r.out_errors_per_s or 0.0)
                    if errors < request.min_errors_per_second:
                        continue
                found.append((view.config.id, iface))
        found.sort(key=lambda x: (-(x[1].rates.utilization or -1.0), x[0], x[1].sample.index))
        return pb.ListInterfacesResponse(
            interfaces=[convert.interface(i, device_id) for device_id, i in found[:limit]],
            truncated=len(found) > limit,
            total=len(found),
            without_rates=without_rates,
        )

    async def InterfaceHistory(self, request: pb.InterfaceHistoryRequest, context: grpc.aio.ServicerContext) -> Any:
        if not request.device or not request.interface:
            raise InvalidArgument("device and interface (name or ifIndex) are required", field="interface")
        limit = _limit(request.limit, 360, 5000, "limit")
        view = self.runtime.find(request.device)
        iface = self._interface(view, request.interface)
        start, end = resolve_window(request.window, default_span=timedelta(hours=1))
        points = [p for p in iface.history if start.timestamp() <= p.time < end.timestamp()]
        return pb.InterfaceHistoryResponse(
            device_id=view.config.id,
            if_index=iface.sample.index,
            name=iface.sample.name,
            points=[convert.history_point(p) for p in points[-limit:]],
            truncated=len(points) > limit,
            retention_seconds=(iface.history.maxlen or 0) * view.config.poll_interval_seconds,
        )

    @staticmethod
    def _interface(view: DeviceView, key: str) -> InterfaceView:
        if key.isdigit() and int(key) in view.interfaces:
            return view.interfaces[int(key)]
        for iface in view.interfaces.values():
            if key in (iface.sample.name, iface.sample.descr):
                return iface
        names = ", ".join(sorted(i.sample.name for i in view.interfaces.values())[:20]) or "none polled yet"
        raise NotFound(f"device {view.config.id!r} has no interface {key!r}; known: {names}", field="interface")

    async def PollNow(self, request: pb.PollNowRequest, context: grpc.aio.ServicerContext) -> Any:
        if len(request.devices) > 1000:
            raise InvalidArgument("at most 1000 devices per PollNow", field="devices")
        started = time.perf_counter()
        targets: list[DeviceConfig] = []
        not_in_shard: list[str] = []
        if request.devices:
            for key in request.devices:
                try:
                    targets.append(self.runtime.find(key).config)
                except FailedPrecondition:
                    not_in_shard.append(key)
        else:
            targets = [v.config for v in self.runtime.state.devices.values()]
        results = await self.runtime.poll_now(targets)
        return pb.PollNowResponse(
            outcomes=[convert.outcome(r) for r in results],
            not_in_shard=not_in_shard,
            elapsed_seconds=time.perf_counter() - started,
        )

    async def AddDevice(self, request: pb.AddDeviceRequest, context: grpc.aio.ServicerContext) -> Any:
        if not request.HasField("device"):
            raise InvalidArgument("device is required", field="device")
        config = parse_device(_spec_to_mapping(request.device), "device")
        self.runtime.add(config)
        if request.poll_now:
            await self.runtime.poll_now([config])
        return pb.AddDeviceResponse(device=convert.device(self.runtime.find(config.id), 500), in_shard=True)

    async def RemoveDevice(self, request: pb.RemoveDeviceRequest, context: grpc.aio.ServicerContext) -> Any:
        if not request.device:
            raise InvalidArgument("device is required (a device id)", field="device")
        return pb.RemoveDeviceResponse(device_id=self.runtime.remove(request.device).id)

    async def DeviceAlerts(self, request: pb.DeviceAlertsRequest, context: grpc.aio.ServicerContext) -> Any:
        limit = _limit(request.limit, pb.LIST_LIMIT_DEFAULT, pb.LIST_LIMIT_MAX, "limit")
        start, end = resolve_window(request.window, default_span=timedelta(hours=24))
        device_id = self.runtime.find(request.device).config.id if request.device else None
        events = [
            e
            for e in reversed(self.runtime.events.events)
            if start.timestamp() <= e.time < end.timestamp() and (device_id is None or e.device_id == device_id)
        ]
        return pb.DeviceAlertsResponse(alerts=[convert.alert(e) for e in events[:limit]], truncated=len(events) > limit)
