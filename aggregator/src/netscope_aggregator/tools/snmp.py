"""SNMP tools: device inventory and health, interfaces, history, poll now, and confirmed add/remove (admin).

`list_snmp_devices` and `get_snmp_device_info` also accept ntopng embedded-MCP style `content`: a JSON object
string whose keys fill the other arguments. Device credentials (community, v3 keys) given to `add_snmp_device`
never appear in previews, answers or audit lines.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, cast

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.auth import Role
from netscope_aggregator.backends import Backends, ServiceCallError
from netscope_aggregator.caller import caller_name
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.contracts import ResponseT, Rpc
from netscope_aggregator.tools.live import Content, content_arguments, human_bps
from netscope_aggregator.writes import Write, WriteAnswer
from netscope_common.timeutil import make_window

DeviceKey = Annotated[str, Field(min_length=1, max_length=255, description="device id or address (IP)")]
LabelFilter = Annotated[
    str, Field(max_length=512, description="label filters, comma-separated key=value (e.g. 'site=hq,role=router')")
]
StatusName = Literal["", "up", "unreachable", "auth_failure", "not_polled", "error"]
OperStatus = Literal["", "up", "down", "testing", "unknown", "dormant", "notPresent", "lowerLayerDown"]
NotSeen = Annotated[
    int, Field(ge=0, le=31 * 86400, description="only devices without a successful poll for this many seconds")
]
DeviceLimit = Annotated[int, Field(ge=1, le=500, description="devices per answer")]
MaxInterfaces = Annotated[int, Field(ge=1, le=500, description="interfaces listed, in ifIndex order")]
Secret = Annotated[str, Field(max_length=256, description="secret; never echoed back")]
ConfirmId = Annotated[str | None, Field(max_length=64, description="id from the preview, to execute the write")]

_REDACTED = "***"
# How the snmp service words "no such device" (other NOT_FOUNDs, e.g. an unknown interface, list their own hints).
_UNKNOWN_DEVICE_MARKERS = ("is not in the inventory", "no device with id")
_SECRET_FIELDS = ("community", "auth_key", "priv_key")
_WITHOUT_RATES_DOC = "interfaces with no rate yet (rates need two polls)"
NEEDS_TWO_POLLS = "rates need two polls: run poll_snmp_device_now again or wait one poll interval"


# -- answers -------------------------------------------------------------------------------------------
class InterfaceItem(BaseModel):
    """One interface with its rates (rates are unset until two polls exist)."""

    device_id: str = ""
    if_index: int
    name: str
    alias: str = ""
    oper_status: str
    admin_status: str
    speed: str
    in_rate: str = ""
    out_rate: str = ""
    in_bps: float | None = None
    out_bps: float | None = None
    utilization_percent: float | None = None
    in_utilization_percent: float | None = None
    out_utilization_percent: float | None = None
    errors_per_second: float | None = None
    discards_per_second: float | None = None


class DeviceSummary(BaseModel):
    """One device of the inventory, without its interfaces."""

    id: str
    address: str
    port: int
    status: str
    status_detail: str = ""
    sys_name: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    cpu_percent: float | None = None
    memory_percent: float | None = None
    uptime: str = ""
    last_seen: str = ""
    interface_count: int = 0


class DevicesAnswer(BaseModel):
    """Devices matching the filters, with counts per status."""

    summary: str
    devices: list[DeviceSummary]
    total: int
    truncated: bool
    by_status: dict[str, int]


class DeviceInfo(BaseModel):
    """One device: system info, uptime, CPU, memory, interfaces with rates, status."""

    summary: str
    id: str
    address: str
    port: int
    version: str
    status: str
    status_detail: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    sys_name: str = ""
    sys_descr: str = ""
    sys_location: str = ""
    sys_contact: str = ""
    sys_object_id: str = ""
    profile: str = ""
    uptime: str = ""
    uptime_seconds: int = 0
    cpu_percent: float | None = None
    memory_percent: float | None = None
    last_seen: str = ""
    last_polled: str = ""
    partial: bool = False
    notes: list[str] = Field(default_factory=list)
    interface_count: int = 0
    interfaces_up: int = 0
    interfaces_without_rates: int = Field(0, description=_WITHOUT_RATES_DOC)
    interfaces: list[InterfaceItem] = Field(default_factory=list)
    interfaces_truncated: bool = False


class InterfacesAnswer(BaseModel):
    """Interfaces matching the filters, busiest first."""

    summary: str
    interfaces: list[InterfaceItem]
    total: int
    truncated: bool
    without_rates: int = Field(0, description=_WITHOUT_RATES_DOC + "; a utilisation or errors filter skips them")


class HistoryPointItem(BaseModel):
    """One polled point of an interface."""

    time: str
    in_bps: float | None = None
    out_bps: float | None = None
    utilization_percent: float | None = None
    in_utilization_percent: float | None = None
    out_utilization_percent: float | None = None
    errors_per_second: float | None = None
    oper_status: str = ""


class HistoryAnswer(BaseModel):
    """Rates of one interface over a window, oldest first."""

    summary: str
    device_id: str
    if_index: int
    name: str
    points: list[HistoryPointItem]
    truncated: bool
    retention_seconds: float


class PollOutcomeItem(BaseModel):
    """What one poll found."""

    device_id: str
    status: str
    status_detail: str = ""
    duration_seconds: float
    partial: bool = False
    notes: list[str] = Field(default_factory=list)
    interface_count: int = 0


class PollAnswer(BaseModel):
    """Results of polling devices now."""

    summary: str
    outcomes: list[PollOutcomeItem]
    not_in_shard: list[str] = Field(default_factory=list)
    elapsed_seconds: float


# -- content (ntopng MCP style) argument models ----------------------------------------------------------
class ListDevicesArgs(BaseModel):
    """Arguments of list_snmp_devices."""

    label: LabelFilter = ""
    status: StatusName = ""
    not_seen_for_seconds: NotSeen = 0
    limit: DeviceLimit = 50


class DeviceInfoArgs(BaseModel):
    """Arguments of get_snmp_device_info."""

    device: Annotated[str | None, Field(max_length=255)] = None
    max_interfaces: MaxInterfaces = 50


# -- formatting helpers -----------------------------------------------------------------------------------
def human_duration(seconds: float) -> str:
    """93784 → '1d 2h 3m'."""
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h {minutes}m"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def _iso(ts: Timestamp) -> str:
    return ts.ToDatetime(tzinfo=UTC).isoformat() if ts.seconds or ts.nanos else ""


def _status(status: pb.DeviceStatus.ValueType) -> str:
    return pb.DeviceStatus.Name(status).removeprefix("DEVICE_STATUS_").lower()


def parse_labels(text: str) -> dict[str, str]:
    """'site=hq,role=router' → {'site': 'hq', 'role': 'router'}; ToolError naming the bad part."""
    labels: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ToolError(f"label filter {part!r} must be key=value, e.g. 'site=hq,role=router'")
        labels[key.strip()] = value.strip()
    return labels


def _opt(message: Any, name: str) -> float | None:
    return round(getattr(message, name), 2) if message.HasField(name) else None


def _sum_opt(message: Any, a: str, b: str) -> float | None:
    if not message.HasField(a) and not message.HasField(b):
        return None
    return round(getattr(message, a) + getattr(message, b), 3)


def interface_item(i: pb.Interface) -> InterfaceItem:
    """An Interface message as a compact item."""
    return InterfaceItem(
        device_id=i.device_id,
        if_index=i.if_index,
        name=i.name or i.descr or str(i.if_index),
        alias=i.alias,
        oper_status=i.oper_status,
        admin_status=i.admin_status,
        speed=human_bps(i.speed_bps) if i.speed_bps else "unknown",
        in_rate=human_bps(i.in_bps) if i.HasField("in_bps") else "",
        out_rate=human_bps(i.out_bps) if i.HasField("out_bps") else "",
        in_bps=_opt(i, "in_bps"),
        out_bps=_opt(i, "out_bps"),
        utilization_percent=_opt(i, "utilization_percent"),
        in_utilization_percent=_opt(i, "in_utilization_percent"),
        out_utilization_percent=_opt(i, "out_utilization_percent"),
        errors_per_second=_sum_opt(i, "in_errors_per_second", "out_errors_per_second"),
        discards_per_second=_sum_opt(i, "in_discards_per_second", "out_discards_per_second"),
    )


def _has_rates(item: InterfaceItem) -> bool:
    return item.in_bps is not None or item.out_bps is not None


def _busiest(items: list[InterfaceItem]) -> InterfaceItem | None:
    """The interface with the highest utilisation of either direction (by rate where the speed is unknown)."""
    rated = [i for i in items if _has_rates(i)]
    return max(
        rated,
        key=lambda i: (
            i.utilization_percent is not None,
            i.utilization_percent or 0.0,
            max(i.in_bps or 0.0, i.out_bps or 0.0),
        ),
        default=None,
    )


def busiest_direction(item: InterfaceItem) -> str:
    """'out 95% of 50.0 Mbit/s (in 1.1 Mbit/s, out 47.4 Mbit/s)': the busier direction first, then both rates."""
    rates = f"in {item.in_rate or '?'}, out {item.out_rate or '?'}"
    inbound, outbound = item.in_utilization_percent, item.out_utilization_percent
    if inbound is None and outbound is None:
        busier = "out" if (item.out_bps or 0.0) > (item.in_bps or 0.0) else "in"
        return f"{busier} {item.out_rate if busier == 'out' else item.in_rate} ({rates}; speed {item.speed})"
    busier, percent = ("out", outbound or 0.0) if (outbound or 0.0) > (inbound or 0.0) else ("in", inbound or 0.0)
    return f"{busier} {percent:.0f}% of {item.speed} ({rates})"


def device_summary_line(d: pb.Device, items: list[InterfaceItem]) -> str:
    """'hq-vpn-1: up, CPU 45%, memory 78%, 2/3 interfaces up, busiest eth1 in 500.0 Mbit/s out ...'."""
    status = _status(d.status)
    if status != "up":
        seen = f"last seen {_iso(d.last_seen)}" if d.HasField("last_seen") else "never seen"
        return f"{d.id}: {status}" + (f" ({d.status_detail})" if d.status_detail else "") + f", {seen}"
    parts = [f"{d.id}: up"]
    if d.HasField("cpu_percent"):
        parts.append(f"CPU {d.cpu_percent:.0f}%")
    if d.HasField("memory_percent"):
        parts.append(f"memory {d.memory_percent:.0f}%")
    up = sum(1 for i in items if i.oper_status == "up")
    if d.interfaces_truncated:
        parts.append(f"{up} of {len(items)} listed interfaces up ({d.interface_count} in all)")
    else:
        parts.append(f"{up}/{len(items)} interfaces up")
    busiest = _busiest(items)
    unrated = sum(1 for i in items if not _has_rates(i))
    if busiest is not None:
        parts.append(f"busiest {busiest.name} {busiest_direction(busiest)}")
    if unrated:
        parts.append(f"{unrated} of {len(items)} listed interfaces without rates yet ({NEEDS_TWO_POLLS})")
    if d.partial:
        parts.append("partial data: " + "; ".join(d.notes[:3]))
    return ", ".join(parts)


def device_info(d: pb.Device) -> DeviceInfo:
    """A Device message as the get_snmp_device_info answer."""
    items = [interface_item(i) for i in d.interfaces]
    return DeviceInfo(
        summary=device_summary_line(d, items),
        id=d.id,
        address=d.address,
        port=d.port,
        version=d.version,
        status=_status(d.status),
        status_detail=d.status_detail,
        labels=dict(d.labels),
        sys_name=d.sys_name,
        sys_descr=d.sys_descr[:300],
        sys_location=d.sys_location,
        sys_contact=d.sys_contact,
        sys_object_id=d.sys_object_id,
        profile=d.profile,
        uptime=human_duration(d.uptime_seconds) if d.uptime_seconds else "",
        uptime_seconds=d.uptime_seconds,
        cpu_percent=_opt(d, "cpu_percent"),
        memory_percent=_opt(d, "memory_percent"),
        last_seen=_iso(d.last_seen),
        last_polled=_iso(d.last_polled),
        partial=d.partial,
        notes=list(d.notes[:10]),
        interface_count=d.interface_count,
        interfaces_up=sum(1 for i in items if i.oper_status == "up"),
        interfaces_without_rates=sum(1 for i in items if not _has_rates(i)),
        interfaces=items,
        interfaces_truncated=d.interfaces_truncated,
    )


def device_row(d: pb.Device) -> DeviceSummary:
    """A Device message as one row of list_snmp_devices."""
    return DeviceSummary(
        id=d.id,
        address=d.address,
        port=d.port,
        status=_status(d.status),
        status_detail=d.status_detail,
        sys_name=d.sys_name,
        labels=dict(d.labels),
        cpu_percent=_opt(d, "cpu_percent"),
        memory_percent=_opt(d, "memory_percent"),
        uptime=human_duration(d.uptime_seconds) if d.uptime_seconds else "",
        last_seen=_iso(d.last_seen),
        interface_count=d.interface_count,
    )


def devices_summary(rows: list[DeviceSummary], total: int) -> str:
    """'7 devices: 6 up, 1 unreachable (br1-sw-1)'."""
    if not rows:
        return "no device matches"
    counts: dict[str, list[str]] = {}
    for row in rows:
        counts.setdefault(row.status, []).append(row.id)
    parts = []
    for status, ids in sorted(counts.items(), key=lambda kv: kv[0] != "up"):
        names = "" if status == "up" else f" ({', '.join(ids[:10])}{', ...' if len(ids) > 10 else ''})"
        parts.append(f"{len(ids)} {status}{names}")
    shown = f" (showing {len(rows)})" if total > len(rows) else ""
    return f"{total} devices{shown}: " + ", ".join(parts)


def interfaces_summary(items: list[InterfaceItem], total: int, without_rates: int, rate_filter: bool) -> str:
    """'3 interfaces match; busiest br1-rtr-1 ge-0/0/0 out 95% of ...', with the interfaces lacking rates."""
    if items:
        top = items[0]
        summary = f"{total} interfaces match; busiest {top.device_id} {top.name}"
        summary += f" {busiest_direction(top)}" if _has_rates(top) else " (no rates yet)"
    else:
        summary = "no interface matches"
    if without_rates:
        skipped = "; they were not checked against the utilisation/errors filter" if rate_filter else ""
        summary += f"; {without_rates} interfaces have no rate yet ({NEEDS_TWO_POLLS}){skipped}"
        if not items and rate_filter:
            summary += ", so this is not an all-clear"
    return summary


def _avg_max(values: list[float]) -> str:
    return f"avg {human_bps(sum(values) / len(values))} max {human_bps(max(values))}"


def history_summary(points: list[HistoryPointItem]) -> str:
    """'120 points, in avg 1.1 Mbit/s max 2.0 Mbit/s (peak 4%), out avg 47.4 Mbit/s max ... (peak 95%)'."""
    parts = [f"{len(points)} points"]
    for direction in ("in", "out"):
        rates = [r for p in points if (r := getattr(p, f"{direction}_bps")) is not None]
        peaks = [u for p in points if (u := getattr(p, f"{direction}_utilization_percent")) is not None]
        if rates:
            peak = f" (peak {max(peaks):.0f}% of speed)" if peaks else ""
            parts.append(f"{direction} {_avg_max(rates)}{peak}")
    if len(parts) == 1 and points:
        parts.append(f"no rates yet ({NEEDS_TWO_POLLS})")
    return ", ".join(parts)


# -- write helpers -------------------------------------------------------------------------------------
def redacted(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with every secret replaced (for previews, answers and audit lines)."""
    return {k: (_REDACTED if k in _SECRET_FIELDS and v else v) for k, v in arguments.items()}


def binding(arguments: dict[str, Any]) -> dict[str, Any]:
    """What a confirmation id is bound to: public arguments plus a digest of the secrets (never the secrets)."""
    secret_blob = json.dumps([arguments.get(k, "") for k in _SECRET_FIELDS])
    return {**redacted(arguments), "secrets_sha256": hashlib.sha256(secret_blob.encode()).hexdigest()}


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add the SNMP tools."""

    async def call(rpc: Rpc[Any, ResponseT], request: Message, device: str = "") -> ResponseT:
        """One snmp RPC; an unknown device becomes an error listing the known device ids."""
        try:
            return await backends.call(rpc, request)
        except ServiceCallError as exc:
            unknown_device = any(marker in str(exc) for marker in _UNKNOWN_DEVICE_MARKERS)
            if exc.code != grpc.StatusCode.NOT_FOUND or not device or not unknown_device:
                raise
            known = await backends.call(contracts.snmp.ListDevices, pb.ListDevicesRequest(limit=50))
            ids = ", ".join(d.id for d in known.devices) or "none"
            more = f" (and {known.total - len(known.devices)} more)" if known.total > len(known.devices) else ""
            raise ToolError(f"{exc}. Known devices: {ids}{more}. Use list_snmp_devices to search them.") from None

    async def list_snmp_devices(
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
        reply = await call(contracts.snmp.ListDevices, request)
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
        reply = await call(
            contracts.snmp.GetDevice, pb.GetDeviceRequest(device=key, max_interfaces=args.max_interfaces), key
        )
        return device_info(reply)

    async def list_snmp_interfaces(
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
        reply = await call(contracts.snmp.ListInterfaces, request, device.strip())
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
        reply = await call(contracts.snmp.InterfaceHistory, request, device.strip())
        points = [
            HistoryPointItem(
                time=_iso(p.time),
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
        ctx: Context,
        devices: Annotated[
            list[Annotated[str, Field(min_length=1, max_length=255)]],
            Field(max_length=50, description="device ids or addresses; empty = every device"),
        ]
        | None = None,
    ) -> PollAnswer:
        keys = [d.strip() for d in devices or []]
        reply = await call(contracts.snmp.PollNow, pb.PollNowRequest(devices=keys), ",".join(keys))
        outcomes = [
            PollOutcomeItem(
                device_id=o.device_id,
                status=_status(o.status),
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

    async def add_snmp_device(
        ctx: Context,
        device_id: Annotated[str, Field(min_length=1, max_length=64, description="unique id, e.g. vpn-gw-2")],
        address: Annotated[str, Field(min_length=1, max_length=255, description="IP address or host name")],
        port: Annotated[int, Field(ge=1, le=65535)] = 161,
        version: Literal["v2c", "v3"] = "v2c",
        community: Secret = "",
        user: Annotated[str, Field(max_length=64, description="SNMPv3 user")] = "",
        auth_protocol: Literal["", "MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] = "",
        auth_key: Secret = "",
        priv_protocol: Literal["", "DES", "3DES", "AES", "AES128", "AES192", "AES256"] = "",
        priv_key: Secret = "",
        context: Annotated[str, Field(max_length=128, description="SNMPv3 context")] = "",
        labels: Annotated[str, Field(max_length=512, description="key=value pairs, e.g. 'site=hq,role=vpn'")] = "",
        poll_interval_seconds: Annotated[float, Field(ge=1, le=86400)] = 60.0,
        management_ip: Annotated[
            str, Field(max_length=64, description="the device's own IP when polled through another address")
        ] = "",
        confirm_id: ConfirmId = None,
    ) -> WriteAnswer:
        tool_name = "add_snmp_device"
        principal = caller_name()
        arguments: dict[str, Any] = {
            "device_id": device_id,
            "address": address,
            "port": port,
            "version": version,
            "community": community,
            "user": user,
            "auth_protocol": auth_protocol,
            "auth_key": auth_key,
            "priv_protocol": priv_protocol,
            "priv_key": priv_key,
            "context": context,
            "labels": labels,
            "poll_interval_seconds": poll_interval_seconds,
            "management_ip": management_ip,
        }
        parsed_labels = parse_labels(labels)
        if version == "v2c" and not community:
            raise ToolError("add_snmp_device: version v2c needs a community")
        if version == "v3" and not user:
            raise ToolError("add_snmp_device: version v3 needs a user (and auth_key/priv_key for authNoPriv/authPriv)")
        credentials = f"community {_REDACTED}" if version == "v2c" else f"v3 user {user!r}"
        preview = (
            f"add SNMP device {device_id!r} at {address}:{port} ({version}, {credentials}), labels {parsed_labels}, "
            f"polled every {poll_interval_seconds:g} s"
        )
        if management_ip:
            preview += f", alerts keyed by {management_ip}"
        write = Write(tool_name, principal, binding(arguments), preview, audited=redacted(arguments))
        waiting = await write.gate(confirmations, ctx, confirm_id, WriteAnswer, same_arguments=True)
        if waiting is not None:
            return waiting
        spec = pb.DeviceSpec(
            id=device_id,
            address=address,
            port=port,
            version=version,
            community=community,
            user=user,
            auth_protocol=auth_protocol,
            auth_key=auth_key,
            priv_protocol=priv_protocol,
            priv_key=priv_key,
            context=context,
            labels=parsed_labels,
            poll_interval_seconds=poll_interval_seconds,
            management_ip=management_ip,
        )
        reply = await write.execute(
            call(contracts.snmp.AddDevice, pb.AddDeviceRequest(device=spec, poll_now=True)), lambda _: "added"
        )
        info = device_info(reply.device)
        return WriteAnswer(
            status="done",
            preview=preview,
            result={"in_shard": reply.in_shard, "summary": info.summary, "status": info.status},
        )

    async def remove_snmp_device(ctx: Context, device: DeviceKey, confirm_id: ConfirmId = None) -> WriteAnswer:
        tool_name = "remove_snmp_device"
        principal = caller_name()
        key = device.strip()
        arguments = {"device": key}
        preview = f"remove SNMP device {key!r}"
        if not confirm_id:
            current = await call(contracts.snmp.GetDevice, pb.GetDeviceRequest(device=key, max_interfaces=1), key)
            labels = ", ".join(f"{k}={v}" for k, v in sorted(current.labels.items()))
            preview = (
                f"remove SNMP device {current.id!r} ({current.address}:{current.port}"
                + (f", {labels}" if labels else "")
                + f", now {_status(current.status)}) from the inventory; polling stops"
            )
        write = Write(tool_name, principal, arguments, preview)
        waiting = await write.gate(confirmations, ctx, confirm_id, WriteAnswer)
        if waiting is not None:
            return waiting
        reply = await write.execute(
            call(contracts.snmp.RemoveDevice, pb.RemoveDeviceRequest(device=key), key), lambda _: "removed"
        )
        return WriteAnswer(
            status="done", preview=f"removed SNMP device {reply.device_id!r}", result={"device_id": reply.device_id}
        )

    content_note = " Also accepts ntopng MCP style `content`: a JSON object string with the same keys."
    catalog.register(
        list_snmp_devices,
        name="list_snmp_devices",
        description="List monitored SNMP devices with status (up, unreachable, auth_failure, ...), CPU, memory and "
        "last seen; filter by labels (site=hq), status, or not seen for N seconds." + content_note,
        toolsets=("snmp",),
    )
    catalog.register(
        get_snmp_device_info,
        name="get_snmp_device_info",
        description="One SNMP device by id or IP: system info, uptime, CPU, memory, interfaces with in/out rates "
        "and utilisation, status with detail, and a one-line summary." + content_note,
        toolsets=("snmp",),
    )
    catalog.register(
        list_snmp_interfaces,
        name="list_snmp_interfaces",
        description="SNMP interfaces across devices, busiest first; filter by utilisation above X %, oper status, "
        "errors per second, name, device or labels.",
        toolsets=("snmp",),
    )
    catalog.register(
        get_snmp_interface_history,
        name="get_snmp_interface_history",
        description="Rates, utilisation and errors of one interface over the last N minutes (in-memory history).",
        toolsets=("snmp",),
    )
    catalog.register(
        poll_snmp_device_now,
        name="poll_snmp_device_now",
        description="Poll SNMP devices right now (refresh only, no configuration change) and report each outcome.",
        toolsets=("snmp",),
    )
    catalog.register(
        add_snmp_device,
        name="add_snmp_device",
        description="Add an SNMP device to the inventory (admin). The first call returns a preview and a "
        "confirm_id; call again with the same arguments and confirm_id to apply it. Credentials are never echoed.",
        toolsets=("snmp", "admin"),
        role=Role.ADMIN,
        writes=True,
    )
    catalog.register(
        remove_snmp_device,
        name="remove_snmp_device",
        description="Remove an SNMP device from the inventory (admin). The first call returns a preview and a "
        "confirm_id; call again with confirm_id to apply it.",
        toolsets=("snmp", "admin"),
        role=Role.ADMIN,
        writes=True,
        destructive=True,
    )
