"""Conversions from the service's state to protobuf messages (never including credentials)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope_snmp.events import Event
from netscope_snmp.sample import PollResult, Reachability
from netscope_snmp.state import DeviceView, HistoryPoint, InterfaceView

STATUS = {
    Reachability.UP: pb.DEVICE_STATUS_UP,
    Reachability.UNREACHABLE: pb.DEVICE_STATUS_UNREACHABLE,
    Reachability.AUTH_FAILURE: pb.DEVICE_STATUS_AUTH_FAILURE,
    Reachability.NOT_POLLED: pb.DEVICE_STATUS_NOT_POLLED,
    Reachability.ERROR: pb.DEVICE_STATUS_ERROR,
}
MAX_NOTES = 50


def timestamp(epoch: float) -> Timestamp:
    """Epoch seconds as a Timestamp."""
    ts = Timestamp()
    ts.FromDatetime(datetime.fromtimestamp(epoch, UTC))
    return ts


def interface(view: InterfaceView, device_id: str = "") -> pb.Interface:
    """One interface with its latest rates."""
    s, r = view.sample, view.rates
    msg = pb.Interface(
        if_index=s.index,
        name=s.name,
        descr=s.descr,
        alias=s.alias,
        speed_bps=s.speed_bps or 0,
        oper_status=s.oper_status,
        admin_status=s.admin_status,
        in_octets=s.in_octets or 0,
        out_octets=s.out_octets or 0,
        in_errors=s.in_errors or 0,
        out_errors=s.out_errors or 0,
        in_discards=s.in_discards or 0,
        out_discards=s.out_discards or 0,
        counter_bits=s.counter_bits,
        device_id=device_id,
    )
    for field, value in (
        ("in_bps", r.in_bps),
        ("out_bps", r.out_bps),
        ("utilization_percent", r.utilization),
        ("in_utilization_percent", r.in_utilization),
        ("out_utilization_percent", r.out_utilization),
        ("in_errors_per_second", r.in_errors_per_s),
        ("out_errors_per_second", r.out_errors_per_s),
        ("in_discards_per_second", r.in_discards_per_s),
        ("out_discards_per_second", r.out_discards_per_s),
    ):
        if value is not None:
            setattr(msg, field, value)
    if view.last_change is not None:
        msg.last_change.CopyFrom(timestamp(view.last_change))
    return msg


def device(view: DeviceView, max_interfaces: int = 0) -> pb.Device:
    """A device; `max_interfaces` 0 = summary without interfaces."""
    c = view.config
    msg = pb.Device(
        id=c.id,
        address=c.address,
        port=c.port,
        labels=c.labels,
        status=STATUS[view.status],
        status_detail=view.detail,
        sys_name=view.sys_name,
        sys_descr=view.sys_descr,
        sys_object_id=view.sys_object_id,
        sys_contact=view.sys_contact,
        sys_location=view.sys_location,
        uptime_seconds=(view.uptime_ticks or 0) // 100,
        partial=view.partial,
        notes=view.notes[:MAX_NOTES],
        profile=view.profile,
        version=c.version,
        poll_interval_seconds=c.poll_interval_seconds,
        last_poll_duration_seconds=view.last_duration or 0.0,
        interface_count=len(view.interfaces),
        management_ip=c.management_ip or "",
    )
    if view.cpu_percent is not None:
        msg.cpu_percent = view.cpu_percent
    if view.memory_percent is not None:
        msg.memory_percent = view.memory_percent
    if view.last_seen is not None:
        msg.last_seen.CopyFrom(timestamp(view.last_seen))
    if view.last_polled is not None:
        msg.last_polled.CopyFrom(timestamp(view.last_polled))
    for st in view.storage[:100]:
        msg.storage.add(
            index=st.index, descr=st.descr, kind=st.kind, size_bytes=st.size_bytes, used_bytes=st.used_bytes
        )
    if max_interfaces:
        ifaces = sorted(view.interfaces.values(), key=lambda i: i.sample.index)
        msg.interfaces.extend(interface(i, c.id) for i in ifaces[:max_interfaces])
        msg.interfaces_truncated = len(ifaces) > max_interfaces
    return msg


def history_point(point: HistoryPoint) -> pb.HistoryPoint:
    """One history point."""
    msg = pb.HistoryPoint(time=timestamp(point.time), oper_status=point.oper_status)
    for field, value in (
        ("in_bps", point.in_bps),
        ("out_bps", point.out_bps),
        ("utilization_percent", point.utilization),
        ("in_utilization_percent", point.in_utilization),
        ("out_utilization_percent", point.out_utilization),
        ("in_errors_per_second", point.in_errors_per_s),
        ("out_errors_per_second", point.out_errors_per_s),
    ):
        if value is not None:
            setattr(msg, field, value)
    return msg


def outcome(result: PollResult) -> pb.PollOutcome:
    """Result of one PollNow poll."""
    return pb.PollOutcome(
        device_id=result.device_id,
        status=STATUS[result.status],
        status_detail=result.detail,
        duration_seconds=result.duration_seconds,
        partial=result.partial,
        notes=result.notes[:MAX_NOTES],
        interface_count=len(result.interfaces),
    )


def alert(event: Event) -> pb.DeviceAlert:
    """An event as a DeviceAlert."""
    type_id, type_name = event.alert_type
    msg = pb.DeviceAlert(
        kind=event.kind.value,
        device_id=event.device_id,
        address=event.address,
        severity=event.severity,
        message=event.message,
        time=timestamp(event.time),
        if_name=event.if_name,
        alert_type_id=type_id,
        alert_type_name=type_name,
    )
    if event.if_index is not None:
        msg.if_index = event.if_index
    if event.value is not None:
        msg.value = event.value
    if event.threshold is not None:
        msg.threshold = event.threshold
    return msg
