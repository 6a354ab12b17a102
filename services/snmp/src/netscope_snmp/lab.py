"""Lab agents for tests, benchmarks and demos: Debian's net-snmp `snmpd` and `snmpsim`, on loopback.

Both are started as child processes with generated configuration and stopped by the caller
(`LabAgent.stop`). Nothing here is used by the running service.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SNMPD = "/usr/sbin/snmpd"


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class LabAgent:
    """A running agent process and the ports it answers on."""

    process: subprocess.Popen[bytes]
    ports: list[int]
    log_path: Path

    @property
    def port(self) -> int:
        """The first port."""
        return self.ports[0]

    def stop(self) -> None:
        """Terminate the agent (kill it if it does not exit within 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def snmpd_available() -> bool:
    """True when Debian's snmpd is installed."""
    return Path(SNMPD).exists()


def start_snmpd(
    workdir: Path,
    ports: Sequence[int],
    community: str = "public",
    v3_user: tuple[str, str, str] | None = ("netops", "authpass123", "privpass123"),
    sys_name: str = "netscope-lab",
    extra_config: str = "",
) -> LabAgent:
    """Start snmpd answering on 127.0.0.1 at each of `ports` (v2c `community`, v3 SHA/AES user)."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "snmpd.conf"
    lines = [
        "agentAddress " + ",".join(f"udp:127.0.0.1:{p}" for p in ports),
        f"rocommunity {community} 127.0.0.1",
        f"sysName {sys_name}",
        "dontLogTCPWrappersConnects yes",
    ]
    if v3_user:
        user, auth, priv = v3_user
        lines += [f'createUser {user} SHA "{auth}" AES "{priv}"', f"rouser {user} authpriv"]
    conf.write_text("\n".join(lines) + "\n" + extra_config, encoding="utf-8")
    log_path = workdir / "snmpd.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [SNMPD, "-f", "-Lf", str(log_path), "-C", "-c", str(conf), "-p", str(workdir / "snmpd.pid")],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    return LabAgent(process, list(ports), log_path)


def snmpsim_data_dir() -> Path:
    """The recordings shipped inside the snmpsim wheel."""
    import snmpsim

    return Path(snmpsim.__file__).parent / "data"


def start_snmpsim(
    workdir: Path,
    data_dirs: Sequence[Path],
    port: int,
    v3_user: tuple[str, str, str] | None = ("netops", "authpass123", "privpass123"),
) -> LabAgent:
    """Start snmpsim on 127.0.0.1:`port` serving `data_dirs` (community = recording path, v3 context too)."""
    cache = workdir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).parent / "snmpsim-command-responder"
    command = [str(exe) if exe.exists() else shutil.which("snmpsim-command-responder") or str(exe)]
    command += [f"--data-dir={d}" for d in data_dirs]
    command += [f"--cache-dir={cache}", f"--agent-udpv4-endpoint=127.0.0.1:{port}"]
    if v3_user:
        user, auth, priv = v3_user
        command += [
            f"--v3-user={user}",
            f"--v3-auth-key={auth}",
            "--v3-auth-proto=SHA",
            f"--v3-priv-key={priv}",
            "--v3-priv-proto=AES",
        ]
    log_path = workdir / "snmpsim.log"
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    return LabAgent(process, [port], log_path)


def wait_answering(agent: LabAgent, community: str, timeout_s: float = 30.0) -> None:
    """Block until every port of the agent answers a v2c GET of sysName (uses net-snmp's snmpget)."""
    deadline = time.monotonic() + timeout_s
    for port in agent.ports:
        while True:
            if agent.process.poll() is not None:
                raise RuntimeError(f"agent exited early; see {agent.log_path}: {agent.log_path.read_text()[-2000:]}")
            probe = subprocess.run(
                [
                    "snmpget",
                    "-v2c",
                    "-c",
                    community,
                    "-t",
                    "0.5",
                    "-r",
                    "0",
                    f"127.0.0.1:{port}",
                    "1.3.6.1.2.1.1.5.0",
                ],
                capture_output=True,
                timeout=10,
                check=False,
            )
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"agent on port {port} did not answer within {timeout_s}s; see {agent.log_path}")
            time.sleep(0.2)
