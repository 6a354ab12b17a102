"""IngestFlows: validate collector batches, store them in ntopng's flows table, once per batch id."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.ntopng.schema import FLOW_COLUMNS
from netscope_flows.filters import L7_BY_LOWER
from netscope_flows.store import INGEST_LEDGER, ClickHouseStore

MAX_BATCH_FLOWS = 10_000
MAX_BATCH_ID = 128
MAX_REJECTIONS = 20
REMEMBERED_BATCHES = 100_000
LOCAL, REMOTE = 1, 2
_ZERO_V6 = bytes(16)
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


class Rejected(ValueError):
    """One flow that cannot be stored, with the reason."""


@functools.lru_cache(maxsize=65536)
def _ip(text: str, name: str) -> tuple[int, int, bytes, int]:
    """(version, IPv4 as int or 0, IPv6 packed or zeros, ntopng location) of an address; raises Rejected."""
    try:
        packed = socket.inet_pton(socket.AF_INET, text)
        version = 4
    except OSError:
        try:
            packed = socket.inet_pton(socket.AF_INET6, text)
            version = 6
        except OSError:
            raise Rejected(f"{name} {text!r} is not an IP address") from None
    location = LOCAL if ipaddress.ip_address(packed).is_private else REMOTE
    if version == 4:
        return 4, int.from_bytes(packed, "big"), _ZERO_V6, location
    return 6, 0, packed, location


def _when(ts: Any, name: str) -> int:
    if not ts.seconds:
        raise Rejected(f"{name} is missing")
    return int(ts.seconds)


@functools.lru_cache(maxsize=1024)
def _probe(text: str) -> int:
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big") if text else 0
    except OSError:
        raise Rejected(f"exporter {text!r} is not an IPv4 address") from None


def _row(batch_id: str, index: int, f: flows_pb2.IngestFlow) -> tuple[Any, ...]:
    """One validated flow as a tuple in COLUMNS order; raises Rejected."""
    client, server = _ip(f.client_ip, "client_ip"), _ip(f.server_ip, "server_ip")
    if client[0] != server[0]:
        raise Rejected("client_ip and server_ip are of different IP versions")
    if f.client_port > 65535 or f.server_port > 65535:
        raise Rejected("ports must be 0-65535")
    if f.protocol > 255:
        raise Rejected(f"protocol must be 0-255, got {f.protocol}")
    first, last = _when(f.first_seen, "first_seen"), _when(f.last_seen, "last_seen")
    if last < first:
        raise Rejected("last_seen is before first_seen")
    return (
        _flow_id(batch_id, index), client[0], first, last, f.vlan, f.src2dst_packets + f.dst2src_packets,
        f.src2dst_bytes + f.dst2src_bytes, f.src2dst_bytes, f.dst2src_bytes, f.protocol,
        client[1], client[2], f.client_port, server[1], server[2], f.server_port,
        L7_BY_LOWER.get(f.application.lower(), 0), f.info[:1024], f.interface_id, _probe(f.exporter),
        f.tcp_flags & 0xFF, client[3], server[3], f.input_if, f.output_if, f.src2dst_packets, f.dst2src_packets,
    )  # fmt: skip


def _flow_id(batch_id: str, index: int) -> int:
    """A stable 64-bit id: the batch id's hash plus the record's index."""
    base = int.from_bytes(hashlib.blake2b(batch_id.encode(), digest_size=8).digest(), "big")
    return (base + index) % 2**64


def to_arrow(rows: list[tuple[Any, ...]]) -> pa.Table:
    """Validated rows as an Arrow table typed like ntopng's columns."""
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(values, type=_ARROW_TYPES[_TYPES[name]]) for name, values in zip(COLUMNS, columns, strict=True)],
        names=list(COLUMNS),
    )


@dataclass
class IngestResult:
    """Counts of one IngestFlows call."""

    accepted: int = 0
    rejected: int = 0
    batches: int = 0
    duplicates: int = 0
    rejections: list[flows_pb2.RejectedFlow] = field(default_factory=list)


class Ingestor:
    """Stores batches through the writer client; a batch id is stored at most once (ledger table + memory)."""

    def __init__(self, store: ClickHouseStore) -> None:
        self._store = store
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = asyncio.Lock()

    async def _already_stored(self, batch_id: str) -> bool:
        if batch_id in self._seen:
            return True
        found = await self._store.read(
            f"SELECT count() FROM {INGEST_LEDGER} WHERE batch_id = %(b)s", parameters={"b": batch_id}
        )
        return bool(found.rows and found.rows[0][0])

    def _remember(self, batch_id: str) -> None:
        self._seen[batch_id] = None
        while len(self._seen) > REMEMBERED_BATCHES:
            self._seen.popitem(last=False)

    async def ingest(self, batches: AsyncIterator[flows_pb2.IngestFlowsRequest]) -> IngestResult:
        """Validate and store each batch of the stream; returns what was accepted and rejected."""
        result = IngestResult()
        async for batch in batches:
            if not batch.batch_id or len(batch.batch_id) > MAX_BATCH_ID:
                raise InvalidArgument(
                    f"batch_id must be 1-{MAX_BATCH_ID} characters, unique per batch", field="batch_id"
                )
            if len(batch.flows) > MAX_BATCH_FLOWS:
                raise InvalidArgument(
                    f"a batch may hold at most {MAX_BATCH_FLOWS} flows; got {len(batch.flows)}: split it",
                    field="flows",
                )
            result.batches += 1
            rows = []
            for index, flow in enumerate(batch.flows):
                try:
                    rows.append(_row(batch.batch_id, index, flow))
                except (Rejected, ValueError) as exc:
                    result.rejected += 1
                    if len(result.rejections) < MAX_REJECTIONS:
                        result.rejections.append(
                            flows_pb2.RejectedFlow(batch_id=batch.batch_id, index=index, reason=str(exc))
                        )
            async with self._lock:
                if await self._already_stored(batch.batch_id):
                    result.duplicates += 1
                    continue
                if rows:
                    await self._store.write_arrow("flows", to_arrow(rows))
                now = datetime.now(UTC).replace(tzinfo=None)
                await self._store.write(
                    INGEST_LEDGER, ("batch_id", "stored_at", "flows"), [[batch.batch_id], [now], [len(rows)]]
                )
                self._remember(batch.batch_id)
            result.accepted += len(rows)
        return result
