"""Live tools: interfaces, hosts, flows, countries and MACs right now (mcp-ntopng and ntopng MCP names).

The ntopng embedded-MCP tools take one string argument `content` holding a JSON object; the seed-001 tools
here accept it too, its keys filling the named arguments.
"""

import json
from datetime import UTC
from typing import Annotated, Any, Literal

from google.protobuf.timestamp_pb2 import Timestamp
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AliasChoices, BaseModel, Field, ValidationError

from netscope.live.v1 import live_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.auth import Role
from netscope_aggregator.backends import Backends
from netscope_aggregator.caller import caller_name
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.render import human_bytes
from netscope_aggregator.writes import Write, WriteStatus

Ifid = Annotated[int, Field(ge=0, le=65535, description="interface id (fetch_ntopng_all_ifids lists them)")]
FlowLimit = Annotated[int, Field(ge=1, le=200, description="flows to return, largest first")]
TopN = Annotated[int, Field(ge=1, le=100, description="entries to return, largest first")]
# Plain `str` (not Optional): the SDK would otherwise pre-parse a JSON string into an object.
Content = Annotated[
    str,
    Field(
        max_length=4096,
        description='ntopng MCP style: a JSON object whose keys fill the other arguments, e.g. {"ip": "10.1.2.42"}',
    ),
]

TALKERS = 10
MAX_EXPORTERS_SHOWN = 20


# -- answers -----------------------------------------------------------------------------------------
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
    packets: int
    bytes_client_to_server: int
    bytes_server_to_client: int
    throughput_bps: float
    first_seen: str = ""
    last_seen: str = ""


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


class FlowsSummaryAnswer(BaseModel):
    """Active flows broken down by application, L4 protocol and server port."""

    total_flows: int
    total_bytes: int
    applications: list[NamedItem]
    l4_protocols: list[NamedItem]
    server_ports: list[NamedItem]
    truncated: bool
    summary: str


class CountryItem(BaseModel):
    """Traffic of one country."""

    country: str
    hosts: int
    bytes_sent: int
    bytes_received: int
    flows: int
    throughput_bps: float


class CountryStatsAnswer(BaseModel):
    """Countries ranked by traffic."""

    countries: list[CountryItem]
    truncated: bool
    summary: str


class MacAnswer(BaseModel):
    """One MAC address: manufacturer, device type, host pool and traffic."""

    mac: str
    vendor: str
    locally_administered: bool
    seen: bool
    device_type: str = ""
    host_pool: int = 0
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


def _monitor_outcome(reply: Any) -> str:
    return "created" if reply.created else ("updated" if reply.updated else "already existed")


class MonitorWriteAnswer(WriteStatus):
    """A monitoring write: a preview awaiting confirmation (monitor, created and updated as they would be),
    or what was done."""

    monitor: MonitorItem | None = None
    created: bool = False
    updated: bool = False


# -- helpers -----------------------------------------------------------------------------------------
def human_bps(bps: float) -> str:
    """1_500_000 → '1.5 Mbit/s'."""
    for unit in ("bit/s", "kbit/s", "Mbit/s", "Gbit/s"):
        if abs(bps) < 1000:
            return f"{bps:.1f} {unit}"
        bps /= 1000
    return f"{bps:.1f} Tbit/s"


def _iso(ts: Timestamp) -> str:
    return ts.ToDatetime(tzinfo=UTC).isoformat() if ts.seconds or ts.nanos else ""


def content_arguments(tool: str, content: str, model: type[BaseModel], given: dict[str, Any]) -> BaseModel:
    """The tool's arguments: `given`, with the keys of the JSON object in `content` filling them, validated."""
    merged = {k: v for k, v in given.items() if v != ""}
    if content.strip():
        try:
            parsed = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ToolError(
                f"{tool}: content is not valid JSON ({exc.msg} at character {exc.pos}); "
                f"send a JSON object such as {_example(model)}"
            ) from None
        if not isinstance(parsed, dict):
            raise ToolError(f"{tool}: content must be a JSON object such as {_example(model)}")
        allowed = _keys(model)
        unknown = sorted(set(parsed) - allowed)
        if unknown:
            raise ToolError(
                f"{tool}: unknown key(s) {', '.join(unknown)} in content; allowed: {', '.join(sorted(allowed))}"
            )
        merged.update(parsed)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ToolError(f"{tool}: invalid arguments: {problems}") from None


def _keys(model: type[BaseModel]) -> set[str]:
    keys = set(model.model_fields)
    for field in model.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            keys.update(a for a in field.validation_alias.choices if isinstance(a, str))
    return keys


def _example(model: type[BaseModel]) -> str:
    return json.dumps({name: "..." for name in list(model.model_fields)[:2]})


class HostArgs(BaseModel):
    """Arguments of get_host_info (`host` is accepted for `ip`, as ntopng names it)."""

    ip: Annotated[str, Field(min_length=1, max_length=64, validation_alias=AliasChoices("ip", "host"))]
    ifid: Ifid = 0


class HostFlowsArgs(BaseModel):
    """Arguments of get_live_flows_for_host (`host` is accepted for `ip`)."""

    ip: Annotated[str, Field(min_length=1, max_length=64, validation_alias=AliasChoices("ip", "host"))]
    limit: FlowLimit = 20
    ifid: Ifid = 0


class SummaryArgs(BaseModel):
    """Arguments of get_live_flows_summary."""

    host: Annotated[str, Field(max_length=64, description="only flows of this IP (empty = all)")] = ""
    limit: TopN = 10
    ifid: Ifid = 0


class CountryArgs(BaseModel):
    """Arguments of get_country_stats."""

    limit: TopN = 10
    ifid: Ifid = 0


class MacArgs(BaseModel):
    """Arguments of get_mac_info."""

    mac: Annotated[str, Field(min_length=1, max_length=64, description="MAC address, e.g. 00:1b:63:84:45:e6")]
    ifid: Ifid = 0


def _brief(h: pb.Host) -> HostBrief:
    return HostBrief(
        ip=h.ip,
        name=h.name,
        country=h.country,
        is_local=h.is_local,
        bytes_sent=h.bytes_sent,
        bytes_received=h.bytes_received,
        bytes_total=h.bytes_sent + h.bytes_received,
        throughput_bps=round(h.throughput_bps, 1),
        active_flows=h.active_flows,
        mac=h.mac,
    )


def _flow(f: pb.LiveFlow) -> FlowItem:
    return FlowItem(
        client_ip=f.client_ip,
        client_port=f.client_port,
        server_ip=f.server_ip,
        server_port=f.server_port,
        l4_proto=f.l4_proto,
        l7_proto=f.l7_proto,
        bytes=f.bytes,
        packets=f.packets,
        bytes_client_to_server=f.bytes_client_to_server,
        bytes_server_to_client=f.bytes_server_to_client,
        throughput_bps=round(f.throughput_bps, 1),
        first_seen=_iso(f.first_seen),
        last_seen=_iso(f.last_seen),
    )


def _flows_answer(reply: pb.ListFlowsResponse, what: str) -> FlowsAnswer:
    flows = [_flow(f) for f in reply.flows]
    shown = sum(f.bytes for f in flows)
    top = (
        f"; largest {flows[0].client_ip} → {flows[0].server_ip}:{flows[0].server_port} {flows[0].l7_proto}"
        if flows
        else ""
    )
    return FlowsAnswer(
        flows=flows,
        total=reply.total,
        next_page_token=reply.next_page_token,
        summary=f"{len(flows)} of {reply.total} active flows {what}, {human_bytes(shown)} shown{top}",
    )


def _monitor(m: pb.Monitor) -> MonitorItem:
    last = None
    if m.HasField("last_result"):
        r = m.last_result
        last = MonitorResultItem(
            time=_iso(r.time),
            ok=r.ok,
            latency_ms=round(r.latency_ms, 2),
            status_code=r.status_code,
            error=r.error,
            threshold_exceeded=r.threshold_exceeded,
        )
    return MonitorItem(
        id=m.id,
        kind=m.kind,
        host=m.host,
        port=m.port,
        url=m.url,
        interval_seconds=m.interval_seconds,
        threshold_ms=m.threshold_ms,
        runs=m.runs,
        failures=m.failures,
        last_result=last,
    )


def _monitor_line(m: MonitorItem) -> str:
    r = m.last_result
    state = "not measured yet" if r is None else (f"ok {r.latency_ms:.1f} ms" if r.ok else f"FAILING: {r.error}")
    return f"{m.id} every {m.interval_seconds} s: {state}"


class AddMonitorArgs(BaseModel):
    """Arguments of add_active_monitoring_script."""

    kind: Literal["tcp_connect", "http", "https"]
    host: Annotated[str, Field(max_length=253)] = ""
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    url: Annotated[str, Field(max_length=2048)] = ""
    interval_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    threshold_ms: Annotated[int, Field(ge=0, le=600_000)] = 0
    confirm_id: Annotated[str, Field(max_length=64)] = ""


def _named(items: Any) -> list[NamedItem]:
    return [NamedItem(name=n.name, flows=n.flows, bytes=n.bytes) for n in items]


# -- tools -------------------------------------------------------------------------------------------
def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add the live tools."""

    async def fetch_ntopng_all_ifids(ctx: Context) -> InterfacesAnswer:
        reply = await backends.call(contracts.live.ListInterfaces, pb.ListInterfacesRequest())
        items = [
            InterfaceItem(ifid=i.ifid, name=i.name, description=i.description, source=i.source)
            for i in reply.interfaces
        ]
        names = ", ".join(f"{i.ifid}={i.name}" for i in items)
        return InterfacesAnswer(interfaces=items, summary=f"{len(items)} interface(s): {names}")

    async def get_ntopng_hosts_location(
        ctx: Context,
        ifid: Ifid = 0,
        limit: Annotated[int, Field(ge=1, le=1000, description="hosts to return, busiest first")] = 100,
    ) -> HostsLocationAnswer:
        reply = await backends.call(contracts.live.HostsLocation, pb.HostsLocationRequest(ifid=ifid, limit=limit))
        hosts = [
            HostLocationItem(
                ip=h.ip, country=h.country, country_name=h.country_name, is_local=h.is_local, bytes=h.bytes
            )
            for h in reply.hosts
        ]
        countries = sorted({h.country for h in hosts if h.country})
        return HostsLocationAnswer(
            ifid=ifid,
            hosts=hosts,
            truncated=reply.truncated,
            summary=f"{len(hosts)} host(s){' (more not shown)' if reply.truncated else ''} in "
            f"{len(countries)} countr{'y' if len(countries) == 1 else 'ies'}: {', '.join(countries[:20])}",
        )

    async def talkers(ctx: Context, ifid: int, locality: Literal["local", "remote"]) -> TalkersAnswer:
        request = pb.ListHostsRequest(
            ifid=ifid,
            locality=pb.HOST_LOCALITY_LOCAL if locality == "local" else pb.HOST_LOCALITY_REMOTE,
            sort=pb.HOST_SORT_BYTES,
        )
        request.page.page_size = TALKERS
        reply = await backends.call(contracts.live.ListHosts, request)
        hosts = [_brief(h) for h in reply.hosts]
        top = ", ".join(f"{h.ip} {human_bytes(h.bytes_total)}" for h in hosts[:3])
        return TalkersAnswer(
            ifid=ifid,
            locality=locality,
            hosts=hosts,
            total_hosts=reply.total,
            summary=f"top {len(hosts)} of {reply.total} active {locality} hosts by bytes: {top}",
        )

    async def fetch_ntopng_top_local_talkers(ctx: Context, ifid: Ifid = 0) -> TalkersAnswer:
        return await talkers(ctx, ifid, "local")

    async def fetch_ntopng_top_remote_talkers(ctx: Context, ifid: Ifid = 0) -> TalkersAnswer:
        return await talkers(ctx, ifid, "remote")

    async def get_host_info(
        ctx: Context,
        ip: Annotated[str, Field(max_length=64, description="host IP")] = "",
        ifid: Ifid = 0,
        content: Content = "",
    ) -> HostAnswer:
        args = content_arguments("get_host_info", content, HostArgs, {"ip": ip, "ifid": ifid})
        assert isinstance(args, HostArgs)
        h = await backends.call(contracts.live.GetHost, pb.GetHostRequest(ifid=args.ifid, ip=args.ip))
        brief = _brief(h)
        apps = ", ".join(a.name for a in h.applications[:3]) or "none"
        return HostAnswer(
            **brief.model_dump(),
            mac_vendor=h.mac_vendor,
            vlan=h.vlan,
            score=h.score,
            packets_sent=h.packets_sent,
            packets_received=h.packets_received,
            active_flows_as_client=h.active_flows_as_client,
            active_flows_as_server=h.active_flows_as_server,
            first_seen=_iso(h.first_seen),
            last_seen=_iso(h.last_seen),
            applications=[
                ApplicationItem(
                    name=a.name,
                    category=a.category,
                    bytes_sent=a.bytes_sent,
                    bytes_received=a.bytes_received,
                    flows=a.flows,
                )
                for a in h.applications
            ],
            peers=[PeerItem(ip=p.ip, bytes=p.bytes) for p in h.peers],
            server_ports=[ServerPortItem(l4_proto=s.l4_proto, port=s.port, flows=s.flows) for s in h.server_ports],
            summary=(
                f"{h.ip} ({'local' if h.is_local else 'remote'}{', ' + h.country if h.country else ''}): "
                f"sent {human_bytes(h.bytes_sent)}, received {human_bytes(h.bytes_received)}, "
                f"{human_bps(h.throughput_bps)}, {h.active_flows} active flows, "
                f"{len(h.peers)} peers; top applications: {apps}"
            ),
        )

    async def get_live_flows_for_host(
        ctx: Context,
        ip: Annotated[str, Field(max_length=64, description="host IP (client or server)")] = "",
        limit: FlowLimit = 20,
        ifid: Ifid = 0,
        content: Content = "",
    ) -> FlowsAnswer:
        args = content_arguments(
            "get_live_flows_for_host", content, HostFlowsArgs, {"ip": ip, "limit": limit, "ifid": ifid}
        )
        assert isinstance(args, HostFlowsArgs)
        request = pb.ListFlowsRequest(ifid=args.ifid, host=args.ip, sort=pb.FLOW_SORT_BYTES)
        request.page.page_size = args.limit
        reply = await backends.call(contracts.live.ListFlows, request)
        return _flows_answer(reply, f"of {args.ip}")

    async def get_live_flows(
        ctx: Context,
        host: Annotated[str, Field(max_length=64, description="only flows of this IP (empty = any)")] = "",
        l7_proto: Annotated[str, Field(max_length=64, description="nDPI application, e.g. TLS, DNS")] = "",
        l4_proto: Annotated[str, Field(max_length=16, description="TCP, UDP, ICMP, ...")] = "",
        port: Annotated[int, Field(ge=0, le=65535, description="either port (0 = any)")] = 0,
        sort: Literal["bytes", "throughput", "last_seen"] = "bytes",
        limit: FlowLimit = 20,
        page_token: Annotated[str, Field(max_length=512)] = "",
        ifid: Ifid = 0,
    ) -> FlowsAnswer:
        sorts = {
            "bytes": pb.FLOW_SORT_BYTES,
            "throughput": pb.FLOW_SORT_THROUGHPUT,
            "last_seen": pb.FLOW_SORT_LAST_SEEN,
        }
        request = pb.ListFlowsRequest(
            ifid=ifid, host=host, l7_proto=l7_proto, l4_proto=l4_proto, port=port, sort=sorts[sort]
        )
        request.page.page_size = limit
        request.page.page_token = page_token
        reply = await backends.call(contracts.live.ListFlows, request)
        filters = ", ".join(
            f"{k}={v}" for k, v in (("host", host), ("l7", l7_proto), ("l4", l4_proto), ("port", port)) if v
        )
        return _flows_answer(reply, f"matching {filters}" if filters else "by " + sort)

    async def get_live_flows_summary(
        ctx: Context,
        host: Annotated[str, Field(max_length=64, description="only flows of this IP (empty = all)")] = "",
        limit: TopN = 10,
        ifid: Ifid = 0,
        content: Content = "",
    ) -> FlowsSummaryAnswer:
        args = content_arguments(
            "get_live_flows_summary", content, SummaryArgs, {"host": host, "limit": limit, "ifid": ifid}
        )
        assert isinstance(args, SummaryArgs)
        reply = await backends.call(
            contracts.live.FlowsSummary, pb.FlowsSummaryRequest(ifid=args.ifid, host=args.host, limit=args.limit)
        )
        apps = ", ".join(f"{a.name} {human_bytes(a.bytes)}" for a in reply.applications[:3])
        return FlowsSummaryAnswer(
            total_flows=reply.total_flows,
            total_bytes=reply.total_bytes,
            applications=_named(reply.applications),
            l4_protocols=_named(reply.l4_protocols),
            server_ports=_named(reply.server_ports),
            truncated=reply.truncated,
            summary=f"{reply.total_flows} active flows{' of ' + args.host if args.host else ''}, "
            f"{human_bytes(reply.total_bytes)}; top applications: {apps or 'none'}",
        )

    async def get_country_stats(
        ctx: Context, limit: TopN = 10, ifid: Ifid = 0, content: Content = ""
    ) -> CountryStatsAnswer:
        args = content_arguments("get_country_stats", content, CountryArgs, {"limit": limit, "ifid": ifid})
        assert isinstance(args, CountryArgs)
        reply = await backends.call(
            contracts.live.CountryStats, pb.CountryStatsRequest(ifid=args.ifid, limit=args.limit)
        )
        countries = [
            CountryItem(
                country=c.country,
                hosts=c.hosts,
                bytes_sent=c.bytes_sent,
                bytes_received=c.bytes_received,
                flows=c.flows,
                throughput_bps=round(c.throughput_bps, 1),
            )
            for c in reply.countries
        ]
        top = ", ".join(f"{c.country} {human_bytes(c.bytes_sent + c.bytes_received)}" for c in countries[:5])
        return CountryStatsAnswer(
            countries=countries,
            truncated=reply.truncated,
            summary=f"top {len(countries)} countries by traffic: {top or 'none'}",
        )

    async def get_mac_info(
        ctx: Context,
        mac: Annotated[str, Field(max_length=64, description="MAC address, e.g. 00:1b:63:84:45:e6")] = "",
        ifid: Ifid = 0,
        content: Content = "",
    ) -> MacAnswer:
        args = content_arguments("get_mac_info", content, MacArgs, {"mac": mac, "ifid": ifid})
        assert isinstance(args, MacArgs)
        m = await backends.call(contracts.live.MacInfo, pb.MacInfoRequest(ifid=args.ifid, mac=args.mac))
        seen = (
            f"seen with {len(m.ips)} IP(s), sent {human_bytes(m.bytes_sent)}, received {human_bytes(m.bytes_received)}"
            if m.seen
            else "not seen in live traffic"
        )
        return MacAnswer(
            mac=m.mac,
            vendor=m.vendor,
            locally_administered=m.locally_administered,
            seen=m.seen,
            device_type=m.device_type,
            host_pool=m.host_pool,
            ips=list(m.ips)[:64],
            bytes_sent=m.bytes_sent,
            bytes_received=m.bytes_received,
            first_seen=_iso(m.first_seen),
            last_seen=_iso(m.last_seen),
            summary=f"{m.mac}: {m.vendor or 'unregistered vendor'}"
            f"{' (locally administered)' if m.locally_administered else ''}; {seen}",
        )

    async def get_collector_stats(ctx: Context) -> CollectorAnswer:
        s = await backends.call(contracts.live.CollectorStats, pb.CollectorStatsRequest())
        exporters = [
            ExporterItem(
                exporter=e.exporter,
                versions=list(e.versions),
                packets=e.packets,
                records=e.records,
                templates=e.templates,
                malformed_packets=e.malformed_packets,
                truncated_packets=e.truncated_packets,
                sets_without_template=e.sets_without_template,
                lost_records=e.lost_records,
                lost_packets=e.lost_packets,
                sampling_rate=e.sampling_rate,
                last_seen=_iso(e.last_seen),
            )
            for e in s.exporters[:MAX_EXPORTERS_SHOWN]
        ]
        records = sum(e.records for e in s.exporters)
        lost = sum(e.lost_records for e in s.exporters)
        return CollectorAnswer(
            listen_address=s.listen_address,
            datagrams=s.datagrams,
            socket_errors=s.socket_errors,
            active_flows=s.active_flows,
            active_hosts=s.active_hosts,
            flows_created=s.flows_created,
            flows_expired=s.flows_expired,
            flows_dropped_table_full=s.flows_dropped_table_full,
            ingest_queued=s.ingest_queued,
            ingest_sent=s.ingest_sent,
            ingest_dropped_queue_full=s.ingest_dropped_queue_full,
            ingest_failed=s.ingest_failed,
            exporters=exporters,
            exporters_total=len(s.exporters),
            summary=f"{len(s.exporters)} exporter(s), {s.datagrams} datagrams, {records} records, {lost} records lost; "
            f"{s.active_flows} active flows, {s.active_hosts} hosts; ingest sent {s.ingest_sent}, "
            f"dropped {s.ingest_dropped_queue_full}, failed {s.ingest_failed}",
        )

    async def list_available_active_monitoring_scripts(ctx: Context) -> AvailableMonitorsAnswer:
        reply = await backends.call(contracts.live.ListAvailableMonitors, pb.ListAvailableMonitorsRequest())
        kinds = [
            MonitorKindItem(
                kind=k.kind,
                description=k.description,
                measurement=k.measurement,
                unit=k.unit,
                parameters=[
                    MonitorParameterItem(
                        name=p.name,
                        description=p.description,
                        required=p.required,
                        allowed=p.allowed,
                        default=p.default_value,
                    )
                    for p in k.parameters
                ],
            )
            for k in reply.kinds
        ]
        return AvailableMonitorsAnswer(
            kinds=kinds, summary=f"{len(kinds)} kinds: " + ", ".join(f"{k.kind} ({k.measurement})" for k in kinds)
        )

    async def list_enabled_active_monitoring_scripts(ctx: Context) -> EnabledMonitorsAnswer:
        reply = await backends.call(contracts.live.ListEnabledMonitors, pb.ListEnabledMonitorsRequest())
        monitors = [_monitor(m) for m in reply.monitors]
        failing = sum(1 for m in monitors if m.last_result and not m.last_result.ok)
        lines = "; ".join(_monitor_line(m) for m in monitors[:10])
        return EnabledMonitorsAnswer(
            monitors=monitors,
            summary=f"{len(monitors)} enabled, {failing} failing" + (f": {lines}" if lines else ""),
        )

    add_name = "add_active_monitoring_script"

    async def add_active_monitoring_script(
        ctx: Context,
        kind: Annotated[Literal["tcp_connect", "http", "https", ""], Field(description="monitor kind")] = "",
        host: Annotated[
            str, Field(max_length=253, description="host to probe (tcp_connect; or to build the URL)")
        ] = "",
        port: Annotated[int, Field(ge=0, le=65535, description="TCP port (required for tcp_connect)")] = 0,
        url: Annotated[str, Field(max_length=2048, description="URL to GET (http/https)")] = "",
        interval_seconds: Annotated[int, Field(ge=1, le=3600, description="seconds between measurements")] = 60,
        threshold_ms: Annotated[int, Field(ge=0, le=600_000, description="latency limit in ms (0 = none)")] = 0,
        confirm_id: Annotated[str, Field(max_length=64, description="id from the preview, to execute the write")] = "",
        content: Content = "",
    ) -> MonitorWriteAnswer:
        given = {
            "kind": kind,
            "host": host,
            "port": port,
            "url": url,
            "interval_seconds": interval_seconds,
            "threshold_ms": threshold_ms,
            "confirm_id": confirm_id,
        }
        args = content_arguments(add_name, content, AddMonitorArgs, given)
        assert isinstance(args, AddMonitorArgs)
        principal = caller_name()
        arguments = args.model_dump(exclude={"confirm_id"})
        check = None
        if not args.confirm_id:
            # The service validates and normalises the monitor without changing anything.
            check = await backends.call(
                contracts.live.AddMonitor, pb.AddMonitorRequest(**arguments, validate_only=True)
            )
        preview = f"{add_name} {arguments.get('host') or arguments.get('url')}"
        if check is not None:
            m = check.monitor
            effect = "create" if check.created else ("update" if check.updated else "keep (unchanged)")
            preview = f"{effect} monitor {m.id} ({m.kind} every {m.interval_seconds} s" + (
                f", threshold {m.threshold_ms} ms)" if m.threshold_ms else ")"
            )
        write = Write(add_name, principal, arguments, preview)
        as_checked = (
            {"monitor": _monitor(check.monitor), "created": check.created, "updated": check.updated} if check else {}
        )
        waiting = await write.gate(
            confirmations, ctx, args.confirm_id, MonitorWriteAnswer, same_arguments=True, **as_checked
        )
        if waiting is not None:
            return waiting
        reply = await write.execute(
            backends.call(contracts.live.AddMonitor, pb.AddMonitorRequest(**arguments)),
            _monitor_outcome,
        )
        outcome = _monitor_outcome(reply)
        return MonitorWriteAnswer(
            status="done",
            preview=f"monitor {reply.monitor.id}: {outcome}",
            monitor=_monitor(reply.monitor),
            created=reply.created,
            updated=reply.updated,
        )

    remove_name = "remove_active_monitoring_script"

    async def remove_active_monitoring_script(
        ctx: Context,
        monitor_id: Annotated[
            str, Field(min_length=1, max_length=2100, description="monitor id from the enabled list")
        ],
        confirm_id: Annotated[str, Field(max_length=64, description="id from the preview, to execute the write")] = "",
    ) -> MonitorWriteAnswer:
        arguments = {"monitor_id": monitor_id}
        write = Write(remove_name, caller_name(), arguments, f"disable the active monitor {monitor_id}")
        waiting = await write.gate(confirmations, ctx, confirm_id, MonitorWriteAnswer)
        if waiting is not None:
            return waiting
        request = pb.RemoveMonitorRequest(id=monitor_id)
        reply = await write.execute(
            backends.call(contracts.live.RemoveMonitor, request),
            lambda _: "removed",
        )
        return MonitorWriteAnswer(status="done", preview=f"{write.preview}: removed", monitor=_monitor(reply.monitor))

    compat = ("live", "ntopng-compat")
    content_note = " Also accepts ntopng MCP style `content`: a JSON object string with the same keys."
    catalog.register(
        fetch_ntopng_all_ifids,
        name="fetch_ntopng_all_ifids",
        description="List the monitored interfaces and their ifids (use the ifid in the other live tools).",
        toolsets=compat,
    )
    catalog.register(
        get_ntopng_hosts_location,
        name="get_ntopng_hosts_location",
        description="Country (offline geolocation) of the busiest active hosts of an interface.",
        toolsets=compat,
    )
    catalog.register(
        fetch_ntopng_top_local_talkers,
        name="fetch_ntopng_top_local_talkers",
        description=f"The top {TALKERS} active local hosts by bytes on an interface.",
        toolsets=compat,
    )
    catalog.register(
        fetch_ntopng_top_remote_talkers,
        name="fetch_ntopng_top_remote_talkers",
        description=f"The top {TALKERS} active remote hosts by bytes on an interface.",
        toolsets=compat,
    )
    catalog.register(
        get_host_info,
        name="get_host_info",
        description="Live statistics of an active host: bytes, throughput, active flows, applications, peers, "
        "server ports, MAC, country, first/last seen. NOT_FOUND when the host is not active (use `query` for "
        "history)." + content_note,
        toolsets=compat,
    )
    catalog.register(
        get_live_flows_for_host,
        name="get_live_flows_for_host",
        description="Active flows where an IP is client or server, largest first." + content_note,
        toolsets=compat,
    )
    catalog.register(
        get_live_flows,
        name="get_live_flows",
        description="Active flows filtered by host, nDPI application, L4 protocol and port; sorted by bytes, "
        "throughput or last seen; paginated with page_token.",
        toolsets=("live",),
    )
    catalog.register(
        get_live_flows_summary,
        name="get_live_flows_summary",
        description="Active flows aggregated by application, L4 protocol and server port (optionally of one host)."
        + content_note,
        toolsets=compat,
    )
    catalog.register(
        get_country_stats,
        name="get_country_stats",
        description="Top-N countries ranked by live traffic (hosts, bytes, flows, throughput)." + content_note,
        toolsets=compat,
    )
    catalog.register(
        get_mac_info,
        name="get_mac_info",
        description="Details of a MAC address: manufacturer (offline IEEE OUI table), device type, host pool, "
        "IPs and traffic seen." + content_note,
        toolsets=compat,
    )
    catalog.register(
        get_collector_stats,
        name="get_collector_stats",
        description="Built-in NetFlow/IPFIX collector counters: datagrams, records, templates, malformed packets, "
        "sequence loss per exporter, flow table and ingest queue.",
        toolsets=("live", "admin"),
    )
    catalog.register(
        list_available_active_monitoring_scripts,
        name="list_available_active_monitoring_scripts",
        description="The active monitoring script kinds (tcp_connect, http, https) with their parameters.",
        toolsets=("live",),
    )
    catalog.register(
        list_enabled_active_monitoring_scripts,
        name="list_enabled_active_monitoring_scripts",
        description="The enabled active monitors with their last measurement (latency, status, error) and counts.",
        toolsets=("live",),
    )
    catalog.register(
        add_active_monitoring_script,
        name=add_name,
        description=(
            "Enable an active monitor for a host (write; needs role write): tcp_connect (host, port) or "
            "http/https (url, or host and port); interval_seconds 1-3600, threshold_ms latency limit. The first "
            "call returns a preview and a confirm_id; call again with the same arguments and confirm_id to apply "
            "it. Idempotent: the same kind and target updates the existing monitor." + content_note
        ),
        toolsets=("live",),
        role=Role.WRITE,
        writes=True,
    )
    catalog.register(
        remove_active_monitoring_script,
        name=remove_name,
        description=(
            "Disable an active monitor by its id (write; needs role write). The first call returns a preview and a "
            "confirm_id; call again with the same monitor_id and confirm_id to apply it."
        ),
        toolsets=("live",),
        role=Role.WRITE,
        writes=True,
        destructive=True,
    )
