"""Seeds 001/002 (ntopng's embedded MCP / nAnalyst): calls shaped exactly as ntopng's own tools take them, sent with
the official MCP client over real HTTP to ntopng's path on the demo stack.

The call shapes are data: tests/compat/upstream/ntopng_llm_tools.json, read from ntop/ntopng
(`scripts/lua/rest/v2/exec/llm/mcp.lua`, `scripts/lua/modules/llm/tools/*.lua` at the commits it lists per tool,
e.g. 532c2cf and 94b128a for the live-flow tools). Every example call must be accepted; each content key must change
the answer the way the running demo's data and the scenario's ground truth say.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from typing import Any

import httpx
import pytest
from mcp import ClientSession

from tests.compat.conftest import TOKEN, upstream
from tests.support.demo import Demo
from tests.support.stack import mcp_session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

UPSTREAM = upstream("ntopng_llm_tools.json")
EXAMPLES = [
    (tool["name"], call["arguments"])
    for tool in [*UPSTREAM["tools"], *UPSTREAM["pro_tools"]]
    for call in tool.get("example_calls", [])
]
NTOPNG_PATH = UPSTREAM["endpoint"]["path"]
# A tool error about the call's shape (as opposed to an answer about the data, e.g. a host that is not active).
SHAPE_REFUSALS = ("invalid arguments", "unknown key", "content is not valid JSON", "content must be", "Unknown tool")


def ntopng_url(demo: Demo) -> str:
    return demo.url.replace("/mcp/", NTOPNG_PATH) + "?ifid=0"


async def answer(session: ClientSession, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, (tool, arguments, result.content)
    assert result.structured_content is not None
    return result.structured_content


async def content(session: ClientSession, tool: str, keys: dict[str, Any]) -> dict[str, Any]:
    """ntopng's style: one `content` string holding a JSON object."""
    return await answer(session, tool, {"content": json.dumps(keys)})


async def live_traffic(session: ClientSession) -> dict[str, Any]:
    """The live summary once the demo's replay has produced active flows (bounded wait)."""
    for _ in range(240):
        summary = await content(session, "get_live_flows_summary", {})
        if summary["total_flows"] >= 20:
            return summary
        await asyncio.sleep(0.5)
    raise AssertionError("the demo's collector never reported active flows")


@pytest.fixture(scope="module")
async def accepted(demo: Demo) -> dict[int, str]:
    """Every upstream example call, sent once: index -> '' when accepted, else the refusal."""
    verdicts: dict[int, str] = {}
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        await live_traffic(session)
        for index, (tool, arguments) in enumerate(EXAMPLES):
            result = await session.call_tool(tool, arguments)
            text = " ".join(getattr(c, "text", "") for c in result.content)
            verdicts[index] = text if result.is_error and any(r in text for r in SHAPE_REFUSALS) else ""
    return verdicts


@pytest.mark.parametrize("index", range(len(EXAMPLES)), ids=[f"{t}-{i}" for i, (t, _) in enumerate(EXAMPLES)])
def test_every_upstream_example_call_is_accepted(accepted: dict[int, str], index: int) -> None:
    assert accepted[index] == "", (EXAMPLES[index], accepted[index])


def test_accepted_count(accepted: dict[int, str], capsys: pytest.CaptureFixture[str]) -> None:
    """The figure the compatibility table quotes: accepted / total of ntopng-shaped calls."""
    ok = sum(1 for refusal in accepted.values() if not refusal)
    with capsys.disabled():
        print(f"\nntopng embedded MCP example calls accepted: {ok}/{len(EXAMPLES)}")
    assert ok == len(EXAMPLES)


def test_get_answers_server_info_and_401_is_jsonrpc(demo: Demo) -> None:
    url = ntopng_url(demo)
    info = httpx.get(url, headers={"Authorization": f"Token {TOKEN}"}, timeout=10).json()
    assert info["server"] == "ntopng-mcp" and info["protocol"] == UPSTREAM["endpoint"]["get"]["answer"]["protocol"]
    assert info["authenticated_as"] == "demo" and info["tools_available"] > 60
    bearer = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert bearer.json()["authenticated_as"] == "demo"
    refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == -32001


async def test_summary_group_by_follows_the_flows(demo: Demo) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        await live_traffic(session)
        flows = (await answer(session, "get_live_flows", {"limit": 200}))["flows"]
        groups = {
            key: await content(session, "get_live_flows_summary", {"group_by": key, "max_flows": 1000})
            for key in ("destination", "application", "protocol", "country", "source")
        }
    servers = {f["server_ip"] for f in flows}
    for key, summary in groups.items():
        assert summary["group_by"] == key and summary["groups"], key
        assert sum(g["flows"] for g in summary["groups"]) <= summary["total_flows"]
        sizes = [g["bytes"] for g in summary["groups"]]
        assert sizes == sorted(sizes, reverse=True), key
    assert any(g["name"] in servers for g in groups["destination"]["groups"])
    assert {g["name"] for g in groups["protocol"]["groups"]} <= {"TCP", "UDP", "ICMP", "ICMPv6", "unknown"}
    assert {g["name"] for g in groups["application"]["groups"]} & {f["l7_proto"] for f in flows}
    # Clients are the scenario's LAN (private addresses: no country), servers are on the Internet: grouping by
    # client country and by server country differ.
    assert groups["source"]["groups"][0]["name"] == "unknown"
    assert any(len(g["name"]) == 2 for g in groups["country"]["groups"])


async def test_role_vlan_and_max_flows_select_a_hosts_flows(demo: Demo) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        await live_traffic(session)
        lan = await content(session, "discover_lan", {"ifid": 0, "ifname": "collector"})
        ip = lan["devices"][0]["ip"]
        every = await content(session, "get_live_flows_for_host", {"ip": ip, "max_flows": 200})
        client = await content(session, "get_live_flows_for_host", {"ip": ip, "role": "client", "max_flows": 200})
        server = await answer(session, "get_live_flows_for_host", {"ip": ip, "role": "server", "max_flows": 200})
        one = await content(session, "get_live_flows_for_host", {"ip": ip, "max_flows": 1})
        tagged = await content(session, "get_host_info", {"ip": f"{ip}@0"})
        plain = await content(session, "get_host_info", {"ip": ip, "vlan": "0"})
    assert every["flows"] and (client["flows"] or server["flows"])
    assert all(f["client_ip"] == ip for f in client["flows"]) and all(f["server_ip"] == ip for f in server["flows"])
    assert len(one["flows"]) == 1 and one["flows"][0]["bytes"] == max(f["bytes"] for f in every["flows"])
    assert tagged["ip"] == plain["ip"] == ip


async def test_alerted_only_keeps_the_flows_the_alert_store_flags(demo: Demo) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        await live_traffic(session)
        everything = await content(session, "get_live_flows_summary", {"group_by": "protocol", "max_flows": 1000})
        alerted = await content(
            session, "get_live_flows_summary", {"group_by": "protocol", "alerted_only": True, "max_flows": 1000}
        )
    # The replay keeps flows of the scenario's incidents live; the alert store has their flow alerts.
    assert 0 < alerted["total_flows"] == alerted["total_alerted"]
    assert alerted["total_flows"] < everything["total_flows"]
    assert all(g["flows"] == g["alerted_flows"] for g in alerted["groups"])


async def test_country_stats_sort_by_and_limit(demo: Demo) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        await live_traffic(session)
        by_hosts = await content(session, "get_country_stats", {"limit": 5, "sort_by": "hosts"})
        by_bytes = await answer(session, "get_country_stats", {"limit": 5, "sort_by": "bytes"})
    hosts = [c["hosts"] for c in by_hosts["countries"]]
    assert 0 < len(hosts) <= 5 and hosts == sorted(hosts, reverse=True)
    volume = [c["bytes_sent"] + c["bytes_received"] for c in by_bytes["countries"]]
    assert volume == sorted(volume, reverse=True)


async def test_interface_tools_and_preferences(demo: Demo) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        await live_traffic(session)
        as_text = await content(session, "list_networks", {"ifid": "0"})
        as_number = await content(session, "list_networks", {"ifid": 0})
        addresses = await answer(session, "get_interface_addresses", {})
        lan = await content(session, "discover_lan", {})
        targets = await content(session, "get_preferences", {"search": "target"})
        services = await content(session, "get_preferences", {"section": "services"})
        wrong = await session.call_tool("list_networks", {"content": '{"ifid": 7}'})
    networks = [ipaddress.ip_network(n["cidr"]) for n in as_text["networks"]]
    assert as_text == as_number and networks
    # Every device discover_lan reports is inside one of the interface's local networks.
    assert lan["devices"] and all(any(ipaddress.ip_address(d["ip"]) in n for n in networks) for d in lan["devices"])
    assert addresses["interface"] == "collector" and addresses["addresses"]
    assert targets["preferences"] and all("target" in p["key"] for p in targets["preferences"])
    assert {p["section"] for p in services["preferences"]} == {"services"}
    assert wrong.is_error and "interfaces: 0 (collector)" in wrong.content[0].text


async def test_monitoring_measurements_and_the_enabled_filter(demo: Demo) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        keys = {"host": "127.0.0.1", "measurement": "icmp", "ifid": 0, "threshold": 500, "granularity": "min"}
        preview = await content(session, "add_active_monitoring_script", keys)
        assert preview["status"] == "confirmation_required" and preview["monitor"]["kind"] == "icmp"
        done = await content(session, "add_active_monitoring_script", {**keys, "confirm_id": preview["confirm_id"]})
        assert done["monitor"]["interval_seconds"] == 60 and done["monitor"]["threshold_ms"] == 500
        icmp = await content(
            session, "list_enabled_active_monitoring_scripts", {"interface_id": 0, "measurement": "icmp"}
        )
        http = await content(
            session, "list_enabled_active_monitoring_scripts", {"interface_id": 0, "measurement": "http"}
        )
        catalog = await content(session, "list_available_active_monitoring_scripts", {})
    assert icmp["monitors"] and all(m["kind"] == "icmp" for m in icmp["monitors"])
    assert all(m["kind"] in ("http", "https") for m in http["monitors"])
    assert {"icmp", "cicmp", "http", "https", "tcp_connect"} <= {k["kind"] for k in catalog["kinds"]}


async def test_query_content_and_sql_shorthand_count_the_scenarios_flows(demo: Demo, truth: dict[str, Any]) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        counted = await answer(session, "query", {"content": "SELECT COUNT(*) AS n FROM flows"})
        shorthand = await answer(session, "query", {"sql": "SELECT COUNT(*) AS n FROM flows"})
        empty = await session.call_tool("query", {})
    assert counted["rows"] == shorthand["rows"]
    assert counted["rows"][0][0] == truth["scenario"]["flows_total"]
    assert empty.is_error and "send the SQL statement as `content` (or `sql`)" in empty.content[0].text


async def test_domain_exclusion_for_a_host_domain_pair(demo: Demo) -> None:
    """Seed 001 excludes a domain for one host: only that pair, and the preview says so before it is applied."""
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        keys = {"value": "updates.example.com", "host": "10.1.2.42", "comment": "seed 001 use case"}
        preview = await content(session, "add_domain_alert_exclusion", keys)
        assert preview["status"] == "confirmation_required"
        assert "'updates.example.com' for host 10.1.2.42" in preview["preview"]
        done = await content(session, "add_domain_alert_exclusion", {**keys, "confirm_id": preview["confirm_id"]})
        listed = await answer(session, "list_alert_exclusions", {})
    assert done["status"] == "done" and done["result"]["created"]
    pairs = [(e["kind"], e["value"], e["host"]) for e in listed["result"]]
    assert ("domain", "updates.example.com", "10.1.2.42") in pairs
