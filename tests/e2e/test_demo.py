"""The demo as a user starts it (`netscope demo`), driven through every tool over streamable HTTP and stdio."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.e2e.conftest import mcp_session
from tests.e2e.every_tool import drive_every_tool
from tests.support.processes import NETSCOPE, free_port, running, wait_http_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

TOKEN = "demo-e2e-token-0123456789"
SERVICES = ("flows", "alerts", "snmp", "live")


@dataclass
class Demo:
    """Where the running demo answers."""

    url: str
    grpc_targets: dict[str, str]


def _free_block(size: int) -> int:
    """The first port of `size` consecutive free TCP ports."""
    while True:
        base = free_port()
        if base + size < 65536 and all(_bindable(base + i) for i in range(size)):
            return base


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def demo(run_dir: Path) -> Iterator[Demo]:
    """`netscope demo` on free ports with 4 h of simulated history, until every service is ready."""
    http_port, grpc_base = free_port(), _free_block(len(SERVICES))
    args = [
        *NETSCOPE,
        "demo",
        "--data-dir",
        str(run_dir / "demo"),
        "--hours",
        "4",
        "--port",
        str(http_port),
        "--grpc-base-port",
        str(grpc_base),
        "--collector-port",
        str(free_port(socket.SOCK_DGRAM)),
        "--agent-port",
        str(free_port(socket.SOCK_DGRAM)),
    ]
    with running("demo", args, {"NETSCOPE_DEMO_TOKEN": TOKEN}, run_dir / "logs") as process:
        wait_http_ok(f"http://127.0.0.1:{http_port}/readyz", timeout=300, process=process)
        targets = {name: f"127.0.0.1:{grpc_base + i}" for i, name in enumerate(SERVICES)}
        yield Demo(f"http://127.0.0.1:{http_port}/mcp/", targets)


async def test_every_tool_answers_over_streamable_http(demo: Demo) -> None:
    async with mcp_session(demo.url, TOKEN) as session:
        called = await drive_every_tool(session)
    assert len(called) >= 61


async def test_every_tool_answers_over_stdio(demo: Demo) -> None:
    env = {
        **os.environ,
        **{f"NETSCOPE_AGGREGATOR_{name.upper()}_TARGET": target for name, target in demo.grpc_targets.items()},
        "NETSCOPE_AGGREGATOR_STDIO_ROLE": "admin",
        "NETSCOPE_AGGREGATOR_LOG_LEVEL": "WARNING",
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "netscope_common", "stdio"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        called = await drive_every_tool(session)
    assert len(called) >= 61
