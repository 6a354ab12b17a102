"""SNMP tools over two snmp shard replicas: the aggregator routes per-device calls to the owner and merges lists."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from netscope_common.sharding import shard_of
from tests.e2e.conftest import ADMIN_TOKEN, READ_TOKEN, mcp_session
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok
from tests.support.snmpsim import start_snmpsim

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def sharded(run_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """snmpsim + snmp shards 0 and 1 of 2 on one inventory + an aggregator; yields (MCP URL, device ids)."""
    world = run_dir / "world-snmp-shards"
    generate = ["scenario", "generate", "--seed", "11", "--hours", "1", "--flows-per-hour", "100"]
    subprocess.run(
        [*NETSCOPE, *generate, "--out", str(world), "--only", "snmp"], check=True, timeout=120, capture_output=True
    )
    logs = run_dir / "logs"
    agent = start_snmpsim(world / "snmp", logs, probe_community="hq-vpn-1")
    try:
        inventory = yaml.safe_load((world / "snmp" / "inventory.yaml").read_text())
        for device in inventory["devices"]:
            device.update(port=agent.port, poll_interval_seconds=2)
        inventory_path = run_dir / "snmp-shards-inventory.yaml"
        inventory_path.write_text(yaml.safe_dump(inventory))
        ids = [d["id"] for d in inventory["devices"]]
        assert {shard_of(i, 2) for i in ids} == {0, 1}, "the scenario's devices should fall in both shards"
        ports, http_port = [free_port(), free_port()], free_port()
        with contextlib.ExitStack() as stack:
            for index, port in enumerate(ports):
                env = {
                    "NETSCOPE_SNMP_PORT": str(port),
                    "NETSCOPE_SNMP_INVENTORY_PATH": str(inventory_path),
                    "NETSCOPE_SNMP_STATE_PATH": str(run_dir / f"snmp-shard-{index}-state.json"),
                    "NETSCOPE_SNMP_TIMEOUT_SECONDS": "0.5",
                    "NETSCOPE_SNMP_RETRIES": "0",
                    "NETSCOPE_SNMP_SHARD_INDEX": str(index),
                    "NETSCOPE_SNMP_SHARD_COUNT": "2",
                }
                replica = stack.enter_context(running(f"snmp-shard-{index}", [*NETSCOPE, "serve", "snmp"], env, logs))
                wait_grpc_serving(f"127.0.0.1:{port}", "netscope.snmp.v1.SnmpService", process=replica)
            agg_env = {
                "NETSCOPE_AGGREGATOR_PORT": str(http_port),
                "NETSCOPE_AGGREGATOR_SNMP_SHARD_TARGETS": ",".join(f"127.0.0.1:{p}" for p in ports),
                "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN},root:admin:{ADMIN_TOKEN}",
                "NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS": "10",
            }
            aggregator = stack.enter_context(
                running("aggregator-shards", [*NETSCOPE, "serve", "aggregator"], agg_env, logs)
            )
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator)
            yield f"http://127.0.0.1:{http_port}/mcp/", ids
    finally:
        agent.process.stop()


async def test_lists_merge_every_shard_and_device_calls_reach_the_owner(sharded: tuple[str, list[str]]) -> None:
    url, ids = sharded
    async with mcp_session(url) as session:
        polled = await session.call_tool("poll_snmp_device_now", {})
        assert not polled.is_error, polled.content
        listed = await session.call_tool("list_snmp_devices", {"limit": 200})
        assert not listed.is_error, listed.content
        assert sorted(d["id"] for d in listed.structured_content["devices"]) == sorted(ids)
        for device in ids:
            info = await session.call_tool("get_snmp_device_info", {"device": device})
            assert not info.is_error, (device, info.content)
            assert info.structured_content["id"] == device
        busy = await session.call_tool("list_snmp_interfaces", {"limit": 500})
        assert not busy.is_error, busy.content
        assert {i["device_id"] for i in busy.structured_content["interfaces"]} >= {
            d["id"] for d in listed.structured_content["devices"] if d["status"] == "up"
        }
        named = await session.call_tool("poll_snmp_device_now", {"devices": ids})
        assert not named.is_error, named.content
        assert sorted(o["device_id"] for o in named.structured_content["outcomes"]) == sorted(ids)
        missing = await session.call_tool("get_snmp_device_info", {"device": "no-such-device"})
        assert missing.is_error
        assert "Known devices" in missing.content[0].text


async def test_a_device_added_through_the_aggregator_lands_on_its_shard(sharded: tuple[str, list[str]]) -> None:
    url, _ = sharded
    new_ids = [next(f"edge-{i}" for i in range(200) if shard_of(f"edge-{i}", 2) == shard) for shard in (0, 1)]
    async with mcp_session(url, ADMIN_TOKEN) as session:
        # Addresses that hash to the other shard: a lookup by address must still find the device.
        addresses = {
            device_id: next(
                a for a in (f"127.0.0.{n}" for n in range(200, 255)) if shard_of(a, 2) != shard_of(device_id, 2)
            )
            for device_id in new_ids
        }
        for device_id in new_ids:
            arguments = {"device_id": device_id, "address": addresses[device_id], "port": 9, "community": "x-community"}
            preview = await session.call_tool("add_snmp_device", arguments)
            assert preview.structured_content["status"] == "confirmation_required", preview.content
            done = await session.call_tool(
                "add_snmp_device", {**arguments, "confirm_id": preview.structured_content["confirm_id"]}
            )
            assert done.structured_content["status"] == "done", done.content
        listed = await session.call_tool("list_snmp_devices", {"limit": 200})
        assert set(new_ids) <= {d["id"] for d in listed.structured_content["devices"]}
        for device_id, address in addresses.items():
            by_address = await session.call_tool("get_snmp_device_info", {"device": address})
            assert not by_address.is_error, by_address.content
            assert by_address.structured_content["id"] == device_id
        for device_id in new_ids:
            preview = await session.call_tool("remove_snmp_device", {"device": device_id})
            assert not preview.is_error, preview.content
            done = await session.call_tool(
                "remove_snmp_device", {"device": device_id, "confirm_id": preview.structured_content["confirm_id"]}
            )
            assert done.structured_content["status"] == "done", done.content
        listed = await session.call_tool("list_snmp_devices", {"limit": 200})
        assert not set(new_ids) & {d["id"] for d in listed.structured_content["devices"]}


async def test_an_address_devices_of_both_shards_share_is_refused_naming_them(sharded: tuple[str, list[str]]) -> None:
    """The scenario's devices all sit at 127.0.0.1 on both shards: no replica's answer may stand for all of them."""
    url, ids = sharded
    async with mcp_session(url) as session:
        for tool, arguments in (
            ("get_snmp_device_info", {"device": "127.0.0.1"}),
            ("get_snmp_interface_history", {"device": "127.0.0.1", "interface": "1"}),
            ("list_snmp_interfaces", {"device": "127.0.0.1"}),
            ("poll_snmp_device_now", {"devices": ["127.0.0.1"]}),
        ):
            answer = await session.call_tool(tool, arguments)
            assert answer.is_error, (tool, answer.content)
            text = answer.content[0].text
            listed = ", ".join(sorted(ids))
            assert f"device '127.0.0.1' is ambiguous: {len(ids)} devices have this address ({listed})" in text, text
            assert "name the device by its id" in text
