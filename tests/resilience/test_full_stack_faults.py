"""Faults of the whole stack: written state survives restarts; a hung service is cut by deadlines."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.types import CallToolResult

from tests.resilience.full_stack import FullStack, full_stack
from tests.support.stack import ADMIN_TOKEN, mcp_session

pytestmark = pytest.mark.integration
CALL_TIMEOUT = 3.0
EXCLUDED, POLICY, DEVICE, MONITOR_HOST = "10.66.0.7", "restart-survivor", "restart-dev-1", "127.0.0.66"
INDEPENDENT = [  # tools that need no flows call
    ("search_docs", {"query": "token roles"}),
    ("list_snmp_devices", {}),
    ("list_alert_exclusions", {}),
    ("list_enabled_active_monitoring_scripts", {}),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullStack]:
    with full_stack(tmp_path_factory.mktemp("hung"), call_timeout_seconds=CALL_TIMEOUT) as running:
        yield running


@pytest.fixture(scope="module")
def patient_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullStack]:
    """A stack with the default-sized deadline, for tests that must not fail on a slow, busy machine."""
    with full_stack(tmp_path_factory.mktemp("restarts"), call_timeout_seconds=30) as running:
        yield running


def _text(result: CallToolResult) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


async def _ready(stack: FullStack) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.get(f"{stack.base_url}/readyz")
    return reply.status_code, reply.json()


async def _write(session: ClientSession, tool: str, arguments: dict[str, Any]) -> None:
    """A write tool through its two steps: preview, then confirm with the preview's id."""
    preview = await session.call_tool(tool, arguments)
    assert not preview.is_error, (tool, preview.content)
    assert preview.structured_content["status"] == "confirmation_required", preview.structured_content
    done = await session.call_tool(tool, {**arguments, "confirm_id": preview.structured_content["confirm_id"]})
    assert not done.is_error, (tool, done.content)
    assert done.structured_content["status"] == "done", done.structured_content


async def _listed(session: ClientSession) -> dict[str, bool]:
    """Whether each written thing is listed by its owning service right now."""
    exclusions = await session.call_tool("list_alert_exclusions", {})
    policies = await session.call_tool("list_alert_policies", {})
    devices = await session.call_tool("list_snmp_devices", {})
    monitors = await session.call_tool("list_enabled_active_monitoring_scripts", {})
    return {
        "exclusion": EXCLUDED in json.dumps(exclusions.structured_content),
        "policy": POLICY in json.dumps(policies.structured_content),
        "device": DEVICE in json.dumps(devices.structured_content),
        "monitor": MONITOR_HOST in json.dumps(monitors.structured_content),
    }


async def test_restarts_keep_written_state(patient_stack: FullStack) -> None:
    stack = patient_stack
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN) as session:
        await _write(session, "add_host_alert_exclusion", {"value": EXCLUDED})
        await _write(
            session,
            "create_ai_policy",
            {"name": POLICY, "rule": "alert_count", "alert_type": "alert_flow_blacklisted", "min_count": 5},
        )
        await _write(session, "add_snmp_device", {"device_id": DEVICE, "address": "127.0.0.1", "community": "x"})
        await _write(
            session,
            "add_active_monitoring_script",
            {"kind": "tcp_connect", "host": MONITOR_HOST, "port": 9, "interval_seconds": 3600},
        )
        assert await _listed(session) == dict.fromkeys(("exclusion", "policy", "device", "monitor"), True)
    stack.restart("alerts", "snmp", "live", sig=signal.SIGTERM)
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN) as session:
        assert await _listed(session) == dict.fromkeys(("exclusion", "policy", "device", "monitor"), True)


async def test_hung_flows_is_cut_by_the_deadline_and_named_by_readyz(stack: FullStack) -> None:
    assert (await _ready(stack))[0] == 200
    flows = stack.processes["flows"].popen
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN) as session:
        assert not (await session.call_tool("list_tables_ntopng_database", {})).is_error
        flows.send_signal(signal.SIGSTOP)
        try:
            for _ in range(3):
                started = time.monotonic()
                hung = await asyncio.wait_for(session.call_tool("list_tables_ntopng_database", {}), 30)
                elapsed = time.monotonic() - started
                assert hung.is_error
                assert elapsed < CALL_TIMEOUT + 1.5, elapsed
                assert f"the flows service did not answer within {CALL_TIMEOUT:g} s" in _text(hung)
                for name, arguments in INDEPENDENT:
                    started = time.monotonic()
                    other = await asyncio.wait_for(session.call_tool(name, arguments), 30)
                    assert not other.is_error, (name, other.content)
                    assert time.monotonic() - started < 2, name
            started = time.monotonic()
            status, body = await _ready(stack)
            assert time.monotonic() - started < CALL_TIMEOUT + 1
            assert status == 503, body
            services = body["services"]
            assert isinstance(services, dict)
            assert services["flows"]["serving"] is False
            assert "DEADLINE_EXCEEDED" in services["flows"]["reason"]
            assert all(services[name]["serving"] for name in ("alerts", "snmp", "live")), services
        finally:
            flows.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        while True:
            result = await session.call_tool("list_tables_ntopng_database", {})
            if not result.is_error:
                break
            assert time.monotonic() - resumed < 5, _text(result)
            await asyncio.sleep(0.1)
    assert (await _ready(stack))[0] == 200
    assert stack.processes["aggregator"].popen.poll() is None  # recovered without an aggregator restart
