"""Batched, bounded hand-off of completed flows to the ingest sink."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from netscope_live.entries import FlowEntry
from netscope_live.ingest import CompletedFlow, IngestExporter, MemorySink


async def eventually(predicate: Callable[[], bool]) -> None:
    """Poll for up to 5 s."""
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    assert predicate(), "condition not reached within 5 s"


def entry(port: int) -> FlowEntry:
    return FlowEntry(
        key=("e", 0, 6, "10.0.0.1", port, "10.0.0.2", 80),
        exporter="e",
        vlan=0,
        protocol=6,
        client_ip="10.0.0.1",
        client_port=port,
        server_ip="10.0.0.2",
        server_port=80,
        application="HTTP",
        first_seen=1.0,
        last_seen=2.0,
        updated=0,
        created=0,
        bytes_c2s=10,
    )


async def test_batches_flush_on_size_and_time() -> None:
    sink = MemorySink()
    exporter = IngestExporter(sink, queue_size=100, batch_size=4, flush_seconds=0.05)
    exporter.start()
    for port in range(6):
        exporter.offer(entry(port), 10, 1, True)
    await eventually(lambda: exporter.counters.sent == 6)
    await exporter.stop()
    assert [len(b) for b in sink.batches] == [4, 2]
    assert [f.client_port for f in sink.flows] == list(range(6))


async def test_full_queue_drops_and_counts_without_blocking() -> None:
    sink = MemorySink()
    exporter = IngestExporter(sink, queue_size=3, batch_size=10)
    for port in range(5):  # no consumer running: the queue fills up
        exporter.offer(entry(port), 10, 1, True)
    assert exporter.counters.queued == 3 and exporter.counters.dropped_queue_full == 2
    await exporter.stop()  # drains what was queued
    assert len(sink.flows) == 3


async def test_failing_sink_is_counted_and_exporter_keeps_going() -> None:
    class Broken:
        calls = 0

        async def ingest(self, batch: Sequence[CompletedFlow]) -> None:
            Broken.calls += 1
            raise ConnectionError("flows service down")

    exporter = IngestExporter(Broken(), batch_size=2, flush_seconds=0.01)
    exporter.start()
    for port in range(4):
        exporter.offer(entry(port), 10, 1, True)
    await eventually(lambda: exporter.counters.failed == 4)
    await exporter.stop()
    assert Broken.calls == 2 and exporter.counters.sent == 0
