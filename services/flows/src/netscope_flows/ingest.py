"""IngestFlows: validate collector batches, store them in ntopng's flows table, once per batch id."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_flows.ingest_columns import Batch, rejection_reason, validate_batch
from netscope_flows.metrics import INGESTED_FLOWS
from netscope_flows.store import INGEST_LEDGER, LEDGER_COLUMNS, ClickHouseStore

MAX_BATCH_FLOWS = 10_000
MAX_BATCH_ID = 128
MAX_REJECTIONS = 20
REMEMBERED_BATCHES = 100_000
MAX_GROUP_FLOWS = 100_000  # flows stored in one insert when batches queue up behind a store


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
    INGESTED_FLOWS.labels("rejected").inc(len(indices))
    for index in indices[: max(0, MAX_REJECTIONS - len(result.rejections))]:
        result.rejections.append(
            flows_pb2.RejectedFlow(batch_id=batch_id, index=index, reason=reason(index) or "invalid")
        )


@dataclass(frozen=True)
class PendingBatch:
    """One validated batch waiting to be stored: its rows and where they sit (for the ledger)."""

    batch_id: str
    table: pa.Table

    def ledger_row(self, now: datetime) -> list[object]:
        """batch_id, stored_at, flows, first/last FLOW_ID, first/last FIRST_SEEN (epoch seconds; 0 when empty)."""
        if not self.table.num_rows:
            return [self.batch_id, now, 0, 0, 0, 0, 0]
        ids, seen = self.table["FLOW_ID"], pc.min_max(self.table["FIRST_SEEN"].cast(pa.int64()))
        return [
            self.batch_id, now, self.table.num_rows, ids[0].as_py(), ids[-1].as_py(),
            seen["min"].as_py(), seen["max"].as_py(),
        ]  # fmt: skip


class Ingestor:
    """Stores batches through the writer client; a batch id is stored at most once (ledger table + memory).

    The ledger row of a batch is written before its flows. A batch id found in the ledger (and not stored by this
    process) is checked against the flows table by its FLOW_ID range: stored completely, it is a duplicate;
    absent (the process died between the two writes), it is stored now; partly stored (died mid-insert), its
    rows are deleted and stored again. So a retried batch is never stored twice, nor lost.
    """

    def __init__(self, store: ClickHouseStore) -> None:
        self._store = store
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = asyncio.Lock()

    def _remember(self, batch_id: str) -> None:
        self._seen[batch_id] = None
        while len(self._seen) > REMEMBERED_BATCHES:
            self._seen.popitem(last=False)

    async def ingest(self, batches: AsyncIterator[flows_pb2.IngestFlowsRequest]) -> IngestResult:
        """Validate and store each batch of the stream; returns what was accepted and rejected.

        Batches are validated while the previous store runs; the batches validated meanwhile (up to
        MAX_GROUP_FLOWS flows) are then stored together: one ledger lookup, one ledger insert and one flows
        insert for the group. Stores run one after the other, in stream order (the client's backpressure).
        """
        result = IngestResult()
        group: list[PendingBatch] = []
        rows = 0
        storing: asyncio.Task[list[int | None]] | None = None
        try:
            async for batch in batches:
                table = validate(batch, result).table
                group.append(PendingBatch(batch.batch_id, table))
                rows += table.num_rows
                if storing is None or storing.done() or rows >= MAX_GROUP_FLOWS:
                    if storing is not None:
                        self._count(await storing, result)
                    storing = asyncio.create_task(self._store_group(group))
                    group, rows = [], 0
        finally:
            if storing is not None:
                self._count(await storing, result)
            if group:
                self._count(await self._store_group(group), result)
        return result

    async def _store_group(self, group: list[PendingBatch]) -> list[int | None]:
        """Store each batch of the group unless its id was stored before (then None)."""
        async with self._lock:
            out: list[int | None] = []
            fresh: list[PendingBatch] = []
            retried: list[PendingBatch] = []
            ids = {p.batch_id for p in group if p.batch_id not in self._seen}
            noted = await self._ledger(ids) if ids else {}
            for p in group:
                if p.batch_id in self._seen or any(q.batch_id == p.batch_id for q in (*fresh, *retried)):
                    out.append(None)
                elif p.batch_id in noted and await self._already_stored(p, noted[p.batch_id]):
                    self._remember(p.batch_id)
                    out.append(None)
                else:
                    (retried if p.batch_id in noted else fresh).append(p)
                    out.append(p.table.num_rows)
            if fresh:
                now = datetime.now(UTC).replace(tzinfo=None)
                columns = list(zip(*(p.ledger_row(now) for p in fresh), strict=True))
                await self._store.write(INGEST_LEDGER, LEDGER_COLUMNS, columns)
            tables = [p.table for p in (*retried, *fresh) if p.table.num_rows]
            if tables:
                await self._store.write_arrow("flows", pa.concat_tables(tables) if len(tables) > 1 else tables[0])
            for p in (*retried, *fresh):
                self._remember(p.batch_id)
            return out

    async def _ledger(self, ids: set[str]) -> dict[str, Sequence[Any]]:
        """Ledger rows of the given batch ids: id -> (flows, first/last FLOW_ID, first/last FIRST_SEEN)."""
        found = await self._store.read(
            f"SELECT batch_id, {', '.join(LEDGER_COLUMNS[2:])} FROM {INGEST_LEDGER} WHERE batch_id IN %(ids)s",
            parameters={"ids": sorted(ids)},
        )
        return {str(row[0]): row[1:] for row in found.rows}

    async def _already_stored(self, p: PendingBatch, noted: Sequence[Any]) -> bool:
        """Whether a batch noted in the ledger has all its flows in the table (partial rows are deleted)."""
        flows, first_id, last_id, first_seen, last_seen = (int(v) for v in noted)
        if not flows or not first_seen:  # nothing to store, or noted (after its rows) before the ledger held ranges
            return True
        where = (
            f"FIRST_SEEN >= toDateTime({first_seen}) AND FIRST_SEEN <= toDateTime({last_seen}) "
            f"AND (FLOW_ID >= {first_id} {'AND' if first_id <= last_id else 'OR'} FLOW_ID <= {last_id})"
        )
        found = await self._store.read(f"SELECT count() FROM flows WHERE {where}")
        stored = int(found.rows[0][0])
        if stored == flows:
            return True
        if stored:
            await self._store.command(f"ALTER TABLE flows DELETE WHERE {where}", settings={"mutations_sync": 2})
        return False

    @staticmethod
    def _count(stored: list[int | None], result: IngestResult) -> None:
        for n in stored:
            if n is None:
                result.duplicates += 1
            else:
                result.accepted += n
                INGESTED_FLOWS.labels("accepted").inc(n)
