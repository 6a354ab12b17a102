"""Call every tool of the catalog once with realistic arguments found on the running system (writes confirmed).

Shared by the demo e2e test over streamable HTTP and over stdio, so both transports prove the same surface.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from mcp import ClientSession
from mcp.types import CallToolResult

WRITE_TOOLS = {
    "add_host_alert_exclusion",
    "add_domain_alert_exclusion",
    "add_certificate_alert_exclusion",
    "create_ai_policy",
    "add_active_monitoring_script",
    "remove_active_monitoring_script",
    "add_snmp_device",
    "remove_snmp_device",
}


def text_of(result: CallToolResult) -> str:
    """The text content of an answer (for failure messages)."""
    return " ".join(getattr(c, "text", "") for c in result.content)[:500]


async def _call(session: ClientSession, name: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await session.call_tool(name, arguments)
    assert not result.is_error, (name, arguments, text_of(result))
    return result


async def _write(session: ClientSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A write in two steps: the preview with its confirm_id, then the confirmed call."""
    preview = (await _call(session, name, arguments)).structured_content or {}
    assert preview.get("status") == "confirmation_required", (name, preview)
    done = (await _call(session, name, {**arguments, "confirm_id": preview["confirm_id"]})).structured_content or {}
    assert done.get("status") == "done", (name, done)
    return done


async def _discover(session: ClientSession) -> dict[str, str]:
    """A busy live host, its MAC, an SNMP device that answers and one of its interfaces."""
    for _ in range(120):  # the demo's replay feeds live from its start; give it up to a minute
        talkers = (await _call(session, "fetch_ntopng_top_local_talkers", {})).structured_content or {}
        if talkers.get("hosts"):
            break
        await asyncio.sleep(0.5)
    host = talkers["hosts"][0]["ip"]
    host_info = (await _call(session, "get_host_info", {"ip": host})).structured_content or {}
    await _call(session, "poll_snmp_device_now", {})
    devices = (await _call(session, "list_snmp_devices", {"status": "up"})).structured_content or {}
    device = devices["devices"][0]["id"]
    detail = (await _call(session, "get_snmp_device_info", {"device": device})).structured_content or {}
    return {
        "host": host,
        "mac": host_info.get("mac") or "00:1b:21:3a:4f:01",
        "device": device,
        "interface": str(detail["interfaces"][0]["name"]),
    }


def read_arguments(found: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Arguments for every read tool (tools absent here take their defaults)."""
    host, device = found["host"], found["device"]
    return {
        "query_ntopng_database": {"query": "SELECT count() FROM flows"},
        "query": {"content": "SELECT IPV4_SRC_ADDR, sum(TOTAL_BYTES) AS b FROM flows GROUP BY 1 ORDER BY b DESC"},
        "describe_table": {"table": "flows"},
        "get_historical_flow": {"hours": 24, "host": host, "limit": 5},
        "get_flow_top_k": {"dimension": "dst_port", "k": 5},
        "get_ntopng_top-k_flows": {"select_keys_clause": "IPV4_SRC_ADDR", "maxhits_clause": "5"},
        "query_ntopng_flows_data": {"select_clause": "count() AS n", "maxhits_clause": "5"},
        "get_flow_time_series": {"hours": 6, "bucket_seconds": 1800},
        "chart": {"hours": 6},
        "list_protos": {"name_contains": "dns"},
        "investigate_host": {"ip": host},
        "get_asset_info": {"ip": host},
        "list_alerts": {"limit": 5},
        "get_host_info": {"ip": host},
        "get_live_flows_for_host": {"ip": host, "limit": 5},
        "get_live_flows": {"limit": 5},
        "get_live_flows_summary": {"limit": 5},
        "get_mac_info": {"mac": found["mac"]},
        "get_snmp_device_info": {"device": device},
        "list_snmp_interfaces": {"limit": 10},
        "get_snmp_interface_history": {"device": device, "interface": found["interface"], "minutes": 30},
        "poll_snmp_device_now": {"devices": [device]},
        "search_docs": {"query": "how do I add a host alert exclusion"},
    }


async def drive_every_tool(session: ClientSession) -> set[str]:
    """Call every listed tool once (writes confirmed, then undone where a tool can undo them); returns the names."""
    listed = {tool.name for tool in (await session.list_tools()).tools}
    found = await _discover(session)
    arguments = read_arguments(found)
    called: set[str] = set()
    for name in sorted(listed - WRITE_TOOLS):
        await _call(session, name, arguments.get(name, {}))
        called.add(name)
    writes = listed & WRITE_TOOLS
    if writes:
        await _write(session, "add_host_alert_exclusion", {"value": "10.99.0.1", "comment": "e2e"})
        await _write(session, "add_domain_alert_exclusion", {"value": "e2e.example", "comment": "e2e"})
        await _write(session, "add_certificate_alert_exclusion", {"value": "e2e.example", "comment": "e2e"})
        policy = {
            "name": f"e2e-upload-{uuid.uuid4().hex[:8]}",
            "rule": "upload_volume",
            "host_cidrs": [found["host"] + "/32"],
            "min_bytes": 10**9,
        }
        await _write(session, "create_ai_policy", policy)
        monitor = await _write(
            session, "add_active_monitoring_script", {"kind": "tcp_connect", "host": "127.0.0.1", "port": 9}
        )
        await _write(session, "remove_active_monitoring_script", {"monitor_id": monitor["monitor"]["id"]})
        await _write(
            session,
            "add_snmp_device",
            {"device_id": "e2e-dev", "address": "127.0.0.1", "port": 9, "community": "e2e-community"},
        )
        await _write(session, "remove_snmp_device", {"device": "e2e-dev"})
        called |= writes
    assert called == listed
    return called
