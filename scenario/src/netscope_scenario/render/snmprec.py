"""snmpsim recordings (`.snmprec`) per SNMP device, and the snmp service's inventory.yaml.

Each recording holds SNMPv2-MIB's system group, IF-MIB ifTable and ifXTable (64-bit counters equal to a
per-interface starting value plus every flow byte that crossed the interface), and HOST-RESOURCES CPU load and
storage. In "live" mode octet/packet counters and sysUpTime use snmpsim's `numeric` variation so they keep
growing at the world's last-five-minute rate while served; "static" mode freezes them at the world's end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from netscope_scenario.counters import Counters
from netscope_scenario.model import Device, Interface
from netscope_scenario.world import World

SYS = "1.3.6.1.2.1.1"
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
HR = "1.3.6.1.2.1.25"
C32 = 1 << 32
C64 = 1 << 64
RATE_WINDOW_MINUTES = 5
UP, DOWN = 1, 2


@dataclass(frozen=True)
class IfState:
    """An interface's counters at the world's end and its recent rates (per second)."""

    in_octets: int
    out_octets: int
    in_packets: int
    out_packets: int
    in_rate: float
    out_rate: float
    in_pps: float
    out_pps: float
    oper_status: int
    last_change_ticks: int


def unresponsive_devices(world: World) -> set[str]:
    """Devices that stop answering SNMP during the window (no recording is served for them)."""
    return {d for i in world.incidents if i.kind == "snmp_unresponsive" for d in i.devices}


def down_interfaces(world: World) -> dict[tuple[str, int], int]:
    """(device, ifIndex) of interfaces that go down, with the epoch second they went down."""
    out: dict[tuple[str, int], int] = {}
    for inc in world.incidents:
        for iface in inc.interfaces:
            if iface.get("oper_status") == "down":
                out[(str(iface["device"]), int(str(iface["if_index"])))] = int(inc.start.timestamp())
    return out


def boot_epoch(world: World, device: Device) -> int:
    """When the device last booted (days to months before the window)."""
    rng = random.Random(f"{world.seed}/boot/{device.id}")
    return world.start_epoch - rng.randrange(5 * 86400, 180 * 86400)


def base_counters(world: World, device: Device, iface: Interface) -> tuple[int, int, int, int]:
    """Counter values at the window's start (traffic before the world began)."""
    rng = random.Random(f"{world.seed}/base/{device.id}/{iface.if_index}")
    if iface.if_type == 24 or iface.speed_bps == 0:
        return (0, 0, 0, 0)
    octets_in, octets_out = rng.randrange(10**9, 10**12), rng.randrange(10**9, 10**12)
    return octets_in, octets_out, octets_in // 700, octets_out // 700


def interface_state(world: World, counters: Counters, device: Device, iface: Interface) -> IfState:
    """Counters at the end of the window (or up to `upto_minute`) and the recent rates."""
    base = base_counters(world, device, iface)
    total = counters.total((device.id, iface.if_index))
    s = counters.ports.get((device.id, iface.if_index))
    lo = max(0, world.minutes - RATE_WINDOW_MINUTES)
    span = (world.minutes - lo) * 60
    rates = [0.0, 0.0, 0.0, 0.0]
    if s is not None:
        rates = [sum(x[lo:]) / span for x in (s.in_octets, s.out_octets, s.in_packets, s.out_packets)]
    down_at = down_interfaces(world).get((device.id, iface.if_index))
    boot = boot_epoch(world, device)
    last_change = (down_at - boot) * 100 if down_at else 1500
    return IfState(
        base[0] + total[0], base[1] + total[1], base[2] + total[2], base[3] + total[3],
        rates[0], rates[1], rates[2], rates[3], DOWN if down_at else UP, last_change,
    )  # fmt: skip


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.split("."))


def _counter(value: int, rate: float, bits: int, live: bool) -> tuple[str, str]:
    tag = "70" if bits == 64 else "65"
    value %= C64 if bits == 64 else C32
    if not live or rate <= 0:
        return tag, str(value)
    wrap = ",wrap=1" if bits == 32 else ""
    return f"{tag}:numeric", f"initial={value},rate={rate:.3f}{wrap}"


def render_device(world: World, counters: Counters, device: Device, *, live: bool = True) -> str:
    """The device's snmprec text (records sorted by OID)."""
    boot = boot_epoch(world, device)
    uptime = (world.end_epoch - boot) * 100
    recs: list[tuple[str, str, str]] = [
        (f"{SYS}.1.0", "4", device.sys_descr),
        (f"{SYS}.2.0", "6", device.sys_object_id),
        (f"{SYS}.3.0", *(("67:numeric", f"initial={uptime},rate=100") if live else ("67", str(uptime)))),
        (f"{SYS}.4.0", "4", "noc@netscope-demo.example"),
        (f"{SYS}.5.0", "4", device.id),
        (f"{SYS}.6.0", "4", {"hq": "Headquarters, rack A1", "br1": "Branch office 1, comms cabinet"}[device.site]),
        (f"{SYS}.7.0", "2", "72" if device.kind == "server" else "6"),
        (IF_NUMBER, "2", str(len(device.interfaces))),
    ]
    util = 0.0
    for iface in device.interfaces:
        st = interface_state(world, counters, device, iface)
        i = iface.if_index
        if iface.speed_bps:
            util = max(util, 8 * max(st.in_rate, st.out_rate) / iface.speed_bps)
        mac = iface.mac.replace(":", "") if iface.if_type != 24 else ""
        recs += [
            (f"{IF_ENTRY}.1.{i}", "2", str(i)),
            (f"{IF_ENTRY}.2.{i}", "4", iface.descr),
            (f"{IF_ENTRY}.3.{i}", "2", str(iface.if_type)),
            (f"{IF_ENTRY}.4.{i}", "2", str(iface.mtu)),
            (f"{IF_ENTRY}.5.{i}", "66", str(min(iface.speed_bps, C32 - 1))),
            (f"{IF_ENTRY}.6.{i}", "4x", mac),
            (f"{IF_ENTRY}.7.{i}", "2", str(UP)),
            (f"{IF_ENTRY}.8.{i}", "2", str(st.oper_status)),
            (f"{IF_ENTRY}.9.{i}", "67", str(st.last_change_ticks)),
            (f"{IF_ENTRY}.10.{i}", *_counter(st.in_octets, st.in_rate, 32, live)),
            (f"{IF_ENTRY}.11.{i}", *_counter(st.in_packets, st.in_pps, 32, live)),
            (f"{IF_ENTRY}.13.{i}", "65", "0"),
            (f"{IF_ENTRY}.14.{i}", "65", "0"),
            (f"{IF_ENTRY}.16.{i}", *_counter(st.out_octets, st.out_rate, 32, live)),
            (f"{IF_ENTRY}.17.{i}", *_counter(st.out_packets, st.out_pps, 32, live)),
            (f"{IF_ENTRY}.19.{i}", "65", "0"),
            (f"{IF_ENTRY}.20.{i}", "65", "0"),
            (f"{IFX_ENTRY}.1.{i}", "4", iface.name),
            (f"{IFX_ENTRY}.6.{i}", *_counter(st.in_octets, st.in_rate, 64, live)),
            (f"{IFX_ENTRY}.7.{i}", *_counter(st.in_packets, st.in_pps, 64, live)),
            (f"{IFX_ENTRY}.10.{i}", *_counter(st.out_octets, st.out_rate, 64, live)),
            (f"{IFX_ENTRY}.11.{i}", *_counter(st.out_packets, st.out_pps, 64, live)),
            (f"{IFX_ENTRY}.15.{i}", "66", str(iface.speed_bps // 1_000_000)),
            (f"{IFX_ENTRY}.18.{i}", "4", iface.alias),
        ]
    rng = random.Random(f"{world.seed}/hr/{device.id}")
    recs += [
        (f"{HR}.1.1.0", "67", str(uptime)),
        (f"{HR}.2.2.0", "2", str(device.memory_kb)),
        (f"{HR}.2.3.1.1.1", "2", "1"),
        (f"{HR}.2.3.1.2.1", "6", f"{HR}.2.1.2"),
        (f"{HR}.2.3.1.3.1", "4", "Physical memory"),
        (f"{HR}.2.3.1.4.1", "2", "1024"),
        (f"{HR}.2.3.1.5.1", "2", str(device.memory_kb)),
        (f"{HR}.2.3.1.6.1", "2", str(int(device.memory_kb * rng.uniform(0.35, 0.7)))),
    ]
    if device.disk_kb:
        blocks = device.disk_kb // 4
        recs += [
            (f"{HR}.2.3.1.1.31", "2", "31"),
            (f"{HR}.2.3.1.2.31", "6", f"{HR}.2.1.4"),
            (f"{HR}.2.3.1.3.31", "4", "/"),
            (f"{HR}.2.3.1.4.31", "2", "4096"),
            (f"{HR}.2.3.1.5.31", "2", str(blocks)),
            (f"{HR}.2.3.1.6.31", "2", str(int(blocks * rng.uniform(0.2, 0.8)))),
        ]
    for cpu in range(device.cpu_count):
        load = min(99, int(rng.uniform(2, 12) + 60 * util))
        recs += [
            (f"{HR}.3.3.1.1.{196608 + cpu}", "6", "0.0"),
            (f"{HR}.3.3.1.2.{196608 + cpu}", "2", str(load)),
        ]
    recs.sort(key=lambda r: _oid_key(r[0]))
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in recs)


def inventory(world: World, address: str = "127.0.0.1", port: int = 1161, poll_interval_seconds: int = 60) -> str:
    """inventory.yaml for the snmp service: every device (also the one that stops answering), community = id.

    The agents answer on `address` (snmpsim on loopback); each device's own IP is its management_ip, so its
    alerts are keyed by the address its flows and the recorded alerts use."""
    devices = [
        {
            "id": d.id,
            "address": address,
            "port": port,
            "management_ip": d.address,
            "version": "v2c",
            "community": d.id,
            "labels": {"site": d.site, "role": d.kind},
            "poll_interval_seconds": poll_interval_seconds,
        }
        for d in world.devices.values()
    ]
    return yaml.safe_dump({"devices": devices}, sort_keys=False)


def write_snmp(world: World, counters: Counters, out: Path, *, address: str = "127.0.0.1", port: int = 1161,
               live: bool = True) -> list[Path]:  # fmt: skip
    """Write `<out>/<device>.snmprec` for every answering device and `<out>/inventory.yaml`."""
    out.mkdir(parents=True, exist_ok=True)
    silent = unresponsive_devices(world)
    written = []
    for device in world.devices.values():
        if device.id in silent:
            continue
        path = out / f"{device.id}.snmprec"
        path.write_text(render_device(world, counters, device, live=live))
        written.append(path)
    (out / "inventory.yaml").write_text(inventory(world, address, port))
    return written
