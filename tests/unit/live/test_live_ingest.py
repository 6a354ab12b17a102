"""Batched, bounded hand-off of completed flows to the ingest sink."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence

import pytest

from netscope_live.flows_sink import FlowsIngestSink, IngestFailed
from netscope_live.ingest import CompletedFlow, IngestExporter, MemorySink
from tests.support.live_entries import http_flow_entry
from tests.support.processes import free_port


async def eventually(predicate: Callable[[], bool]) -> None:
    """Poll for up to 5 s."""
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    assert predicate(), "condition not reached within 5 s"


async def test_batches_flush_on_size_and_time() -> None:
    sink = MemorySink()
    exporter = IngestExporter(sink, queue_size=100, batch_size=4, flush_seconds=0.05)
    exporter.start()
    for port in range(6):
        exporter.offer(http_flow_entry(port), 10, 1, True)
    await eventually(lambda: exporter.counters.sent == 6)
    await exporter.stop()
    assert [len(b) for b in sink.batches] == [4, 2]
    assert [f.client_port for f in sink.flows] == list(range(6))


async def test_full_queue_drops_and_counts_without_blocking() -> None:
    sink = MemorySink()
    exporter = IngestExporter(sink, queue_size=3, batch_size=10)
    for port in range(5):  # no consumer running: the queue fills up
        exporter.offer(http_flow_entry(port), 10, 1, True)
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
        exporter.offer(http_flow_entry(port), 10, 1, True)
    await eventually(lambda: exporter.counters.failed == 4)
    await exporter.stop()
    assert Broken.calls == 2 and exporter.counters.sent == 0


class CountingSink:
    """Counts the batches handed to a real sink (the flows service's IngestFlows client)."""

    def __init__(self, sink: FlowsIngestSink) -> None:
        self.sink = sink
        self.calls = 0

    async def ingest(self, batch: Sequence[CompletedFlow]) -> int:
        self.calls += 1
        return await self.sink.ingest(batch)


async def test_stop_with_the_flows_service_down_tries_one_batch_and_counts_the_rest() -> None:
    sink = CountingSink(FlowsIngestSink(f"127.0.0.1:{free_port()}", timeout_seconds=2))  # nothing listens there
    exporter = IngestExporter(sink, batch_size=100)
    for port in range(5000):  # 50 batches, each would fail after the sink's three attempts
        exporter.offer(http_flow_entry(port), 10, 1, True)
    async with asyncio.timeout(30):  # a hang fails the test instead of stalling the suite
        await exporter.stop(drain_seconds=20)
    assert sink.calls == 1
    assert (exporter.counters.sent, exporter.counters.failed) == (0, 5000)
    assert exporter.queue.empty()


async def test_stop_cuts_a_batch_stuck_at_a_silent_flows_service_and_counts_it() -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        sink = FlowsIngestSink(f"127.0.0.1:{silent.getsockname()[1]}", timeout_seconds=60)
        exporter = IngestExporter(sink, batch_size=100, flush_seconds=0.01)
        exporter.start()
        for port in range(250):
            exporter.offer(http_flow_entry(port), 10, 1, True)
        await asyncio.sleep(0.2)  # the running task has its first batch at the sink
        async with asyncio.timeout(30):
            await exporter.stop(drain_seconds=0.5)
    assert (exporter.counters.sent, exporter.counters.failed) == (0, 250)
    assert exporter.queue.empty()


async def test_stop_lets_the_batch_at_the_sink_finish_and_sends_the_batch_being_filled() -> None:
    class SlowSink(MemorySink):
        async def ingest(self, batch: Sequence[CompletedFlow]) -> int:
            await asyncio.sleep(0.3)
            return await super().ingest(batch)

    slow = SlowSink()
    exporter = IngestExporter(slow, batch_size=3, flush_seconds=0.01)
    exporter.start()
    for port in range(3):
        exporter.offer(http_flow_entry(port), 10, 1, True)
    await asyncio.sleep(0.1)  # that full batch is at the sink
    await exporter.stop()
    assert [f.client_port for f in slow.flows] == [0, 1, 2]

    memory = MemorySink()
    filling = IngestExporter(memory, batch_size=100, flush_seconds=60)
    filling.start()
    for port in range(5):
        filling.offer(http_flow_entry(port), 10, 1, True)
    await eventually(filling.queue.empty)  # the task took all five off the queue and waits for more
    await filling.stop()
    assert [f.client_port for f in memory.flows] == list(range(5))
    assert (filling.counters.sent, filling.counters.failed) == (5, 0)


async def test_the_flows_sink_names_the_target_and_status_when_it_gives_up() -> None:
    target = f"127.0.0.1:{free_port()}"
    sink = FlowsIngestSink(target, timeout_seconds=2, attempts=2)
    exporter = IngestExporter(sink)
    exporter.offer(http_flow_entry(1), 10, 1, True)
    with pytest.raises(IngestFailed) as failed:
        await sink.ingest([exporter.queue.get_nowait()])
    assert str(failed.value).startswith(f"IngestFlows to {target} failed after 2 attempt(s): UNAVAILABLE: ")
