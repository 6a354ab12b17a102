"""One SNMP agent stops answering (snmpd SIGSTOPped: its socket stays open, nothing comes back), another
answers slowly (snmpsim's delay variation holds every answer that carries sysName for SLOW_MS).

The snmp service, a real process polling devices on both and on a healthy Debian snmpd, keeps polling the
healthy devices at their usual speed; the stalled agent's device turns UNREACHABLE after its own timeout
and comes back UP after SIGCONT, without a restart; the slow one is UP, just late.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope.snmp.v1 import snmp_pb2_grpc
from netscope_snmp.lab import LabAgent, free_udp_port, snmpd_available, start_snmpd, start_snmpsim, wait_answering
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
STALL_TIMEOUT = 2.0  # the stalled device's timeout x 1 attempt: the longest its poll may take
HEALTHY = [f"healthy-{i}" for i in range(4)]
SLOW_MS = 1500
SLOW_RECORDING = f"""\
1.3.6.1.2.1.1.1.0|4|slow box
1.3.6.1.2.1.1.3.0|67|500
1.3.6.1.2.1.1.5.0|4:delay|value=slow-1,wait={SLOW_MS}
"""


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


def _wait_sys_descr(agent: LabAgent, community: str, timeout: float = 60) -> None:
    """Block until the agent answers a GET of sysDescr (wait_answering asks for sysName, the delayed one)."""
    deadline = time.monotonic() + timeout
    command = ["snmpget", "-v2c", "-c", community, "-t", "1", "-r", "0", f"127.0.0.1:{agent.port}", "1.3.6.1.2.1.1.1.0"]
    while subprocess.run(command, capture_output=True, timeout=10, check=False).returncode != 0:
        assert agent.process.poll() is None, agent.log_path.read_text()[-2000:]
        assert time.monotonic() < deadline, f"snmpsim did not answer within {timeout} s; see {agent.log_path}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabAgent]:
    """snmpsim serving one recording whose sysName answers SLOW_MS late (community 'slow')."""
    root = tmp_path_factory.mktemp("snmpsim-slow")
    (root / "data").mkdir()
    (root / "data" / "slow.snmprec").write_text(SLOW_RECORDING)
    agent = start_snmpsim(root, [root / "data"], free_udp_port())
    try:
        _wait_sys_descr(agent, "slow")
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope="module")
def snmp_target(
    tmp_path_factory: pytest.TempPathFactory, stalling: LabAgent, answering: LabAgent, slow: LabAgent
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("snmp-stall")
    device = {"address": "127.0.0.1", "version": "v2c", "community": "public", "poll_interval_seconds": 2}
    inventory = {
        "devices": [
            {**device, "id": "stalled", "port": stalling.port, "timeout_seconds": STALL_TIMEOUT, "retries": 0},
            {**device, "id": "slow", "port": slow.port, "community": "slow", "timeout_seconds": 10, "retries": 0},
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
            # PollNow joins polls in flight: one the scheduler began before the stop may end UP and partial (the
            # agent fell silent mid-poll); the next PollNow's polls all begin after it
            _poll(stub)
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
        _poll(stub)  # as above: a poll begun while the agent was stopped may be in flight
        after = _poll(stub)
        assert after["stalled"].status == pb.DEVICE_STATUS_UP, after["stalled"]
    print(
        "\nsnmp agent stall: healthy devices polled in "
        + ", ".join(f"{during[n].duration_seconds * 1e3:.0f}" for n in HEALTHY)
        + f" ms while the stalled one took {stalled.duration_seconds:.2f} s "
        f"(before: {', '.join(f'{before[n].duration_seconds * 1e3:.0f}' for n in HEALTHY)} ms)"
    )


def test_a_slow_agent_does_not_slow_the_others(snmp_target: str) -> None:
    with grpc.insecure_channel(snmp_target) as channel:
        outcomes = _poll(snmp_pb2_grpc.SnmpServiceStub(channel))
    slow = outcomes["slow"]
    assert slow.status == pb.DEVICE_STATUS_UP, slow
    assert slow.duration_seconds >= SLOW_MS / 1000, slow.duration_seconds
    for name in HEALTHY:  # polled at the same time, each done before the slow one answered
        assert outcomes[name].status == pb.DEVICE_STATUS_UP, outcomes[name]
        assert outcomes[name].duration_seconds < SLOW_MS / 1000, outcomes[name].duration_seconds
    print(
        "\nslow snmp agent: healthy devices polled in "
        + ", ".join(f"{outcomes[n].duration_seconds * 1e3:.0f}" for n in HEALTHY)
        + f" ms while the slow one took {slow.duration_seconds:.2f} s"
    )
