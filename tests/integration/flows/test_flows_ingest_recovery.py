"""A batch retried after the flows service died while storing it is stored exactly once (never twice, never lost)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.timeutil import make_window
from tests.integration.flows.conftest import SERVICE
from tests.support.processes import NETSCOPE, Process, free_port, running, wait_grpc_serving

pytestmark = pytest.mark.integration
BATCHES, PER_BATCH, KILL_AFTER = 30, 2000, 12
T0 = 1_763_600_000


def test_each_interrupted_state_is_repaired_on_retry(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.flows.ingest_recovery", str(tmp_path / "db")],
        check=True,
        timeout=180,
        capture_output=True,
        text=True,
    )
    cases = json.loads(done.stdout.splitlines()[-1])
    assert cases == {
        "killed-after-ledger": {"stored": 1000, "accepted": 1000, "duplicates": 0},
        "killed-mid-insert": {"stored": 1000, "accepted": 1000, "duplicates": 0},
        "stored": {"stored": 1000, "accepted": 0, "duplicates": 1},
        "stored-again": {"stored": 1000, "accepted": 0, "duplicates": 1},
    }


def batch(n: int) -> flows_pb2.IngestFlowsRequest:
    flows = [
        flows_pb2.IngestFlow(
            exporter="192.0.2.5", protocol=17, client_ip=f"10.8.{n}.{1 + i % 250}", client_port=1024 + i,
            server_ip="198.51.100.53", server_port=53, application="DNS", first_seen=Timestamp(seconds=T0 + n * 60),
            last_seen=Timestamp(seconds=T0 + n * 60 + 1), src2dst_bytes=80, dst2src_bytes=120, src2dst_packets=1,
            dst2src_packets=1,
        )
        for i in range(PER_BATCH)
    ]  # fmt: skip
    return flows_pb2.IngestFlowsRequest(batch_id=f"kill-{n}", flows=flows)


@contextmanager
def serve(dsn: str, root: Path, name: str) -> Iterator[tuple[Process, flows_pb2_grpc.FlowsServiceStub]]:
    port = free_port()
    env = {"NETSCOPE_FLOWS_DSN": dsn, "NETSCOPE_FLOWS_PORT": str(port), "NETSCOPE_FLOWS_LOG_FORMAT": "console"}
    with running(name, [*NETSCOPE, "serve", "flows"], env, root / "logs") as process:
        wait_grpc_serving(f"127.0.0.1:{port}", SERVICE, timeout=60, process=process)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield process, flows_pb2_grpc.FlowsServiceStub(channel)


def test_a_killed_service_stores_retried_batches_once(tmp_path: Path) -> None:
    dsn = f"chdb://{tmp_path / 'db'}"
    with serve(dsn, tmp_path, "flows-killed") as (process, stub):

        def stream() -> Iterator[flows_pb2.IngestFlowsRequest]:
            for n in range(BATCHES):
                if n == KILL_AFTER:
                    process.popen.send_signal(signal.SIGKILL)  # while earlier batches are being stored
                yield batch(n)

        with pytest.raises(grpc.RpcError) as exc:
            stub.IngestFlows(stream(), timeout=120)
        assert exc.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        process.popen.wait(timeout=30)
    with serve(dsn, tmp_path, "flows-restarted") as (_, stub):
        answer = stub.IngestFlows(iter([batch(n) for n in range(BATCHES)]), timeout=300)
        assert answer.batches == BATCHES and answer.rejected == 0
        assert answer.accepted == PER_BATCH * (BATCHES - answer.duplicate_batches)
        window = make_window(datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + BATCHES * 60 + 60, UTC))
        totals = stub.AnalyzeTraffic(
            flows_pb2.AnalyzeTrafficRequest(filter=flows_pb2.FlowFilter(window=window, exporter="192.0.2.5")),
            timeout=60,
        ).totals
        assert totals.flows == BATCHES * PER_BATCH
