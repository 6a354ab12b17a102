"""The demo as a user starts it (`netscope demo`), driven through every tool over streamable HTTP and stdio."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.e2e.conftest import mcp_session
from tests.e2e.every_tool import drive_every_tool
from tests.support.demo import DEMO_TOKEN, Demo
from tests.support.processes import NETSCOPE

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

TOKEN = DEMO_TOKEN


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


async def test_flow_bottlenecks_are_judged_against_the_real_link_speeds(demo: Demo, demo_dir: Path) -> None:
    """The demo gives the flows service the simulated interface speeds: the 50 Mbit/s branch uplink the
    link_saturation incident fills is a bottleneck in flow data too, not only by SNMP."""
    truth = json.loads((demo_dir / "scenario" / "ground_truth.json").read_text())
    saturation = next(i for i in truth["incidents"] if i["kind"] == "link_saturation")
    exporters = json.loads((demo_dir / "scenario" / "scenario.json").read_text())["exporters"]
    uplink = saturation["interfaces"][0]
    address = next(e["address"] for e in exporters if e["device_id"] == uplink["device"])
    async with mcp_session(demo.url, TOKEN) as session:
        answer = (await session.call_tool("detect_bottlenecks", {"hours": 1})).structured_content
    found = answer["flow_bottlenecks"]["bottlenecks"]
    assert any(
        (b["exporter"], b["if_index"], b["direction"], b["speed_bps"])
        == (address, uplink["if_index"], uplink["direction"], 50_000_000)
        for b in found
    ), found


def test_status_shows_every_service_of_the_demo_serving(demo: Demo) -> None:
    base = demo.url.removesuffix("/mcp/")
    done = subprocess.run([*NETSCOPE, "status", "--url", base, "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    services = json.loads(done.stdout)["services"]
    assert set(services) == {"flows", "alerts", "snmp", "live"}
    for name, row in services.items():
        assert row["serving"] is True and row["target"] == demo.grpc_targets[name], (name, row)
        assert row["version"] == version(f"netscope-{name}") and row["uptime_seconds"] > 0
