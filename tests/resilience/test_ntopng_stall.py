"""The live service's ntopng source stalls (the FAKE ntopng accepts connections and answers nothing).

The fake replays recorded answers of a real ntopng 6.3 (tests/fixtures/ntopng/recordings). The live service
runs as its own process. While ntopng hangs, each call ends after the ntopng timeout and retries with an error
naming ntopng, the service's health turns NOT_SERVING, and once ntopng answers again the service serves again
by itself, without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from netscope.live.v1 import live_pb2, live_pb2_grpc
from tests.fixtures.ntopng.fake_ntopng import FakeNtopng, running_fake_ntopng
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
SERVICE = "netscope.live.v1.LiveService"


@pytest.fixture
def fake_ntopng() -> Iterator[FakeNtopng]:
    with running_fake_ntopng() as fake:
        yield fake


def _health(channel: grpc.Channel) -> int:
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)
    except grpc.RpcError as error:
        return -int(error.code().value[0])
    return int(reply.status)


def _wait_health(channel: grpc.Channel, status: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (seen := _health(channel)) != status:
        assert time.monotonic() < deadline, f"health is {seen}, not {status}, after {seconds} s"
        time.sleep(0.2)


def test_a_hung_ntopng_fails_calls_clearly_and_the_service_recovers_alone(
    tmp_path: Path, fake_ntopng: FakeNtopng
) -> None:
    port = free_port()
    env = {
        "NETSCOPE_LIVE_PORT": str(port),
        "NETSCOPE_LIVE_SOURCE": "ntopng",
        "NTOPNG_HOST": fake_ntopng.url,
        "NTOPNG_API_KEY": fake_ntopng.token,
        "NETSCOPE_LIVE_NTOPNG_TIMEOUT_SECONDS": "1",
        "NETSCOPE_LIVE_NTOPNG_RETRIES": "1",
        "NETSCOPE_LIVE_HEALTH_INTERVAL_SECONDS": "1",
    }
    target = f"127.0.0.1:{port}"
    with running("live-ntopng", [*NETSCOPE, "serve", "live"], env, tmp_path / "logs") as live:
        wait_grpc_serving(target, SERVICE, process=live)
        with grpc.insecure_channel(target) as channel:
            stub = live_pb2_grpc.LiveServiceStub(channel)
            assert stub.ListInterfaces(live_pb2.ListInterfacesRequest(), timeout=10).interfaces

            fake_ntopng.stall()
            with pytest.raises(grpc.RpcError) as hung:
                stub.ListInterfaces(live_pb2.ListInterfacesRequest(), timeout=30)
            assert hung.value.code() == grpc.StatusCode.UNAVAILABLE, hung.value.details()
            assert f"ntopng at {fake_ntopng.url} did not answer" in str(hung.value.details())
            assert "in time" in str(hung.value.details())
            _wait_health(channel, health_pb2.HealthCheckResponse.NOT_SERVING, 30)

            fake_ntopng.resume()
            _wait_health(channel, health_pb2.HealthCheckResponse.SERVING, 30)
            interfaces = stub.ListInterfaces(live_pb2.ListInterfacesRequest(), timeout=10).interfaces
            assert [(i.ifid, i.name) for i in interfaces] == [(0, "netscope.pcap"), (1, "lo")]
        assert live.popen.poll() is None, "the live process died while ntopng hung"
