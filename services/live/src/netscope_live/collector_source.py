"""LiveService answers from the built-in collector's live table (ifid 0 = everything it receives)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from itertools import islice
from operator import itemgetter
from typing import TypeVar

from netscope.live.v1 import live_pb2 as pb
from netscope_common.errors import InvalidArgument, NotFound, Unavailable
from netscope_live.collector import Collector
from netscope_live.entries import FlowEntry, HostEntry, ServiceTraffic
from netscope_live.geo import LocalNetworks
from netscope_live.ingest import IngestExporter, IngestSink
from netscope_live.netflow.decoder import NetflowDecoder
from netscope_live.paging import bounded_limit, next_token, page_bounds
from netscope_live.protoutil import l4_name, timestamp, valid_ip
from netscope_live.settings import LiveSettings
from netscope_live.table import FlowTable, TableConfig
from netscope_live.vendor import is_locally_administered, normalise_mac
from netscope_ntopng.applications import category_name

COLLECTOR_IFID = 0
DETAIL_CAP = 50
T = TypeVar("T")


def _top(items: Iterable[T], n: int, key: Callable[[T], float]) -> list[T]:
    return heapq.nlargest(n, items, key=key)


class CollectorSource:
    """The built-in NetFlow v5/v9/IPFIX collector, its live table and the ingest exporter."""

    name = "collector"

    def __init__(self, settings: LiveSettings, sink: IngestSink) -> None:
        self.settings = settings
        self.ingest = IngestExporter(
            sink,
            queue_size=settings.ingest_queue_size,
            batch_size=settings.ingest_batch_size,
            flush_seconds=settings.ingest_flush_seconds,
        )
        self.table = FlowTable(
            TableConfig(
                active_timeout=settings.active_timeout_seconds,
                idle_timeout=settings.idle_timeout_seconds,
                host_idle_timeout=settings.host_idle_timeout_seconds,
                window_buckets=settings.window_buckets,
                bucket_seconds=settings.bucket_seconds,
                max_flows=settings.max_flows,
            ),
            local_networks=LocalNetworks(settings.local_networks),
            on_export=self.ingest.offer,
        )
        self.collector = Collector(NetflowDecoder(), self.table)

    @property
    def window_seconds(self) -> int:
        """Length of the throughput window."""
        return self.settings.window_buckets * self.settings.bucket_seconds

    async def start(self) -> None:
        """Load the lookup tables, bind the UDP socket and start the ingest task."""
        self.table.preload()
        self.ingest.start()
        await self.collector.start(self.settings.collector_host, self.settings.collector_port)

    async def stop(self) -> None:
        """Close the socket, flush live flows to ingest."""
        await self.collector.stop()
        await self.ingest.stop(self.settings.ingest_drain_seconds)

    async def health(self) -> None:
        """Serving while the UDP socket is open."""
        if not self.collector.running:
            raise Unavailable("the NetFlow/IPFIX collector socket is not open")

    def _interface(self, ifid: int) -> None:
        if ifid != COLLECTOR_IFID:
            raise NotFound(
                f"no interface with ifid {ifid}: the built-in collector has one interface, ifid 0", field="ifid"
            )

    # -- interfaces --------------------------------------------------------------------------------
    async def list_interfaces(self) -> pb.ListInterfacesResponse:
        """The collector's single interface."""
        address = self.collector.address or (self.settings.collector_host, self.settings.collector_port)
        return pb.ListInterfacesResponse(
            interfaces=[
                pb.NetworkInterface(
                    ifid=COLLECTOR_IFID,
                    name="collector",
                    description=f"NetFlow v5/v9/IPFIX collector on udp://{address[0]}:{address[1]}",
                    source=self.name,
                    local_networks=list(self.settings.local_networks),
                    addresses=[str(address[0])],
                )
            ]
        )

    async def interface_stats(self, req: pb.InterfaceStatsRequest) -> pb.InterfaceStatsResponse:
        """Totals, throughput and the busiest exporter interfaces."""
        self._interface(req.ifid)
        t = self.table
        now = t.clock()
        ifaces = _top(t.interfaces.values(), 100, lambda i: i.bytes_in + i.bytes_out)
        drops = sum(s.lost_records for s in self.collector.decoder.stats.values())
        return pb.InterfaceStatsResponse(
            ifid=COLLECTOR_IFID,
            name="collector",
            bytes=t.bytes,
            packets=t.packets,
            throughput_bps=t.total_rate.bps(now),
            num_hosts=len(t.hosts),
            num_local_hosts=sum(1 for h in t.hosts.values() if h.is_local),
            num_flows=len(t.flows),
            drops=drops + t.counters.flows_dropped_table_full,
            exporter_interfaces=[
                pb.ExporterInterface(
                    exporter=i.exporter,
                    if_index=i.if_index,
                    bytes_in=i.bytes_in,
                    bytes_out=i.bytes_out,
                    throughput_in_bps=i.rate_in.bps(now),
                    throughput_out_bps=i.rate_out.bps(now),
                )
                for i in ifaces
            ],
            truncated=len(t.interfaces) > len(ifaces),
            as_of=timestamp(now),
            source=self.name,
            window_seconds=self.window_seconds,
        )

    # -- hosts -------------------------------------------------------------------------------------
    def _host(self, h: HostEntry, now: float, *, details: bool = False) -> pb.Host:
        host = pb.Host(
            ip=h.ip,
            mac=h.mac,
            mac_vendor=self.table.vendors.vendor(h.mac) if h.mac else "",
            country=h.country,
            is_local=h.is_local,
            bytes_sent=h.bytes_sent,
            bytes_received=h.bytes_rcvd,
            packets_sent=h.packets_sent,
            packets_received=h.packets_rcvd,
            throughput_bps=self.table.host_bps(h, now),
            active_flows=h.active_flows,
            active_flows_as_client=h.active_as_client,
            active_flows_as_server=h.active_as_server,
            score=h.score,
            first_seen=timestamp(h.first_seen),
            last_seen=timestamp(h.last_seen),
        )
        if details:
            apps = _top(h.applications().items(), DETAIL_CAP, lambda kv: kv[1].bytes_sent + kv[1].bytes_rcvd)
            host.applications.extend(
                pb.ApplicationTraffic(
                    name=name,
                    category=category_name(name),
                    bytes_sent=c.bytes_sent,
                    bytes_received=c.bytes_rcvd,
                    flows=c.flows,
                )
                for name, c in apps
            )
            host.peers.extend(pb.Peer(ip=ip, bytes=n) for ip, n in _top(h.peers.items(), DETAIL_CAP, lambda kv: kv[1]))
            host.server_ports.extend(
                pb.ServerPort(l4_proto=l4_name(proto), port=port, flows=n)
                for (proto, port), n in _top(h.server_ports.items(), DETAIL_CAP, lambda kv: kv[1])
            )
        return host

    async def list_hosts(self, req: pb.ListHostsRequest) -> pb.ListHostsResponse:
        """Hosts, local or remote, largest first by bytes / throughput / active flows / score."""
        self._interface(req.ifid)
        offset, size = page_bounds(req.page)
        now = self.table.clock()
        hosts: Iterable[HostEntry] = self.table.hosts.values()
        if req.locality == pb.HOST_LOCALITY_LOCAL:
            hosts = [h for h in hosts if h.is_local]
        elif req.locality == pb.HOST_LOCALITY_REMOTE:
            hosts = [h for h in hosts if not h.is_local]
        else:
            hosts = list(hosts)
        total = len(hosts)
        if req.sort == pb.HOST_SORT_THROUGHPUT:
            page = self._busiest(req.locality, hosts, offset + size, now)[offset:]
        else:
            key: Callable[[HostEntry], float]
            if req.sort == pb.HOST_SORT_FLOWS:
                key = lambda h: h.active_as_client + h.active_as_server  # noqa: E731
            elif req.sort == pb.HOST_SORT_SCORE:
                key = lambda h: (h.score, h.bytes_sent + h.bytes_rcvd)  # type: ignore[assignment,return-value]  # noqa: E731
            else:
                key = lambda h: h.bytes_sent + h.bytes_rcvd  # noqa: E731
            page = _top(hosts, offset + size, key)[offset:]
        return pb.ListHostsResponse(
            hosts=[self._host(h, now) for h in page], next_page_token=next_token(offset, size, total), total=total
        )

    def _busiest(self, locality: int, hosts: list[HostEntry], n: int, now: float) -> list[HostEntry]:
        """The `n` hosts with the highest window throughput, from the window's own entries (only hosts
        with traffic inside it), then hosts without traffic in the window in table order."""
        t = self.table
        windows = []
        if locality != pb.HOST_LOCALITY_REMOTE:
            windows.append(t.local_rates.totals(now))
        if locality != pb.HOST_LOCALITY_LOCAL:
            windows.append(t.remote_rates.totals(now))
        ranked = heapq.nlargest(n, (kv for w in windows for kv in w.items() if kv[1] > 0), key=itemgetter(1))
        table_hosts = t.hosts
        page = [table_hosts[ip] for ip, _ in ranked if ip in table_hosts]
        if len(page) < n:
            busy = {h.ip for h in page}
            page += islice((h for h in hosts if h.ip not in busy and t.host_bps(h, now) == 0), n - len(page))
        return page

    async def get_host(self, req: pb.GetHostRequest) -> pb.Host:
        """One host with applications, peers and server ports."""
        self._interface(req.ifid)
        ip = valid_ip(req.ip)
        entry = self.table.hosts.get(ip)
        if entry is None:
            raise NotFound(
                f"host {ip} is not active on interface {req.ifid}: no flow to or from it in the live table "
                f"(hosts leave it {self.settings.host_idle_timeout_seconds:g} s after their last flow); "
                "fetch_ntopng_top_local_talkers / _remote_talkers (ListHosts) show the active hosts",
                field="ip",
            )
        return self._host(entry, self.table.clock(), details=True)

    # -- flows -------------------------------------------------------------------------------------
    def _matching_flows(self, host: str, l7: str, l4: str, port: int) -> list[FlowEntry]:
        flows: Iterable[FlowEntry] = self.table.host_flows(host) if host else self.table.flows.values()
        if l7:
            wanted = l7.lower()
            flows = (f for f in flows if f.application.lower() == wanted)
        if l4:
            wanted_l4 = l4.upper()
            flows = (f for f in flows if l4_name(f.protocol).upper() == wanted_l4)
        if port:
            flows = (f for f in flows if port in (f.client_port, f.server_port))
        return list(flows)

    @staticmethod
    def _flow(f: FlowEntry) -> pb.LiveFlow:
        return pb.LiveFlow(
            client_ip=f.client_ip,
            client_port=f.client_port,
            server_ip=f.server_ip,
            server_port=f.server_port,
            l4_proto=l4_name(f.protocol),
            l7_proto=f.application,
            bytes=f.bytes,
            packets=f.packets,
            throughput_bps=f.throughput_bps(),
            first_seen=timestamp(f.first_seen),
            last_seen=timestamp(f.last_seen),
            bytes_client_to_server=f.bytes_c2s,
            bytes_server_to_client=f.bytes_s2c,
            vlan=f.vlan,
            exporter=f.exporter,
        )

    async def list_flows(self, req: pb.ListFlowsRequest) -> pb.ListFlowsResponse:
        """Active flows, optionally of one host and filtered, largest / most recent first."""
        self._interface(req.ifid)
        offset, size = page_bounds(req.page)
        host = valid_ip(req.host, "host") if req.host else ""
        if req.port > 0xFFFF:
            raise InvalidArgument(f"port {req.port} is not a TCP/UDP port (0-65535)", field="port")
        flows = self._matching_flows(host, req.l7_proto.strip(), req.l4_proto.strip(), req.port)
        key: Callable[[FlowEntry], float]
        if req.sort == pb.FLOW_SORT_THROUGHPUT:
            key = FlowEntry.throughput_bps
        elif req.sort == pb.FLOW_SORT_LAST_SEEN:
            key = lambda f: f.last_seen  # noqa: E731
        else:
            key = lambda f: f.bytes  # noqa: E731
        page = _top(flows, offset + size, key)[offset:]
        return pb.ListFlowsResponse(
            flows=[self._flow(f) for f in page],
            next_page_token=next_token(offset, size, len(flows)),
            total=len(flows),
        )

    async def flows_summary(self, req: pb.FlowsSummaryRequest) -> pb.FlowsSummaryResponse:
        """Active flows by application, L4 protocol and server port."""
        self._interface(req.ifid)
        limit = bounded_limit(req.limit, 10, 100, "limit")
        host = valid_ip(req.host, "host") if req.host else ""
        services: Iterable[ServiceTraffic]
        if host:  # one host: its flows from the host index, grouped here
            grouped: dict[tuple[str, int, int], ServiceTraffic] = {}
            for f in self.table.host_flows(host):
                key = (f.application, f.protocol, f.server_port)
                s = grouped.get(key)
                if s is None:
                    s = grouped[key] = ServiceTraffic(*key)
                s.flows += 1
                s.bytes += f.bytes
            services = grouped.values()
        else:  # every flow: the table keeps these aggregates up to date as records arrive
            services = self.table.services.values()
        groups: dict[str, dict[str, list[int]]] = {"app": {}, "l4": {}, "port": {}}
        total_flows = total_bytes = 0
        for s in services:
            total_flows += s.flows
            total_bytes += s.bytes
            l4 = l4_name(s.protocol)
            for kind, name in (("app", s.application), ("l4", l4), ("port", f"{l4}/{s.server_port}")):
                counts = groups[kind].setdefault(name, [0, 0])
                counts[0] += s.flows
                counts[1] += s.bytes

        def named(kind: str) -> list[pb.NamedTraffic]:
            top = _top(groups[kind].items(), limit, lambda kv: kv[1][1])
            return [pb.NamedTraffic(name=name, flows=c[0], bytes=c[1]) for name, c in top]

        return pb.FlowsSummaryResponse(
            total_flows=total_flows,
            total_bytes=total_bytes,
            applications=named("app"),
            l4_protocols=named("l4"),
            server_ports=named("port"),
            truncated=any(len(g) > limit for g in groups.values()),
            flows_examined=total_flows,
        )

    # -- geography and MACs ------------------------------------------------------------------------
    async def country_stats(self, req: pb.CountryStatsRequest) -> pb.CountryStatsResponse:
        """Traffic per country of remote hosts (offline geolocation)."""
        self._interface(req.ifid)
        limit = bounded_limit(req.limit, 50, 300, "limit")
        now = self.table.clock()
        entries = [c for c in self.table.countries.values() if c.hosts > 0 or c.bytes_sent or c.bytes_rcvd]
        top = _top(entries, limit, lambda c: c.bytes_sent + c.bytes_rcvd)
        return pb.CountryStatsResponse(
            countries=[
                pb.CountryTraffic(
                    country=c.name,
                    hosts=max(0, c.hosts),
                    bytes_sent=c.bytes_sent,
                    bytes_received=c.bytes_rcvd,
                    flows=c.flows,
                    throughput_bps=c.rate.bps(now),
                )
                for c in top
            ],
            truncated=len(entries) > len(top),
            hosts_examined=len(self.table.hosts),
        )

    async def hosts_location(self, req: pb.HostsLocationRequest) -> pb.HostsLocationResponse:
        """Country of the busiest hosts."""
        self._interface(req.ifid)
        limit = bounded_limit(req.limit, 100, 1000, "limit")
        hosts = _top(self.table.hosts.values(), limit, lambda h: h.bytes_total)
        return pb.HostsLocationResponse(
            hosts=[
                pb.HostLocation(
                    ip=h.ip,
                    country=h.country,
                    country_name=self.table.geo.country_name(h.ip) if h.country else "",
                    is_local=h.is_local,
                    bytes=h.bytes_total,
                )
                for h in hosts
            ],
            truncated=len(self.table.hosts) > len(hosts),
        )

    async def mac_info(self, req: pb.MacInfoRequest) -> pb.MacInfoResponse:
        """Vendor (offline OUI table) and the traffic seen from/to a MAC."""
        self._interface(req.ifid)
        mac = _mac(req.mac)
        entry = self.table.macs.get(mac)
        info = pb.MacInfoResponse(
            mac=mac,
            vendor=self.table.vendors.vendor(mac),
            locally_administered=is_locally_administered(mac),
            seen=entry is not None,
            device_type="unknown",
        )
        if entry is not None:
            info.ips.extend(sorted(entry.ips))
            info.hosts = len(entry.ips)
            info.bytes_sent = entry.bytes_sent
            info.bytes_received = entry.bytes_rcvd
            info.first_seen.CopyFrom(timestamp(entry.first_seen))
            info.last_seen.CopyFrom(timestamp(entry.last_seen))
        return info

    # -- collector ---------------------------------------------------------------------------------
    async def collector_stats(self, req: pb.CollectorStatsRequest) -> pb.CollectorStatsResponse:
        """Datagram, decoder, table and ingest counters, per exporter."""
        c = self.collector
        stats = _top(c.decoder.stats.values(), 1000, lambda s: s.packets)
        address = c.address or (self.settings.collector_host, self.settings.collector_port)
        t, ingest = self.table, self.ingest.counters
        return pb.CollectorStatsResponse(
            listen_address=f"udp://{address[0]}:{address[1]}",
            datagrams=c.counters.datagrams,
            socket_errors=c.counters.socket_errors,
            exporters=[
                pb.ExporterStats(
                    exporter=s.exporter,
                    packets=s.packets,
                    records=s.records,
                    templates=s.templates,
                    options_templates=s.options_templates,
                    template_refreshes=s.template_refreshes,
                    malformed_packets=s.malformed_packets,
                    truncated_packets=s.truncated_packets,
                    sets_without_template=s.sets_without_template,
                    lost_records=s.lost_records,
                    lost_packets=s.lost_packets,
                    sequence_resets=s.sequence_resets,
                    sampling_rate=s.sampling_rate,
                    versions=sorted(s.versions),
                    last_seen=timestamp(s.last_seen),
                    options_records=s.options_records,
                    skipped_records=s.skipped_records,
                )
                for s in stats
            ],
            active_flows=len(t.flows),
            active_hosts=len(t.hosts),
            flows_created=t.counters.flows_created,
            flows_expired=t.counters.flows_expired,
            flows_dropped_table_full=t.counters.flows_dropped_table_full,
            ingest_queued=ingest.queued,
            ingest_sent=ingest.sent,
            ingest_dropped_queue_full=ingest.dropped_queue_full,
            ingest_failed=ingest.failed,
            truncated=len(c.decoder.stats) > len(stats),
        )


def _mac(text: str) -> str:
    try:
        return normalise_mac(text)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field="mac") from None
