"""A small NetFlow v5 / v9 / IPFIX exporter-side encoder (tests, benchmarks and smoke checks).

It writes the same information elements the decoder keeps, with IPv4 and IPv6 templates and an
options template announcing the sampling rate. Sequence numbers follow each protocol's definition.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from netscope_live.netflow.fields import NTOP_PEN

V4_TEMPLATE_ID = 256
V6_TEMPLATE_ID = 257
OPTIONS_TEMPLATE_ID = 258


@dataclass(slots=True)
class ExportFlow:
    """One flow to export (times in epoch seconds)."""

    src_ip: str
    dst_ip: str
    src_port: int
    dst_port: int
    protocol: int
    bytes: int
    packets: int
    first_seen: float
    last_seen: float
    tcp_flags: int = 0
    input_if: int = 1
    output_if: int = 2
    src_mac: str = "00:00:00:00:00:00"
    dst_mac: str = "00:00:00:00:00:00"
    vlan: int = 0
    l7_proto: int = 0


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def _is_v6(flow: ExportFlow) -> bool:
    return ipaddress.ip_address(flow.src_ip).version == 6


def encode_v5(
    flows: Sequence[ExportFlow],
    *,
    sequence: int,
    export_time: float,
    uptime_ms: int = 3_600_000,
    sampling_interval: int = 0,
    engine_id: int = 0,
) -> bytes:
    """One NetFlow v5 packet (1 to 30 IPv4 flows); `sequence` counts flows sent before it."""
    if not 1 <= len(flows) <= 30:
        raise ValueError("a NetFlow v5 packet carries 1 to 30 flows")
    secs = int(export_time)
    boot = export_time - uptime_ms / 1000.0
    header = struct.pack(
        "!HHIIIIBBH",
        5,
        len(flows),
        uptime_ms,
        secs,
        int((export_time - secs) * 1e9),
        sequence,
        0,
        engine_id,
        (1 << 14 | sampling_interval) if sampling_interval > 1 else 0,
    )
    body = b"".join(
        struct.pack(
            "!4s4s4sHHIIIIHHxBBBHHBB2x",
            ipaddress.IPv4Address(f.src_ip).packed,
            ipaddress.IPv4Address(f.dst_ip).packed,
            b"\0" * 4,
            f.input_if,
            f.output_if,
            f.packets,
            f.bytes,
            int((f.first_seen - boot) * 1000),
            int((f.last_seen - boot) * 1000),
            f.src_port,
            f.dst_port,
            f.tcp_flags,
            f.protocol,
            0,
            0,
            0,
            24,
            24,
        )
        for f in flows
    )
    return header + body


def _set(set_id: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("!HH", set_id, len(body) + 4) + body


class V9Encoder:
    """NetFlow v9 packets for one source id; `sequence` counts export packets."""

    FIELDS_V4 = (
        (8, 4),
        (12, 4),
        (7, 2),
        (11, 2),
        (4, 1),
        (1, 4),
        (2, 4),
        (22, 4),
        (21, 4),
        (6, 1),
        (10, 2),
        (14, 2),
        (56, 6),
        (80, 6),
        (58, 2),
        (57590, 2),
    )
    FIELDS_V6 = ((27, 16), (28, 16), *FIELDS_V4[2:])

    def __init__(self, source_id: int = 0, uptime_ms: int = 3_600_000) -> None:
        self.source_id = source_id
        self.uptime_ms = uptime_ms
        self.sequence = 0

    def template_set(self) -> bytes:
        """The template flowset (IPv4 and IPv6 templates)."""
        body = b""
        for tid, fields in ((V4_TEMPLATE_ID, self.FIELDS_V4), (V6_TEMPLATE_ID, self.FIELDS_V6)):
            body += struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", *f) for f in fields)
        return _set(0, body)

    def options_sets(self, sampling_interval: int) -> bytes:
        """An options template (scope: system) and its data record announcing 1:N sampling."""
        template = struct.pack("!HHHHHHH", OPTIONS_TEMPLATE_ID, 4, 4, 1, 4, 34, 4)
        data = struct.pack("!II", 0, sampling_interval)
        return _set(1, template) + _set(OPTIONS_TEMPLATE_ID, data)

    def data_sets(self, flows: Sequence[ExportFlow], export_time: float) -> bytes:
        """Data flowsets for the flows (IPv4 and IPv6 in separate sets)."""
        boot = export_time - self.uptime_ms / 1000.0
        by_tid: dict[int, bytes] = {}
        for f in flows:
            v6 = _is_v6(f)
            record = struct.pack(
                "!16s16s" if v6 else "!4s4s",
                ipaddress.ip_address(f.src_ip).packed,
                ipaddress.ip_address(f.dst_ip).packed,
            ) + struct.pack(
                "!HHBIIIIBHH6s6sHH",
                f.src_port,
                f.dst_port,
                f.protocol,
                f.bytes,
                f.packets,
                int((f.first_seen - boot) * 1000),
                int((f.last_seen - boot) * 1000),
                f.tcp_flags,
                f.input_if,
                f.output_if,
                _mac(f.src_mac),
                _mac(f.dst_mac),
                f.vlan,
                f.l7_proto,
            )
            tid = V6_TEMPLATE_ID if v6 else V4_TEMPLATE_ID
            by_tid[tid] = by_tid.get(tid, b"") + record
        return b"".join(_set(tid, body) for tid, body in by_tid.items())

    def packet(self, sets: bytes, export_time: float, count: int = 0) -> bytes:
        """Wrap sets in a v9 header and advance the packet sequence."""
        header = struct.pack("!HHIIII", 9, count, self.uptime_ms, int(export_time), self.sequence, self.source_id)
        self.sequence += 1
        return header + sets


class IpfixEncoder:
    """IPFIX messages for one observation domain; `sequence` counts data records."""

    FIELDS_V4 = (
        (8, 4, 0),
        (12, 4, 0),
        (7, 2, 0),
        (11, 2, 0),
        (4, 1, 0),
        (1, 8, 0),
        (2, 8, 0),
        (152, 8, 0),
        (153, 8, 0),
        (6, 1, 0),
        (10, 4, 0),
        (14, 4, 0),
        (56, 6, 0),
        (80, 6, 0),
        (58, 2, 0),
        (118, 2, NTOP_PEN),
    )
    FIELDS_V6 = ((27, 16, 0), (28, 16, 0), *FIELDS_V4[2:])

    def __init__(self, domain: int = 0, *, ntop_l7: bool = True) -> None:
        self.domain = domain
        self.sequence = 0
        self.ntop_l7 = ntop_l7  # False leaves out ntop's enterprise L7_PROTO element

    def _fields(self, v6: bool) -> tuple[tuple[int, int, int], ...]:
        fields = self.FIELDS_V6 if v6 else self.FIELDS_V4
        return fields if self.ntop_l7 else fields[:-1]

    @staticmethod
    def _spec(element: int, length: int, pen: int) -> bytes:
        if pen:
            return struct.pack("!HHI", element | 0x8000, length, pen)
        return struct.pack("!HH", element, length)

    def template_set(self) -> bytes:
        """The template set (IPv4 and IPv6 templates)."""
        body = b""
        for tid, v6 in ((V4_TEMPLATE_ID, False), (V6_TEMPLATE_ID, True)):
            fields = self._fields(v6)
            body += struct.pack("!HH", tid, len(fields)) + b"".join(self._spec(*f) for f in fields)
        return _set(2, body)

    def options_sets(self, sampling_interval: int) -> tuple[bytes, int]:
        """An options template (scope: observationDomainId) and its data record; (sets, data records)."""
        template = struct.pack("!HHHHHHH", OPTIONS_TEMPLATE_ID, 2, 1, 149, 4, 34, 4)
        data = struct.pack("!II", self.domain, sampling_interval)
        return _set(3, template) + _set(OPTIONS_TEMPLATE_ID, data), 1

    def data_sets(self, flows: Sequence[ExportFlow]) -> tuple[bytes, int]:
        """Data sets for the flows; (sets, data records)."""
        by_tid: dict[int, bytes] = {}
        for f in flows:
            v6 = _is_v6(f)
            record = (
                struct.pack(
                    "!16s16s" if v6 else "!4s4s",
                    ipaddress.ip_address(f.src_ip).packed,
                    ipaddress.ip_address(f.dst_ip).packed,
                )
                + struct.pack(
                    "!HHBQQQQBII6s6sH",
                    f.src_port,
                    f.dst_port,
                    f.protocol,
                    f.bytes,
                    f.packets,
                    int(f.first_seen * 1000),
                    int(f.last_seen * 1000),
                    f.tcp_flags,
                    f.input_if,
                    f.output_if,
                    _mac(f.src_mac),
                    _mac(f.dst_mac),
                    f.vlan,
                )
                + (struct.pack("!H", f.l7_proto) if self.ntop_l7 else b"")
            )
            tid = V6_TEMPLATE_ID if v6 else V4_TEMPLATE_ID
            by_tid[tid] = by_tid.get(tid, b"") + record
        return b"".join(_set(tid, body) for tid, body in by_tid.items()), len(flows)

    def message(self, sets: bytes, export_time: float, data_records: int) -> bytes:
        """Wrap sets in an IPFIX header and advance the record sequence."""
        header = struct.pack("!HHIII", 10, 16 + len(sets), int(export_time), self.sequence, self.domain)
        self.sequence += data_records
        return header + sets
