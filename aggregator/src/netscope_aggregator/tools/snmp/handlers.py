"""The SNMP read tools: inventory, one device, interfaces, an interface's history and poll now."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, cast

import grpc
from google.protobuf.message import Message
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends, ServiceCallError
from netscope_aggregator.contracts import ResponseT, Rpc
from netscope_aggregator.render import iso_time
from netscope_aggregator.tools.shared.content import Content, content_arguments
from netscope_aggregator.tools.snmp.answers import (
    DeviceInfo,
    DevicesAnswer,
    HistoryAnswer,
    HistoryPointItem,
    InterfacesAnswer,
    PollAnswer,
    PollOutcomeItem,
)
from netscope_aggregator.tools.snmp.arguments import (
    DeviceInfoArgs,
    DeviceKey,
    DeviceLimit,
    LabelFilter,
    ListDevicesArgs,
    MaxInterfaces,
    NotSeen,
    OperStatus,
    StatusName,
)
from netscope_aggregator.tools.snmp.render import (
    _opt,
    _sum_opt,
    device_info,
    device_row,
    devices_summary,
    history_summary,
    interface_item,
    interfaces_summary,
    parse_labels,
    status_name,
)
from netscope_common.timeutil import make_window

# How the snmp service words "no such device" (other NOT_FOUNDs, e.g. an unknown interface, list their own hints).
_UNKNOWN_DEVICE_MARKERS = ("is not in the inventory", "no device with id")


class SnmpReads:
    """The SNMP read tools (each method is one tool; its signature is the tool's argument model)."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    async def call(self, rpc: Rpc[Any, ResponseT], request: Message, device: str = "") -> ResponseT:
        """One snmp RPC; an unknown device becomes an error listing the known device ids."""
        try:
            return await self.backends.call(rpc, request)
        except ServiceCallError as exc:
            unknown_device = any(marker in str(exc) for marker in _UNKNOWN_DEVICE_MARKERS)
            if exc.code != grpc.StatusCode.NOT_FOUND or not device or not unknown_device:
                raise
            known = await self.backends.call(contracts.snmp.ListDevices, pb.ListDevicesRequest(limit=50))
            ids = ", ".join(d.id for d in known.devices) or "none"
            more = f" (and {known.total - len(known.devices)} more)" if known.total > len(known.devices) else ""
            raise ToolError(f"{exc}. Known devices: {ids}{more}. Use list_snmp_devices to search them.") from None

    async def list_snmp_devices(
        self,
        ctx: Context,
        label: LabelFilter = "",
        status: StatusName = "",
        not_seen_for_seconds: NotSeen = 0,
        limit: DeviceLimit = 50,
        content: Content = "",
    ) -> DevicesAnswer:
        args = cast(
            ListDevicesArgs,
            content_arguments(
                "list_snmp_devices",
                content,
                ListDevicesArgs,
                {"label": label, "status": status, "not_seen_for_seconds": not_seen_for_seconds, "limit": limit},
            ),
        )
        request = pb.ListDevicesRequest(
            labels=parse_labels(args.label), not_seen_for_seconds=args.not_seen_for_seconds, limit=args.limit
        )
        if args.status:
            request.status = pb.DeviceStatus.Value(f"DEVICE_STATUS_{args.status.upper()}")
        reply = await self.call(contracts.snmp.ListDevices, request)
        rows = [device_row(d) for d in reply.devices]
        by_status: dict[str, int] = {}
        for row in rows:
            by_status[row.status] = by_status.get(row.status, 0) + 1
        return DevicesAnswer(
            summary=devices_summary(rows, reply.total),
            devices=rows,
            total=reply.total,
            truncated=reply.truncated,
            by_status=by_status,
        )

    async def get_snmp_device_info(
        self,
        ctx: Context,
        device: Annotated[str | None, Field(max_length=255, description="device id or address (IP)")] = None,
        max_interfaces: MaxInterfaces = 50,
        content: Content = "",
    ) -> DeviceInfo:
        args = cast(
            DeviceInfoArgs,
            content_arguments(
                "get_snmp_device_info", content, DeviceInfoArgs, {"device": device, "max_interfaces": max_interfaces}
            ),
        )
        if not args.device or not args.device.strip():
            raise ToolError(
                "get_snmp_device_info: device is required (a device id or IP address); list_snmp_devices shows them"
            )
        key = args.device.strip()
        reply = await self.call(
            contracts.snmp.GetDevice, pb.GetDeviceRequest(device=key, max_interfaces=args.max_interfaces), key
        )
        return device_info(reply)

    async def list_snmp_interfaces(
        self,
        ctx: Context,
        device: Annotated[str, Field(max_length=255, description="device id or address; empty = all")] = "",
        label: LabelFilter = "",
        min_utilization_percent: Annotated[float | None, Field(ge=0, le=100)] = None,
        oper_status: OperStatus = "",
        min_errors_per_second: Annotated[float | None, Field(ge=0, le=1e9)] = None,
        name_contains: Annotated[str, Field(max_length=128)] = "",
        limit: Annotated[int, Field(ge=1, le=500, description="interfaces per answer, busiest first")] = 20,
    ) -> InterfacesAnswer:
        request = pb.ListInterfacesRequest(
            device=device.strip(),
            labels=parse_labels(label),
            oper_status=oper_status,
            name_contains=name_contains,
            limit=limit,
        )
        if min_utilization_percent is not None:
            request.min_utilization_percent = min_utilization_percent
        if min_errors_per_second is not None:
            request.min_errors_per_second = min_errors_per_second
        reply = await self.call(contracts.snmp.ListInterfaces, request, device.strip())
        items = [interface_item(i) for i in reply.interfaces]
        rate_filter = min_utilization_percent is not None or min_errors_per_second is not None
        return InterfacesAnswer(
            summary=interfaces_summary(items, reply.total, reply.without_rates, rate_filter),
            interfaces=items,
            total=reply.total,
            truncated=reply.truncated,
            without_rates=reply.without_rates,
        )

    async def get_snmp_interface_history(
        self,
        ctx: Context,
        device: DeviceKey,
        interface: Annotated[str, Field(min_length=1, max_length=255, description="interface name or ifIndex")],
        minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60, description="window ending now")] = 60,
        limit: Annotated[int, Field(ge=1, le=1000, description="points (newest kept)")] = 120,
    ) -> HistoryAnswer:
        end = datetime.now(UTC)
        request = pb.InterfaceHistoryRequest(
            device=device.strip(),
            interface=interface.strip(),
            window=make_window(end - timedelta(minutes=minutes), end),
            limit=limit,
        )
        reply = await self.call(contracts.snmp.InterfaceHistory, request, device.strip())
        points = [
            HistoryPointItem(
                time=iso_time(p.time),
                in_bps=_opt(p, "in_bps"),
                out_bps=_opt(p, "out_bps"),
                utilization_percent=_opt(p, "utilization_percent"),
                in_utilization_percent=_opt(p, "in_utilization_percent"),
                out_utilization_percent=_opt(p, "out_utilization_percent"),
                errors_per_second=_sum_opt(p, "in_errors_per_second", "out_errors_per_second"),
                oper_status=p.oper_status,
            )
            for p in reply.points
        ]
        return HistoryAnswer(
            summary=f"{reply.device_id} {reply.name} over {minutes} min: " + history_summary(points),
            device_id=reply.device_id,
            if_index=reply.if_index,
            name=reply.name,
            points=points,
            truncated=reply.truncated,
            retention_seconds=reply.retention_seconds,
        )

    async def poll_snmp_device_now(
        self,
        ctx: Context,
        devices: Annotated[
            list[Annotated[str, Field(min_length=1, max_length=255)]],
            Field(max_length=50, description="device ids or addresses; empty = every device"),
        ]
        | None = None,
    ) -> PollAnswer:
        keys = [d.strip() for d in devices or []]
        reply = await self.call(contracts.snmp.PollNow, pb.PollNowRequest(devices=keys), ",".join(keys))
        outcomes = [
            PollOutcomeItem(
                device_id=o.device_id,
                status=status_name(o.status),
                status_detail=o.status_detail,
                duration_seconds=round(o.duration_seconds, 3),
                partial=o.partial,
                notes=list(o.notes[:5]),
                interface_count=o.interface_count,
            )
            for o in reply.outcomes
        ]
        down = [o.device_id for o in outcomes if o.status != "up"]
        summary = f"polled {len(outcomes)} devices in {reply.elapsed_seconds:.1f} s: {len(outcomes) - len(down)} up"
        if down:
            summary += f", not up: {', '.join(down[:10])}"
        return PollAnswer(
            summary=summary,
            outcomes=outcomes,
            not_in_shard=list(reply.not_in_shard),
            elapsed_seconds=round(reply.elapsed_seconds, 3),
        )
