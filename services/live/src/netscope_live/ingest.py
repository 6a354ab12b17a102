"""Hand-off of completed flows to an ingest sink in batches through a bounded queue.

The collector never waits for the sink: when the queue is full the flow is dropped and counted.
The flows service's IngestFlows RPC is one sink; `MemorySink` keeps batches for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from netscope_common.logs import get_logger
from netscope_live.entries import FlowEntry

log = get_logger("netscope.live.ingest")


@dataclass(frozen=True, slots=True)
class CompletedFlow:
    """A flow segment handed to ingest: bytes/packets since the previous hand-off of the same flow."""

    exporter: str
    vlan: int
    protocol: int
    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    application: str
    first_seen: float
    last_seen: float
    bytes: int
    packets: int
    bytes_c2s_total: int
    bytes_s2c_total: int
    tcp_flags: int
    input_if: int
    output_if: int
    client_mac: str
    final: bool


class IngestSink(Protocol):
    """Where completed flows go (the flows service's IngestFlows, or memory in tests)."""

    async def ingest(self, batch: Sequence[CompletedFlow]) -> int | None:
        """Store one batch; raise when it could not be stored.

        Returns how many flows of the batch the sink refused (invalid records it did not store);
        None or 0 means every flow was stored.
        """


class MemorySink:
    """A counting sink that keeps the last `keep_batches` batches (all when None; tests)."""

    def __init__(self, keep_batches: int | None = None) -> None:
        self.batches: deque[list[CompletedFlow]] = deque(maxlen=keep_batches)
        self.received = 0

    async def ingest(self, batch: Sequence[CompletedFlow]) -> int:
        """Count the batch and keep it."""
        self.received += len(batch)
        self.batches.append(list(batch))
        return 0

    @property
    def flows(self) -> list[CompletedFlow]:
        """All flows received, in order."""
        return [flow for batch in self.batches for flow in batch]


DRAIN_SECONDS = 5.0


class _SinkFailed(Exception):
    """A batch could not be stored while draining at shutdown."""


@dataclass(slots=True)
class IngestCounters:
    """What happened to completed flows."""

    queued: int = 0
    sent: int = 0
    dropped_queue_full: int = 0
    failed: int = 0
    batches: int = 0


class IngestExporter:
    """Bounded queue + background task sending batches of `batch_size` (or every `flush_seconds`)."""

    def __init__(
        self,
        sink: IngestSink,
        *,
        queue_size: int = 100_000,
        batch_size: int = 1000,
        flush_seconds: float = 1.0,
    ) -> None:
        self.sink = sink
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.queue: asyncio.Queue[CompletedFlow] = asyncio.Queue(maxsize=queue_size)
        self.counters = IngestCounters()
        self._task: asyncio.Task[None] | None = None
        self._in_flight = 0  # flows of the batch at the sink
        self._carry: list[CompletedFlow] = []  # a batch the cancelled task had taken off the queue
        self._closing = False

    def offer(self, flow: FlowEntry, delta_bytes: int, delta_packets: int, final: bool) -> None:
        """Queue a flow segment without blocking; drop and count it when the queue is full."""
        item = CompletedFlow(
            exporter=flow.exporter,
            vlan=flow.vlan,
            protocol=flow.protocol,
            client_ip=flow.client_ip,
            client_port=flow.client_port,
            server_ip=flow.server_ip,
            server_port=flow.server_port,
            application=flow.application,
            first_seen=flow.first_seen,
            last_seen=flow.last_seen,
            bytes=delta_bytes,
            packets=delta_packets,
            bytes_c2s_total=flow.bytes_c2s,
            bytes_s2c_total=flow.bytes_s2c,
            tcp_flags=flow.tcp_flags,
            input_if=flow.input_if,
            output_if=flow.output_if,
            client_mac=flow.client_mac,
            final=final,
        )
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.counters.dropped_queue_full += 1
            return
        self.counters.queued += 1

    def start(self) -> None:
        """Start the sending task (inside a running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="live-ingest")

    async def stop(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Send what is queued, for at most `drain_seconds`, then stop.

        A batch already at the sink may finish; the rest is sent in batches. Draining ends early when a batch
        fails (the sink is unreachable: the others would fail too, each after the sink's own retries). What is
        not sent is counted as failed, so a stop is bounded whatever the state of the flows service and
        stored + failed + dropped still adds up.
        """
        try:
            async with asyncio.timeout(drain_seconds):
                await self._end_task()
                await self._drain()
        except TimeoutError:
            await self._cancel_task()
            self._give_up(f"the {drain_seconds:g} s shutdown drain ran out")
        except _SinkFailed:
            self._give_up("a batch failed while draining at shutdown")

    async def _end_task(self) -> None:
        """Stop the sending task: after its batch when one is at the sink, else at once (keeping its batch)."""
        if self._task is not None and self._in_flight:
            self._closing = True
            await self._task
            self._task = None
        await self._cancel_task()

    async def _cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _drain(self) -> None:
        while self._carry or not self.queue.empty():
            if self._carry:
                batch, self._carry = self._carry, []
            else:
                batch = [self.queue.get_nowait() for _ in range(min(self.batch_size, self.queue.qsize()))]
            if not await self._send(batch):
                raise _SinkFailed

    def _give_up(self, reason: str) -> None:
        """Count the batch cut at the sink and every flow not yet sent as failed."""
        left = self.queue.qsize() + len(self._carry)
        while not self.queue.empty():
            self.queue.get_nowait()
        self._carry = []
        if self._in_flight:
            log.warning("ingest batch cut at shutdown; its flows may or may not be stored", flows=self._in_flight)
        self.counters.failed += left + self._in_flight
        self._in_flight = 0
        if left:
            log.warning("queued flows not sent at shutdown", flows=left, reason=reason)

    async def _run(self) -> None:
        while not self._closing:
            batch = [await self.queue.get()]
            try:
                await self._fill(batch)
            except asyncio.CancelledError:
                self._carry = batch  # taken off the queue, not sent: the shutdown drain sends it
                raise
            await self._send(batch)

    async def _fill(self, batch: list[CompletedFlow]) -> None:
        """Add queued flows to `batch` until it is full or `flush_seconds` have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_seconds
        while len(batch) < self.batch_size:
            if not self.queue.empty():
                batch.append(self.queue.get_nowait())
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                batch.append(await asyncio.wait_for(self.queue.get(), remaining))
            except TimeoutError:
                return

    async def _send(self, batch: list[CompletedFlow]) -> bool:
        """Hand one batch to the sink; False when the sink failed (the batch is counted as failed)."""
        if not batch:
            return True
        self._in_flight = len(batch)  # stays set if the send is cancelled: the outcome is then unknown
        try:
            refused = min(len(batch), await self.sink.ingest(batch) or 0)
        except Exception as exc:  # a sink failure must not stop the collector
            self._in_flight = 0
            self.counters.failed += len(batch)
            log.warning("ingest batch failed", flows=len(batch), error=str(exc) or type(exc).__name__)
            return False
        self._in_flight = 0
        if refused:  # not stored: counted as failed so stored + failed + dropped still adds up
            self.counters.failed += refused
            log.warning("ingest sink refused flows", flows=refused, batch=len(batch))
        self.counters.sent += len(batch) - refused
        self.counters.batches += 1
        return True
