"""The snmp gRPC service as a real process (`netscope serve snmp`) against Debian snmpd; two shards."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope.snmp.v1 import snmp_pb2_grpc
from netscope_snmp.lab import LabAgent
from netscope_snmp.sharding import shard_of
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

V3 = {"version": "v3", "user": "netops", "auth_key": "authpass123", "priv_key": "privpass123"}


def inventory(agent_port: int, dead_port: int) -> dict[str, object]:
    def dev(device_id: str, port: int, labels: dict[str, str], **fields: object) -> dict[str, object]:
        return {
            "id": device_id,
            "address": "127.0.0.1",
            "port": port,
            "labels": labels,
            "poll_interval_seconds": 2,
            **fields,
        }

    return {
        "devices": [
            dev("core-rtr-1", agent_port, {"site": "hq", "role": "router"}, version="v2c", community="public"),
            dev("vpn-gw", agent_port, {"site": "hq", "role": "vpn"}, **V3),
            dev(
                "bad-key",
                agent_port,
                {"site": "branch", "role": "switch"},
                **{**V3, "priv_key": "wrong-priv-123", "auth_key": "wrong-auth-123"},
            ),
            dev(
                "dead-sw",
                dead_port,
                {"site": "branch", "role": "switch"},
                version="v2c",
                community="public",
                timeout_seconds=0.5,
                retries=0,
            ),
        ]
    }


def serve(tmp: Path, name: str, inv: dict[str, object], **env: str) -> tuple[tuple[list[str], dict[str, str]], str]:
    """Command, environment and target of a snmp service process."""
    inv_path = tmp / f"{name}-inventory.yaml"
    inv_path.write_text(yaml.safe_dump(inv))
    port = free_port()
    full_env = {
        "NETSCOPE_SNMP_PORT": str(port),
        "NETSCOPE_SNMP_INVENTORY_PATH": str(inv_path),
        "NETSCOPE_SNMP_STATE_PATH": str(tmp / f"{name}-state.json"),
        "NETSCOPE_SNMP_TIMEOUT_SECONDS": "1",
        **env,
    }
    return ([*NETSCOPE, "serve", "snmp"], full_env), f"127.0.0.1:{port}"


def read_json(path: str) -> dict[str, list[dict[str, str]]]:
    return json.loads(Path(path).read_text())


def read_text(path: Path) -> str:
    return path.read_text()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, snmpd_agent: LabAgent, closed_port: int) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("snmp-service")
    (args, env), target = serve(tmp, "main", inventory(snmpd_agent.port, closed_port))
    with running("snmp", args, env, tmp / "logs") as proc:
        wait_grpc_serving(target, "netscope.snmp.v1.SnmpService", timeout=60, process=proc)
        yield target


@pytest.fixture
async def stub(service: str) -> snmp_pb2_grpc.SnmpServiceStub:
    channel = grpc.aio.insecure_channel(service)
    return snmp_pb2_grpc.SnmpServiceStub(channel)


async def test_poll_now_and_statuses(stub: snmp_pb2_grpc.SnmpServiceStub) -> None:
    reply = await stub.PollNow(pb.PollNowRequest(), timeout=30)
    by_id = {o.device_id: o for o in reply.outcomes}
    assert by_id["core-rtr-1"].status == pb.DEVICE_STATUS_UP
    assert by_id["vpn-gw"].status == pb.DEVICE_STATUS_UP
    assert by_id["bad-key"].status == pb.DEVICE_STATUS_AUTH_FAILURE
    assert by_id["dead-sw"].status == pb.DEVICE_STATUS_UNREACHABLE
    assert by_id["dead-sw"].status_detail == "no answer (0.5s x 1 attempts): unreachable or wrong community"
    assert "wrong-auth" not in str(reply)


async def test_list_and_get_devices(stub: snmp_pb2_grpc.SnmpServiceStub) -> None:
    await stub.PollNow(pb.PollNowRequest(devices=["core-rtr-1"]), timeout=30)
    hq = await stub.ListDevices(pb.ListDevicesRequest(labels={"site": "hq"}), timeout=10)
    assert sorted(d.id for d in hq.devices) == ["core-rtr-1", "vpn-gw"] and hq.shard.shard_count == 1
    down = await stub.ListDevices(pb.ListDevicesRequest(status=pb.DEVICE_STATUS_UNREACHABLE), timeout=10)
    assert [d.id for d in down.devices] == ["dead-sw"]
    stale = await stub.ListDevices(pb.ListDevicesRequest(not_seen_for_seconds=3600), timeout=10)
    assert sorted(d.id for d in stale.devices) == ["bad-key", "dead-sw"]
    device = await stub.GetDevice(pb.GetDeviceRequest(device="core-rtr-1"), timeout=10)
    assert device.sys_name == "netscope-lab" and device.version == "v2c" and device.uptime_seconds > 0
    assert device.HasField("memory_percent") and device.HasField("last_seen")
    lo = next(i for i in device.interfaces if i.name == "lo")
    assert lo.counter_bits == 64 and lo.oper_status == "up"
    assert {i.device_id for i in device.interfaces} == {"core-rtr-1"}  # each interface says whose it is
    assert "public" not in str(device)


async def test_interfaces_history_and_filters(stub: snmp_pb2_grpc.SnmpServiceStub) -> None:
    for _ in range(2):  # two polls at least: rates need a previous sample
        await stub.PollNow(pb.PollNowRequest(devices=["core-rtr-1"]), timeout=30)
    ifaces = await stub.ListInterfaces(pb.ListInterfacesRequest(device="core-rtr-1", name_contains="LO"), timeout=10)
    assert [i.name for i in ifaces.interfaces] == ["lo"] and ifaces.interfaces[0].HasField("in_bps")
    assert ifaces.interfaces[0].in_bps >= 0  # snmpd caches counters ~5 s: two quick polls may see 0
    busy = await stub.ListInterfaces(pb.ListInterfacesRequest(min_utilization_percent=101), timeout=10)
    assert busy.total == 0
    down = await stub.ListInterfaces(pb.ListInterfacesRequest(oper_status="up", labels={"role": "vpn"}), timeout=10)
    assert all(i.device_id == "vpn-gw" and i.oper_status == "up" for i in down.interfaces)
    history = await stub.InterfaceHistory(pb.InterfaceHistoryRequest(device="core-rtr-1", interface="lo"), timeout=10)
    assert history.name == "lo" and len(history.points) >= 2
    # Rates exist from the second poll on (their values are checked against known deltas in unit tests).
    assert any(p.HasField("in_bps") for p in history.points)


async def test_errors_are_actionable(stub: snmp_pb2_grpc.SnmpServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetDevice(pb.GetDeviceRequest(device="nope"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert err.value.details() == "device 'nope' is not in the inventory"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.InterfaceHistory(pb.InterfaceHistoryRequest(device="core-rtr-1", interface="eth99"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and "has no interface 'eth99'; known:" in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ListDevices(pb.ListDevicesRequest(limit=5000), timeout=10)
    assert err.value.details() == "limit must be at most 1000 (got 5000)"
    spec = pb.DeviceSpec(id="x", address="127.0.0.1", version="v3", user="u", auth_key="tiny")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.AddDevice(pb.AddDeviceRequest(device=spec), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "auth_key' of at least 8 characters" in err.value.details() and "tiny" not in err.value.details()


AMBIGUOUS = (
    "device '127.0.0.1' is ambiguous: 4 devices have this address (bad-key, core-rtr-1, dead-sw, vpn-gw); "
    "name the device by its id, one of those"
)


async def test_an_address_several_devices_share_is_refused_naming_them(
    stub: snmp_pb2_grpc.SnmpServiceStub,
) -> None:
    """Every device of the inventory is at 127.0.0.1: no per-device call may pick one of them silently."""
    calls = [
        stub.GetDevice(pb.GetDeviceRequest(device="127.0.0.1"), timeout=10),
        stub.InterfaceHistory(pb.InterfaceHistoryRequest(device="127.0.0.1", interface="lo"), timeout=10),
        stub.ListInterfaces(pb.ListInterfacesRequest(device="127.0.0.1"), timeout=10),
        stub.DeviceAlerts(pb.DeviceAlertsRequest(device="127.0.0.1"), timeout=10),
        stub.PollNow(pb.PollNowRequest(devices=["127.0.0.1"]), timeout=30),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details() == AMBIGUOUS
    by_id = await stub.GetDevice(pb.GetDeviceRequest(device="core-rtr-1"), timeout=10)
    assert by_id.id == "core-rtr-1"


async def test_interfaces_without_rates_are_counted_not_dropped_silently(tmp_path: Path, snmpd_agent: LabAgent) -> None:
    """After one poll no interface has a rate: a utilisation filter matches nothing, and the answer says why."""
    device = {"id": "core-rtr-1", "address": "127.0.0.1", "port": snmpd_agent.port, "community": "public"}
    (args, env), target = serve(
        tmp_path, "fresh", {"devices": [{**device, "poll_interval_seconds": 3600}]}, NETSCOPE_SNMP_POLL_ON_START="false"
    )
    with running("snmp-fresh", args, env, tmp_path / "logs") as proc:
        wait_grpc_serving(target, "netscope.snmp.v1.SnmpService", timeout=60, process=proc)
        async with grpc.aio.insecure_channel(target) as channel:
            stub = snmp_pb2_grpc.SnmpServiceStub(channel)
            await stub.PollNow(pb.PollNowRequest(), timeout=30)
            every = await stub.ListInterfaces(pb.ListInterfacesRequest(), timeout=10)
            assert every.total > 0 and every.without_rates == every.total
            busy = await stub.ListInterfaces(pb.ListInterfacesRequest(min_utilization_percent=0), timeout=10)
            assert busy.total == 0 and busy.without_rates == every.total
            named = await stub.ListInterfaces(pb.ListInterfacesRequest(name_contains="lo"), timeout=10)
            assert named.without_rates == named.total >= 1  # other filters still apply to the count
            await stub.PollNow(pb.PollNowRequest(), timeout=30)
            rated = await stub.ListInterfaces(pb.ListInterfacesRequest(min_utilization_percent=0), timeout=10)
            assert rated.without_rates == 0


async def test_device_alerts(stub: snmp_pb2_grpc.SnmpServiceStub) -> None:
    await stub.PollNow(pb.PollNowRequest(devices=["dead-sw", "bad-key"]), timeout=30)
    alerts = await stub.DeviceAlerts(pb.DeviceAlertsRequest(device="dead-sw"), timeout=10)
    kinds = [a.kind for a in alerts.alerts]
    assert kinds == ["device_unreachable"]  # de-duplicated across polls
    assert alerts.alerts[0].alert_type_name == "alert_snmp_device_polling_error"
    auth = await stub.DeviceAlerts(pb.DeviceAlertsRequest(device="bad-key"), timeout=10)
    assert [a.kind for a in auth.alerts] == ["device_auth_failure"]


async def test_add_remove_survive_restart(tmp_path: Path, snmpd_agent: LabAgent, closed_port: int) -> None:
    (args, env), target = serve(tmp_path, "restart", {"devices": []})
    log_dir = tmp_path / "logs"
    spec = pb.DeviceSpec(
        id="edge-1", address="127.0.0.1", port=snmpd_agent.port, community="public", labels={"site": "edge"}
    )
    with running("snmp-a", args, env, log_dir) as proc:
        wait_grpc_serving(target, "netscope.snmp.v1.SnmpService", timeout=60, process=proc)
        async with grpc.aio.insecure_channel(target) as channel:
            stub = snmp_pb2_grpc.SnmpServiceStub(channel)
            added = await stub.AddDevice(pb.AddDeviceRequest(device=spec, poll_now=True), timeout=30)
            assert added.in_shard and added.device.status == pb.DEVICE_STATUS_UP
            spec2 = pb.DeviceSpec(id="edge-2", address="127.0.0.1", port=closed_port, community="c")
            await stub.AddDevice(pb.AddDeviceRequest(device=spec2), timeout=10)
            await stub.RemoveDevice(pb.RemoveDeviceRequest(device="edge-2"), timeout=10)
    state = read_json(env["NETSCOPE_SNMP_STATE_PATH"])
    assert [d["id"] for d in state["added"]] == ["edge-1"]
    with running("snmp-b", args, env, log_dir) as proc:
        wait_grpc_serving(target, "netscope.snmp.v1.SnmpService", timeout=60, process=proc)
        async with grpc.aio.insecure_channel(target) as channel:
            stub = snmp_pb2_grpc.SnmpServiceStub(channel)
            listed = await stub.ListDevices(pb.ListDevicesRequest(), timeout=10)
            assert [d.id for d in listed.devices] == ["edge-1"]
    assert "public" not in read_text(log_dir / "snmp-a.log")


async def test_two_replicas_share_the_inventory_and_refuse_foreign_devices(
    tmp_path: Path, snmpd_agent: LabAgent
) -> None:
    """Two real replicas on one YAML inventory: the contract the aggregator's routing relies on."""
    inv = {
        "devices": [
            {
                "id": f"dev-{i:02d}",
                "address": "127.0.0.1",
                "port": snmpd_agent.port,
                "community": "public",
                "poll_interval_seconds": 3600,
            }
            for i in range(20)
        ]
    }
    inv_path = tmp_path / "inventory.yaml"
    inv_path.write_text(yaml.safe_dump(inv))
    ids = [f"dev-{i:02d}" for i in range(20)]
    with contextlib.ExitStack() as stack:
        targets = []
        for index in range(2):
            (args, env), target = serve(
                tmp_path,
                f"shard{index}",
                inv,
                NETSCOPE_SNMP_INVENTORY_PATH=str(inv_path),
                NETSCOPE_SNMP_SHARD_INDEX=str(index),
                NETSCOPE_SNMP_SHARD_COUNT="2",
                NETSCOPE_SNMP_POLL_ON_START="false",
            )
            proc = stack.enter_context(running(f"snmp-shard{index}", args, env, tmp_path / "logs"))
            wait_grpc_serving(target, "netscope.snmp.v1.SnmpService", timeout=60, process=proc)
            targets.append(target)
        channels = [grpc.aio.insecure_channel(t) for t in targets]
        stubs = [snmp_pb2_grpc.SnmpServiceStub(c) for c in channels]
        try:
            # Fan-out calls: each replica answers for its own shard; together they cover the inventory once.
            owned: list[list[str]] = []
            for index, stub in enumerate(stubs):
                listed = await stub.ListDevices(pb.ListDevicesRequest(), timeout=10)
                assert (listed.shard.shard_index, listed.shard.shard_count) == (index, 2)
                assert listed.shard.inventory_devices == 20  # the YAML is shared by both
                owned.append([d.id for d in listed.devices])
                assert owned[-1] == [d for d in ids if shard_of(d, 2) == index]
                polled = await stub.PollNow(pb.PollNowRequest(), timeout=30)
                assert sorted(o.device_id for o in polled.outcomes) == owned[-1]
            assert sorted(owned[0] + owned[1]) == ids and owned[0] and owned[1]
            # Per-device calls: the owner answers; the other replica names the owner.
            mine, foreign = owned[0][0], owned[1][0]
            device = await stubs[0].GetDevice(pb.GetDeviceRequest(device=mine), timeout=10)
            assert device.status == pb.DEVICE_STATUS_UP
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stubs[0].GetDevice(pb.GetDeviceRequest(device=foreign), timeout=10)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert err.value.details() == (
                f"device '{foreign}' belongs to shard 1 of 2, not to this replica (shard 0): "
                "send per-device calls to the replica shard_of(device id, 2)"
            )
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stubs[0].RemoveDevice(pb.RemoveDeviceRequest(device=foreign), timeout=10)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            reply = await stubs[0].PollNow(pb.PollNowRequest(devices=[mine, foreign]), timeout=30)
            assert [o.device_id for o in reply.outcomes] == [mine] and list(reply.not_in_shard) == [foreign]
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stubs[0].GetDevice(pb.GetDeviceRequest(device="nope"), timeout=10)
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
            # An address both shards' devices share: each replica refuses it alike, naming the ids.
            for stub in stubs:
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await stub.GetDevice(pb.GetDeviceRequest(device="127.0.0.1"), timeout=10)
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                assert err.value.details().startswith(
                    "device '127.0.0.1' is ambiguous: 20 devices have this address (dev-00, dev-01, "
                )
            # AddDevice: refused (nothing stored) by the wrong replica, accepted and polled by the owner.
            new_id = next(f"edge-{i}" for i in range(100) if shard_of(f"edge-{i}", 2) == 1)
            spec = pb.DeviceSpec(id=new_id, address="127.0.0.1", port=snmpd_agent.port, community="public")
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stubs[0].AddDevice(pb.AddDeviceRequest(device=spec, poll_now=True), timeout=30)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert f"device '{new_id}' belongs to shard 1 of 2" in err.value.details()
            assert not (tmp_path / "shard0-state.json").exists()
            added = await stubs[1].AddDevice(pb.AddDeviceRequest(device=spec, poll_now=True), timeout=30)
            assert added.in_shard and added.device.status == pb.DEVICE_STATUS_UP
            assert [d["id"] for d in read_json(str(tmp_path / "shard1-state.json"))["added"]] == [new_id]
        finally:
            for channel in channels:
                await channel.close()
