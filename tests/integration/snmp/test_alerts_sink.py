"""SNMP events become alerts in the real alerts service (RaiseAlert), de-duplicated; a dead alerts service
never blocks polling."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import yaml

from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope.snmp.v1 import snmp_pb2 as pb
from netscope.snmp.v1 import snmp_pb2_grpc
from netscope_common.timeutil import make_window
from netscope_snmp.lab import free_udp_port
from tests.support.processes import NETSCOPE, Process, free_port, running, wait_grpc_serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

DEVICE_IP = "127.0.0.7"  # a loopback address of its own, so the alert's entity is this device only


def dead_device(port: int) -> dict[str, object]:
    return {
        "id": "dead-gw-1",
        "address": DEVICE_IP,
        "port": port,
        "version": "v2c",
        "community": "public",
        "labels": {"site": "lab"},
        "poll_interval_seconds": 3600,
        "timeout_seconds": 0.3,
        "retries": 0,
    }


def snmp_env(tmp: Path, alerts_target: str, device: dict[str, object]) -> tuple[dict[str, str], str]:
    inventory = tmp / "inventory.yaml"
    inventory.write_text(yaml.safe_dump({"devices": [device]}))
    port = free_port()
    env = {
        "NETSCOPE_SNMP_PORT": str(port),
        "NETSCOPE_SNMP_INVENTORY_PATH": str(inventory),
        "NETSCOPE_SNMP_STATE_PATH": str(tmp / "state.json"),
        "NETSCOPE_SNMP_POLL_ON_START": "false",
        "NETSCOPE_SNMP_ALERTS_TARGET": alerts_target,
        "NETSCOPE_SNMP_LOG_FORMAT": "json",
    }
    return env, f"127.0.0.1:{port}"


@pytest.fixture(scope="module")
def alerts_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The alerts service on an empty chdb store (it creates ntopng's alert tables itself)."""
    data = tmp_path_factory.mktemp("alerts-store")
    port = free_port()
    env = {"NETSCOPE_ALERTS_PORT": str(port), "NETSCOPE_ALERTS_DSN": f"chdb://{data}"}
    with running("alerts", [*NETSCOPE, "serve", "alerts"], env, data.parent / "alerts-logs") as proc:
        wait_grpc_serving(f"127.0.0.1:{port}", "netscope.alerts.v1.AlertsService", timeout=90, process=proc)
        yield f"127.0.0.1:{port}"


def device_alerts(alerts: alerts_pb2_grpc.AlertsServiceStub, ip: str = DEVICE_IP) -> list[alerts_pb2.Alert]:
    now = datetime.now(UTC)
    request = alerts_pb2.ListAlertsRequest(
        window=make_window(now - timedelta(hours=1), now + timedelta(minutes=1)),
        entity=alerts_pb2.ENTITY_KIND_SNMP_DEVICE,
        entity_value=ip,
    )
    return list(alerts.ListAlerts(request, timeout=10).alerts)


@contextmanager
def snmp_sending_alerts(
    name: str, env: dict[str, str], target: str, alerts_target: str, logs: Path
) -> Iterator[tuple[Process, snmp_pb2_grpc.SnmpServiceStub, alerts_pb2_grpc.AlertsServiceStub]]:
    """The snmp service (sending its events to `alerts_target`) once serving, with stubs for both services."""
    with (
        running(name, [*NETSCOPE, "serve", "snmp"], env, logs) as proc,
        grpc.insecure_channel(target) as snmp_channel,
        grpc.insecure_channel(alerts_target) as alerts_channel,
    ):
        wait_grpc_serving(target, "netscope.snmp.v1.SnmpService", timeout=60, process=proc)
        yield proc, snmp_pb2_grpc.SnmpServiceStub(snmp_channel), alerts_pb2_grpc.AlertsServiceStub(alerts_channel)


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition()` until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"condition not met within {timeout}s")


def test_unreachable_device_becomes_one_snmp_alert(tmp_path: Path, alerts_target: str) -> None:
    agent_port = free_udp_port()
    env, target = snmp_env(tmp_path, alerts_target, dead_device(agent_port))
    with snmp_sending_alerts("snmp-alerts", env, target, alerts_target, tmp_path / "logs") as (proc, snmp, alerts):
        polled = snmp.PollNow(pb.PollNowRequest(devices=["dead-gw-1"]), timeout=10)
        assert polled.outcomes[0].status == pb.DEVICE_STATUS_UNREACHABLE
        wait_for(lambda: len(device_alerts(alerts)) == 1)
        (alert,) = device_alerts(alerts)
        assert alert.alert_name == "alert_snmp_device_polling_error" and alert.alert_id == 4191
        assert alert.severity == "error" and alert.status == "engaged" and alert.count == 1
        assert alert.description.startswith("dead-gw-1: no answer")
        details = json.loads(alert.details_json)
        assert details["device"] == "dead-gw-1" and details["kind"] == "device_unreachable"
        assert "public" not in alert.details_json + alert.description

        # The same device unreachable again (state forgotten by remove + add): the engaged alert is re-used.
        snmp.RemoveDevice(pb.RemoveDeviceRequest(device="dead-gw-1"), timeout=10)
        spec = pb.DeviceSpec(
            id="dead-gw-1", address=DEVICE_IP, port=agent_port, community="public", timeout_seconds=0.3, retries=0
        )
        snmp.AddDevice(pb.AddDeviceRequest(device=spec, poll_now=True), timeout=10)
        wait_for(lambda: [a.count for a in device_alerts(alerts)] == [2])
        assert '"snmp_alert_failed"' not in proc.log()


def test_devices_sharing_a_polled_address_are_alerted_under_their_own_management_ip(
    tmp_path: Path, alerts_target: str
) -> None:
    """Two devices polled at one address (a simulator, a NAT): each alert names its device and own IP."""
    own_ips = {"sim-rtr-1": "127.0.0.8", "sim-rtr-2": "127.0.0.9"}
    devices = [
        {**dead_device(free_udp_port()), "id": device_id, "address": "127.0.0.1", "management_ip": ip}
        for device_id, ip in own_ips.items()
    ]
    env, target = snmp_env(tmp_path, alerts_target, devices[0])
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump({"devices": devices}))
    with snmp_sending_alerts("snmp-alerts-shared", env, target, alerts_target, tmp_path / "logs") as (_, snmp, alerts):
        snmp.PollNow(pb.PollNowRequest(), timeout=10)
        for device_id, ip in own_ips.items():
            wait_for(lambda ip=ip: len(device_alerts(alerts, ip)) == 1)  # type: ignore[misc]
            (alert,) = device_alerts(alerts, ip)
            assert alert.entity_value == ip and alert.count == 1
            details = json.loads(alert.details_json)
            assert details["device"] == device_id and details["entity_name"] == device_id
            assert alert.entity_name == device_id  # as ntopng names a device-level SNMP alert
            # A lookup by the management IP finds the one device; the shared polled address is ambiguous.
            assert snmp.GetDevice(pb.GetDeviceRequest(device=ip), timeout=5).id == device_id
        with pytest.raises(grpc.RpcError) as err:
            snmp.GetDevice(pb.GetDeviceRequest(device="127.0.0.1"), timeout=5)
        assert "2 devices have this address (sim-rtr-1, sim-rtr-2)" in err.value.details()  # type: ignore[attr-defined]


def test_dead_alerts_service_never_blocks_polling(tmp_path: Path) -> None:
    dead_alerts = f"127.0.0.1:{free_port()}"
    env, target = snmp_env(tmp_path, dead_alerts, dead_device(free_udp_port()))
    with (
        running("snmp-no-alerts", [*NETSCOPE, "serve", "snmp"], env, tmp_path / "logs") as proc,
        grpc.insecure_channel(target) as channel,
    ):
        wait_grpc_serving(target, "netscope.snmp.v1.SnmpService", timeout=60, process=proc)
        snmp = snmp_pb2_grpc.SnmpServiceStub(channel)
        polled = snmp.PollNow(pb.PollNowRequest(devices=["dead-gw-1"]), timeout=10)
        assert polled.outcomes[0].status == pb.DEVICE_STATUS_UNREACHABLE
        assert polled.elapsed_seconds < 2  # the 0.3 s device timeout, not the alert delivery
        wait_for(lambda: '"snmp_alert_failed"' in proc.log())
        failure = next(json.loads(line) for line in proc.log().splitlines() if '"snmp_alert_failed"' in line)
        assert failure["code"] == "UNAVAILABLE" and failure["target"] == dead_alerts
        assert snmp.GetDevice(pb.GetDeviceRequest(device="dead-gw-1"), timeout=5).status == (
            pb.DEVICE_STATUS_UNREACHABLE
        )
        assert proc.popen.poll() is None
