"""The scenario world's vocabulary: sites, hosts, devices, interfaces, incidents and flows."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime


def ip_to_int(ip: str) -> int:
    """IPv4 text to the UInt32 ntopng stores."""
    return int(ipaddress.IPv4Address(ip))


def mac_to_int(mac: str) -> int:
    """MAC text (aa:bb:...) to the UInt64 ntopng stores."""
    return int(mac.replace(":", ""), 16)


def country_to_int(code: str) -> int:
    """Two-letter country code packed in 16 bits, as ntopng stores it (0 when unknown)."""
    if len(code) != 2:
        return 0
    return (ord(code[0]) << 8) | ord(code[1])


@dataclass(frozen=True, slots=True)
class Interface:
    """One network interface of an SNMP device (and of an exporter, for routers)."""

    if_index: int
    name: str
    descr: str
    speed_bps: int
    alias: str = ""
    if_type: int = 6  # IANAifType: 6 ethernetCsmacd, 24 softwareLoopback, 131 tunnel
    mac: str = "00:00:00:00:00:00"
    mtu: int = 1500


@dataclass(frozen=True, slots=True)
class Device:
    """An SNMP-managed device. Routers are also NetFlow exporters."""

    id: str
    kind: str  # router | switch | vpn-gateway | server
    site: str
    address: str
    sys_descr: str
    sys_object_id: str
    interfaces: tuple[Interface, ...]
    cpu_count: int = 1
    memory_kb: int = 4_194_304
    disk_kb: int = 0

    def interface(self, if_index: int) -> Interface:
        """The interface with this ifIndex."""
        for iface in self.interfaces:
            if iface.if_index == if_index:
                return iface
        raise KeyError(f"{self.id} has no ifIndex {if_index}")


@dataclass(frozen=True, slots=True)
class Exporter:
    """A NetFlow/IPFIX exporter: a router device and the ntopng interface that collects it."""

    device_id: str
    address: str
    source_id: int
    ntopng_interface_id: int = 0


@dataclass(frozen=True, slots=True)
class Site:
    """A location with its own subnets."""

    id: str
    name: str
    country: str


@dataclass(frozen=True, slots=True)
class Subnet:
    """A local network (ntopng local network id = network_id)."""

    cidr: str
    site: str
    name: str
    network_id: int
    vlan_id: int
    router_device: str
    router_if_index: int


@dataclass(frozen=True, slots=True)
class Hop:
    """One device a host's traffic crosses on its way to the core router.

    `host_side` is the ifIndex facing the host (0 when the device is the host itself), `core_side` the
    ifIndex facing the core (None at the core router).
    """

    device_id: str
    host_side: int
    core_side: int | None


@dataclass(slots=True)
class Host:
    """A local or remote host. Local hosts hang off a switch port; remote ones sit behind the WAN."""

    ip: str
    name: str
    mac: str
    role: str
    site: str | None  # None for remote (internet) hosts
    country: str
    asn: int
    network_id: int = 0
    vlan_id: int = 0
    chain: tuple[Hop, ...] = ()
    down_from: int | None = None  # epoch second after which the host's port is down
    # Precomputed ntopng encodings (filled by __post_init__).
    ip_int: int = field(init=False, default=0)
    mac_int: int = field(init=False, default=0)
    country_int: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.ip_int = ip_to_int(self.ip)
        self.mac_int = mac_to_int(self.mac)
        self.country_int = country_to_int(self.country)

    @property
    def is_local(self) -> bool:
        """True for hosts on the scenario's own networks."""
        return self.site is not None


@dataclass(slots=True)
class Flow:
    """One bidirectional flow, as ntopng records it (client = initiator)."""

    flow_id: int
    first_seen: int  # epoch seconds
    last_seen: int
    protocol: int
    client: Host
    server: Host
    client_port: int
    server_port: int
    l7_proto: int
    l7_master: int
    c2s_bytes: int
    s2c_bytes: int
    c2s_packets: int
    s2c_packets: int
    c2s_flags: int = 0
    s2c_flags: int = 0
    info: str = ""
    status: int = 0  # flow alert type id, 0 = none
    score: int = 0
    severity: int = 0
    risk: int = 0
    dscp: int = 0
    incident: str | None = None  # ground truth only, never rendered


@dataclass(slots=True)
class Incident:
    """Ground truth for one injected incident."""

    id: str
    kind: str
    title: str
    start: datetime
    end: datetime
    hosts: list[str]
    peers: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    interfaces: list[dict[str, object]] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)
    expected: dict[str, object] = field(default_factory=dict)
