"""NetFlow v9 over UDP → live collector → IngestFlows → flows store in chdb, across real processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope.live.v1 import live_pb2, live_pb2_grpc
from netscope_scenario.exporter import replay
from netscope_scenario.world import build_world
from tests.support.processes import NETSCOPE, Process, free_port, running, wait_grpc_serving

pytestmark = pytest.mark.integration
SENT = 400


@dataclass
class Pipeline:
    """Addresses of the running pipeline."""

    flows_target: str
    live_target: str
    collector_port: int
    live: Process


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    root: Path = tmp_path_factory.mktemp("pipeline")
    flows_port, live_port = free_port(), free_port()
    import socket

    collector_port = free_port(socket.SOCK_DGRAM)
    flows_env = {"NETSCOPE_FLOWS_DSN": f"chdb://{root / 'flows'}", "NETSCOPE_FLOWS_PORT": str(flows_port)}
    live_env = {
        "NETSCOPE_LIVE_PORT": str(live_port),
        "NETSCOPE_LIVE_COLLECTOR_PORT": str(collector_port),
        "NETSCOPE_LIVE_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
        "NETSCOPE_LIVE_IDLE_TIMEOUT_SECONDS": "1",
        "NETSCOPE_LIVE_ACTIVE_TIMEOUT_SECONDS": "2",
        "NETSCOPE_LIVE_INGEST_FLUSH_SECONDS": "0.5",
    }
    logs = root / "logs"
    with running("flows", [*NETSCOPE, "serve", "flows"], flows_env, logs) as flows:
        wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows)
        with running("live", [*NETSCOPE, "serve", "live"], live_env, logs) as live:
            wait_grpc_serving(f"127.0.0.1:{live_port}", process=live)
            yield Pipeline(f"127.0.0.1:{flows_port}", f"127.0.0.1:{live_port}", collector_port, live)


def _stored(target: str) -> tuple[int, int]:
    with grpc.insecure_channel(target) as channel:
        reply = flows_pb2_grpc.FlowsServiceStub(channel).Query(
            flows_pb2.QueryRequest(sql="SELECT count(), sum(TOTAL_BYTES) FROM flows"), timeout=10
        )
    row = reply.table.rows[0].values
    return int(row[0].number_value), int(row[1].number_value or 0)


def test_every_exported_byte_is_stored_once(pipeline: Pipeline) -> None:
    world = build_world(5, hours=0.5, flows_per_hour=2_000)
    expected_bytes = sum(f.c2s_bytes + f.s2c_bytes for f in list(world.flows())[:SENT])
    stats = replay(world, "127.0.0.1", pipeline.collector_port, 9, 2_000, limit=SENT)
    assert stats["flows"] == SENT
    deadline = time.monotonic() + 30
    stored = (0, 0)
    while time.monotonic() < deadline:
        stored = _stored(pipeline.flows_target)
        if stored[1] >= expected_bytes:
            break
        time.sleep(0.5)
    assert stored[1] == expected_bytes, pipeline.live.log()[-2000:]
    assert stored[0] >= 1
    with grpc.insecure_channel(pipeline.live_target) as channel:
        collector = live_pb2_grpc.LiveServiceStub(channel).CollectorStats(live_pb2.CollectorStatsRequest(), timeout=5)
    assert collector.ingest_failed == 0
    assert collector.ingest_dropped_queue_full == 0
