"""IngestFlows: validate collector batches, store them in ntopng's flows table, once per batch id."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_flows.ingest_columns import rejection_reason, validate_batch
from netscope_flows.store import INGEST_LEDGER, ClickHouseStore

MAX_BATCH_FLOWS = 10_000
MAX_BATCH_ID = 128
MAX_REJECTIONS = 20
REMEMBERED_BATCHES = 100_000


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
            checked = validate_batch(batch.batch_id, batch.flows)
            result.rejected += len(checked.rejected)
            for index in checked.rejected[: MAX_REJECTIONS - len(result.rejections)]:
                reason = rejection_reason(batch.flows[int(index)])
                result.rejections.append(
                    flows_pb2.RejectedFlow(batch_id=batch.batch_id, index=int(index), reason=reason or "invalid")
                )
            async with self._lock:
                if await self._already_stored(batch.batch_id):
                    result.duplicates += 1
                    continue
                stored = checked.table.num_rows
                if stored:
                    await self._store.write_arrow("flows", checked.table)
                now = datetime.now(UTC).replace(tzinfo=None)
                await self._store.write(
                    INGEST_LEDGER, ("batch_id", "stored_at", "flows"), [[batch.batch_id], [now], [stored]]
                )
                self._remember(batch.batch_id)
            result.accepted += stored
        return result
