"""The windows a killed process can leave a batch in, recreated at the store level, then the batch retried.

Usage (chdb allows one data path per process, so this runs as its own process):
    python -m tests.integration.flows.ingest_recovery DIR
Prints one JSON object: for each case, the rows stored for the batch after the retry and the retry's counts.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from netscope.flows.v1 import flows_pb2
from netscope_flows.ingest import Ingestor, IngestResult, PendingBatch
from netscope_flows.ingest_columns import validate_batch
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import INGEST_LEDGER, LEDGER_COLUMNS, ClickHouseStore

T0 = 1_763_600_000
FLOWS = 1000


def batch(batch_id: str) -> flows_pb2.IngestFlowsRequest:
    flows = [
        flows_pb2.IngestFlow(
            exporter="192.0.2.1", protocol=6, client_ip=f"10.7.{i // 250}.{1 + i % 250}", client_port=40000 + i,
            server_ip="198.51.100.9", server_port=443, application="TLS", first_seen=Timestamp(seconds=T0 + i),
            last_seen=Timestamp(seconds=T0 + i + 5), src2dst_bytes=100, dst2src_bytes=200, src2dst_packets=1,
            dst2src_packets=1,
        )
        for i in range(FLOWS)
    ]  # fmt: skip
    return flows_pb2.IngestFlowsRequest(batch_id=batch_id, flows=flows)


async def one(request: flows_pb2.IngestFlowsRequest) -> AsyncIterator[flows_pb2.IngestFlowsRequest]:
    yield request


async def stored(store: ClickHouseStore, batch_id: str) -> int:
    table = validate_batch(batch_id, batch(batch_id).flows).table
    lo, hi = table["FLOW_ID"][0].as_py(), table["FLOW_ID"][-1].as_py()
    found = await store.read(f"SELECT count() FROM flows WHERE FLOW_ID >= {lo} AND FLOW_ID <= {hi}")
    return int(found.rows[0][0])


async def note(store: ClickHouseStore, batch_id: str, rows: int) -> None:
    """What a process did before it was killed: the ledger row, then `rows` of the batch's flows."""
    pending = PendingBatch(batch_id, validate_batch(batch_id, batch(batch_id).flows).table)
    now = datetime.now(UTC).replace(tzinfo=None)
    await store.write(INGEST_LEDGER, LEDGER_COLUMNS, [[v] for v in pending.ledger_row(now)])
    if rows:
        await store.write_arrow("flows", pending.table.slice(0, rows))


async def retry(store: ClickHouseStore, batch_id: str) -> dict[str, int]:
    """A fresh Ingestor (a restarted process) receives the batch again."""
    result: IngestResult = await Ingestor(store).ingest(one(batch(batch_id)))
    return {"stored": await stored(store, batch_id), "accepted": result.accepted, "duplicates": result.duplicates}


async def main(directory: str) -> dict[str, dict[str, int]]:
    store = ClickHouseStore(FlowsSettings(dsn=f"chdb://{directory}"))
    await store.open()
    out = {}
    await note(store, "killed-after-ledger", 0)
    out["killed-after-ledger"] = await retry(store, "killed-after-ledger")
    await note(store, "killed-mid-insert", FLOWS // 2)
    out["killed-mid-insert"] = await retry(store, "killed-mid-insert")
    await Ingestor(store).ingest(one(batch("stored")))
    out["stored"] = await retry(store, "stored")
    out["stored-again"] = await retry(store, "killed-mid-insert")
    await store.close()
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
