"""State kept by the live flow table: flows, hosts, MACs, countries, applications, interfaces."""

from __future__ import annotations

from dataclasses import dataclass, field

from netscope_live.rates import RateWindow

FlowKey = tuple[str, int, int, str, int, str, int]  # exporter, vlan, protocol, client ip/port, server ip/port


@dataclass(slots=True)
class FlowEntry:
    """One bidirectional live flow (client = the side seen first as source)."""

    key: FlowKey
    exporter: str
    vlan: int
    protocol: int
    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    application: str
    first_seen: float
    last_seen: float
    updated: float  # collector clock of the last record, drives the idle timeout
    created: float  # collector clock of the first record, drives the active timeout
    bytes_c2s: int = 0
    bytes_s2c: int = 0
    packets_c2s: int = 0
    packets_s2c: int = 0
    tcp_flags: int = 0
    input_if: int = 0
    output_if: int = 0
    client_mac: str = ""
    server_mac: str = ""
    records: int = 0
    exported_bytes: int = 0
    exported_packets: int = 0
    service: ServiceTraffic | None = None  # the table's aggregate of this flow's (application, protocol, port)

    @property
    def bytes(self) -> int:
        """Both directions."""
        return self.bytes_c2s + self.bytes_s2c

    @property
    def packets(self) -> int:
        """Both directions."""
        return self.packets_c2s + self.packets_s2c

    def throughput_bps(self) -> float:
        """Average bits per second over the flow's life (1 s minimum)."""
        return self.bytes * 8 / max(1.0, self.last_seen - self.first_seen)


@dataclass(slots=True)
class ServiceTraffic:
    """Live flows of one (application, L4 protocol, server port) and their bytes (FlowsSummary)."""

    application: str
    protocol: int
    server_port: int
    flows: int = 0
    bytes: int = 0


@dataclass(slots=True)
class AppCounters:
    """Per-host traffic of one application."""

    bytes_sent: int = 0
    bytes_rcvd: int = 0
    flows: int = 0


@dataclass(slots=True)
class HostEntry:
    """One IP address seen in flows (its throughput window is kept by the table, see KeyedRates)."""

    ip: str
    is_local: bool
    country: str
    first_seen: float
    last_seen: float
    updated: float
    mac: str = ""
    bytes_sent: int = 0
    bytes_rcvd: int = 0
    packets_sent: int = 0
    packets_rcvd: int = 0
    flows_as_client: int = 0
    flows_as_server: int = 0
    active_as_client: int = 0
    active_as_server: int = 0
    score: int = 0
    # applications: the first one inline (most hosts have one), the others in `more_apps`
    app: str = ""
    app_sent: int = 0
    app_rcvd: int = 0
    app_flows: int = 0
    more_apps: dict[str, AppCounters] | None = None
    peers: dict[str, int] = field(default_factory=dict)  # peer ip -> bytes exchanged
    server_ports: dict[tuple[int, int], int] = field(default_factory=dict)  # (protocol, port) -> flows
    flows: dict[FlowKey, None] = field(default_factory=dict)  # keys of its live flows (either side)

    @property
    def bytes_total(self) -> int:
        """Sent plus received."""
        return self.bytes_sent + self.bytes_rcvd

    @property
    def active_flows(self) -> int:
        """Flows in the table with this host on either side."""
        return self.active_as_client + self.active_as_server

    def app_counters(self, app: str) -> AppCounters | None:
        """The counters of an application other than the inline first one (created on first use)."""
        if not self.app:
            self.app = app
        if app == self.app:
            return None
        more = self.more_apps
        if more is None:
            more = self.more_apps = {}
        counters = more.get(app)
        if counters is None:
            counters = more[app] = AppCounters()
        return counters

    def applications(self) -> dict[str, AppCounters]:
        """Every application of the host with its traffic (a new dict)."""
        apps = {self.app: AppCounters(self.app_sent, self.app_rcvd, self.app_flows)} if self.app else {}
        apps.update(self.more_apps or {})
        return apps


@dataclass(slots=True)
class MacEntry:
    """One MAC address seen as the source or destination of flows."""

    mac: str
    vendor: str
    first_seen: float
    last_seen: float
    bytes_sent: int = 0
    bytes_rcvd: int = 0
    ips: set[str] = field(default_factory=set)


@dataclass(slots=True)
class TrafficEntry:
    """Traffic of a country or an application."""

    name: str
    rate: RateWindow
    bytes_sent: int = 0
    bytes_rcvd: int = 0
    flows: int = 0
    hosts: int = 0


@dataclass(slots=True)
class InterfaceEntry:
    """Traffic of one exporter interface (SNMP ifIndex as reported in the flow records)."""

    exporter: str
    if_index: int
    rate_in: RateWindow
    rate_out: RateWindow
    bytes_in: int = 0
    bytes_out: int = 0
    packets_in: int = 0
    packets_out: int = 0
