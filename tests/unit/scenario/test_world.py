"""The world: deterministic, valid arguments only, every incident where and when it should be."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from netscope_scenario.incidents import plan
from netscope_scenario.world import World, build_world

END = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _digest(world: World) -> list[tuple]:
    return [
        (f.flow_id, f.first_seen, f.client.ip, f.server.ip, f.server_port, f.c2s_bytes, f.info) for f in world.flows()
    ]


def test_same_seed_same_flows_and_other_seed_differs(small: dict) -> None:
    small = {**small, "hours": 2.0}
    assert _digest(build_world(**small)) == _digest(build_world(**small))
    assert _digest(build_world(**{**small, "seed": 8})) != _digest(build_world(**small))


def test_window_is_anchored_to_end_and_flows_stay_inside(world: World) -> None:
    assert world.end == END and (world.end - world.start).total_seconds() == 24 * 3600
    firsts = [(f.first_seen, f.last_seen) for f in world.flows()]
    assert min(a for a, _ in firsts) >= world.start_epoch
    assert max(b for _, b in firsts) < world.end_epoch
    assert [a for a, _ in firsts] == sorted(a for a, _ in firsts)


def test_default_end_is_now_rounded_to_the_minute() -> None:
    w = build_world(1, 1, flows_per_hour=10)
    now = datetime.now(UTC)
    assert w.end.second == 0 and abs((now - w.end).total_seconds()) < 120


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1, "hours": 1}, "seed must be a non-negative integer, got -1"),
        ({"seed": 1, "hours": 0}, "hours must be between 1/60 (one minute) and 744, got 0"),
        ({"seed": 1, "hours": 1, "flows_per_hour": -5}, "flows_per_hour must be between 0 and 10000000, got -5"),
        ({"seed": 1, "hours": 1, "end": datetime(2026, 1, 1)}, "end must be timezone-aware"),
    ],
)
def test_bad_arguments_get_clear_messages(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        build_world(**kwargs)
    assert message in str(err.value)


def test_topology_has_real_ouis_and_roles(world: World) -> None:
    star = world.hosts["10.1.2.42"]
    assert star.role == "workstation" and star.chain[0].device_id == "hq-sw-1"
    assert star.mac[:8] in {"00:14:22", "f0:18:98", "3c:d9:2b", "00:1b:21"}
    kinds = {d.kind for d in world.devices.values()}
    assert kinds == {"router", "switch", "vpn-gateway", "server"}
    roles = {h.role for h in world.hosts.values()}
    assert {"dns", "dc", "web", "mail", "file", "vpn", "workstation", "internet-service"} <= roles
    assert world.hosts["95.213.145.201"].country == "RU"


def test_every_incident_is_scheduled_and_exfiltration_is_off_hours(world: World) -> None:
    kinds = {i.kind for i in world.incidents}
    assert kinds == {"horizontal_scan", "vertical_scan", "exfiltration", "dns_c2", "beaconing", "bandwidth_hog",
                     "link_saturation", "interface_down", "snmp_unresponsive", "rare_port"}  # fmt: skip
    exfil = world.incident("exfiltration")
    assert exfil.hosts == ["10.1.2.42"] and exfil.details["off_hours"] is True
    assert exfil.start.hour < 6 and exfil.end.hour < 6
    with pytest.raises(KeyError, match="no incident 'nope'"):
        world.incident("nope")


def test_incident_flows_look_like_their_incident(world: World) -> None:
    by: dict[str, list] = {}
    for f in world.flows():
        if f.incident:
            by.setdefault(f.incident, []).append(f)
    hs = by["horizontal_scan"]
    assert {f.client.ip for f in hs} == {"10.1.2.77"} and len({f.server.ip for f in hs}) == 254
    vs = by["vertical_scan"]
    assert len({f.server.ip for f in vs}) == 1 and len({f.server_port for f in vs}) == 1024
    ex = by["exfiltration"]
    assert sum(f.c2s_bytes for f in ex) > 10 * sum(f.s2c_bytes for f in ex) and ex[0].server.country == "RU"
    gaps = [b.first_seen - a.first_seen for a, b in zip(by["beaconing"], by["beaconing"][1:], strict=False)]
    assert all(54 <= g <= 66 for g in gaps) and abs(sum(gaps) / len(gaps) - 60) < 1
    dga = by["dns_c2"]
    assert all(f.server_port == 53 and len(f.info.split(".")[0]) >= 12 for f in dga)
    assert len({f.info for f in dga}) > 0.9 * len(dga)


def test_interface_down_stops_the_hosts_traffic(world: World) -> None:
    down = world.incident("interface_down")
    t = int(down.start.timestamp())
    nas = [f for f in world.flows() if "10.1.1.30" in (f.client.ip, f.server.ip)]
    assert any(f.first_seen < t for f in nas)
    assert not any(f.first_seen >= t for f in nas)


def test_normal_traffic_has_a_daily_rhythm_and_a_protocol_mix(world: World) -> None:
    hours = Counter(datetime.fromtimestamp(f.first_seen, UTC).hour for f in world.flows() if not f.incident)
    assert hours[13] > 5 * max(1, hours[3])
    protos = Counter(f.l7_proto for f in world.flows())
    assert {5, 91, 126, 41} <= set(protos)  # DNS, TLS, Google, SMBv23 (nDPI ids)


@pytest.mark.parametrize("end_minute", range(0, 1440, 10))
def test_a_day_long_world_puts_the_exfiltration_off_hours_whatever_hour_it_ends(end_minute: int) -> None:
    minutes = 1440
    end = int(datetime(2026, 11, 23, tzinfo=UTC).timestamp()) + end_minute * 60
    sched = plan(minutes, end - minutes * 60)
    window = sched.windows["exfiltration"]
    first = datetime.fromtimestamp(sched.start_epoch + window.start * 60, UTC)
    last = datetime.fromtimestamp(sched.start_epoch + window.end * 60, UTC)
    assert sched.exfil_off_hours
    assert window.end <= minutes - 10
    assert first.hour >= 19 or first.hour < 7
    assert last.hour < 7 or (last.hour, last.minute) == (7, 0) or last.hour >= 19
