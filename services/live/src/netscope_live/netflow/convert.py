"""Conversions of raw field bytes to values, and of a decoded value dict to a FlowRecord."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netscope_live.netflow.fields import Kind
from netscope_live.netflow.records import FlowRecord

Converter = Callable[[Any], Any]


def mac_text(raw: bytes) -> str:
    """Six bytes as 'aa:bb:cc:dd:ee:ff'."""
    return raw.hex(":")


def text(raw: bytes) -> str:
    """A fixed or variable-length string field (NUL padded, UTF-8 with replacement)."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def uint(raw: bytes) -> int:
    """A reduced-size unsigned integer (IPFIX allows 3, 5, 6 and 7 byte encodings)."""
    return int.from_bytes(raw, "big")


def ipv6(raw: bytes) -> str:
    """Sixteen bytes as the compressed IPv6 text form."""
    return socket.inet_ntop(socket.AF_INET6, raw)


CONVERTERS: dict[Kind, Converter] = {
    Kind.UINT: uint,
    Kind.IPV4: socket.inet_ntoa,
    Kind.IPV6: ipv6,
    Kind.MAC: mac_text,
    Kind.TEXT: text,
}


@dataclass(slots=True)
class PacketContext:
    """Header facts every record of one export packet shares."""

    exporter: str
    domain: int
    version: int
    export_time: float
    sys_uptime_ms: int | None  # NetFlow v9 only: FIRST/LAST_SWITCHED are relative to it
    sampling_rate: int


def record_times(d: dict[str, Any], ctx: PacketContext) -> tuple[float, float]:
    """(first, last) epoch seconds from whichever time elements the template carries."""
    if "start_ms" in d or "end_ms" in d:
        end = d.get("end_ms", d.get("start_ms", 0)) / 1000.0
        return d.get("start_ms", d.get("end_ms", 0)) / 1000.0, end
    if "start_s" in d or "end_s" in d:
        return float(d.get("start_s", d.get("end_s", 0))), float(d.get("end_s", d.get("start_s", 0)))
    if "first_switched" in d or "last_switched" in d:
        first = d.get("first_switched", d.get("last_switched", 0))
        last = d.get("last_switched", first)
        if ctx.sys_uptime_ms is not None:
            base = ctx.export_time - ctx.sys_uptime_ms / 1000.0
            return base + first / 1000.0, base + last / 1000.0
        if "system_init_ms" in d:
            init = d["system_init_ms"]
            return (init + first) / 1000.0, (init + last) / 1000.0
    return ctx.export_time, ctx.export_time


def sampling_from(d: dict[str, Any]) -> int | None:
    """The packet sampling rate (1 in N) a record or options record announces, if any."""
    interval = d.get("sampling_interval")
    if interval:
        return int(interval)
    packets = d.get("sampling_packet_interval")
    if packets:
        return max(1, round((packets + d.get("sampling_packet_space", 0)) / packets))
    return None


def to_record(d: dict[str, Any], ctx: PacketContext) -> FlowRecord | None:
    """A FlowRecord from a decoded value dict, or None when the record carries no addresses."""
    src = d.get("src_ip")
    dst = d.get("dst_ip")
    if src is None or dst is None:
        return None
    rate = sampling_from(d) or ctx.sampling_rate
    first, last = record_times(d, ctx)
    return FlowRecord(
        exporter=ctx.exporter,
        domain=ctx.domain,
        version=ctx.version,
        src_ip=src,
        dst_ip=dst,
        src_port=d.get("src_port", 0),
        dst_port=d.get("dst_port", 0),
        protocol=d.get("protocol", 0),
        bytes=d.get("bytes", d.get("bytes_total", 0)) * rate,
        packets=d.get("packets", d.get("packets_total", 0)) * rate,
        rev_bytes=d.get("rev_bytes", 0) * rate,
        rev_packets=d.get("rev_packets", 0) * rate,
        first_seen=first,
        last_seen=last,
        tcp_flags=d.get("tcp_flags", 0),
        tos=d.get("tos", 0),
        input_if=d.get("input_if", 0),
        output_if=d.get("output_if", 0),
        src_mac=d.get("src_mac") or d.get("src_mac_post", ""),
        dst_mac=d.get("dst_mac") or d.get("dst_mac_post", ""),
        vlan=d.get("vlan", 0),
        src_as=d.get("src_as", 0),
        dst_as=d.get("dst_as", 0),
        l7_proto=d.get("l7_proto", -1),
        l7_name=d.get("l7_name", ""),
        sampling_rate=rate,
    )
