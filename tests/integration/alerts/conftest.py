"""The alerts service as a real subprocess on a seeded chdb directory, and the FAKE ntopng it pushes exclusions to.

The service runs on the embedded store and over HTTP through the ClickHouse test double (a readonly=2 reader
user and a writer user) on the same kind of directory.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from netscope.alerts.v1 import alerts_pb2_grpc
from tests.fixtures.ntopng.fake_ntopng import FakeNtopng, running_fake_ntopng
from tests.support.clickhouse_double.fixture import READER, WRITER, Double, running_double
from tests.support.processes import NETSCOPE, Process, free_port, start, wait_grpc_serving

pytestmark = pytest.mark.integration
SERVICE = "netscope.alerts.v1.AlertsService"


@pytest.fixture(scope="module")
def fake_ntopng() -> Iterator[FakeNtopng]:
    with running_fake_ntopng() as fake:
        yield fake


class AlertsService:
    """Starts/stops the service on one data directory; `stub` talks to the running instance."""

    def __init__(self, data: Path, logs: Path, ntopng: FakeNtopng, double: Double | None = None) -> None:
        self.port = free_port()
        self.env = {
            "NETSCOPE_ALERTS_PORT": str(self.port),
            "NETSCOPE_ALERTS_DSN": f"chdb://{data}" if double is None else _url(double, READER),
            "NETSCOPE_ALERTS_WRITER_DSN": "" if double is None else _url(double, WRITER),
            "NETSCOPE_ALERTS_POLICY_INTERVAL_SECONDS": "0",
            "NTOPNG_HOST": ntopng.url,
            "NTOPNG_API_KEY": ntopng.token,
            "NETSCOPE_ALERTS_LOG_FORMAT": "console",
        }
        self.logs = logs
        self.process: Process | None = None
        self.channel: grpc.Channel | None = None
        self.stub: alerts_pb2_grpc.AlertsServiceStub

    def start(self) -> None:
        self.process = start("alerts", [*NETSCOPE, "serve", "alerts"], self.env, self.logs)
        wait_grpc_serving(f"127.0.0.1:{self.port}", SERVICE, timeout=120, process=self.process)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = alerts_pb2_grpc.AlertsServiceStub(self.channel)

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.process is not None:
            assert self.process.stop() == 0, self.process.log()[-3000:]


def _url(double: Double, user: dict[str, object]) -> str:
    return f"http://{user['name']}:{user['password']}@{double.host}:{double.port}/"


@pytest.fixture(scope="module", params=["embedded", "http"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, fake_ntopng: FakeNtopng
) -> Iterator[AlertsService]:
    data = tmp_path_factory.mktemp("alerts-data")
    logs = tmp_path_factory.mktemp("alerts-logs")
    subprocess.run(
        [sys.executable, "-m", "tests.integration.alerts.seed_store", f"chdb://{data}"], check=True, timeout=60
    )
    with contextlib.ExitStack() as stack:
        double = stack.enter_context(running_double(data, logs)) if request.param == "http" else None
        svc = AlertsService(data, logs, fake_ntopng, double)
        svc.start()
        yield svc
        svc.stop()
