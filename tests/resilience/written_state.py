"""Configuration and written state of every service, written once and read back after restarts.

Written through the MCP write tools (preview, then confirm) where a tool exists, through the services'
gRPC API otherwise: exclusions of every kind (one removed again), policies (one disabled after creation),
expected servers (one removed), the audit trail, SNMP devices (one removed), active monitors (one
removed), and the flow tables' rows (seeded). A restart, graceful or not, must leave every listing as it was.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from mcp import ClientSession

from netscope.alerts.v1 import alerts_pb2 as apb
from netscope.alerts.v1 import alerts_pb2_grpc
from tests.resilience.full_stack import FullStack
from tests.support.stack import ADMIN_TOKEN, mcp_session

HOST, DOMAIN, CERTIFICATE = "10.66.0.7", "crash.example.com", "CN=Crash Test CA"
GONE_HOST = "10.66.0.8"


async def _write(session: ClientSession, tool: str, arguments: dict[str, Any]) -> None:
    """A write tool through its two steps: preview, then confirm with the preview's id."""
    preview = await session.call_tool(tool, arguments)
    assert not preview.is_error, (tool, preview.content)
    confirm_id = preview.structured_content["confirm_id"]
    done = await session.call_tool(tool, {**arguments, "confirm_id": confirm_id})
    assert not done.is_error, (tool, done.content)
    assert done.structured_content["status"] == "done", done.structured_content


async def _tool(session: ClientSession, tool: str, arguments: dict[str, Any] | None = None) -> Any:
    result = await session.call_tool(tool, arguments or {})
    assert not result.is_error, (tool, result.content)
    return result.structured_content


def _alerts_state(stack: FullStack) -> dict[str, Any]:
    """What the alerts service stores, read over gRPC (minus the policies' run bookkeeping)."""
    with grpc.insecure_channel(stack.target("alerts")) as channel:
        stub = alerts_pb2_grpc.AlertsServiceStub(channel)
        policies = [MessageToDict(p) for p in stub.ListPolicies(apb.ListPoliciesRequest(), timeout=30).policies]
        for policy in policies:
            policy.pop("lastRun", None)
            policy.pop("lastResult", None)
        audit = stub.ListAuditEntries(apb.ListAuditEntriesRequest(limit=1000), timeout=30)
        return {
            "exclusions": [
                MessageToDict(e) for e in stub.ListExclusions(apb.ListExclusionsRequest(), timeout=30).exclusions
            ],
            "policies": policies,
            "servers": [
                MessageToDict(s) for s in stub.ListExpectedServers(apb.ListExpectedServersRequest(), timeout=30).servers
            ],
            "audit": [MessageToDict(a) for a in audit.entries],
        }


async def read_state(stack: FullStack) -> dict[str, Any]:
    """Every written thing, as its owner lists it."""
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN) as session:
        devices = await _tool(session, "list_snmp_devices")
        monitors = await _tool(session, "list_enabled_active_monitoring_scripts")
        tables = await _tool(session, "list_tables_ntopng_database")
    return {
        **await asyncio.to_thread(_alerts_state, stack),  # blocking gRPC, off the event loop
        "devices": sorted((d["id"], d["address"], d["port"]) for d in devices["devices"]),
        "monitors": sorted((m["id"], m["interval_seconds"]) for m in monitors["monitors"]),
        "tables": tables,
    }


async def write_state(stack: FullStack) -> dict[str, Any]:
    """Write every kind of state (and remove some again); returns what the services list afterwards."""
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN) as session:
        for tool, value in (
            ("add_host_alert_exclusion", HOST),
            ("add_host_alert_exclusion", GONE_HOST),
            ("add_domain_alert_exclusion", DOMAIN),
            ("add_certificate_alert_exclusion", CERTIFICATE),
        ):
            await _write(session, tool, {"value": value})
        for name in ("crash-kept-on", "crash-turned-off"):
            await _write(
                session,
                "create_ai_policy",
                {"name": name, "rule": "alert_count", "alert_type": "alert_flow_blacklisted", "min_count": 5},
            )
        for device in ("crash-dev-kept", "crash-dev-removed"):
            await _write(session, "add_snmp_device", {"device_id": device, "address": "127.0.0.1", "community": "x"})
        await _write(session, "remove_snmp_device", {"device": "crash-dev-removed"})
        for port in (9, 10):
            monitor = {"kind": "tcp_connect", "host": "127.0.0.66", "port": port, "interval_seconds": 3600}
            await _write(session, "add_active_monitoring_script", monitor)
        await _write(session, "remove_active_monitoring_script", {"monitor_id": "tcp_connect:127.0.0.66:10"})
    with grpc.insecure_channel(stack.target("alerts")) as channel:
        alerts = alerts_pb2_grpc.AlertsServiceStub(channel)
        host = apb.EXCLUSION_KIND_HOST
        assert alerts.RemoveExclusion(apb.RemoveExclusionRequest(kind=host, value=GONE_HOST), timeout=30).removed
        alerts.SetPolicyEnabled(apb.SetPolicyEnabledRequest(name="crash-turned-off", enabled=False), timeout=30)
        for address in ("10.66.0.53", "10.66.0.54"):
            request = apb.AddExpectedServerRequest(role=apb.SERVER_ROLE_DNS, address=address, comment="crash test")
            alerts.AddExpectedServer(request, timeout=30)
        removal = apb.RemoveExpectedServerRequest(role=apb.SERVER_ROLE_DNS, address="10.66.0.54")
        assert alerts.RemoveExpectedServer(removal, timeout=30).removed
    state = await read_state(stack)
    text = json.dumps(state)
    for written in (HOST, DOMAIN, CERTIFICATE, "crash-kept-on", "crash-dev-kept", "127.0.0.66:9", "10.66.0.53"):
        assert written in text, written
    for gone in (GONE_HOST, "crash-dev-removed", "127.0.0.66:10", "10.66.0.54"):
        assert gone not in json.dumps({k: v for k, v in state.items() if k != "audit"}), gone
    assert {p["spec"]["name"]: p.get("enabled", False) for p in state["policies"]} == {
        "crash-kept-on": True,
        "crash-turned-off": False,
    }
    assert len(state["audit"]) >= 9, state["audit"]  # every alerts write so far, audited
    assert any(t["total_rows"] for t in state["tables"]["tables"]), state["tables"]
    return state
