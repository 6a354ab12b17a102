"""IngestFlows on Elasticsearch: validated collector batches bulk-indexed as ECS NetFlow documents.

Records are validated by the same rules as on ClickHouse. A document's `_id` is its flow id (the batch id's
hash plus the record's index), so a batch sent again overwrites the same documents and never doubles them,
even when the service died before noting the batch; the ledger index then answers which batch ids were
already stored, so they are counted as duplicates and skipped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, TransportError
from elasticsearch.helpers import async_bulk

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition, Unavailable
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.loader import ensure_index
from netscope_flows.ingest import IngestResult, reject, validate
from netscope_flows.ingest_columns import LOCAL, flow_id_base, l7_id, parse_ip
from netscope_flows.metrics import INGESTED_FLOWS
from netscope_ntopng.ndpi import l7_name

LEDGER_INDEX = "netscope-ingest-batches"
DNS = 5
_TRANSPORT = {6: "tcp", 17: "udp", 1: "icmp", 58: "ipv6-icmp"}
_LONG_MAX = 2**63 - 1


def index_for(pattern: str, day: datetime) -> str:
    """The daily index a document of `day` goes to: the configured index pattern with its '*' as YYYY.MM.DD."""
    if "," in pattern or pattern.count("*") > 1 or pattern.startswith("*"):
        raise FailedPrecondition(
            "IngestFlows writes daily indices named after NETSCOPE_FLOWS_ES_INDEX, which must be one index name "
            f"or one pattern with a single trailing '*' such as logs-netflow-*; got {pattern!r}"
        )
    dated = day.strftime("%Y.%m.%d")
    # logs-netflow* (seed 003's pattern) writes logs-netflow-YYYY.MM.DD, as logs-netflow-* does.
    return pattern.replace("*", dated if pattern.endswith(("-*", ".*", "_*")) else f"-{dated}")


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def document(f: flows_pb2.IngestFlow, flow_id: int) -> dict[str, Any]:
    """One validated record as an ECS NetFlow document (source = client, destination = server)."""
    client_local, server_local = parse_ip(f.client_ip)[3] == LOCAL, parse_ip(f.server_ip)[3] == LOCAL
    direction = (
        ("internal" if server_local else "outbound") if client_local else ("inbound" if server_local else "external")
    )
    app_id = l7_id(f.application)
    app = l7_name(app_id)
    doc: dict[str, Any] = {
        "@timestamp": _iso(f.last_seen.seconds),
        "event": {
            "kind": "event", "category": ["network"], "type": ["connection"], "action": "netflow_flow",
            "start": _iso(f.first_seen.seconds), "end": _iso(f.last_seen.seconds),
            "duration": (f.last_seen.seconds - f.first_seen.seconds) * 1_000_000_000, "dataset": "netflow.log",
        },
        "source": {"ip": f.client_ip, "port": f.client_port, "bytes": f.src2dst_bytes, "packets": f.src2dst_packets},
        "destination": {
            "ip": f.server_ip, "port": f.server_port, "bytes": f.dst2src_bytes, "packets": f.dst2src_packets,
        },
        "network": {
            "bytes": f.src2dst_bytes + f.dst2src_bytes, "packets": f.src2dst_packets + f.dst2src_packets,
            "transport": _TRANSPORT.get(f.protocol, str(f.protocol)), "iana_number": str(f.protocol),
            "direction": direction, "protocol": app.lower(),
        },
        "netflow": {
            "ingress_interface": f.input_if, "egress_interface": f.output_if, "protocol_identifier": f.protocol,
            "tcp_control_bits": f.tcp_flags & 0xFF, "application_name": app,
        },
        "flow": {"id": flow_id & _LONG_MAX},
        "related": {"ip": sorted({f.client_ip, f.server_ip})},
    }  # fmt: skip
    if f.exporter:
        doc["observer"] = {"ip": [str(ipaddress.IPv4Address(f.exporter))], "type": "router"}
    if app_id == DNS and f.info:
        doc["dns"] = {"question": {"name": f.info.lower()}}
    return doc


class ElasticIngestor:
    """Bulk-indexes batches into the configured daily indices; batch ids already stored are skipped."""

    def __init__(self, index: EsIndex) -> None:
        self._es = index
        self._created: set[str] = set()

    async def _stored(self, batch_id: str) -> bool:
        found = await self._es.client.mget(index=LEDGER_INDEX, ids=[batch_id], realtime=True)
        return any(d.get("found") for d in found.body.get("docs", []))

    async def _ensure(self, name: str) -> None:
        if name not in self._created:
            await ensure_index(self._es.client, name)
            self._created.add(name)

    async def ingest(self, batches: AsyncIterator[flows_pb2.IngestFlowsRequest]) -> IngestResult:
        """Validate, index and count each batch of the stream; the indices written are refreshed at the end."""
        result = IngestResult()
        written: set[str] = set()
        try:
            await self._ensure(LEDGER_INDEX)
            async for batch in batches:
                checked = validate(batch, result)
                if await self._stored(batch.batch_id):
                    result.duplicates += 1
                    continue
                accepted = await self._index(batch, checked.rejected.tolist(), result, written)
                result.accepted += accepted
                INGESTED_FLOWS.labels("accepted").inc(accepted)
                await self._es.client.index(
                    index=LEDGER_INDEX,
                    id=batch.batch_id,
                    document={"batch_id": batch.batch_id, "stored_at": datetime.now(UTC).isoformat()},
                )
            if written:
                await self._es.client.indices.refresh(index=",".join(sorted(written)))
        except ApiError as exc:
            raise FailedPrecondition(
                f"Elasticsearch refused the ingest (HTTP {exc.status_code}): {exc.message}"
            ) from None
        except TransportError as exc:
            raise Unavailable(f"Elasticsearch at {self._es.url} does not answer: {exc}") from None
        return result

    async def _index(
        self, batch: flows_pb2.IngestFlowsRequest, rejected: list[int], result: IngestResult, written: set[str]
    ) -> int:
        """Bulk-index the batch's valid records; documents the cluster refuses count as rejected."""
        skip = set(rejected)
        base = flow_id_base(batch.batch_id)
        actions = []
        positions: dict[str, int] = {}
        for i, f in enumerate(batch.flows):
            if i in skip:
                continue
            flow_id = (base + i) % 2**64
            index = index_for(self._es.index, datetime.fromtimestamp(f.last_seen.seconds, UTC))
            await self._ensure(index)
            written.add(index)
            doc_id = str(flow_id)
            positions[doc_id] = i
            actions.append({"_index": index, "_id": doc_id, "_source": document(f, flow_id)})
        if not actions:
            return 0
        ok, errors = await async_bulk(self._es.client, actions, raise_on_error=False, chunk_size=2000)
        failed = errors if isinstance(errors, list) else []
        reasons = {}
        for item in failed:
            info = next(iter(item.values()))
            error = info.get("error") or {}
            reasons[positions.get(str(info.get("_id")), -1)] = (
                f"Elasticsearch refused the document: {error.get('type', 'error')}: {error.get('reason', '')}"[:300]
            )
        reject(result, batch.batch_id, sorted(reasons), reasons.get)
        return int(ok)
