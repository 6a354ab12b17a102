"""Alert tools over MCP against the alerts service loaded with the scenario world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN_TOKEN, READ_TOKEN, load_store, mcp_session
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def alerts_url(run_dir: Path, world_dir: Path) -> Iterator[str]:
    """alerts (scenario data in chdb) + aggregator; yields the MCP URL."""
    store = run_dir / "alerts-store"
    load_store(world_dir, store)
    alerts_port, http_port = free_port(), free_port()
    logs = run_dir / "logs"
    alerts_env = {"NETSCOPE_ALERTS_DSN": f"chdb://{store}", "NETSCOPE_ALERTS_PORT": str(alerts_port)}
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(http_port),
        "NETSCOPE_AGGREGATOR_ALERTS_TARGET": f"127.0.0.1:{alerts_port}",
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN},root:admin:{ADMIN_TOKEN}",
    }
    with running("alerts", [*NETSCOPE, "serve", "alerts"], alerts_env, logs) as alerts:
        wait_grpc_serving(f"127.0.0.1:{alerts_port}", "netscope.alerts.v1.AlertsService", process=alerts)
        with running("aggregator-alerts", [*NETSCOPE, "serve", "aggregator"], agg_env, logs) as aggregator:
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator)
            yield f"http://127.0.0.1:{http_port}/mcp/"


async def test_host_alert_stats_and_list_name_the_exfiltrating_host(alerts_url: str) -> None:
    async with mcp_session(alerts_url) as session:
        stats = await session.call_tool("get_ntopng_host_alert_stats", {})
        assert not stats.is_error, stats.content
        assert stats.structured_content["total"] > 0
        assert any(e["key"] == "10.1.2.42" for e in stats.structured_content["by_entity"])
        listed = await session.call_tool("list_alerts", {"entity": "host", "entity_value": "10.1.2.42"})
        assert listed.structured_content["alerts"]
        assert all(a["entity_value"] == "10.1.2.42" for a in listed.structured_content["alerts"])


async def test_read_token_cannot_see_or_call_write_tools(alerts_url: str) -> None:
    async with mcp_session(alerts_url) as session:
        names = {t.name for t in (await session.list_tools()).tools}
        assert "get_ntopng_all_alert_stats" in names
        assert "add_host_alert_exclusion" not in names
        refused = await session.call_tool("add_host_alert_exclusion", {"value": "10.9.9.9"})
        assert refused.is_error
        assert "needs role 'write'" in refused.content[0].text


async def test_write_needs_a_confirmation_bound_to_its_arguments(alerts_url: str) -> None:
    async with mcp_session(alerts_url, ADMIN_TOKEN) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert tools["add_host_alert_exclusion"].annotations.read_only_hint is False
        preview = await session.call_tool("add_host_alert_exclusion", {"value": "10.1.2.42"})
        assert preview.structured_content["status"] == "confirmation_required"
        confirm_id = preview.structured_content["confirm_id"]
        other = await session.call_tool("add_host_alert_exclusion", {"value": "10.1.2.43", "confirm_id": confirm_id})
        assert other.is_error
        assert "different arguments" in other.content[0].text
        done = await session.call_tool("add_host_alert_exclusion", {"value": "10.1.2.42", "confirm_id": confirm_id})
        assert done.structured_content["status"] == "done"
        replay = await session.call_tool("add_host_alert_exclusion", {"value": "10.1.2.42", "confirm_id": confirm_id})
        assert replay.is_error
        assert "used or expired" in replay.content[0].text
        exclusions = await session.call_tool("list_alert_exclusions", {})
        assert any(e["value"] == "10.1.2.42" for e in exclusions.structured_content["result"])
        assert exclusions.structured_content["summary"] == "1 exclusion in force (1 host)"
        after = await session.call_tool("list_alerts", {"entity": "host", "entity_value": "10.1.2.42"})
        assert after.structured_content["alerts"] == []


async def test_bad_exclusion_value_is_refused_at_the_preview(alerts_url: str) -> None:
    async with mcp_session(alerts_url, ADMIN_TOKEN) as session:
        preview = await session.call_tool("add_host_alert_exclusion", {"value": "not-an-ip"})
        assert preview.is_error  # before any confirmation is asked for
        assert "'not-an-ip' is not an IP address or CIDR" in preview.content[0].text
        domain = await session.call_tool("add_domain_alert_exclusion", {"value": "10.1.2.42"})
        assert domain.is_error and "use a host exclusion" in domain.content[0].text
        normal = await session.call_tool("add_domain_alert_exclusion", {"value": "*.Example.COM."})
        assert normal.structured_content["status"] == "confirmation_required"
        assert "(stored as 'example.com')" in normal.structured_content["preview"]
        exclusions = await session.call_tool("list_alert_exclusions", {})
        assert "example.com" not in {e["value"] for e in exclusions.structured_content["result"]}  # nothing written


async def test_create_ai_policy_previews_a_dry_run_then_creates(alerts_url: str, world_dir: Path) -> None:
    import json

    exfil = next(
        i for i in json.loads((world_dir / "ground_truth.json").read_text())["incidents"] if i["kind"] == "exfiltration"
    )
    host = exfil["hosts"][0]
    arguments = {
        "name": "offhours-upload",
        "rule": "upload_volume",
        "host_cidrs": ["10.0.0.0/8"],
        "min_bytes": 1_000_000_000,
        "lookback_hours": 30,
    }
    async with mcp_session(alerts_url, ADMIN_TOKEN) as session:
        preview = await session.call_tool("create_ai_policy", arguments)
        assert not preview.is_error, preview.content
        assert preview.structured_content["status"] == "confirmation_required"
        assert host in preview.structured_content["preview"]
        done = await session.call_tool(
            "create_ai_policy", {**arguments, "confirm_id": preview.structured_content["confirm_id"]}
        )
        assert done.structured_content["status"] == "done"
        policies = await session.call_tool("list_alert_policies", {})
        assert any(p["spec"]["name"] == "offhours-upload" for p in policies.structured_content["policies"])
        missing = await session.call_tool("create_ai_policy", {"name": "c", "rule": "host_country"})
        assert missing.is_error
        assert "needs countries" in missing.content[0].text
        servers = await session.call_tool("list_expected_servers", {})
        assert "servers" in servers.structured_content


async def test_clients_with_elicitation_confirm_in_the_same_call(alerts_url: str) -> None:
    import httpx2
    from mcp import ClientSession, types
    from mcp.client.streamable_http import streamable_http_client

    asked: list[str] = []

    async def answer(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        yes = "10.7.7.7" in params.message
        return types.ElicitResult(action="accept", content={"confirm": yes})

    http = httpx2.AsyncClient(headers={"Authorization": f"Token {ADMIN_TOKEN}"}, timeout=30)
    async with (
        http,
        streamable_http_client(alerts_url, http_client=http) as (read, write),
        ClientSession(read, write, elicitation_callback=answer) as session,
    ):
        await session.initialize()
        done = await session.call_tool("add_host_alert_exclusion", {"value": "10.7.7.7"})
        assert done.structured_content["status"] == "done", done.content
        declined = await session.call_tool("add_host_alert_exclusion", {"value": "10.8.8.8"})
        assert declined.structured_content["status"] == "declined"
        listed = await session.call_tool("list_alert_exclusions", {})
    values = {e["value"] for e in listed.structured_content["result"]}
    assert "10.7.7.7" in values
    assert "10.8.8.8" not in values
    assert any("exclude host '10.7.7.7'" in message for message in asked)
