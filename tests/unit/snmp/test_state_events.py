"""Fleet state: reachability transitions, status changes, threshold events de-duplicated, history bound."""

from __future__ import annotations

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
