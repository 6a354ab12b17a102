"""SNMP tools over MCP: snmpsim serving the scenario's recordings, the snmp service polling them, an aggregator."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import ADMIN_TOKEN, READ_TOKEN, mcp_session
from tests.support.processes import NETSCOPE, Process, free_port, running, wait_grpc_serving, wait_http_ok
from tests.support.snmpsim import start_snmpsim

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SECRET = "s3cret-community-do-not-echo"


@dataclass
class SnmpStack:
    """The MCP URL and the aggregator process (for its logs)."""

    url: str
    aggregator: Process
    agent_port: int


@pytest.fixture(scope="module")
def snmp_stack(run_dir: Path) -> Iterator[SnmpStack]:
    """snmpsim (scenario recordings) + snmp service (fast polling) + aggregator."""
    world = run_dir / "world-snmp"
    generate = ["scenario", "generate", "--seed", "11", "--hours", "1", "--flows-per-hour", "100"]
    subprocess.run(
        [*NETSCOPE, *generate, "--out", str(world), "--only", "snmp"],
        check=True,
        timeout=120,
        capture_output=True,
    )
    logs = run_dir / "logs"
    agent = start_snmpsim(world / "snmp", logs, probe_community="hq-vpn-1")
    try:
        inventory = yaml.safe_load((world / "snmp" / "inventory.yaml").read_text())
        for device in inventory["devices"]:
            device.update(port=agent.port, poll_interval_seconds=2)
        inventory_path = run_dir / "snmp-e2e-inventory.yaml"
        inventory_path.write_text(yaml.safe_dump(inventory))
        snmp_port, http_port = free_port(), free_port()
        snmp_env = {
            "NETSCOPE_SNMP_PORT": str(snmp_port),
            "NETSCOPE_SNMP_INVENTORY_PATH": str(inventory_path),
            "NETSCOPE_SNMP_STATE_PATH": str(run_dir / "snmp-e2e-state.json"),
            "NETSCOPE_SNMP_TIMEOUT_SECONDS": "0.5",
            "NETSCOPE_SNMP_RETRIES": "0",
        }
        agg_env = {
            "NETSCOPE_AGGREGATOR_PORT": str(http_port),
            "NETSCOPE_AGGREGATOR_SNMP_TARGET": f"127.0.0.1:{snmp_port}",
            "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN},root:admin:{ADMIN_TOKEN}",
            "NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS": "10",
        }
        with running("snmp-e2e", [*NETSCOPE, "serve", "snmp"], snmp_env, logs) as snmp:
            wait_grpc_serving(f"127.0.0.1:{snmp_port}", "netscope.snmp.v1.SnmpService", process=snmp)
            with running("aggregator-snmp", [*NETSCOPE, "serve", "aggregator"], agg_env, logs) as aggregator:
                wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator)
                yield SnmpStack(f"http://127.0.0.1:{http_port}/mcp/", aggregator, agent.port)
    finally:
        agent.process.stop()


async def test_devices_listed_and_the_silent_device_is_unreachable(snmp_stack: SnmpStack) -> None:
    async with mcp_session(snmp_stack.url) as session:
        await session.call_tool("poll_snmp_device_now", {})
        listed = await session.call_tool("list_snmp_devices", {})
        assert not listed.is_error, listed.content
        answer = listed.structured_content
        statuses = {d["id"]: d["status"] for d in answer["devices"]}
        assert answer["total"] == 7 and len(statuses) == 7
        assert statuses["br1-sw-1"] == "unreachable"
        assert all(s == "up" for d, s in statuses.items() if d != "br1-sw-1")
        assert "6 up, 1 unreachable (br1-sw-1)" in answer["summary"]

        branch = await session.call_tool("list_snmp_devices", {"label": "site=br1"})
        assert {d["id"] for d in branch.structured_content["devices"]} == {"br1-rtr-1", "br1-sw-1"}
        down = await session.call_tool("list_snmp_devices", {"content": '{"status": "unreachable"}'})
        assert [d["id"] for d in down.structured_content["devices"]] == ["br1-sw-1"]


async def test_device_info_has_cpu_memory_interfaces_and_rates(snmp_stack: SnmpStack) -> None:
    async with mcp_session(snmp_stack.url) as session:
        # Rates need two polls over a growing sysUpTime; the recordings' busy counters grow with time.
        await session.call_tool("poll_snmp_device_now", {})
        await asyncio.sleep(1.2)
        polled = await session.call_tool("poll_snmp_device_now", {"devices": ["hq-vpn-1", "hq-rtr-1"]})
        assert [o["status"] for o in polled.structured_content["outcomes"]] == ["up", "up"]
        info = await session.call_tool("get_snmp_device_info", {"content": '{"device": "hq-vpn-1"}'})
        assert not info.is_error, info.content
        device = info.structured_content
        assert device["status"] == "up" and device["sys_name"] == "hq-vpn-1"
        assert device["cpu_percent"] is not None and device["memory_percent"] is not None
        assert device["interfaces"] and device["interface_count"] == len(device["interfaces"])
        assert any(i["in_bps"] is not None for i in device["interfaces"])
        assert device["summary"].startswith("hq-vpn-1: up, CPU ")
        assert "busiest" in device["summary"]

        capped = await session.call_tool("get_snmp_device_info", {"device": "hq-rtr-1", "max_interfaces": 2})
        router = capped.structured_content
        assert router["interfaces_truncated"] and len(router["interfaces"]) == 2
        assert f"of 2 listed interfaces up ({router['interface_count']} in all)" in router["summary"]

        busy = await session.call_tool("list_snmp_interfaces", {"min_utilization_percent": 1, "limit": 5})
        top = busy.structured_content["interfaces"][0]
        assert top["in_bps"] + top["out_bps"] > 0 and top["utilization_percent"] >= 1
        assert busy.structured_content["summary"].startswith(f"{busy.structured_content['total']} interfaces match")
        vpn = await session.call_tool("list_snmp_interfaces", {"device": "hq-vpn-1", "limit": 5})
        assert {i["name"] for i in vpn.structured_content["interfaces"]} == {i["name"] for i in device["interfaces"]}
        history = await session.call_tool(
            "get_snmp_interface_history", {"device": top["device_id"], "interface": top["name"], "minutes": 10}
        )
        assert not history.is_error, history.content
        assert len(history.structured_content["points"]) >= 2
        no_such = await session.call_tool("get_snmp_interface_history", {"device": "hq-vpn-1", "interface": "eth99"})
        assert no_such.is_error
        assert "has no interface 'eth99'; known:" in no_such.content[0].text
        assert "Known devices" not in no_such.content[0].text

        down = await session.call_tool("list_snmp_interfaces", {"oper_status": "down"})
        assert down.structured_content["interfaces"]
        assert all(i["oper_status"] == "down" for i in down.structured_content["interfaces"])
        assert ("hq-sw-2", 5) in {(i["device_id"], i["if_index"]) for i in down.structured_content["interfaces"]}

        # The busiest interface is the one most utilised in either direction, and the summary names the direction.
        rated = [i for i in device["interfaces"] if i["utilization_percent"] is not None]
        if rated:
            busiest = max(rated, key=lambda i: i["utilization_percent"])
            assert f"busiest {busiest['name']} " in device["summary"]
            direction = "out" if busiest["out_utilization_percent"] > busiest["in_utilization_percent"] else "in"
            percent = max(busiest["in_utilization_percent"], busiest["out_utilization_percent"])
            assert f"busiest {busiest['name']} {direction} {percent:.0f}% of " in device["summary"]
        assert history.structured_content["summary"].count(" avg ") == 2  # both directions
        assert ", in avg " in history.structured_content["summary"]
        assert ", out avg " in history.structured_content["summary"]
        assert busy.structured_content["without_rates"] >= 0

        silent = await session.call_tool("get_snmp_device_info", {"device": "br1-sw-1"})
        assert silent.structured_content["status"] == "unreachable"
        assert silent.structured_content["summary"].startswith("br1-sw-1: unreachable")


async def test_unknown_device_and_bad_content_are_clear_errors(snmp_stack: SnmpStack) -> None:
    async with mcp_session(snmp_stack.url) as session:
        unknown = await session.call_tool("get_snmp_device_info", {"device": "vpn-gw-99"})
        assert unknown.is_error
        text = unknown.content[0].text
        assert "'vpn-gw-99' is not in the inventory" in text
        assert "Known devices:" in text and "hq-vpn-1" in text
        bad = await session.call_tool("list_snmp_devices", {"content": "{status: up"})
        assert bad.is_error
        assert "content is not valid JSON" in bad.content[0].text
        missing = await session.call_tool("get_snmp_device_info", {})
        assert missing.is_error
        assert "device is required" in missing.content[0].text
        shared = await session.call_tool("get_snmp_device_info", {"device": "127.0.0.1"})
        assert shared.is_error
        assert "device '127.0.0.1' is ambiguous: 7 devices have this address (br1-rtr-1, " in shared.content[0].text
        assert "name the device by its id, one of those" in shared.content[0].text
        assert "Known devices" not in shared.content[0].text
        label = await session.call_tool("list_snmp_devices", {"label": "site"})
        assert label.is_error
        assert "must be key=value" in label.content[0].text


async def test_read_token_cannot_add_devices(snmp_stack: SnmpStack) -> None:
    async with mcp_session(snmp_stack.url) as session:
        names = {t.name for t in (await session.list_tools()).tools}
        assert {"list_snmp_devices", "get_snmp_device_info", "poll_snmp_device_now"} <= names
        assert "add_snmp_device" not in names and "remove_snmp_device" not in names
        refused = await session.call_tool("add_snmp_device", {"device_id": "x", "address": "127.0.0.1"})
        assert refused.is_error
        assert "needs role 'admin'" in refused.content[0].text


async def test_admin_adds_and_removes_a_device_with_confirmation(snmp_stack: SnmpStack) -> None:
    # The recording "hq-sw-1" answers to that community; the secret is a wrong one first, then the right one.
    add = {
        "device_id": "lab-sw-9",
        "address": "127.0.0.1",
        "port": snmp_stack.agent_port,
        "community": "hq-sw-1",
        "labels": "site=lab,role=switch",
        "management_ip": "10.9.8.7",
    }
    async with mcp_session(snmp_stack.url, ADMIN_TOKEN) as session:
        secret_preview = await session.call_tool("add_snmp_device", {**add, "community": SECRET})
        assert SECRET not in str(secret_preview.content) + str(secret_preview.structured_content)
        too_long = await session.call_tool("add_snmp_device", {**add, "community": SECRET * 20})
        assert too_long.is_error
        assert "community" in too_long.content[0].text and SECRET not in too_long.content[0].text
        preview = await session.call_tool("add_snmp_device", add)
        assert preview.structured_content["status"] == "confirmation_required"
        assert "hq-sw-1" not in preview.structured_content["preview"]
        assert ", alerts keyed by 10.9.8.7" in preview.structured_content["preview"]
        confirm_id = preview.structured_content["confirm_id"]
        swapped = await session.call_tool("add_snmp_device", {**add, "community": SECRET, "confirm_id": confirm_id})
        assert swapped.is_error
        assert "different arguments" in swapped.content[0].text
        done = await session.call_tool("add_snmp_device", {**add, "confirm_id": confirm_id})
        assert done.structured_content["status"] == "done", done.content
        assert done.structured_content["result"]["status"] == "up"
        listed = await session.call_tool("list_snmp_devices", {"label": "site=lab"})
        assert [d["id"] for d in listed.structured_content["devices"]] == ["lab-sw-9"]
        by_own_ip = await session.call_tool("get_snmp_device_info", {"device": "10.9.8.7"})
        assert by_own_ip.structured_content["id"] == "lab-sw-9", by_own_ip.content

        removal = await session.call_tool("remove_snmp_device", {"device": "lab-sw-9"})
        assert removal.structured_content["status"] == "confirmation_required"
        assert "site=lab" in removal.structured_content["preview"]
        gone = await session.call_tool(
            "remove_snmp_device", {"device": "lab-sw-9", "confirm_id": removal.structured_content["confirm_id"]}
        )
        assert gone.structured_content["status"] == "done"
        after = await session.call_tool("get_snmp_device_info", {"device": "lab-sw-9"})
        assert after.is_error and "not in the inventory" in after.content[0].text
    log = snmp_stack.aggregator.log()
    assert "add_snmp_device" in log and "remove_snmp_device" in log
    assert SECRET not in log and '"community": "hq-sw-1"' not in log
