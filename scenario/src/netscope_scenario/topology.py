"""The scenario's network: two sites, their subnets, devices, hosts and internet peers.

HQ (hq) holds the servers, the clients, a DMZ with the VPN gateway and the core router `hq-rtr-1`, which
also carries the internet uplink. The branch (br1) reaches HQ and the internet over one 50 Mbit/s link
(hub and spoke). Every path between two hosts meets at `hq-rtr-1`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from netscope_scenario.catalog import (
    BACKDOOR_PEER,
    C2_PEER,
    CLIENT_VENDORS,
    EXFIL_PEER,
    OUI,
    REMOTE_SERVICES,
    SCANNER_PEER,
    VISITOR_BLOCKS,
    RemoteService,
)
from netscope_scenario.model import Device, Exporter, Hop, Host, Interface, Site, Subnet

CORE = "hq-rtr-1"
REMOTE_NETWORK_ID = 65535  # ntopng's network id for hosts outside every local network

# Hosts the incidents revolve around (stable across seeds).
EXFIL_HOST = "10.1.2.42"
DGA_HOST = "10.1.2.57"
BEACON_HOST = "10.1.2.63"
SCANNER_HOST = "10.1.2.77"
HOG_HOST = "10.1.2.88"
FILE_SERVER = "10.1.1.30"
WEB_SERVER = "10.1.1.20"

_FIRST_NAMES = (
    "anna", "ben", "carla", "dario", "elena", "farid", "giulia", "hugo", "ines", "jonas", "kira", "luca",
    "marta", "nico", "olga", "pavel", "rosa", "sven", "tara", "umberto", "vera", "wim", "xenia", "yusuf",
    "amir", "bea", "chen", "dora", "emil", "fatima", "gita", "hana", "ivo", "jana",
)  # fmt: skip


@dataclass
class Topology:
    """Everything static about the world (no time, no traffic)."""

    sites: list[Site]
    subnets: list[Subnet]
    devices: dict[str, Device]
    exporters: list[Exporter]
    hosts: dict[str, Host]
    roles: dict[str, list[Host]] = field(default_factory=dict)
    remote: dict[str, Host] = field(default_factory=dict)

    def by_role(self, role: str) -> list[Host]:
        """Local hosts with this role."""
        return self.roles.get(role, [])


def _mac(rng: random.Random, vendor: str) -> str:
    return OUI[vendor] + "".join(f":{rng.randrange(256):02x}" for _ in range(3))


def _ports(prefix: str, count: int, speed: int, uplink_name: str, uplink_speed: int, alias: str) -> tuple:
    ports = [Interface(i, f"{prefix}{i}", f"{prefix}{i}", speed) for i in range(1, count + 1)]
    ports.append(Interface(count + 1, uplink_name, uplink_name, uplink_speed, alias=alias))
    return tuple(ports)


def _devices(rng: random.Random) -> dict[str, Device]:
    juniper = "Juniper Networks, Inc. mx204 internet router, kernel JUNOS 22.4R3"
    cisco = "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.9.4"
    g = 1_000_000_000
    devices = [
        Device(
            CORE, "router", "hq", "10.1.0.1", juniper, "1.3.6.1.4.1.2636.1.1.1.2.150",
            (
                Interface(1, "ge-0/0/0", "ge-0/0/0", g, "ISP uplink AS3320", mac=_mac(rng, "juniper")),
                Interface(2, "ge-0/0/1", "ge-0/0/1", g, "servers 10.1.1.0/24 via hq-sw-2", mac=_mac(rng, "juniper")),
                Interface(3, "ge-0/0/2", "ge-0/0/2", g, "clients 10.1.2.0/24 via hq-sw-1", mac=_mac(rng, "juniper")),
                Interface(4, "ge-0/0/3", "ge-0/0/3", g, "dmz 10.1.3.0/24", mac=_mac(rng, "juniper")),
                Interface(5, "ge-0/0/4", "ge-0/0/4", 50_000_000, "MPLS to br1 (50M)", mac=_mac(rng, "juniper")),
                Interface(6, "lo0", "lo0", 0, "", if_type=24, mtu=65535),
            ),
            cpu_count=4, memory_kb=16_777_216, disk_kb=31_457_280,
        ),
        Device(
            "hq-sw-1", "switch", "hq", "10.1.0.11", cisco, "1.3.6.1.4.1.9.1.2494",
            _ports("Gi1/0/", 24, g, "Te1/1/1", 10 * g, "uplink hq-rtr-1 ge-0/0/2"),
            cpu_count=1, memory_kb=8_388_608, disk_kb=16_777_216,
        ),
        Device(
            "hq-sw-2", "switch", "hq", "10.1.0.12", cisco, "1.3.6.1.4.1.9.1.2494",
            _ports("Gi1/0/", 12, g, "Te1/1/1", 10 * g, "uplink hq-rtr-1 ge-0/0/1"),
            cpu_count=1, memory_kb=8_388_608, disk_kb=16_777_216,
        ),
        Device(
            "hq-vpn-1", "vpn-gateway", "hq", "10.1.3.2",
            "Linux hq-vpn-1 6.1.0-28-amd64 #1 SMP Debian 6.1.119-1 x86_64 (strongSwan 5.9.8)",
            "1.3.6.1.4.1.8072.3.2.10",
            (
                Interface(1, "eth0", "eth0", g, "dmz to hq-rtr-1 ge-0/0/3", mac=_mac(rng, "vmware")),
                Interface(2, "tun0", "tun0", g, "remote-access pool 10.8.0.0/24", if_type=131, mtu=1400),
            ),
            cpu_count=2, memory_kb=4_194_304, disk_kb=20_971_520,
        ),
        Device(
            "hq-srv-1", "server", "hq", "10.1.1.40",
            "Linux mon1 6.1.0-28-amd64 #1 SMP Debian 6.1.119-1 x86_64", "1.3.6.1.4.1.8072.3.2.10",
            (
                Interface(1, "lo", "lo", 10_000_000, "", if_type=24, mtu=65536),
                Interface(2, "eth0", "eth0", g, "hq-sw-2 Gi1/0/6", mac=_mac(rng, "dell")),
            ),
            cpu_count=8, memory_kb=33_554_432, disk_kb=976_762_584,
        ),
        Device(
            "br1-rtr-1", "router", "br1", "10.2.0.1", juniper.replace("mx204", "srx340"),
            "1.3.6.1.4.1.2636.1.1.1.2.137",
            (
                Interface(1, "ge-0/0/0", "ge-0/0/0", 50_000_000, "MPLS to hq-rtr-1 (50M)", mac=_mac(rng, "juniper")),
                Interface(2, "ge-0/0/1", "ge-0/0/1", g, "lan 10.2.1.0/24 via br1-sw-1", mac=_mac(rng, "juniper")),
                Interface(3, "lo0", "lo0", 0, "", if_type=24, mtu=65535),
            ),
            cpu_count=2, memory_kb=4_194_304, disk_kb=8_388_608,
        ),
        Device(
            "br1-sw-1", "switch", "br1", "10.2.0.11", cisco, "1.3.6.1.4.1.9.1.2494",
            _ports("Gi1/0/", 12, g, "Gi1/0/13", g, "uplink br1-rtr-1 ge-0/0/1"),
            cpu_count=1, memory_kb=2_097_152, disk_kb=4_194_304,
        ),
    ]  # fmt: skip
    return {d.id: d for d in devices}


SUBNETS: tuple[Subnet, ...] = (
    Subnet("10.1.1.0/24", "hq", "hq-servers", 0, 10, CORE, 2),
    Subnet("10.1.2.0/24", "hq", "hq-clients", 1, 20, CORE, 3),
    Subnet("10.1.3.0/24", "hq", "hq-dmz", 2, 30, CORE, 4),
    Subnet("10.2.1.0/24", "br1", "br1-lan", 3, 20, CORE, 5),
    Subnet("10.8.0.0/24", "hq", "vpn-pool", 4, 0, CORE, 4),
)

# Local servers: ip, name, role, vendor, switch port on hq-sw-2.
_SERVERS = (
    ("10.1.1.10", "dns1", "dns", "vmware", 1),
    ("10.1.1.11", "dc1", "dc", "vmware", 2),
    (WEB_SERVER, "web1", "web", "vmware", 3),
    ("10.1.1.25", "mail1", "mail", "vmware", 4),
    (FILE_SERVER, "nas1", "file", "synology", 5),
    ("10.1.1.40", "mon1", "monitoring", "dell", 6),
)


def build_topology(rng: random.Random) -> Topology:
    """Build the static network. All randomness (MACs, names) comes from `rng`."""
    devices = _devices(rng)
    sites = [Site("hq", "Headquarters", ""), Site("br1", "Branch office 1", "")]
    hosts: dict[str, Host] = {}
    roles: dict[str, list[Host]] = {}

    def add(host: Host) -> Host:
        hosts[host.ip] = host
        roles.setdefault(host.role, []).append(host)
        return host

    core_hop = {s.network_id: Hop(CORE, s.router_if_index, None) for s in SUBNETS}
    for ip, name, role, vendor, port in _SERVERS:
        chain: tuple[Hop, ...] = (Hop("hq-sw-2", port, 13), core_hop[0])
        if role == "monitoring":  # mon1 is the SNMP device hq-srv-1: its own eth0 carries its traffic too
            mac, chain = devices["hq-srv-1"].interface(2).mac, (Hop("hq-srv-1", 0, 2), *chain)
        else:
            mac = _mac(rng, vendor)
        add(Host(ip, name, mac, role, "hq", "", 0, 0, 10, chain))
    vpn_mac = devices["hq-vpn-1"].interface(1).mac
    add(Host("10.1.3.2", "vpn1", vpn_mac, "vpn", "hq", "", 0, 2, 30, (core_hop[2],)))

    names = list(_FIRST_NAMES)
    rng.shuffle(names)
    special = {EXFIL_HOST, DGA_HOST, BEACON_HOST, SCANNER_HOST, HOG_HOST}
    others = [ip for ip in (f"10.1.2.{n}" for n in range(20, 120)) if ip not in special]
    hq_ips = sorted([*special, *rng.sample(others, 19 - len(special))], key=lambda s: int(s.split(".")[-1]))
    for port, ip in enumerate(hq_ips, start=1):
        who = names.pop()
        host = Host(ip, f"ws-{who}", _mac(rng, rng.choice(CLIENT_VENDORS)), "workstation", "hq", "", 0, 1, 20,
                    (Hop("hq-sw-1", port, 25), core_hop[1]))  # fmt: skip
        add(host)
    for port in range(1, 9):
        who = names.pop()
        ip = f"10.2.1.{20 + port * 3}"
        add(Host(ip, f"br1-{who}", _mac(rng, rng.choice(CLIENT_VENDORS)), "workstation", "br1", "", 0, 3, 20,
                 (Hop("br1-sw-1", port, 13), Hop("br1-rtr-1", 2, 1), core_hop[3])))  # fmt: skip
    for n in range(4):
        who = names.pop()
        add(Host(f"10.8.0.{10 + n}", f"vpn-{who}", vpn_mac, "workstation", "hq", "", 0, 4, 0,
                 (Hop("hq-vpn-1", 2, 1), core_hop[4])))  # fmt: skip

    wan_mac = devices[CORE].interface(1).mac
    wan_hop = (Hop(CORE, 1, None),)

    def remote_host(svc: RemoteService, role: str) -> Host:
        host = Host(svc.ip, svc.name, wan_mac, role, None, svc.country, svc.asn, 65535, 0, wan_hop)
        hosts[host.ip] = host
        return host

    remote = {svc.key: remote_host(svc, "internet-service") for svc in REMOTE_SERVICES}
    for svc in (EXFIL_PEER, C2_PEER, SCANNER_PEER, BACKDOOR_PEER):
        remote[svc.key] = remote_host(svc, "internet-peer")
    visitors = []
    for prefix, country, asn in VISITOR_BLOCKS:
        for _ in range(6):
            ip = f"{prefix}.{rng.randrange(2, 254)}"
            if ip not in hosts:
                visitors.append(remote_host(RemoteService("visitor", "", ip, country, asn), "visitor"))
    roles["visitor"] = visitors

    exporters = [Exporter(CORE, "10.1.0.1", 1), Exporter("br1-rtr-1", "10.2.0.1", 2)]
    return Topology(sites, list(SUBNETS), devices, exporters, hosts, roles, remote)


def ephemeral_server_host(ip: str) -> Host:
    """A host on the servers subnet that does not exist (a scan target nobody answers for)."""
    return Host(ip, "", "00:00:00:00:00:00", "absent", "hq", "", 0, 0, 10, (Hop(CORE, 2, None),))
