"""Live tools over MCP: the live service's collector fed with the scenario's NetFlow v9, behind the aggregator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession

from netscope_scenario.exporter import replay
from netscope_scenario.topology import EXFIL_HOST
from netscope_scenario.world import build_world
from tests.e2e.conftest import ADMIN_TOKEN, READ_TOKEN, mcp_session
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok

pytestmark = pytest.mark.e2e

APPLE_MAC = "00:1b:63:84:45:e6"


@pytest.fixture(scope="module")
def live_url(run_dir: Path) -> Iterator[str]:
    """live (collector on a free UDP port, fed 30 min of scenario flows) + aggregator; yields the MCP URL."""
    live_port, udp_port, http_port = free_port(), free_port(socket.SOCK_DGRAM), free_port()
    logs = run_dir / "logs"
    live_env = {
        "NETSCOPE_LIVE_PORT": str(live_port),
        "NETSCOPE_LIVE_COLLECTOR_PORT": str(udp_port),
        "NETSCOPE_LIVE_IDLE_TIMEOUT_SECONDS": "600",
        "NETSCOPE_LIVE_ACTIVE_TIMEOUT_SECONDS": "600",
        "NETSCOPE_LIVE_HOST_IDLE_TIMEOUT_SECONDS": "900",
        "NETSCOPE_LIVE_SETTINGS_DIR": str(run_dir / "live-settings"),
    }
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(http_port),
        "NETSCOPE_AGGREGATOR_LIVE_TARGET": f"127.0.0.1:{live_port}",
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN},root:admin:{ADMIN_TOKEN}",
    }
    with running("live-e2e", [*NETSCOPE, "serve", "live"], live_env, logs) as live:
        wait_grpc_serving(f"127.0.0.1:{live_port}", "netscope.live.v1.LiveService", process=live)
        world = build_world(11, hours=0.5, flows_per_hour=4000)
        sent = replay(world, "127.0.0.1", udp_port, 9, 20_000)
        assert sent["flows"] > 1000
        with running("aggregator-live", [*NETSCOPE, "serve", "aggregator"], agg_env, logs) as aggregator:
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator)
            yield f"http://127.0.0.1:{http_port}/mcp/"


async def call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def error_text(session: ClientSession, tool: str, arguments: dict[str, Any]) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return result.content[0].text  # type: ignore[union-attr]


async def wait_for_host(session: ClientSession, ip: str) -> dict[str, Any]:
    """The host once the collector has tabled the replayed flows (bounded wait)."""
    for _ in range(100):
        result = await session.call_tool("get_host_info", {"ip": ip})
        if not result.is_error:
            assert result.structured_content is not None
            return result.structured_content
        await asyncio.sleep(0.1)
    raise AssertionError(f"{ip} never became active: {result.content}")


async def test_interfaces_talkers_and_locations(live_url: str) -> None:
    async with mcp_session(live_url) as session:
        await wait_for_host(session, EXFIL_HOST)
        ifids = await call(session, "fetch_ntopng_all_ifids", {})
        assert ifids["interfaces"][0]["ifid"] == 0
        assert ifids["interfaces"][0]["source"] == "collector"
        local = await call(session, "fetch_ntopng_top_local_talkers", {"ifid": 0})
        assert local["locality"] == "local"
        assert 0 < len(local["hosts"]) <= 10
        assert all(h["is_local"] for h in local["hosts"])
        totals = [h["bytes_total"] for h in local["hosts"]]
        assert totals == sorted(totals, reverse=True)
        assert EXFIL_HOST in [h["ip"] for h in local["hosts"]]  # the exfiltrating host is a top talker
        remote = await call(session, "fetch_ntopng_top_remote_talkers", {"ifid": 0})
        assert remote["hosts"] and not any(h["is_local"] for h in remote["hosts"])
        assert "top" in remote["summary"] and "B" in remote["summary"]
        located = await call(session, "get_ntopng_hosts_location", {"ifid": 0, "limit": 50})
        assert len(located["hosts"]) == 50 and located["truncated"]
        assert any(h["country"] and not h["is_local"] for h in located["hosts"])


async def test_host_info_and_its_flows(live_url: str) -> None:
    async with mcp_session(live_url) as session:
        host = await wait_for_host(session, EXFIL_HOST)
        assert host["ip"] == EXFIL_HOST and host["is_local"]
        assert host["bytes_sent"] > 0 and host["bytes_total"] == host["bytes_sent"] + host["bytes_received"]
        assert host["active_flows"] > 0 and host["peers"] and host["applications"]
        assert host["summary"].startswith(f"{EXFIL_HOST} (local")
        same = await call(session, "get_host_info", {"content": f'{{"host": "{EXFIL_HOST}"}}'})
        assert same["bytes_sent"] >= host["bytes_sent"]
        flows = await call(session, "get_live_flows_for_host", {"ip": EXFIL_HOST, "limit": 5})
        assert 0 < len(flows["flows"]) <= 5 and flows["total"] >= len(flows["flows"])
        assert all(EXFIL_HOST in (f["client_ip"], f["server_ip"]) for f in flows["flows"])
        assert flows["flows"][0]["bytes"] >= flows["flows"][-1]["bytes"] > 0
        assert all(f["packets"] > 0 for f in flows["flows"])  # the collector counts packets
        via_content = await call(
            session, "get_live_flows_for_host", {"content": f'{{"ip": "{EXFIL_HOST}", "limit": 2}}'}
        )
        assert len(via_content["flows"]) == 2


async def test_filtered_flows_summary_and_countries(live_url: str) -> None:
    async with mcp_session(live_url) as session:
        await wait_for_host(session, EXFIL_HOST)
        tcp = await call(session, "get_live_flows", {"l4_proto": "TCP", "limit": 10, "sort": "throughput"})
        assert tcp["flows"] and all(f["l4_proto"] == "TCP" for f in tcp["flows"])
        dns = await call(session, "get_live_flows", {"port": 53, "limit": 10})
        assert all(53 in (f["client_port"], f["server_port"]) for f in dns["flows"])
        page = await call(session, "get_live_flows", {"limit": 3})
        assert page["next_page_token"]
        following = await call(session, "get_live_flows", {"limit": 3, "page_token": page["next_page_token"]})
        assert following["flows"][0] != page["flows"][0]
        summary = await call(session, "get_live_flows_summary", {"limit": 5})
        assert summary["total_flows"] > 1000 and summary["total_bytes"] > 0
        assert 0 < len(summary["applications"]) <= 5 and summary["l4_protocols"]
        assert summary["flows_examined"] == summary["total_flows"]
        of_host = await call(session, "get_live_flows_summary", {"content": f'{{"host": "{EXFIL_HOST}"}}'})
        assert 0 < of_host["total_flows"] < summary["total_flows"]
        countries = await call(session, "get_country_stats", {"content": '{"limit": 3}'})
        assert 0 < len(countries["countries"]) <= 3
        assert all(len(c["country"]) == 2 for c in countries["countries"])
        assert countries["hosts_examined"] > 0
        stats = await call(session, "get_collector_stats", {})
        assert stats["exporters"] and stats["exporters"][0]["records"] > 0
        assert stats["active_flows"] == summary["total_flows"]


async def test_mac_info(live_url: str) -> None:
    async with mcp_session(live_url) as session:
        mac = await call(session, "get_mac_info", {"mac": APPLE_MAC})
        assert mac["vendor"] and not mac["locally_administered"]
        assert mac["seen"] is False and "not seen" in mac["summary"]
        assert mac["hosts"] == 0 and mac["ips"] == [] and mac["truncated"] is False
        same = await call(session, "get_mac_info", {"content": f'{{"mac": "{APPLE_MAC.upper()}"}}'})
        assert same["vendor"] == mac["vendor"]


async def test_errors_are_clear(live_url: str) -> None:
    async with mcp_session(live_url) as session:
        await wait_for_host(session, EXFIL_HOST)
        unknown = await error_text(session, "get_host_info", {"ip": "10.9.9.9"})
        assert "10.9.9.9 is not active" in unknown
        bad_ip = await error_text(session, "get_host_info", {"ip": "10.1.2.300"})
        assert "10.1.2.300" in bad_ip
        missing = await error_text(session, "get_host_info", {})
        assert "ip: Field required" in missing
        bad_mac = await error_text(session, "get_mac_info", {"mac": "zz:zz"})
        assert "zz:zz" in bad_mac and "MAC" in bad_mac
        bad_json = await error_text(session, "get_host_info", {"content": '{"ip": '})
        assert "content is not valid JSON" in bad_json
        not_object = await error_text(session, "get_country_stats", {"content": "[1, 2]"})
        assert "content must be a JSON object" in not_object
        unknown_key = await error_text(session, "get_mac_info", {"content": '{"mac": "x", "colour": 1}'})
        assert "unknown key(s) colour" in unknown_key and "allowed: ifid, mac" in unknown_key
        too_many = await error_text(session, "get_country_stats", {"content": '{"limit": 1000}'})
        assert "limit" in too_many and "100" in too_many
        bad_ifid = await error_text(session, "fetch_ntopng_top_local_talkers", {"ifid": 7})
        assert "7" in bad_ifid


@contextlib.asynccontextmanager
async def loopback_http_server() -> AsyncIterator[int]:
    """A tiny HTTP server on loopback answering 200 to everything; yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:  # a tcp_connect probe: connect and close
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def confirmed(session: ClientSession, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Preview, then execute with the confirmation id."""
    preview = await call(session, tool, arguments)
    assert preview["status"] == "confirmation_required" and preview["confirm_id"]
    return await call(session, tool, {**arguments, "confirm_id": preview["confirm_id"]})


async def wait_measured(session: ClientSession, monitor_id: str) -> dict[str, Any]:
    for _ in range(100):
        enabled = await call(session, "list_enabled_active_monitoring_scripts", {})
        monitor = next((m for m in enabled["monitors"] if m["id"] == monitor_id), None)
        if monitor and monitor["last_result"]:
            return monitor
        await asyncio.sleep(0.05)
    raise AssertionError(f"{monitor_id} was never measured")


async def test_active_monitoring_scripts(live_url: str) -> None:
    async with mcp_session(live_url) as reader:
        kinds = await call(reader, "list_available_active_monitoring_scripts", {})
        assert [k["kind"] for k in kinds["kinds"]] == ["tcp_connect", "icmp", "cicmp", "http", "https"]
        refused = await reader.call_tool("add_active_monitoring_script", {"kind": "tcp_connect"})
        assert refused.is_error and "needs role 'write'" in refused.content[0].text  # type: ignore[union-attr]
    async with loopback_http_server() as port, mcp_session(live_url, ADMIN_TOKEN) as admin:
        tools = {t.name: t for t in (await admin.list_tools()).tools}
        assert tools["add_active_monitoring_script"].annotations.read_only_hint is False  # type: ignore[union-attr]
        tcp = {"kind": "tcp_connect", "host": "127.0.0.1", "port": port, "interval_seconds": 1}
        preview = await call(admin, "add_active_monitoring_script", tcp)
        assert preview["preview"].startswith(f"create monitor tcp_connect:127.0.0.1:{port} (tcp_connect every 1 s)")
        before = await call(admin, "list_enabled_active_monitoring_scripts", {})
        assert before["monitors"] == []  # a preview changes nothing
        done = await confirmed(admin, "add_active_monitoring_script", tcp)
        assert done["status"] == "done" and done["created"]
        assert done["monitor"]["id"] == f"tcp_connect:127.0.0.1:{port}"
        http_content = json.dumps({"kind": "http", "url": f"http://127.0.0.1:{port}/health", "interval_seconds": 1})
        web = await confirmed(admin, "add_active_monitoring_script", {"content": http_content})
        assert web["monitor"]["url"] == f"http://127.0.0.1:{port}/health"
        again = await confirmed(admin, "add_active_monitoring_script", {**tcp, "threshold_ms": 500})
        assert not again["created"] and again["updated"] and "updated" in again["preview"]
        assert again["monitor"]["threshold_ms"] == 500

        measured = await wait_measured(admin, done["monitor"]["id"])
        assert measured["last_result"]["ok"] and measured["last_result"]["latency_ms"] > 0
        page = await wait_measured(admin, web["monitor"]["id"])
        assert page["last_result"]["status_code"] == 200
        enabled = await call(admin, "list_enabled_active_monitoring_scripts", {})
        assert enabled["summary"].startswith("2 enabled, 0 failing")

        no_port = await error_text(admin, "add_active_monitoring_script", {"kind": "tcp_connect", "host": "127.0.0.1"})
        assert "port is required for tcp_connect" in no_port  # refused at the preview, before any confirmation
        wrong_scheme = await error_text(
            admin, "add_active_monitoring_script", {"kind": "https", "url": f"http://127.0.0.1:{port}/"}
        )
        assert "must start with https://" in wrong_scheme
        missing_kind = await error_text(admin, "add_active_monitoring_script", {"host": "127.0.0.1"})
        assert "kind: Field required" in missing_kind

        removed = await confirmed(admin, "remove_active_monitoring_script", {"monitor_id": web["monitor"]["id"]})
        assert removed["status"] == "done"
        unknown = await confirmed_error(
            admin, {"monitor_id": "tcp_connect:127.0.0.1:1"}, "remove_active_monitoring_script"
        )
        assert "no monitor has id 'tcp_connect:127.0.0.1:1'" in unknown
        left = await call(admin, "list_enabled_active_monitoring_scripts", {})
        assert [m["id"] for m in left["monitors"]] == [done["monitor"]["id"]]


async def confirmed_error(
    session: ClientSession, arguments: dict[str, Any], tool: str = "add_active_monitoring_script"
) -> str:
    """The error of the confirmed (second) call."""
    preview = await call(session, tool, arguments)
    return await error_text(session, tool, {**arguments, "confirm_id": preview["confirm_id"]})
