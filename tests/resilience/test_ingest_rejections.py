"""Flows the flows service rejects as invalid are counted by the collector's ingest, not reported as sent."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_live.flows_sink import FlowsIngestSink
from netscope_live.ingest import IngestExporter
from tests.support.live_entries import http_flow_entry
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

pytestmark = pytest.mark.integration


async def test_rejected_flows_count_as_failed(tmp_path: Path) -> None:
    port = free_port()
    env = {"NETSCOPE_FLOWS_DSN": f"chdb://{tmp_path / 'flows'}", "NETSCOPE_FLOWS_PORT": str(port)}
    with running("flows", [*NETSCOPE, "serve", "flows"], env, tmp_path / "logs") as flows:
        wait_grpc_serving(f"127.0.0.1:{port}", process=flows)
        exporter = IngestExporter(FlowsIngestSink(f"127.0.0.1:{port}"), batch_size=100)
        for client_port in range(1000, 1010):
            exporter.offer(http_flow_entry(client_port), 150, 3, True)
        # an exporter whose clock ran backwards: last_seen before first_seen (the flows service refuses it)
        exporter.offer(http_flow_entry(2000, last_seen=1_600_000_000.0), 150, 3, True)
        exporter.offer(http_flow_entry(2001, first_seen=0.0, last_seen=0.0), 150, 3, True)
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
