"""A reusable snmpsim agent for tests.

`start_snmpsim(data_dir, log_dir, probe_community)` starts snmpsim's command responder on a free loopback UDP
port (as root it needs SNMPSIM_ALLOW_ROOT=true) and waits until it answers; every `.snmprec` in data_dir is
served with its file name (without extension) as the SNMPv2c community. Stop it with `agent.process.stop()`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import Process, free_port, start


@dataclass
class SnmpSim:
    """A running snmpsim agent."""

    host: str
    port: int
    process: Process

    @property
    def endpoint(self) -> str:
        """The agent as net-snmp tools spell it."""
        return f"udp:{self.host}:{self.port}"


def start_snmpsim(data_dir: Path, log_dir: Path, probe_community: str, timeout: float = 60) -> SnmpSim:
    """Start snmpsim serving `data_dir`; wait until `probe_community` answers sysName."""
    if shutil.which("snmpget") is None:
        raise RuntimeError("net-snmp tools missing: install the Debian packages in scripts/apt-packages.txt (snmp)")
    port = free_port(kind=socket.SOCK_DGRAM)
    responder = shutil.which("snmpsim-command-responder", path=str(Path(sys.executable).parent))
    assert responder, "snmpsim-command-responder not found next to the interpreter (dev group: snmpsim)"
    cache = log_dir / f"snmpsim-cache-{port}"
    proc = start(
        f"snmpsim-{port}",
        [responder, f"--data-dir={data_dir}", f"--cache-dir={cache}", f"--agent-udpv4-endpoint=127.0.0.1:{port}"],
        {"SNMPSIM_ALLOW_ROOT": "true"},
        log_dir,
    )
    agent = SnmpSim("127.0.0.1", port, proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"snmpsim exited with {proc.popen.returncode}:\n{proc.log()[-3000:]}")
        probe = subprocess.run(
            ["snmpget", "-v2c", "-c", probe_community, "-t", "1", "-r", "0", agent.endpoint, "1.3.6.1.2.1.1.5.0"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        if probe.returncode == 0:
            return agent
        time.sleep(0.3)
    proc.stop()
    raise TimeoutError(f"snmpsim did not answer within {timeout}s:\n{proc.log()[-3000:]}")
