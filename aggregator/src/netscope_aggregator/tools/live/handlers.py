"""The live read tools: interfaces, hosts, flows, countries, MACs, the collector and the monitors in force."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from netscope.live.v1 import live_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.render import human_bps, human_bytes, iso_time
from netscope_aggregator.tools.live import ntopng_flows
from netscope_aggregator.tools.live.answers import (
    ApplicationItem,
    CountryStatsAnswer,
    EnabledMonitorsAnswer,
    FlowsAnswer,
    FlowsSummaryAnswer,
    HostAnswer,
    HostLocationItem,
    HostsLocationAnswer,
    MacAnswer,
    PeerItem,
    ServerPortItem,
    TalkersAnswer,
)
from netscope_aggregator.tools.live.arguments import (
    AlertedOnly,
    CountryArgs,
    FlowLimit,
    GroupBy,
    HostArgs,
    HostFlowsArgs,
    Ifid,
    MacArgs,
    MaxFlows,
    Role,
    SummaryArgs,
    TopN,
    Vlan,
)
from netscope_aggregator.tools.live.ntopng_flows import Selection, split_vlan
from netscope_aggregator.tools.live.render import brief, country_item, enabled_monitors_answer, flows_answer, named
from netscope_aggregator.tools.shared.content import Content, content_arguments

TALKERS = 10


class LiveReads:
    """The live read tools (each method is one tool; its signature is the tool's argument model)."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    async def get_ntopng_hosts_location(
        self,
        ctx: Context,
        ifid: Ifid = 0,
        limit: Annotated[int, Field(ge=1, le=1000, description="hosts to return, busiest first")] = 100,
    ) -> HostsLocationAnswer:
        reply = await self.backends.call(contracts.live.HostsLocation, pb.HostsLocationRequest(ifid=ifid, limit=limit))
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

    async def talkers(self, ctx: Context, ifid: int, locality: Literal["local", "remote"]) -> TalkersAnswer:
        request = pb.ListHostsRequest(
            ifid=ifid,
            locality=pb.HOST_LOCALITY_LOCAL if locality == "local" else pb.HOST_LOCALITY_REMOTE,
            sort=pb.HOST_SORT_BYTES,
        )
        request.page.page_size = TALKERS
        reply = await self.backends.call(contracts.live.ListHosts, request)
        hosts = [brief(h) for h in reply.hosts]
        top = ", ".join(f"{h.ip} {human_bytes(h.bytes_total)}" for h in hosts[:3])
        return TalkersAnswer(
            ifid=ifid,
            locality=locality,
            hosts=hosts,
            total_hosts=reply.total,
            summary=f"top {len(hosts)} of {reply.total} active {locality} hosts by bytes: {top}",
        )

    async def fetch_ntopng_top_local_talkers(self, ctx: Context, ifid: Ifid = 0) -> TalkersAnswer:
        return await self.talkers(ctx, ifid, "local")

    async def fetch_ntopng_top_remote_talkers(self, ctx: Context, ifid: Ifid = 0) -> TalkersAnswer:
        return await self.talkers(ctx, ifid, "remote")

    async def get_host_info(
        self,
        ctx: Context,
        ip: Annotated[str, Field(max_length=64, description="host IP ('ip@vlan' selects a VLAN)")] = "",
        vlan: Vlan = 0,
        ifid: Ifid = 0,
        content: Content = "",
    ) -> HostAnswer:
        args = content_arguments("get_host_info", content, HostArgs, {"ip": ip, "vlan": vlan, "ifid": ifid})
        assert isinstance(args, HostArgs)
        host, vlan = split_vlan(args.ip, args.vlan)
        h = await self.backends.call(contracts.live.GetHost, pb.GetHostRequest(ifid=args.ifid, ip=host, vlan=vlan))
        common = brief(h)
        apps = ", ".join(a.name for a in h.applications[:3]) or "none"
        return HostAnswer(
            **common.model_dump(),
            mac_vendor=h.mac_vendor,
            vlan=h.vlan,
            score=h.score,
            packets_sent=h.packets_sent,
            packets_received=h.packets_received,
            active_flows_as_client=h.active_flows_as_client,
            active_flows_as_server=h.active_flows_as_server,
            first_seen=iso_time(h.first_seen),
            last_seen=iso_time(h.last_seen),
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
        self,
        ctx: Context,
        ip: Annotated[str, Field(max_length=64, description="host IP (client or server; 'ip@vlan' too)")] = "",
        limit: FlowLimit = 20,
        max_flows: Annotated[int, Field(ge=0, le=1000, description="ntopng's name for limit (0 = use limit)")] = 0,
        vlan: Vlan = 0,
        role: Role = "any",
        alerted_only: AlertedOnly = False,
        ifid: Ifid = 0,
        content: Content = "",
    ) -> FlowsAnswer:
        given = {"ip": ip, "limit": max_flows or limit, "vlan": vlan, "role": role, "alerted_only": alerted_only}
        args = content_arguments("get_live_flows_for_host", content, HostFlowsArgs, {**given, "ifid": ifid})
        assert isinstance(args, HostFlowsArgs)
        host, vlan = split_vlan(args.ip, args.vlan)
        if args.role == "any" and not args.alerted_only and not vlan:
            request = pb.ListFlowsRequest(ifid=args.ifid, host=host, sort=pb.FLOW_SORT_BYTES)
            request.page.page_size = args.limit
            return flows_answer(await self.backends.call(contracts.live.ListFlows, request), f"of {host}")
        selection = Selection(args.ifid, host, vlan, args.role, args.alerted_only, ntopng_flows.READ_FOR_FILTER)
        flows, read, alerted = await ntopng_flows.select(self.backends, selection)
        return ntopng_flows.selected_answer(flows[: args.limit], len(flows), read, selection, alerted)

    async def get_live_flows(
        self,
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
        reply = await self.backends.call(contracts.live.ListFlows, request)
        filters = ", ".join(
            f"{k}={v}" for k, v in (("host", host), ("l7", l7_proto), ("l4", l4_proto), ("port", port)) if v
        )
        return flows_answer(reply, f"matching {filters}" if filters else "by " + sort)

    async def get_live_flows_summary(
        self,
        ctx: Context,
        host: Annotated[str, Field(max_length=64, description="only flows of this IP (empty = all)")] = "",
        limit: TopN = 10,
        vlan: Vlan = 0,
        role: Role = "any",
        group_by: GroupBy = "",
        alerted_only: AlertedOnly = False,
        max_flows: MaxFlows = 500,
        ifid: Ifid = 0,
        content: Content = "",
    ) -> FlowsSummaryAnswer:
        given = {"host": host, "limit": limit, "vlan": vlan, "role": role, "group_by": group_by}
        given |= {"alerted_only": alerted_only, "max_flows": max_flows, "ifid": ifid}
        args = content_arguments("get_live_flows_summary", content, SummaryArgs, given)
        assert isinstance(args, SummaryArgs)
        host, vlan = split_vlan(args.host, args.vlan)
        if args.group_by or args.alerted_only or vlan or args.role != "any":
            selection = Selection(args.ifid, host, vlan, args.role, args.alerted_only, args.max_flows)
            return await ntopng_flows.summary(self.backends, selection, args.group_by or "country", args.limit)
        reply = await self.backends.call(
            contracts.live.FlowsSummary, pb.FlowsSummaryRequest(ifid=args.ifid, host=args.host, limit=args.limit)
        )
        apps = ", ".join(f"{a.name} {human_bytes(a.bytes)}" for a in reply.applications[:3])
        return FlowsSummaryAnswer(
            total_flows=reply.total_flows,
            total_bytes=reply.total_bytes,
            applications=named(reply.applications),
            l4_protocols=named(reply.l4_protocols),
            server_ports=named(reply.server_ports),
            truncated=reply.truncated,
            flows_examined=reply.flows_examined,
            summary=f"{reply.total_flows} active flows{' of ' + args.host if args.host else ''}, "
            f"{human_bytes(reply.total_bytes)}"
            + (f" in the {reply.flows_examined} examined" if reply.flows_examined < reply.total_flows else "")
            + f"; top applications: {apps or 'none'}",
        )

    async def get_country_stats(
        self,
        ctx: Context,
        limit: TopN = 10,
        sort_by: Annotated[
            Literal["bytes", "hosts", "score"], Field(description="rank by bytes, hosts or summed host score")
        ] = "bytes",
        ifid: Ifid = 0,
        content: Content = "",
    ) -> CountryStatsAnswer:
        given = {"limit": limit, "sort_by": sort_by, "ifid": ifid}
        args = content_arguments("get_country_stats", content, CountryArgs, given)
        assert isinstance(args, CountryArgs)
        if args.sort_by != "bytes":
            return await ntopng_flows.countries_ranked(self.backends, args.ifid, args.sort_by, args.limit)
        reply = await self.backends.call(
            contracts.live.CountryStats, pb.CountryStatsRequest(ifid=args.ifid, limit=args.limit)
        )
        countries = [country_item(c) for c in reply.countries]
        top = ", ".join(f"{c.country} {human_bytes(c.bytes_sent + c.bytes_received)}" for c in countries[:5])
        return CountryStatsAnswer(
            countries=countries,
            truncated=reply.truncated,
            hosts_examined=reply.hosts_examined,
            summary=f"top {len(countries)} countries by traffic over {reply.hosts_examined} hosts: {top or 'none'}",
        )

    async def get_mac_info(
        self,
        ctx: Context,
        mac: Annotated[str, Field(max_length=64, description="MAC address, e.g. 00:1b:63:84:45:e6")] = "",
        ifid: Ifid = 0,
        content: Content = "",
    ) -> MacAnswer:
        args = content_arguments("get_mac_info", content, MacArgs, {"mac": mac, "ifid": ifid})
        assert isinstance(args, MacArgs)
        m = await self.backends.call(contracts.live.MacInfo, pb.MacInfoRequest(ifid=args.ifid, mac=args.mac))
        seen = (
            f"seen with {m.hosts or len(m.ips)} host(s){' (more not read)' if m.truncated else ''}, "
            f"sent {human_bytes(m.bytes_sent)}, received {human_bytes(m.bytes_received)}"
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
            hosts=m.hosts or len(m.ips),
            truncated=m.truncated,
            ips=list(m.ips)[:100],
            bytes_sent=m.bytes_sent,
            bytes_received=m.bytes_received,
            first_seen=iso_time(m.first_seen),
            last_seen=iso_time(m.last_seen),
            summary=f"{m.mac}: {m.vendor or 'unregistered vendor'}"
            f"{' (locally administered)' if m.locally_administered else ''}; {seen}",
        )

    async def list_enabled_active_monitoring_scripts(
        self,
        ctx: Context,
        measurement: Annotated[
            Literal["", "tcp_connect", "http", "https", "icmp", "cicmp"],
            Field(description="only monitors of this kind ('http' includes https, as in ntopng)"),
        ] = "",
        ifid: Annotated[int, Field(ge=0, le=65535, description="accepted; monitors are not per interface")] = 0,
    ) -> EnabledMonitorsAnswer:
        reply = await self.backends.call(contracts.live.ListEnabledMonitors, pb.ListEnabledMonitorsRequest())
        kinds = {"http": ("http", "https")}.get(measurement, (measurement,))
        kept = [m for m in reply.monitors if not measurement or m.kind in kinds]
        return enabled_monitors_answer(pb.ListEnabledMonitorsResponse(monitors=kept))
