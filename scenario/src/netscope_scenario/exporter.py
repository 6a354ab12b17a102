"""A live NetFlow exporter: NetFlow v5, v9 and IPFIX encoders and a UDP replay of the world's flows.

Each bidirectional flow becomes two unidirectional records (client to server, and the reply when there is
one), exported by the router that reports the flow (see World.exporter_view). v9 and IPFIX packets carry
their templates (resent every TEMPLATE_REFRESH packets) and an options record announcing the sampling
interval; v5 announces it in the header. Sequence numbers follow each protocol's rules.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from netscope_scenario.model import Flow
from netscope_scenario.world import World

TEMPLATE_REFRESH = 20
DATA_TEMPLATE_ID = 256
OPTIONS_TEMPLATE_ID = 257
MAX_PACKET = 1400
V5_MAX_RECORDS = 30
U32 = (1 << 32) - 1

# (field type, length): the same record layout for v9 and IPFIX (IPFIX uses 2 bytes for tcpControlBits).
V9_FIELDS = ((8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (5, 1), (6, 1), (1, 8), (2, 8), (22, 4), (21, 4),
             (10, 4), (14, 4), (16, 4), (17, 4))  # fmt: skip
IPFIX_FIELDS = ((8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (5, 1), (6, 2), (1, 8), (2, 8), (152, 8), (153, 8),
                (10, 4), (14, 4), (16, 4), (17, 4))  # fmt: skip
_V9_RECORD = struct.Struct("!IIHHBBBQQIIIIII")
_IPFIX_RECORD = struct.Struct("!IIHHBBHQQQQIIII")
_V5_HEADER = struct.Struct("!HHIIIIBBH")
_V5_RECORD = struct.Struct("!IIIHHIIIIHHBBBBHHBBH")


@dataclass(frozen=True, slots=True)
class Record:
    """One unidirectional flow record (times in epoch milliseconds)."""

    src: int
    dst: int
    src_port: int
    dst_port: int
    protocol: int
    tos: int
    tcp_flags: int
    octets: int
    packets: int
    first_ms: int
    last_ms: int
    input_if: int
    output_if: int
    src_as: int
    dst_as: int


def flow_records(world: World, f: Flow, sampling_interval: int = 1) -> tuple[str, list[Record]]:
    """The exporter address and the records of one flow (counts divided by the sampling interval)."""
    exporter, in_if, out_if = world.exporter_view(f)
    c, s = f.client, f.server
    first, last = f.first_seen * 1000, f.last_seen * 1000
    n = sampling_interval
    request = Record(
        c.ip_int,
        s.ip_int,
        f.client_port,
        f.server_port,
        f.protocol,
        f.dscp << 2,
        f.c2s_flags,
        f.c2s_bytes // n or 1,
        f.c2s_packets // n or 1,
        first,
        last,
        in_if,
        out_if,
        c.asn,
        s.asn,
    )
    out = [request]  # fmt: skip
    if f.s2c_packets:
        reply = Record(
            s.ip_int,
            c.ip_int,
            f.server_port,
            f.client_port,
            f.protocol,
            f.dscp << 2,
            f.s2c_flags,
            f.s2c_bytes // n or 1,
            f.s2c_packets // n or 1,
            first,
            last,
            out_if,
            in_if,
            s.asn,
            c.asn,
        )
        out.append(reply)  # fmt: skip
    return exporter.address, out


@dataclass
class _State:
    boot_ms: int
    source_id: int
    packets: int = 0
    records: int = 0


@dataclass
class Encoder:
    """Turns records of one exporter into export packets of a NetFlow version (5, 9 or 10 = IPFIX)."""

    version: int
    boot_epoch: int
    source_id: int
    sampling_interval: int = 1
    _state: _State = field(init=False)

    def __post_init__(self) -> None:
        if self.version not in (5, 9, 10):
            raise ValueError(f"NetFlow version must be 5, 9 or 10 (IPFIX), got {self.version}")
        if not 1 <= self.sampling_interval <= 0x3FFF:
            raise ValueError(f"sampling interval must be 1-16383, got {self.sampling_interval}")
        self._state = _State(self.boot_epoch * 1000, self.source_id)

    @property
    def per_packet(self) -> int:
        """Records that fit one packet."""
        if self.version == 5:
            return V5_MAX_RECORDS
        size = _V9_RECORD.size if self.version == 9 else _IPFIX_RECORD.size
        return (MAX_PACKET - 120) // size

    def packets(self, records: list[Record]) -> Iterator[bytes]:
        """Export packets for `records`, in order."""
        for i in range(0, len(records), self.per_packet):
            chunk = records[i : i + self.per_packet]
            yield {5: self._v5, 9: self._v9, 10: self._ipfix}[self.version](chunk)

    def _uptime(self, ms: int) -> int:
        return (ms - self._state.boot_ms) & U32

    def _v5(self, recs: list[Record]) -> bytes:
        st = self._state
        export_ms = max(r.last_ms for r in recs)
        head = _V5_HEADER.pack(5, len(recs), self._uptime(export_ms), export_ms // 1000, (export_ms % 1000) * 10**6,
                               st.records & U32, 0, st.source_id & 0xFF,
                               (1 << 14 | self.sampling_interval) if self.sampling_interval > 1 else 0)  # fmt: skip
        body = b"".join(
            _V5_RECORD.pack(r.src, r.dst, 0, r.input_if & 0xFFFF, r.output_if & 0xFFFF, r.packets, r.octets,
                            self._uptime(r.first_ms), self._uptime(r.last_ms), r.src_port, r.dst_port, 0,
                            r.tcp_flags & 0xFF, r.protocol, r.tos, r.src_as & 0xFFFF, r.dst_as & 0xFFFF, 0, 0, 0)
            for r in recs
        )  # fmt: skip
        st.records += len(recs)
        st.packets += 1
        return head + body

    def _templates_due(self) -> bool:
        return self._state.packets % TEMPLATE_REFRESH == 0

    def _v9(self, recs: list[Record]) -> bytes:
        st = self._state
        export_ms = max(r.last_ms for r in recs)
        sets = []
        count = len(recs)
        if self._templates_due():
            fields = b"".join(struct.pack("!HH", t, n) for t, n in V9_FIELDS)
            sets.append(_set(0, struct.pack("!HH", DATA_TEMPLATE_ID, len(V9_FIELDS)) + fields))
            opts = struct.pack("!HHHHHHH", OPTIONS_TEMPLATE_ID, 4, 4, 1, 4, 34, 4)  # scope System; SAMPLING_INTERVAL
            sets.append(_set(1, opts))
            sets.append(_set(OPTIONS_TEMPLATE_ID, struct.pack("!II", st.source_id, self.sampling_interval)))
            count += 3
        data = b"".join(
            _V9_RECORD.pack(r.src, r.dst, r.src_port, r.dst_port, r.protocol, r.tos, r.tcp_flags & 0xFF, r.octets,
                            r.packets, self._uptime(r.first_ms), self._uptime(r.last_ms), r.input_if, r.output_if,
                            r.src_as, r.dst_as)
            for r in recs
        )  # fmt: skip
        sets.append(_set(DATA_TEMPLATE_ID, data))
        st.packets += 1
        head = struct.pack("!HHIIII", 9, count, self._uptime(export_ms), export_ms // 1000, st.packets & U32,
                           st.source_id)  # fmt: skip
        return head + b"".join(sets)

    def _ipfix(self, recs: list[Record]) -> bytes:
        st = self._state
        export_ms = max(r.last_ms for r in recs)
        sets = []
        if self._templates_due():
            fields = b"".join(struct.pack("!HH", t, n) for t, n in IPFIX_FIELDS)
            sets.append(_set(2, struct.pack("!HH", DATA_TEMPLATE_ID, len(IPFIX_FIELDS)) + fields))
            # scope observationDomainId; samplingInterval
            opts = struct.pack("!HHHHHHH", OPTIONS_TEMPLATE_ID, 2, 1, 149, 4, 34, 4)
            sets.append(_set(3, opts))
            sets.append(_set(OPTIONS_TEMPLATE_ID, struct.pack("!II", st.source_id, self.sampling_interval)))
        data = b"".join(
            _IPFIX_RECORD.pack(r.src, r.dst, r.src_port, r.dst_port, r.protocol, r.tos, r.tcp_flags, r.octets,
                               r.packets, r.first_ms, r.last_ms, r.input_if, r.output_if, r.src_as, r.dst_as)
            for r in recs
        )  # fmt: skip
        sets.append(_set(DATA_TEMPLATE_ID, data))
        body = b"".join(sets)
        head = struct.pack("!HHIII", 10, 16 + len(body), export_ms // 1000, st.records & U32, st.source_id)
        st.records += len(recs)
        st.packets += 1
        return head + body


def _set(set_id: int, payload: bytes) -> bytes:
    """A v9 flowset / IPFIX set: id, length, payload padded to 4 bytes."""
    pad = (-len(payload)) % 4
    return struct.pack("!HH", set_id, 4 + len(payload) + pad) + payload + b"\x00" * pad


def export_packets(world: World, version: int, flows: Iterable[Flow] | None = None, *, sampling_interval: int = 1,
                   batch: int = 200) -> Iterator[tuple[int, bytes]]:  # fmt: skip
    """(flows so far, packet) for the world's flows, grouped per exporter in batches of `batch` flows."""
    boot = world.start_epoch - 3600
    encoders = {e.address: Encoder(version, boot, e.source_id, sampling_interval) for e in world.exporters}
    pending: dict[str, list[Record]] = {e.address: [] for e in world.exporters}
    done = 0
    for f in world.flows() if flows is None else flows:
        address, recs = flow_records(world, f, sampling_interval)
        if version == 5:
            recs = [part for r in recs for part in split_v5(r)]
        pending[address].extend(recs)
        done += 1
        if done % batch == 0:
            for addr, queue in pending.items():
                for pkt in encoders[addr].packets(queue):
                    yield done, pkt
                queue.clear()
    for addr, queue in pending.items():
        for pkt in encoders[addr].packets(queue):
            yield done, pkt


def split_v5(r: Record) -> list[Record]:
    """v5 counters are 32-bit: split a larger record into consecutive time slices."""
    parts = r.octets // U32 + 1
    if parts == 1:
        return [r]
    span = max(1, (r.last_ms - r.first_ms) // parts)
    out = []
    for k in range(parts):
        octets = r.octets // parts + (r.octets % parts if k == parts - 1 else 0)
        packets = r.packets // parts + (r.packets % parts if k == parts - 1 else 0)
        first = r.first_ms + k * span
        last = r.last_ms if k == parts - 1 else first + span - 1
        out.append(Record(r.src, r.dst, r.src_port, r.dst_port, r.protocol, r.tos, r.tcp_flags, octets,
                          max(1, packets), first, last, r.input_if, r.output_if, r.src_as, r.dst_as))  # fmt: skip
    return out


def split_address(target: str) -> tuple[str, int]:
    """'host:port' to (host, port), with a clear error for anything else."""
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"collector address must be host:port with a port 1-65535, got {target!r}")
    return host.strip("[]"), int(port)


def replay(world: World, host: str, port: int, version: int, rate: float, *, limit: int | None = None,
           sampling_interval: int = 1) -> dict[str, float]:  # fmt: skip
    """Send the world's flows to a UDP collector at about `rate` flows per second (0 = unpaced)."""
    if rate < 0:
        raise ValueError(f"rate must be >= 0 flows per second, got {rate}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    flows: Iterable[Flow] = world.flows()
    if limit is not None:
        flows = _take(flows, limit)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sent = octets = 0
    t0 = time.monotonic()
    done = 0
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        for done, pkt in export_packets(world, version, flows, sampling_interval=sampling_interval,
                                        batch=max(1, min(200, int(rate) or 200))):  # fmt: skip
            sock.sendto(pkt, (host, port))
            sent += 1
            octets += len(pkt)
            if rate:
                ahead = done / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
    return {"flows": done, "packets": sent, "bytes": octets, "seconds": round(time.monotonic() - t0, 3)}


def _take(flows: Iterable[Flow], n: int) -> Iterator[Flow]:
    for i, f in enumerate(flows):
        if i >= n:
            return
        yield f
