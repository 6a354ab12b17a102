"""ntopng `flows` table rows, in column batches that match FLOW_COLUMNS exactly.

DateTime columns carry epoch seconds (int), IPv6 columns "::" (the world is IPv4), every other column the
Python value of its ClickHouse type. Batches are bounded, so any number of flows streams in bounded memory.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterable, Iterator

import pyarrow as pa

from netscope_ntopng.schema import FLOW_COLUMNS
from netscope_scenario.model import Flow
from netscope_scenario.world import World

COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _, _ in FLOW_COLUMNS)
NTOPNG_INSTANCE = "netscope-scenario"
LOCAL, REMOTE = 1, 2

_ARROW_TYPES: dict[str, pa.DataType] = {
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
    "Float32": pa.float32(),
    "String": pa.string(),
    "DateTime": pa.timestamp("s", tz="UTC"),
    "IPv6": pa.binary(16),
}
ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES[ctype]) for name, ctype, _ in FLOW_COLUMNS])


def community_id(src: int, dst: int, proto: int, sport: int, dport: int) -> str:
    """Community ID v1 (seed 0) of an IPv4 flow, as Zeek, Suricata and ntopng compute it."""
    if (src, sport) > (dst, dport):
        src, dst, sport, dport = dst, src, dport, sport
    data = struct.pack("!HIIBBHH", 0, src, dst, proto, 0, sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324 - the spec mandates SHA-1


def flow_row(world: World, f: Flow) -> tuple:
    """One flow as a tuple in FLOW_COLUMNS order."""
    c, s = f.client, f.server
    exporter, in_if, out_if = world.exporter_view(f)
    cloc = LOCAL if c.is_local else REMOTE
    sloc = LOCAL if s.is_local else REMOTE
    return (
        f.flow_id, 4, f.first_seen, f.last_seen, c.vlan_id if c.is_local else s.vlan_id,
        f.c2s_packets + f.s2c_packets, f.c2s_bytes + f.s2c_bytes, f.c2s_bytes, f.s2c_bytes, f.dscp, f.dscp,
        f.protocol, c.ip_int, "::", f.client_port, s.ip_int, "::", f.server_port,
        f.l7_proto, f.l7_master, _category(f), f.risk, f.info, "", NTOPNG_INSTANCE, exporter.ntopng_interface_id,
        f.status, c.country_int, s.country_int, c.name, s.name, c.mac_int, s.mac_int,
        community_id(c.ip_int, s.ip_int, f.protocol, f.client_port, f.server_port), c.asn, s.asn,
        _probe_ip(exporter.address), 0, f.c2s_flags, f.s2c_flags, f.score,
        0, 0, cloc, sloc, c.network_id, s.network_id, in_if, out_if, 0, 0, "", "", "", "",
        "", f.severity, int(f.status != 0 and f.severity >= 4), 0, 0, 0, int(f.status != 0 and f.severity >= 4), 0,
        0 if f.status == 0 else 1, "", 0, _alert_json(f), 0, f.c2s_packets, f.s2c_packets,
    )  # fmt: skip


_PROBE_IPS: dict[str, int] = {}


def _probe_ip(address: str) -> int:
    hit = _PROBE_IPS.get(address)
    if hit is None:
        a, b, c, d = (int(x) for x in address.split("."))
        hit = _PROBE_IPS[address] = (a << 24) | (b << 16) | (c << 8) | d
    return hit


def _category(f: Flow) -> int:
    from netscope_ntopng.ndpi import l7_category

    return l7_category(f.l7_proto if f.l7_proto else f.l7_master)


def _alert_json(f: Flow) -> str:
    if not f.status:
        return ""
    return (
        f'{{"alert_id":{f.status},"score":{f.score},"info":"{f.info}",'
        f'"cli_ip":"{f.client.ip}","srv_ip":"{f.server.ip}","srv_port":{f.server_port}}}'
    )


def column_batches(world: World, flows: Iterable[Flow] | None = None, size: int = 50_000) -> Iterator[dict[str, list]]:
    """The flows as {column: values} batches of at most `size` rows, columns in FLOW_COLUMNS order."""
    rows: list[tuple] = []
    for f in world.flows() if flows is None else flows:
        rows.append(flow_row(world, f))
        if len(rows) >= size:
            yield _columns(rows)
            rows = []
    if rows:
        yield _columns(rows)


def _columns(rows: list[tuple]) -> dict[str, list]:
    return {name: list(values) for name, values in zip(COLUMN_NAMES, zip(*rows, strict=True), strict=True)}


def to_arrow(batch: dict[str, list]) -> pa.Table:
    """A column batch as an Arrow table typed like the ClickHouse columns."""
    arrays = []
    for field in ARROW_SCHEMA:
        values = batch[field.name]
        if field.type == pa.binary(16):
            arrays.append(pa.array([b"\x00" * 16] * len(values), type=field.type))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)
