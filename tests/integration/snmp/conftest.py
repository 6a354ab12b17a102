"""Real SNMP agents for the snmp integration tests: Debian snmpd and snmpsim on loopback ports."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from netscope_snmp.lab import (
    LabAgent,
    free_udp_port,
    snmpd_available,
    snmpsim_data_dir,
    start_snmpd,
    start_snmpsim,
    wait_answering,
)

pytestmark = pytest.mark.integration

# snmprec lines: OID|type tag|value (4 OctetString, 6 OID, 67 TimeTicks, 2 Integer, 70 Counter64).
GARBAGE_RECORDING = """\
1.3.6.1.2.1.1.1.0|4|garbage box
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1
1.3.6.1.2.1.1.3.0|67|1000
1.3.6.1.2.1.1.5.0|4|garbage-1
1.3.6.1.2.1.2.2.1.2.1|4|eth0
1.3.6.1.2.1.2.2.1.7.1|2|1
1.3.6.1.2.1.2.2.1.8.1|4|not-a-status
1.3.6.1.2.1.31.1.1.1.1.1|4|eth0
1.3.6.1.2.1.31.1.1.1.6.1|4|garbage
1.3.6.1.2.1.31.1.1.1.10.1|70|1234
"""
SYSTEM_ONLY_RECORDING = """\
1.3.6.1.2.1.1.1.0|4|system only
1.3.6.1.2.1.1.3.0|67|500
1.3.6.1.2.1.1.5.0|4|bare
"""


@pytest.fixture(scope="session")
def snmpd_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabAgent]:
    """Debian snmpd on a free loopback port: v2c community 'public', v3 netops SHA/AES authPriv."""
    if not snmpd_available():
        pytest.fail("Debian snmpd is not installed: apt-get install -y snmpd snmp (scripts/apt-packages.txt)")
    agent = start_snmpd(tmp_path_factory.mktemp("snmpd"), [free_udp_port()])
    try:
        wait_answering(agent, "public")
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope="session")
def snmpsim_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabAgent]:
    """snmpsim with two shipped recordings plus a garbage and a system-only device."""
    work = tmp_path_factory.mktemp("snmpsim")
    data = work / "data"
    (data / "recorded").mkdir(parents=True)
    for name in ("linux-full-walk", "winxp-full-walk"):
        shutil.copy(snmpsim_data_dir() / "recorded" / f"{name}.snmprec", data / "recorded")
    (data / "garbage.snmprec").write_text(GARBAGE_RECORDING)
    (data / "system-only.snmprec").write_text(SYSTEM_ONLY_RECORDING)
    agent = start_snmpsim(work, [data], free_udp_port())
    try:
        wait_answering(agent, "recorded/linux-full-walk", timeout_s=60)
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope="session")
def closed_port() -> int:
    """A loopback UDP port nobody listens on."""
    return free_udp_port()
