"""SNMP service replies as the tools' answers, with their one-line summaries."""

from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope_aggregator.render import human_bps, iso_time
from netscope_aggregator.tools.shared.hints import NEEDS_TWO_POLLS
from netscope_aggregator.tools.snmp.answers import DeviceInfo, DeviceSummary, HistoryPointItem, InterfaceItem


def human_duration(seconds: float) -> str:
    """93784 → '1d 2h 3m'."""
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h {minutes}m"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def status_name(status: pb.DeviceStatus.ValueType) -> str:
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
    status = status_name(d.status)
    if status != "up":
        seen = f"last seen {iso_time(d.last_seen)}" if d.HasField("last_seen") else "never seen"
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
        status=status_name(d.status),
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
        last_seen=iso_time(d.last_seen),
        last_polled=iso_time(d.last_polled),
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
        status=status_name(d.status),
        status_detail=d.status_detail,
        sys_name=d.sys_name,
        labels=dict(d.labels),
        cpu_percent=_opt(d, "cpu_percent"),
        memory_percent=_opt(d, "memory_percent"),
        uptime=human_duration(d.uptime_seconds) if d.uptime_seconds else "",
        last_seen=iso_time(d.last_seen),
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
