"""Fleet state: reachability transitions, status changes, threshold events de-duplicated, history bound."""

from __future__ import annotations

import json

import pytest

from netscope_common.errors import InvalidArgument
from netscope_snmp.alerts_sink import alert_request
from netscope_snmp.events import EventKind
from netscope_snmp.inventory import parse_device
from netscope_snmp.sample import InterfaceSample, PollResult, Reachability
from netscope_snmp.state import FleetState, Thresholds

DEVICE = parse_device({"id": "r1", "address": "127.0.0.1", "community": "c"})


def up(t: float, uptime: int, in_octets: int, oper: str = "up", cpu: float = 10.0) -> PollResult:
    iface = InterfaceSample(
        index=1,
        name="eth0",
        speed_bps=1_000_000,
        admin_status="up",
        oper_status=oper,
        in_octets=in_octets,
        out_octets=0,
        in_errors=0,
        out_errors=0,
    )
    return PollResult("r1", Reachability.UP, started_at=t, uptime_ticks=uptime, interfaces=[iface], cpu_percent=cpu)


def kinds(events: list) -> list[EventKind]:
    return [e.kind for e in events]


def test_transitions_and_dedup() -> None:
    state = FleetState(Thresholds(utilization_percent=80, cpu_percent=90), history_points=3)
    assert kinds(state.apply(DEVICE, up(0, 0, 0))) == []
    # 60 s at 900 kbit/s on a 1 Mbit/s port: 90% -> one utilisation event, then no repeat.
    assert kinds(state.apply(DEVICE, up(60, 6000, 6_750_000))) == [EventKind.INTERFACE_UTILIZATION_HIGH]
    assert kinds(state.apply(DEVICE, up(120, 12000, 13_500_000, cpu=95))) == [EventKind.CPU_HIGH]
    assert kinds(state.apply(DEVICE, up(180, 18000, 20_250_000, cpu=96))) == []
    view = state.devices["r1"]
    assert view.interfaces[1].rates.in_bps == 900_000
    assert len(view.interfaces[1].history) == 3  # bounded
    timeout = PollResult("r1", Reachability.UNREACHABLE, detail="no answer", started_at=240)
    assert kinds(state.apply(DEVICE, timeout)) == [EventKind.DEVICE_UNREACHABLE]
    assert kinds(state.apply(DEVICE, timeout)) == []  # still down: no repeat
    assert view.last_seen == 180
    events = state.apply(DEVICE, up(300, 30000, 27_000_000, oper="down"))
    assert kinds(events) == [EventKind.DEVICE_RECOVERED, EventKind.INTERFACE_DOWN]
    assert kinds(state.apply(DEVICE, up(360, 36000, 27_000_000))) == [EventKind.INTERFACE_UP]


def test_reboot_is_an_event_and_skips_the_interval() -> None:
    state = FleetState()
    state.apply(DEVICE, up(0, 100_000, 10**9))
    events = state.apply(DEVICE, up(60, 500, 1000))
    assert kinds(events) == [EventKind.DEVICE_REBOOTED]
    assert state.devices["r1"].interfaces[1].rates.in_bps is None


def test_alert_requests_name_the_device_and_interface_as_ntopng_does() -> None:
    """Interface alerts: '<device> ifIndex <n> <ifName>' and the device's management IP; device alerts: the id."""
    device = parse_device({"id": "hq-rtr-1", "address": "127.0.0.1", "community": "c", "management_ip": "10.1.0.1"})
    state = FleetState(Thresholds(utilization_percent=80), history_points=3)
    state.apply(device, up(0, 0, 0))
    (event,) = state.apply(device, up(60, 6000, 6_750_000))
    assert event.entity_name == "hq-rtr-1 ifIndex 1 eth0" and event.management_ip == "10.1.0.1"
    request = alert_request(event, event.management_ip)
    assert request.entity_value == "10.1.0.1" and request.snmp_port == 1
    assert json.loads(request.details_json)["entity_name"] == "hq-rtr-1 ifIndex 1 eth0"
    assert (request.snmp_device_name, request.snmp_port_name) == ("hq-rtr-1", "eth0")  # the stored name's parts
    (down,) = state.apply(device, PollResult("hq-rtr-1", Reachability.UNREACHABLE, started_at=120))
    assert down.entity_name == "hq-rtr-1"
    assert json.loads(alert_request(down, "10.1.0.1").details_json)["entity_name"] == "hq-rtr-1"
    assert (alert_request(down, "10.1.0.1").snmp_device_name, alert_request(down, "10.1.0.1").snmp_port_name) == (
        "hq-rtr-1",
        "",
    )
    assert parse_device({"id": "plain", "address": "127.0.0.1", "community": "c"}).management_ip is None


def test_management_ip_must_be_an_ip() -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_device({"id": "x", "address": "127.0.0.1", "community": "c", "management_ip": "core.example"})
    assert "management_ip: Value error, must be an IPv4 or IPv6 address" in str(err.value)
