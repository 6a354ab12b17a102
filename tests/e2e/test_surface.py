"""Resources, prompts, search_docs, toolset and read-only headers, and the stdio transport."""

from __future__ import annotations

import os
import sys

import httpx2
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.e2e.conftest import ADMIN_TOKEN, Stack, mcp_session
from tests.support.processes import free_port

pytestmark = pytest.mark.e2e


async def test_schema_resources_come_from_the_flows_service(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        uris = {str(r.uri) for r in (await session.list_resources()).resources}
        assert {"netscope://schema", "netscope://protocols", "netscope://devices"} <= uris
        templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
        assert "netscope://schema/{table}" in templates
        flows = await session.read_resource("netscope://schema/flows")
        assert '"IPV4_SRC_ADDR"' in flows.contents[0].text
        protocols = await session.read_resource("netscope://protocols")
        assert '"5": "DNS"' in protocols.contents[0].text


async def test_resource_of_a_dead_service_is_an_error_naming_it(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        with pytest.raises(MCPError, match="the snmp service is unavailable"):
            await session.read_resource("netscope://devices")


async def test_playbook_prompts(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        names = {p.name for p in (await session.list_prompts()).prompts}
        assert {
            "dns_c2_investigation",
            "exfiltration_hunt",
            "beaconing_hunt",
            "bandwidth_hog",
            "vpn_gateway_health",
            "monitoring_coverage",
        } <= names
        prompt = await session.get_prompt("beaconing_hunt", {"hours": "12", "interval_seconds": "60"})
        text = prompt.messages[0].content.text
        assert "every 60 s during the last 12 h" in text
        assert "find_anomalies" in text


async def test_search_docs_finds_configuration(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        answer = await session.call_tool("search_docs", {"query": "SELECT_QUERY_TIMEOUT_SECS query time limit"})
        hits = answer.structured_content["hits"]
        assert hits
        assert any("SELECT_QUERY_TIMEOUT_SECS" in h["excerpt"] for h in hits)
        empty = await session.call_tool("search_docs", {"query": "zzzqqq xxyyzz"})
        assert empty.structured_content["hits"] == []


async def test_toolset_and_readonly_headers_narrow_the_catalog(stack: Stack) -> None:
    headers = {"Authorization": f"Token {ADMIN_TOKEN}", "X-MCP-Toolsets": "alerts", "X-MCP-Readonly": "true"}
    http = httpx2.AsyncClient(headers=headers, timeout=30)
    async with (
        http,
        streamable_http_client(stack.mcp_url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        names = {t.name for t in (await session.list_tools()).tools}
        assert "get_ntopng_host_alert_stats" in names
        assert "query_ntopng_database" not in names
        assert "add_host_alert_exclusion" not in names  # read-only wins over the admin role
        refused = await session.call_tool("query_ntopng_database", {"query": "SELECT 1"})
        assert refused.is_error
        assert "not enabled here" in refused.content[0].text


async def test_stdio_transport_answers_from_the_flows_service(stack: Stack) -> None:
    env = {
        **os.environ,
        "NETSCOPE_AGGREGATOR_FLOWS_TARGET": stack.flows_target,
        "NETSCOPE_AGGREGATOR_ALERTS_TARGET": f"127.0.0.1:{free_port()}",
        "NETSCOPE_AGGREGATOR_LOG_LEVEL": "WARNING",
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "netscope_common", "stdio"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        names = {t.name for t in (await session.list_tools()).tools}
        assert "query_ntopng_database" in names
        assert "add_host_alert_exclusion" not in names  # the stdio user has the read role by default
        result = await session.call_tool("query_ntopng_database", {"query": "SELECT count() FROM flows"})
        assert not result.is_error
        assert result.structured_content["rows"][0][0] > 0


async def test_unknown_arguments_are_refused_naming_what_the_tool_takes(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert all(t.input_schema.get("additionalProperties") is False for t in tools.values())
        taken = ", ".join(tools["get_historical_flow"].input_schema["properties"])
        wrong = await session.call_tool("get_historical_flow", {"src": "10.1.2.42", "limit": 2})
        assert wrong.is_error
        assert wrong.content[0].text == (
            f"invalid arguments for get_historical_flow: src: not an argument of this tool. It takes: {taken}."
        )
        bad = await session.call_tool("get_flow_top_k", {"k": 5000, "hours": "soon"})
        assert bad.is_error
        text = bad.content[0].text
        assert text.startswith("invalid arguments for get_flow_top_k: ")
        assert "k: Input should be less than or equal to 100 (got 5000)" in text
        assert "hours: Input should be a valid number" in text and "soon" not in text  # text is never echoed
        assert "errors.pydantic.dev" not in text
        right = await session.call_tool("get_historical_flow", {"src_ip": "10.1.2.42", "limit": 2})
        assert not right.is_error, right.content
