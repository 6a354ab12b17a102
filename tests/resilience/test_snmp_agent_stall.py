"""One SNMP agent stops answering (snmpd SIGSTOPped: its socket stays open, nothing comes back).

The snmp service, a real process polling devices on two Debian snmpd agents, keeps polling the devices of
the answering agent at their usual speed; the stalled agent's device turns UNREACHABLE after its own
timeout and comes back UP after SIGCONT, without a restart.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope.snmp.v1 import snmp_pb2_grpc
from netscope_snmp.lab import LabAgent, free_udp_port, snmpd_available, start_snmpd, wait_answering
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
STALL_TIMEOUT = 2.0  # the stalled device's timeout x 1 attempt: the longest its poll may take
HEALTHY = [f"healthy-{i}" for i in range(4)]


def _agent(root: Path, name: str) -> Iterator[LabAgent]:
    if not snmpd_available():
        pytest.fail("Debian snmpd is not installed: apt-get install -y snmpd snmp (scripts/apt-packages.txt)")
    agent = start_snmpd(root / name, [free_udp_port()], sys_name=name)
    try:
        wait_answering(agent, "public")
        yield agent
    finally:
        if agent.process.poll() is None:
            agent.process.send_signal(signal.SIGCONT)
        agent.stop()


@pytest.fixture(scope="module")
def stalling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabAgent]:
    """The agent the test stops."""
    yield from _agent(tmp_path_factory.mktemp("snmpd-stalling"), "stalling")


@pytest.fixture(scope="module")
def answering(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabAgent]:
    """The agent that keeps answering."""
    yield from _agent(tmp_path_factory.mktemp("snmpd-answering"), "answering")


@pytest.fixture(scope="module")
def snmp_target(tmp_path_factory: pytest.TempPathFactory, stalling: LabAgent, answering: LabAgent) -> Iterator[str]:
    root = tmp_path_factory.mktemp("snmp-stall")
    device = {"address": "127.0.0.1", "version": "v2c", "community": "public", "poll_interval_seconds": 2}
    inventory = {
        "devices": [
            {**device, "id": "stalled", "port": stalling.port, "timeout_seconds": STALL_TIMEOUT, "retries": 0},
            *({**device, "id": name, "port": answering.port} for name in HEALTHY),
        ]
    }
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory))
    port = free_port()
    env = {
        "NETSCOPE_SNMP_PORT": str(port),
        "NETSCOPE_SNMP_INVENTORY_PATH": str(root / "inventory.yaml"),
        "NETSCOPE_SNMP_STATE_PATH": str(root / "state.json"),
    }
    with running("snmp", [*NETSCOPE, "serve", "snmp"], env, root / "logs") as process:
        wait_grpc_serving(f"127.0.0.1:{port}", "netscope.snmp.v1.SnmpService", process=process)
        yield f"127.0.0.1:{port}"


def _poll(stub: snmp_pb2_grpc.SnmpServiceStub) -> dict[str, pb.PollOutcome]:
    reply = stub.PollNow(pb.PollNowRequest(), timeout=30)
    return {o.device_id: o for o in reply.outcomes}


def _devices(stub: snmp_pb2_grpc.SnmpServiceStub) -> dict[str, pb.Device]:
    return {d.id: d for d in stub.ListDevices(pb.ListDevicesRequest(limit=50), timeout=10).devices}


def test_a_stalled_agent_does_not_slow_the_others(snmp_target: str, stalling: LabAgent) -> None:
    with grpc.insecure_channel(snmp_target) as channel:
        stub = snmp_pb2_grpc.SnmpServiceStub(channel)
        before = _poll(stub)
        assert all(o.status == pb.DEVICE_STATUS_UP for o in before.values()), before
        stalling.process.send_signal(signal.SIGSTOP)
        try:
            during = _poll(stub)
            stalled = during["stalled"]
            assert stalled.status == pb.DEVICE_STATUS_UNREACHABLE, stalled
            assert stalled.status_detail == (
                f"no answer ({STALL_TIMEOUT:g}s x 1 attempts): unreachable or wrong community"
            ), stalled.status_detail
            for name in HEALTHY:  # polled at the same time, each done before the stalled one gave up
                assert during[name].status == pb.DEVICE_STATUS_UP, during[name]
                assert during[name].duration_seconds < STALL_TIMEOUT, during[name].duration_seconds
            # the scheduler goes on polling them too (every 2 s) while the stalled agent stays silent
            seen = {name: d.last_polled.ToDatetime() for name, d in _devices(stub).items()}
            deadline = time.monotonic() + 30
            while True:
                now = _devices(stub)
                if all(now[name].last_polled.ToDatetime() > seen[name] for name in HEALTHY):
                    break
                assert time.monotonic() < deadline, "the answering agent's devices were not polled again"
                time.sleep(0.5)
            assert all(now[name].status == pb.DEVICE_STATUS_UP for name in HEALTHY), now
            assert all(now[name].last_poll_duration_seconds < STALL_TIMEOUT for name in HEALTHY), now
            assert now["stalled"].status == pb.DEVICE_STATUS_UNREACHABLE, now["stalled"]
        finally:
            stalling.process.send_signal(signal.SIGCONT)
        after = _poll(stub)
        assert after["stalled"].status == pb.DEVICE_STATUS_UP, after["stalled"]
    print(
        "\nsnmp agent stall: healthy devices polled in "
        + ", ".join(f"{during[n].duration_seconds * 1e3:.0f}" for n in HEALTHY)
        + f" ms while the stalled one took {stalled.duration_seconds:.2f} s "
        f"(before: {', '.join(f'{before[n].duration_seconds * 1e3:.0f}' for n in HEALTHY)} ms)"
    )
