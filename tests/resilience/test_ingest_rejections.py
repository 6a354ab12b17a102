"""Flows the flows service rejects as invalid are counted by the collector's ingest, not reported as sent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import grpc
import pytest

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_live.entries import FlowEntry
from netscope_live.flows_sink import FlowsIngestSink
from netscope_live.ingest import IngestExporter
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

pytestmark = pytest.mark.integration


def _entry(port: int) -> FlowEntry:
    return FlowEntry(
        key=("192.0.2.1", 0, 6, "10.0.0.1", port, "10.0.0.2", 80),
        exporter="192.0.2.1",
        vlan=0,
        protocol=6,
        client_ip="10.0.0.1",
        client_port=port,
        server_ip="10.0.0.2",
        server_port=80,
        application="HTTP",
        first_seen=1_700_000_000.0,
        last_seen=1_700_000_060.0,
        updated=0,
        created=0,
        bytes_c2s=100,
        bytes_s2c=50,
    )


async def test_rejected_flows_count_as_failed(tmp_path: Path) -> None:
    port = free_port()
    env = {"NETSCOPE_FLOWS_DSN": f"chdb://{tmp_path / 'flows'}", "NETSCOPE_FLOWS_PORT": str(port)}
    with running("flows", [*NETSCOPE, "serve", "flows"], env, tmp_path / "logs") as flows:
        wait_grpc_serving(f"127.0.0.1:{port}", process=flows)
        exporter = IngestExporter(FlowsIngestSink(f"127.0.0.1:{port}"), batch_size=100)
        for client_port in range(1000, 1010):
            exporter.offer(_entry(client_port), 150, 3, True)
        # an exporter whose clock ran backwards: last_seen before first_seen (the flows service refuses it)
        exporter.offer(dataclasses.replace(_entry(2000), last_seen=1_600_000_000.0), 150, 3, True)
        exporter.offer(dataclasses.replace(_entry(2001), first_seen=0.0, last_seen=0.0), 150, 3, True)
        await exporter.stop()  # sends what is queued
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = flows_pb2_grpc.FlowsServiceStub(channel).Query(
                flows_pb2.QueryRequest(sql="SELECT count() FROM flows"), timeout=10
            )
    stored = int(reply.table.rows[0].values[0].number_value)
    counters = exporter.counters
    assert stored == 10
    assert (counters.queued, counters.sent, counters.failed) == (12, 10, 2)
    assert stored + counters.failed + counters.dropped_queue_full == counters.queued + counters.dropped_queue_full
