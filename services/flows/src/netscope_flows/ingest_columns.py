"""Column-wise validation of one IngestFlows batch into an Arrow table typed like ntopng's flows table.

Each field is read from the messages in one pass (a list or a numpy array); addresses, exporters and
application names are dictionary-encoded so each distinct value is parsed once (and cached across batches); range
and time checks run on numpy arrays. The reason of a rejected record comes from `rejection_reason`, the
per-record rules, which the vector checks mirror (tests compare them record by record).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import operator
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from netscope.flows.v1 import flows_pb2
from netscope_flows.filters import L7_BY_LOWER
from netscope_ntopng.schema import FLOW_COLUMNS

LOCAL, REMOTE = 1, 2
MAX_INFO = 1024
MAX_VLAN = 4095
MAX_U16 = 2**16 - 1
MAX_U32 = 2**32 - 1
MAX_U64 = 2**64 - 1
_ZERO_V6 = bytes(16)
_BAD_IP = (0, 0, _ZERO_V6, 0)
_ARROW_TYPES = {
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
    "IPv6": pa.binary(16),
    "String": pa.string(),
    "DateTime": pa.timestamp("s", tz="UTC"),
}
_TYPES = {name: ctype for name, ctype, _ in FLOW_COLUMNS}
COLUMNS = (
    "FLOW_ID", "IP_PROTOCOL_VERSION", "FIRST_SEEN", "LAST_SEEN", "VLAN_ID", "PACKETS", "TOTAL_BYTES",
    "SRC2DST_BYTES", "DST2SRC_BYTES", "PROTOCOL", "IPV4_SRC_ADDR", "IPV6_SRC_ADDR", "IP_SRC_PORT", "IPV4_DST_ADDR",
    "IPV6_DST_ADDR", "IP_DST_PORT", "L7_PROTO", "INFO", "INTERFACE_ID", "PROBE_IP", "SRC2DST_TCP_FLAGS",
    "CLIENT_LOCATION", "SERVER_LOCATION", "INPUT_SNMP", "OUTPUT_SNMP", "SRC2DST_PACKETS", "DST2SRC_PACKETS",
)  # fmt: skip


@functools.lru_cache(maxsize=65536)
def parse_ip(text: str) -> tuple[int, int, bytes, int]:
    """(version, IPv4 as int or 0, IPv6 packed or zeros, ntopng location) of an address; version 0 if invalid."""
    try:
        packed = socket.inet_pton(socket.AF_INET, text)
        version = 4
    except OSError:
        try:
            packed = socket.inet_pton(socket.AF_INET6, text)
            version = 6
        except OSError:
            return _BAD_IP
    location = LOCAL if ipaddress.ip_address(packed).is_private else REMOTE
    if version == 4:
        return 4, int.from_bytes(packed, "big"), _ZERO_V6, location
    return 6, 0, packed, location


@functools.lru_cache(maxsize=1024)
def parse_probe(text: str) -> int | None:
    """The exporter's IPv4 address as an int (0 when empty), None when it is not an IPv4 address."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big") if text else 0
    except OSError:
        return None


def rejection_reason(f: flows_pb2.IngestFlow) -> str | None:
    """Why one flow cannot be stored (the first rule it breaks), or None when it is valid."""
    client, server = parse_ip(f.client_ip), parse_ip(f.server_ip)
    if not client[0]:
        return f"client_ip {f.client_ip!r} is not an IP address"
    if not server[0]:
        return f"server_ip {f.server_ip!r} is not an IP address"
    if client[0] != server[0]:
        return "client_ip and server_ip are of different IP versions"
    if f.client_port > 65535 or f.server_port > 65535:
        return "ports must be 0-65535"
    if f.protocol > 255:
        return f"protocol must be 0-255, got {f.protocol}"
    if f.vlan > MAX_VLAN:
        return f"vlan must be 0-{MAX_VLAN}; got {f.vlan}"
    if f.interface_id > MAX_U16:
        return f"interface_id must be 0-{MAX_U16}; got {f.interface_id}"
    for name in ("src2dst_packets", "dst2src_packets"):
        if getattr(f, name) > MAX_U32:
            return f"{name} must be 0-{MAX_U32}; got {getattr(f, name)}"
    if f.src2dst_packets + f.dst2src_packets > MAX_U32:
        return (
            f"src2dst_packets + dst2src_packets must be at most {MAX_U32}; got {f.src2dst_packets + f.dst2src_packets}"
        )
    if f.src2dst_bytes + f.dst2src_bytes > MAX_U64:
        return f"src2dst_bytes + dst2src_bytes must be at most {MAX_U64}"
    if not f.first_seen.seconds:
        return "first_seen is missing"
    if not f.last_seen.seconds:
        return "last_seen is missing"
    for name in ("first_seen", "last_seen"):
        if not 0 < getattr(f, name).seconds <= MAX_U32:
            return f"{name} must be between 1970-01-01 and 2106-02-07 (epoch seconds 1-{MAX_U32})"
    if f.last_seen.seconds < f.first_seen.seconds:
        return "last_seen is before first_seen"
    if parse_probe(f.exporter) is None:
        return f"exporter {f.exporter!r} is not an IPv4 address"
    return None


def flow_id_base(batch_id: str) -> int:
    """The batch id's 64-bit hash; a record's FLOW_ID is this plus its index in the batch (mod 2**64)."""
    return int.from_bytes(hashlib.blake2b(batch_id.encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class _Addresses:
    version: npt.NDArray[np.uint8]
    v4: npt.NDArray[np.uint32]
    v6: pa.Array
    location: npt.NDArray[np.uint8]


def _addresses(values: Sequence[str]) -> _Addresses:
    """Parse each distinct address once and spread the results over the records."""
    encoded = pa.array(values, pa.string()).dictionary_encode()
    version, v4, v6, location = zip(*map(parse_ip, encoded.dictionary.to_pylist()), strict=True)
    codes = encoded.indices.to_numpy()
    return _Addresses(
        version=np.array(version, np.uint8)[codes],
        v4=np.array(v4, np.uint32)[codes],
        v6=pa.array(v6, pa.binary(16)).take(encoded.indices),
        location=np.array(location, np.uint8)[codes],
    )


def _lookup(values: Sequence[str], parse: Callable[[str], int | None]) -> npt.NDArray[np.int64]:
    """parse() of each distinct value spread over the records; -1 where parse gave None."""
    encoded = pa.array(values, pa.string()).dictionary_encode()
    mapped = [parse(text) for text in encoded.dictionary.to_pylist()]
    table = np.array([-1 if m is None else m for m in mapped], np.int64)
    return table[encoded.indices.to_numpy()]


@functools.lru_cache(maxsize=4096)
def l7_id(name: str) -> int:
    """The nDPI id of an application name (case-insensitive); 0 (Unknown) when it is not one."""
    return L7_BY_LOWER.get(name.lower(), 0)


def _info(values: Sequence[str]) -> pa.Array:
    array = pa.array(values, pa.string())
    if len(array) and pc.max(pc.utf8_length(array)).as_py() > MAX_INFO:
        array = pc.utf8_slice_codeunits(array, 0, MAX_INFO)
    return array


@dataclass(frozen=True)
class Batch:
    """One validated batch: the accepted rows as Arrow, and the indices of the rejected records."""

    table: pa.Table
    rejected: npt.NDArray[np.intp]


def validate_batch(batch_id: str, flows: Sequence[flows_pb2.IngestFlow]) -> Batch:
    """Validate a batch column-wise; the table holds the valid records in their order, typed like ntopng's."""
    if not flows:
        return Batch(pa.Table.from_arrays([], names=[]), np.empty(0, np.intp))
    records = list(flows)
    count = len(records)

    def texts(name: str) -> list[str]:
        return list(map(operator.attrgetter(name), records))

    def numbers(name: str, dtype: type[np.generic] = np.uint64) -> npt.NDArray[Any]:
        return np.fromiter(map(operator.attrgetter(name), records), dtype, count)

    client, server = _addresses(texts("client_ip")), _addresses(texts("server_ip"))
    probe = _lookup(texts("exporter"), parse_probe)
    first_s, last_s = numbers("first_seen.seconds", np.int64), numbers("last_seen.seconds", np.int64)
    src_port, dst_port, proto = numbers("client_port"), numbers("server_port"), numbers("protocol")
    s2d_b, d2s_b = numbers("src2dst_bytes"), numbers("dst2src_bytes")
    s2d_p, d2s_p = numbers("src2dst_packets"), numbers("dst2src_packets")
    vlan, interface_id = numbers("vlan"), numbers("interface_id")
    total_bytes, packets = s2d_b + d2s_b, s2d_p + d2s_p
    bad = (
        (client.version == 0) | (server.version == 0) | (client.version != server.version)
        | (src_port > 65535) | (dst_port > 65535) | (proto > 255) | (vlan > MAX_VLAN) | (interface_id > MAX_U16)
        | (s2d_p > MAX_U32) | (d2s_p > MAX_U32) | (packets > MAX_U32) | (total_bytes < s2d_b)
        | (first_s <= 0) | (last_s <= 0) | (first_s > MAX_U32) | (last_s > MAX_U32) | (last_s < first_s)
        | (probe < 0)
    )  # fmt: skip
    ids = np.arange(count, dtype=np.uint64) + np.uint64(flow_id_base(batch_id))
    columns: dict[str, object] = {
        "FLOW_ID": ids, "IP_PROTOCOL_VERSION": client.version, "FIRST_SEEN": first_s, "LAST_SEEN": last_s,
        "VLAN_ID": vlan, "PACKETS": packets, "TOTAL_BYTES": total_bytes, "SRC2DST_BYTES": s2d_b,
        "DST2SRC_BYTES": d2s_b, "PROTOCOL": proto, "IPV4_SRC_ADDR": client.v4, "IPV6_SRC_ADDR": client.v6,
        "IP_SRC_PORT": src_port, "IPV4_DST_ADDR": server.v4, "IPV6_DST_ADDR": server.v6, "IP_DST_PORT": dst_port,
        "L7_PROTO": np.fromiter(map(l7_id, texts("application")), np.uint16, count), "INFO": _info(texts("info")),
        "INTERFACE_ID": interface_id, "PROBE_IP": probe,
        "SRC2DST_TCP_FLAGS": numbers("tcp_flags") & 0xFF, "CLIENT_LOCATION": client.location,
        "SERVER_LOCATION": server.location, "INPUT_SNMP": numbers("input_if"), "OUTPUT_SNMP": numbers("output_if"),
        "SRC2DST_PACKETS": s2d_p, "DST2SRC_PACKETS": d2s_p,
    }  # fmt: skip
    keep = ~bad
    arrays = [_column(columns[name], _ARROW_TYPES[_TYPES[name]], keep) for name in COLUMNS]
    return Batch(pa.Table.from_arrays(arrays, names=list(COLUMNS)), np.flatnonzero(bad))


def _column(values: object, arrow_type: pa.DataType, keep: npt.NDArray[np.bool_]) -> pa.Array:
    """The kept records of one column as an Arrow array (a checked cast: out-of-range values raise)."""
    if isinstance(values, pa.Array):
        return values.filter(pa.array(keep)).cast(arrow_type)
    assert isinstance(values, np.ndarray)
    kept = values[keep]
    if pa.types.is_timestamp(arrow_type):
        return pa.array(kept, pa.int64()).cast(arrow_type)
    return pa.array(kept).cast(arrow_type)
