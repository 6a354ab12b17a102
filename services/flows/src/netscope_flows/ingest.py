"""IngestFlows: validate collector batches, store them in ntopng's flows table, once per batch id."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_flows.filters import L7_BY_LOWER
from netscope_flows.store import INGEST_LEDGER, ClickHouseStore

MAX_BATCH_FLOWS = 10_000
MAX_BATCH_ID = 128
MAX_REJECTIONS = 20
REMEMBERED_BATCHES = 100_000
LOCAL, REMOTE = 1, 2
_ZERO_V6 = ipaddress.IPv6Address("::")
COLUMNS = (
    "FLOW_ID", "IP_PROTOCOL_VERSION", "FIRST_SEEN", "LAST_SEEN", "VLAN_ID", "PACKETS", "TOTAL_BYTES",
    "SRC2DST_BYTES", "DST2SRC_BYTES", "PROTOCOL", "IPV4_SRC_ADDR", "IPV6_SRC_ADDR", "IP_SRC_PORT", "IPV4_DST_ADDR",
    "IPV6_DST_ADDR", "IP_DST_PORT", "L7_PROTO", "INFO", "INTERFACE_ID", "PROBE_IP", "SRC2DST_TCP_FLAGS",
    "CLIENT_LOCATION", "SERVER_LOCATION", "INPUT_SNMP", "OUTPUT_SNMP", "SRC2DST_PACKETS", "DST2SRC_PACKETS",
)  # fmt: skip


class Rejected(ValueError):
    """One flow that cannot be stored, with the reason."""


def _ip(text: str, name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise Rejected(f"{name} {text!r} is not an IP address") from None


def _when(ts: Any, name: str) -> datetime:
    if not ts.seconds:
        raise Rejected(f"{name} is missing")
    return datetime.fromtimestamp(ts.seconds, UTC).replace(tzinfo=None)


def _row(batch_id: str, index: int, f: flows_pb2.IngestFlow) -> tuple[Any, ...]:
    """One validated flow as a tuple in COLUMNS order; raises Rejected."""
    client, server = _ip(f.client_ip, "client_ip"), _ip(f.server_ip, "server_ip")
    if client.version != server.version:
        raise Rejected("client_ip and server_ip are of different IP versions")
    if f.client_port > 65535 or f.server_port > 65535:
        raise Rejected("ports must be 0-65535")
    if f.protocol > 255:
        raise Rejected(f"protocol must be 0-255, got {f.protocol}")
    first, last = _when(f.first_seen, "first_seen"), _when(f.last_seen, "last_seen")
    if last < first:
        raise Rejected("last_seen is before first_seen")
    probe = int(ipaddress.IPv4Address(f.exporter)) if f.exporter else 0
    flow_id = int.from_bytes(hashlib.blake2b(f"{batch_id}/{index}".encode(), digest_size=8).digest(), "big")
    v4 = client.version == 4
    return (
        flow_id, client.version, first, last, f.vlan, f.src2dst_packets + f.dst2src_packets,
        f.src2dst_bytes + f.dst2src_bytes, f.src2dst_bytes, f.dst2src_bytes, f.protocol,
        int(client) if v4 else 0, _ZERO_V6 if v4 else client, f.client_port,
        int(server) if v4 else 0, _ZERO_V6 if v4 else server, f.server_port,
        L7_BY_LOWER.get(f.application.lower(), 0), f.info[:1024], f.interface_id, probe, f.tcp_flags & 0xFF,
        LOCAL if client.is_private else REMOTE, LOCAL if server.is_private else REMOTE, f.input_if, f.output_if,
        f.src2dst_packets, f.dst2src_packets,
    )  # fmt: skip


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
                    await self._store.write("flows", COLUMNS, [list(c) for c in zip(*rows, strict=True)])
                now = datetime.now(UTC).replace(tzinfo=None)
                await self._store.write(
                    INGEST_LEDGER, ("batch_id", "stored_at", "flows"), [[batch.batch_id], [now], [len(rows)]]
                )
                self._remember(batch.batch_id)
            result.accepted += len(rows)
        return result
