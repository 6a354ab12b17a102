"""IngestFlows: validate collector batches, store them in ntopng's flows table, once per batch id."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_flows.ingest_columns import Batch, rejection_reason, validate_batch
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


def ingest_response(result: IngestResult) -> flows_pb2.IngestFlowsResponse:
    """The IngestFlows answer for a stream's counts."""
    return flows_pb2.IngestFlowsResponse(
        accepted=result.accepted,
        rejected=result.rejected,
        batches=result.batches,
        duplicate_batches=result.duplicates,
        rejections=result.rejections,
    )


def validate(batch: flows_pb2.IngestFlowsRequest, result: IngestResult) -> Batch:
    """The batch's valid flows (as Arrow) and rejected indices; counts them and keeps the first reasons."""
    if not batch.batch_id or len(batch.batch_id) > MAX_BATCH_ID:
        raise InvalidArgument(f"batch_id must be 1-{MAX_BATCH_ID} characters, unique per batch", field="batch_id")
    if len(batch.flows) > MAX_BATCH_FLOWS:
        raise InvalidArgument(
            f"a batch may hold at most {MAX_BATCH_FLOWS} flows; got {len(batch.flows)}: split it", field="flows"
        )
    result.batches += 1
    checked = validate_batch(batch.batch_id, batch.flows)
    reject(result, batch.batch_id, [int(i) for i in checked.rejected], lambda i: rejection_reason(batch.flows[i]))
    return checked


def reject(result: IngestResult, batch_id: str, indices: list[int], reason: Callable[[int], str | None]) -> None:
    """Count rejected records (by index in the batch) and keep the reasons of the first MAX_REJECTIONS."""
    result.rejected += len(indices)
    for index in indices[: max(0, MAX_REJECTIONS - len(result.rejections))]:
        result.rejections.append(
            flows_pb2.RejectedFlow(batch_id=batch_id, index=index, reason=reason(index) or "invalid")
        )


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
        """Validate and store each batch of the stream; returns what was accepted and rejected.

        One batch is stored (in the store's worker thread) while the next one is read and validated; stores
        run one after the other, in stream order, so a stream is at most one batch ahead of the database.
        """
        result = IngestResult()
        pending: asyncio.Task[int | None] | None = None
        try:
            async for batch in batches:
                table = validate(batch, result).table
                if pending is not None:
                    self._count(await pending, result)
                pending = asyncio.create_task(self._store_once(batch.batch_id, table))
        finally:
            if pending is not None:
                self._count(await pending, result)
        return result

    async def _store_once(self, batch_id: str, table: pa.Table) -> int | None:
        """Store the flows and the ledger row unless the batch id was stored before (then None)."""
        async with self._lock:
            if await self._already_stored(batch_id):
                return None
            if table.num_rows:
                await self._store.write_arrow("flows", table)
            now = datetime.now(UTC).replace(tzinfo=None)
            await self._store.write(
                INGEST_LEDGER, ("batch_id", "stored_at", "flows"), [[batch_id], [now], [table.num_rows]]
            )
            self._remember(batch_id)
            return int(table.num_rows)

    @staticmethod
    def _count(stored: int | None, result: IngestResult) -> None:
        if stored is None:
            result.duplicates += 1
        else:
            result.accepted += stored
