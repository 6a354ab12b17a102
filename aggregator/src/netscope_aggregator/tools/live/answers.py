"""What the live tools answer: structured models (each with a one-line summary where it helps)."""

from typing import Literal

from pydantic import BaseModel

from netscope_aggregator.writes import WriteStatus


class InterfaceItem(BaseModel):
    """One monitored interface."""

    ifid: int
    name: str
    description: str = ""
    source: str


class InterfacesAnswer(BaseModel):
    """The interfaces live data is available for."""

    interfaces: list[InterfaceItem]
    summary: str


class HostLocationItem(BaseModel):
    """Where one active host is."""

    ip: str
    country: str
    country_name: str = ""
    is_local: bool
    bytes: int


class HostsLocationAnswer(BaseModel):
    """Countries of the busiest active hosts."""

    ifid: int
    hosts: list[HostLocationItem]
    truncated: bool
    summary: str


class HostBrief(BaseModel):
    """One active host, compact."""

    ip: str
    name: str = ""
    country: str = ""
    is_local: bool
    bytes_sent: int
    bytes_received: int
    bytes_total: int
    throughput_bps: float
    active_flows: int
    mac: str = ""


class TalkersAnswer(BaseModel):
    """The top hosts by bytes."""

    ifid: int
    locality: Literal["local", "remote"]
    hosts: list[HostBrief]
    total_hosts: int
    summary: str


class ApplicationItem(BaseModel):
    """Traffic of one application of a host."""

    name: str
    category: str = ""
    bytes_sent: int
    bytes_received: int
    flows: int


class PeerItem(BaseModel):
    """A host's peer."""

    ip: str
    bytes: int


class ServerPortItem(BaseModel):
    """A port a host serves."""

    l4_proto: str
    port: int
    flows: int


class HostAnswer(HostBrief):
    """One active host with its applications, peers and server ports."""

    mac_vendor: str = ""
    vlan: int = 0
    score: int
    packets_sent: int
    packets_received: int
    active_flows_as_client: int
    active_flows_as_server: int
    first_seen: str = ""
    last_seen: str = ""
    applications: list[ApplicationItem]
    peers: list[PeerItem]
    server_ports: list[ServerPortItem]
    summary: str


class FlowItem(BaseModel):
    """One active flow."""

    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    l4_proto: str
    l7_proto: str
    bytes: int
    packets: int | None = None
    bytes_client_to_server: int
    bytes_server_to_client: int
    throughput_bps: float
    first_seen: str = ""
    last_seen: str = ""
    alerted: bool | None = None


class FlowsAnswer(BaseModel):
    """A page of active flows."""

    flows: list[FlowItem]
    total: int
    next_page_token: str = ""
    summary: str


class NamedItem(BaseModel):
    """Flows and bytes of one application, protocol or port."""

    name: str
    flows: int
    bytes: int


class GroupItem(BaseModel):
    """Active flows of one group (ntopng's group_by): flows, alerted flows, bytes, packets."""

    name: str
    flows: int
    alerted_flows: int
    bytes: int
    packets: int


class FlowsSummaryAnswer(BaseModel):
    """Active flows broken down by application, L4 protocol and server port (and grouped as asked)."""

    total_flows: int
    total_bytes: int
    applications: list[NamedItem]
    l4_protocols: list[NamedItem]
    server_ports: list[NamedItem]
    truncated: bool
    flows_examined: int
    group_by: str = ""
    groups: list[GroupItem] = []
    total_alerted: int | None = None
    summary: str


class CountryItem(BaseModel):
    """Traffic of one country."""

    country: str
    hosts: int
    bytes_sent: int
    bytes_received: int
    flows: int
    throughput_bps: float
    score: int | None = None


class CountryStatsAnswer(BaseModel):
    """Countries ranked by traffic."""

    countries: list[CountryItem]
    truncated: bool
    hosts_examined: int
    summary: str


class MacAnswer(BaseModel):
    """One MAC address: manufacturer, device type, host pool and traffic."""

    mac: str
    vendor: str
    locally_administered: bool
    seen: bool
    device_type: str = ""
    host_pool: int = 0
    hosts: int
    truncated: bool
    ips: list[str]
    bytes_sent: int
    bytes_received: int
    first_seen: str = ""
    last_seen: str = ""
    summary: str


class ExporterItem(BaseModel):
    """Counters of one NetFlow/IPFIX exporter."""

    exporter: str
    versions: list[int]
    packets: int
    records: int
    templates: int
    malformed_packets: int
    truncated_packets: int
    sets_without_template: int
    lost_records: int
    lost_packets: int
    sampling_rate: int
    last_seen: str = ""


class CollectorAnswer(BaseModel):
    """The built-in collector's counters."""

    listen_address: str
    datagrams: int
    socket_errors: int
    active_flows: int
    active_hosts: int
    flows_created: int
    flows_expired: int
    flows_dropped_table_full: int
    ingest_queued: int
    ingest_sent: int
    ingest_dropped_queue_full: int
    ingest_failed: int
    exporters: list[ExporterItem]
    exporters_total: int
    summary: str


class MonitorParameterItem(BaseModel):
    """One parameter of a monitor kind."""

    name: str
    description: str
    required: bool
    allowed: str
    default: str = ""


class MonitorKindItem(BaseModel):
    """One kind of active monitoring script."""

    kind: str
    description: str
    measurement: str
    unit: str
    parameters: list[MonitorParameterItem]


class AvailableMonitorsAnswer(BaseModel):
    """The active monitoring scripts this deployment can run."""

    kinds: list[MonitorKindItem]
    summary: str


class MonitorResultItem(BaseModel):
    """The last measurement of a monitor."""

    time: str
    ok: bool
    latency_ms: float
    status_code: int = 0
    error: str = ""
    threshold_exceeded: bool = False


class MonitorItem(BaseModel):
    """One enabled monitor and its last measurement."""

    id: str
    kind: str
    host: str
    port: int
    url: str = ""
    interval_seconds: int
    threshold_ms: int
    runs: int
    failures: int
    last_result: MonitorResultItem | None = None


class EnabledMonitorsAnswer(BaseModel):
    """The enabled monitors."""

    monitors: list[MonitorItem]
    summary: str


class MonitorWriteAnswer(WriteStatus):
    """A monitoring write: a preview awaiting confirmation (monitor, created and updated as they would be),
    or what was done."""

    monitor: MonitorItem | None = None
    created: bool = False
    updated: bool = False
