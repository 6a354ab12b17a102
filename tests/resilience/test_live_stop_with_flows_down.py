"""SIGTERM to the live service while the flows service is dead or frozen: a clean, bounded stop.

At shutdown the collector hands its live flows to the ingest queue and the exporter drains it. With the
flows service down, every batch would wait out the sink's retries (each attempt up to its timeout); the drain
is bounded instead, what is left is counted as failed, and the process exits 0 before the kit's shutdown
limit (it would log `shutdown_stuck` and exit 1).
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import grpc
import pytest

from netscope.live.v1 import live_pb2, live_pb2_grpc
from netscope_scenario.exporter import replay
from netscope_scenario.world import build_world
from tests.support.processes import NETSCOPE, free_port, start, wait_grpc_serving

pytestmark = pytest.mark.integration
FLOWS = 20_000
BATCH = 500  # 40 batches at shutdown


def _active_flows(target: str) -> int:
    with grpc.insecure_channel(target) as channel:
        stats = live_pb2_grpc.LiveServiceStub(channel).CollectorStats(live_pb2.CollectorStatsRequest(), timeout=5)
    return int(stats.active_flows)


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP], ids=["flows-killed", "flows-frozen"])
def test_live_stops_cleanly_and_counts_what_it_could_not_send(tmp_path: Path, fault: signal.Signals) -> None:
    flows_port, live_port = free_port(), free_port()
    collector_port = free_port(socket.SOCK_DGRAM)
    live_target = f"127.0.0.1:{live_port}"
    flows_env = {"NETSCOPE_FLOWS_DSN": f"chdb://{tmp_path / 'flows'}", "NETSCOPE_FLOWS_PORT": str(flows_port)}
    live_env = {
        "NETSCOPE_LIVE_PORT": str(live_port),
        "NETSCOPE_LIVE_COLLECTOR_PORT": str(collector_port),
        "NETSCOPE_LIVE_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
        "NETSCOPE_LIVE_IDLE_TIMEOUT_SECONDS": "3600",  # every flow stays live until the shutdown flush
        "NETSCOPE_LIVE_ACTIVE_TIMEOUT_SECONDS": "3600",
        "NETSCOPE_LIVE_INGEST_BATCH_SIZE": str(BATCH),
    }
    logs = tmp_path / "logs"
    flows = start("flows", [*NETSCOPE, "serve", "flows"], flows_env, logs)
    live = start("live", [*NETSCOPE, "serve", "live"], live_env, logs)
    try:
        wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows)
        wait_grpc_serving(live_target, process=live)
        replay(build_world(5, hours=2, flows_per_hour=FLOWS // 2), "127.0.0.1", collector_port, 9, 0, limit=FLOWS)
        deadline = time.monotonic() + 30
        while _active_flows(live_target) < FLOWS * 0.9:
            assert time.monotonic() < deadline, "the collector did not table the replayed flows"
            time.sleep(0.2)
        flows.popen.send_signal(fault)
        code = live.stop(signal.SIGTERM, timeout=60)
    finally:
        live.stop(signal.SIGKILL)
        flows.popen.send_signal(signal.SIGCONT)
        flows.stop(signal.SIGKILL)
    log = live.log()
    assert code == 0, log[-2000:]
    assert "shutdown_stuck" not in log
    assert "queued flows not sent at shutdown" in log
