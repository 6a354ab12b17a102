"""`netscope status` against a running stack: flows up, the other services' targets dead."""

from __future__ import annotations

import json
import subprocess
from importlib.metadata import version

import httpx
import pytest

from tests.e2e.conftest import Stack, mcp_session
from tests.support.processes import NETSCOPE

pytestmark = pytest.mark.e2e


def _status(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NETSCOPE, "status", "--url", stack.base_url, *args], capture_output=True, text=True, timeout=120
    )


async def test_status_reports_each_service_with_version_uptime_rates_and_last_error(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        assert not (await session.call_tool("list_tables_ntopng_database", {})).is_error
        failed = await session.call_tool("list_alerts", {})  # the alerts target is dead
        assert failed.is_error
    done = _status(stack, "--json")
    assert done.returncode == 3, done.stderr  # not every service is SERVING
    answer = json.loads(done.stdout)

    flows = answer["services"]["flows"]
    assert flows["serving"] is True and flows["target"] == stack.flows_target
    assert flows["version"] == version("netscope-flows")
    assert flows["uptime_seconds"] > 0 and flows["calls_per_minute"] >= 1
    alerts = answer["services"]["alerts"]
    assert alerts["serving"] is False and alerts["reason"].startswith("UNAVAILABLE")
    assert "version" not in alerts  # nothing answered

    aggregator = answer["aggregator"]
    assert aggregator["version"] == version("netscope-aggregator")
    assert aggregator["calls_per_minute"] >= 2 and aggregator["errors_per_minute"] >= 1
    assert aggregator["last_error"].startswith("list_alerts: the alerts service is unavailable")

    table = _status(stack)
    assert table.returncode == 3
    assert "netscope status" in table.stdout and "NOT SERVING" in table.stdout
    assert f"flows ({stack.flows_target})" in table.stdout and "SERVING" in table.stdout


def test_status_says_where_it_looked_when_nothing_answers() -> None:
    done = subprocess.run(
        [*NETSCOPE, "status", "--url", "http://127.0.0.1:9", "--timeout", "2"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "cannot read http://127.0.0.1:9/status" in done.stderr and "--url" in done.stderr


def test_status_is_served_beside_metrics_not_under_mcp(stack: Stack) -> None:
    assert httpx.get(f"{stack.base_url}/status", timeout=30).status_code == 200
    metrics = httpx.get(f"{stack.base_url}/metrics", timeout=30).text
    assert 'netscope_tool_calls_total{outcome="ok",tool="list_tables_ntopng_database"}' in metrics
