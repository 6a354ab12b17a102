"""`netscope demo` as a user starts it, on free ports, until every service is ready."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import NETSCOPE, free_port, running, wait_http_ok

DEMO_TOKEN = "demo-e2e-token-0123456789"
SERVICES = ("flows", "alerts", "snmp", "live")  # the demo's gRPC ports, in order from --grpc-base-port


@dataclass
class Demo:
    """Where the running demo answers."""

    url: str
    grpc_targets: dict[str, str]


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_block(size: int) -> int:
    """The first port of `size` consecutive free TCP ports."""
    while True:
        base = free_port()
        if base + size < 65536 and all(_bindable(base + i) for i in range(size)):
            return base


@contextlib.contextmanager
def running_demo(data_dir: Path, log_dir: Path, token: str, hours: float, ready_timeout: float) -> Iterator[Demo]:
    """Run `netscope demo` (simulating `hours` of history in `data_dir`) until /readyz answers; stop it after."""
    http_port, grpc_base = free_port(), free_block(len(SERVICES))
    args = [
        *NETSCOPE,
        "demo",
        "--data-dir",
        str(data_dir),
        "--hours",
        str(hours),
        "--port",
        str(http_port),
        "--grpc-base-port",
        str(grpc_base),
        "--collector-port",
        str(free_port(socket.SOCK_DGRAM)),
        "--agent-port",
        str(free_port(socket.SOCK_DGRAM)),
    ]
    with running("demo", args, {"NETSCOPE_DEMO_TOKEN": token}, log_dir) as process:
        wait_http_ok(f"http://127.0.0.1:{http_port}/readyz", timeout=ready_timeout, process=process)
        targets = {name: f"127.0.0.1:{grpc_base + i}" for i, name in enumerate(SERVICES)}
        yield Demo(f"http://127.0.0.1:{http_port}/mcp/", targets)
