"""LiveService answers from ntopng's REST API v2.

ntopng filters, sorts and pages hosts and flows itself and counts them (`totalRows`, the interface's host counts),
so list answers read one ntopng page and carry ntopng's totals. Answers computed over every host or flow
(FlowsSummary, CountryStats, a host's peers and server ports) read ntopng's pages up to `scan_rows` rows and say
so (`truncated` with the rows examined) when ntopng has more.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable
from typing import Any, TypeVar

from netscope.live.v1 import live_pb2 as pb
from netscope_common.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from netscope_live.geo import GeoLocator
from netscope_live.ntopng_flows import (
    FLOW_SORTS,
    NTOPNG_PAGE,
    FlowPage,
    application_filter,
    as_float,
    as_int,
    l4_filter,
    live_flow,
    rows_of,
    scan,
    window,
)
from netscope_live.ntopng_hosts import DEVICE_TYPES, MODES, SORTS, host_sort_value, list_host
from netscope_live.paging import bounded_limit, next_token, page_bounds
from netscope_live.protoutil import timestamp, valid_ip
from netscope_live.table import NO_MAC
from netscope_live.vendor import VendorLookup, is_locally_administered, normalise_mac
from netscope_ntopng.applications import category_name
from netscope_ntopng.rest import (
    NtopngAuthError,
    NtopngBadResponse,
    NtopngClient,
    NtopngDeadline,
    NtopngError,
    NtopngInvalidInterface,
    NtopngNotFound,
    NtopngUnavailable,
)

DEFAULT_SCAN_ROWS = 20_000
MAC_IPS = 100
T = TypeVar("T")


class NtopngSource:
    """Reads live data from one ntopng instance."""

    name = "ntopng"

    def __init__(self, client: NtopngClient, scan_rows: int = DEFAULT_SCAN_ROWS) -> None:
        self.client = client
        self.scan_rows = scan_rows
        self.geo = GeoLocator()
        self.vendors = VendorLookup()

    async def start(self) -> None:
        """Nothing to open: connections are made per request."""

    async def stop(self) -> None:
        """Close the HTTP connection pool."""
        await self.client.aclose()

    async def health(self) -> None:
        """Serving while ntopng lists its interfaces with our token."""
        await self._call(self.client.interfaces(), "list the interfaces")

    async def _known_ifids(self) -> str:
        """The interfaces ntopng has, for an unknown-ifid error (or where to look when it cannot list them)."""
        try:
            listed = await self.client.interfaces()
        except NtopngError:
            return "fetch_ntopng_all_ifids (ListInterfaces) shows the ifids"
        known = ", ".join(f"{i.get('ifid')} ({i.get('ifname') or i.get('name') or '?'})" for i in listed)
        return f"its ifids: {known}" if known else "it lists no interface"

    async def _call(self, call: Awaitable[T], what: str, ifid: int | None = None) -> T:
        """Await an ntopng call and turn its errors into service errors the caller can act on."""
        try:
            return await call
        except NtopngInvalidInterface as exc:
            raise NotFound(f"ntopng has no interface with ifid {ifid}; {await self._known_ifids()}", "ifid") from exc
        except NtopngAuthError as exc:
            raise FailedPrecondition(f"cannot {what}: {exc.message}") from exc
        except NtopngNotFound:
            raise
        except NtopngDeadline as exc:
            raise DeadlineExceeded(f"cannot {what}: {exc.message}") from exc
        except (NtopngUnavailable, NtopngBadResponse) as exc:
            raise Unavailable(f"cannot {what}: {exc.message}") from exc
        except NtopngError as exc:
            if exc.rc == -5:
                raise InvalidArgument(f"cannot {what}: {exc.message}") from exc
            raise Unavailable(f"cannot {what}: {exc.message}") from exc

    # -- interfaces --------------------------------------------------------------------------------
    async def list_interfaces(self) -> pb.ListInterfacesResponse:
        """ntopng's monitored interfaces, by ifid."""
        rows = await self._call(self.client.interfaces(), "list the ntopng interfaces")
        return pb.ListInterfacesResponse(
            interfaces=[
                pb.NetworkInterface(
                    ifid=as_int(r.get("ifid")),
                    name=str(r.get("ifname", "")),
                    description=str(r.get("name", "")),
                    source=self.name,
                )
                for r in sorted(rows, key=lambda r: as_int(r.get("ifid")))  # ntopng's order varies per request
            ]
        )

    async def interface_stats(self, req: pb.InterfaceStatsRequest) -> pb.InterfaceStatsResponse:
        """interface/data.lua (its `throughput_bps` is bytes per second: sent on as bits per second)."""
        d = await self._call(self.client.interface_data(req.ifid), "read the interface", req.ifid)
        return pb.InterfaceStatsResponse(
            ifid=req.ifid,
            name=str(d.get("ifname", "")),
            bytes=as_int(d.get("bytes")),
            packets=as_int(d.get("packets")),
            throughput_bps=as_float(d.get("throughput_bps")) * 8,
            num_hosts=as_int(d.get("num_hosts")),
            num_local_hosts=as_int(d.get("num_local_hosts")),
            num_flows=as_int(d.get("num_flows")),
            drops=as_int(d.get("drops")),
            as_of=timestamp(as_float(d.get("epoch"))),
            source=self.name,
        )

    # -- hosts -------------------------------------------------------------------------------------
    async def _host_rows(
        self, ifid: int, mode: str, sort: str, page: int, per_page: int, mac: str | None = None
    ) -> list[dict[str, Any]]:
        """One page of host/active.lua. ntopng picks the page by `sort` but orders the rows inside a page by its
        own keys, so they are sorted again here (stable: ntopng's order among equals is kept)."""
        rsp = await self._call(
            self.client.active_hosts(ifid, mode=mode, sort=sort, page=page, per_page=per_page, mac=mac),
            "list the active hosts",
            ifid,
        )
        return rows_of(rsp)

    def _sorted_hosts(self, rows: list[dict[str, Any]], sort: str) -> list[pb.Host]:
        return sorted((list_host(r, self.geo) for r in rows), key=lambda h: host_sort_value(h, sort), reverse=True)

    async def _all_hosts(self, ifid: int, mac: str | None = None) -> tuple[list[pb.Host], bool]:
        """Every active host (behind `mac`), busiest first, read over ntopng's pages up to scan_rows; and whether
        the bound stopped the read."""
        hosts: list[pb.Host] = []
        page = 1
        while True:
            rows = await self._host_rows(ifid, "all", "bytes", page, NTOPNG_PAGE, mac)
            hosts.extend(self._sorted_hosts(rows, "bytes"))
            if len(rows) < NTOPNG_PAGE:
                return hosts, False
            if len(hosts) >= self.scan_rows:
                return hosts[: self.scan_rows], True
            page += 1

    async def _host_total(self, ifid: int, mode: str) -> int:
        iface = await self._call(self.client.interface_data(ifid), "read the interface", ifid)
        hosts, local = as_int(iface.get("num_hosts")), as_int(iface.get("num_local_hosts"))
        return {"local": local, "remote": hosts - local}.get(mode, hosts)

    async def list_hosts(self, req: pb.ListHostsRequest) -> pb.ListHostsResponse:
        """host/active.lua: ntopng selects, sorts and pages; the total is the interface's host count."""
        offset, size = page_bounds(req.page)
        mode, sort = MODES.get(req.locality, "all"), SORTS.get(req.sort, "bytes")
        total = await self._host_total(req.ifid, mode)
        first = offset // size + 1
        rows = await self._host_rows(req.ifid, mode, sort, first, size)
        hosts = self._sorted_hosts(rows, sort)
        skip = offset % size
        if skip:
            following = await self._host_rows(req.ifid, mode, sort, first + 1, size)
            hosts = (hosts[skip:] + self._sorted_hosts(following, sort))[:size]
        return pb.ListHostsResponse(hosts=hosts, next_page_token=next_token(offset, size, total), total=total)

    async def get_host(self, req: pb.GetHostRequest) -> pb.Host:
        """host/data.lua, plus peers and server ports from the host's active flows (all of them, up to scan_rows)."""
        ip = valid_ip(req.ip)
        try:
            d = await self._call(self.client.host_data(req.ifid, ip, req.vlan), "read the host", req.ifid)
        except NtopngNotFound as exc:
            raise self._host_not_found(ip, req.ifid) from exc
        mac = str(d.get("mac") or "")
        mac = "" if mac in NO_MAC else mac
        host = pb.Host(
            ip=ip,
            name=str(d.get("name") or ""),
            mac=mac,
            mac_vendor=self.vendors.vendor(mac) if mac else "",
            country=str(d.get("country") or "") or ("" if d.get("localhost") else self.geo.country(ip)),
            is_local=bool(d.get("localhost")),
            bytes_sent=as_int(d.get("bytes.sent")),
            bytes_received=as_int(d.get("bytes.rcvd")),
            packets_sent=as_int(d.get("packets.sent")),
            packets_received=as_int(d.get("packets.rcvd")),
            throughput_bps=as_float(d.get("throughput_bps")) * 8,
            active_flows=as_int(d.get("active_flows.as_client")) + as_int(d.get("active_flows.as_server")),
            active_flows_as_client=as_int(d.get("active_flows.as_client")),
            active_flows_as_server=as_int(d.get("active_flows.as_server")),
            score=as_int(d.get("score")),
            first_seen=timestamp(as_float(d.get("seen.first"))),
            last_seen=timestamp(as_float(d.get("seen.last"))),
            vlan=as_int(d.get("vlan")),
        )
        ndpi = d.get("ndpi") if isinstance(d.get("ndpi"), dict) else {}
        apps = sorted(
            ndpi.items(), key=lambda kv: -(as_int(kv[1].get("bytes.sent")) + as_int(kv[1].get("bytes.rcvd")))
        )[:50]
        host.applications.extend(
            pb.ApplicationTraffic(
                name=name,
                category=category_name(name),
                bytes_sent=as_int(v.get("bytes.sent")),
                bytes_received=as_int(v.get("bytes.rcvd")),
                flows=as_int(v.get("num_flows")),
            )
            for name, v in apps
            if isinstance(v, dict)
        )
        flows = await scan(self._flow_fetch(req.ifid, "list the host's flows", host=ip), self.scan_rows)
        peers: Counter[str] = Counter()
        ports: Counter[tuple[str, int]] = Counter()
        for f in flows.rows:
            client, server = f.get("client") or {}, f.get("server") or {}
            peer = server.get("ip") if client.get("ip") == ip else client.get("ip")
            if peer:
                peers[str(peer)] += as_int(f.get("bytes"))
            if server.get("ip") == ip:
                ports[(str((f.get("protocol") or {}).get("l4", "")), as_int(server.get("port")))] += 1
        host.peers.extend(pb.Peer(ip=p, bytes=n) for p, n in peers.most_common(50))
        host.server_ports.extend(
            pb.ServerPort(l4_proto=l4, port=port, flows=n) for (l4, port), n in ports.most_common(50)
        )
        return host

    @staticmethod
    def _host_not_found(ip: str, ifid: int) -> NotFound:
        return NotFound(
            f"host {ip} is not active on ntopng interface {ifid} (ntopng answered NOT_FOUND); "
            "fetch_ntopng_top_local_talkers / _remote_talkers (ListHosts) show the active hosts",
            "host",
        )

    # -- flows -------------------------------------------------------------------------------------
    def _flow_fetch(self, ifid: int, what: str, *, host: str = "", sort: str = "key", **filters: Any) -> FlowPage:
        """A page reader of flow/active.lua with these filters; an unknown host is NOT_FOUND naming it."""

        async def fetch(page: int, per_page: int) -> dict[str, Any]:
            call = self.client.active_flows(
                ifid, host=host or None, page=page, per_page=per_page, sort=sort, ascending=sort == "key", **filters
            )
            try:
                return await self._call(call, what, ifid)
            except NtopngNotFound as exc:
                if host:
                    raise self._host_not_found(host, ifid) from exc
                raise Unavailable(f"cannot {what}: {exc.message}") from exc

        return fetch

    async def list_flows(self, req: pb.ListFlowsRequest) -> pb.ListFlowsResponse:
        """flow/active.lua: ntopng filters, sorts, pages and counts; one ntopng page per answer."""
        offset, size = page_bounds(req.page)
        host = valid_ip(req.host, "host") if req.host else ""
        if req.port > 0xFFFF:
            raise InvalidArgument(f"port {req.port} is not a TCP/UDP port (0-65535)", field="port")
        fetch = self._flow_fetch(
            req.ifid,
            "list the active flows",
            host=host,
            sort=FLOW_SORTS.get(req.sort, "bytes"),
            application=application_filter(req.l7_proto),
            l4proto=l4_filter(req.l4_proto),
            port=req.port or None,
        )
        rows, total = await window(fetch, offset, size)
        return pb.ListFlowsResponse(
            flows=[live_flow(r) for r in rows], next_page_token=next_token(offset, size, total), total=total
        )

    async def flows_summary(self, req: pb.FlowsSummaryRequest) -> pb.FlowsSummaryResponse:
        """Breakdown of every active flow (of one host), read over ntopng's pages up to scan_rows flows."""
        limit = bounded_limit(req.limit, 10, 100, "limit")
        host = valid_ip(req.host, "host") if req.host else ""
        flows = await scan(self._flow_fetch(req.ifid, "list the active flows", host=host), self.scan_rows)
        groups: dict[str, dict[str, list[int]]] = defaultdict(dict)
        total_bytes = 0
        for f in map(live_flow, flows.rows):
            total_bytes += f.bytes
            for kind, name in (("app", f.l7_proto), ("l4", f.l4_proto), ("port", f"{f.l4_proto}/{f.server_port}")):
                counts = groups[kind].setdefault(name, [0, 0])
                counts[0] += 1
                counts[1] += f.bytes

        def named(kind: str) -> list[pb.NamedTraffic]:
            top = sorted(groups[kind].items(), key=lambda kv: (-kv[1][1], kv[0]))[:limit]
            return [pb.NamedTraffic(name=name, flows=c[0], bytes=c[1]) for name, c in top]

        return pb.FlowsSummaryResponse(
            total_flows=flows.total,
            total_bytes=total_bytes,
            applications=named("app"),
            l4_protocols=named("l4"),
            server_ports=named("port"),
            truncated=flows.truncated or any(len(g) > limit for g in groups.values()),
            flows_examined=len(flows.rows),
        )

    # -- geography and MACs ------------------------------------------------------------------------
    async def country_stats(self, req: pb.CountryStatsRequest) -> pb.CountryStatsResponse:
        """Traffic per country over every active host, read over ntopng's pages up to scan_rows hosts."""
        limit = bounded_limit(req.limit, 50, 300, "limit")
        hosts, truncated = await self._all_hosts(req.ifid)
        by_country: dict[str, pb.CountryTraffic] = {}
        for h in hosts:
            if not h.country:
                continue
            c = by_country.setdefault(h.country, pb.CountryTraffic(country=h.country))
            c.hosts += 1
            c.bytes_sent += h.bytes_sent
            c.bytes_received += h.bytes_received
            c.flows += h.active_flows
            c.throughput_bps += h.throughput_bps
        top = sorted(by_country.values(), key=lambda c: (-(c.bytes_sent + c.bytes_received), c.country))
        return pb.CountryStatsResponse(
            countries=top[:limit], truncated=len(top) > limit or truncated, hosts_examined=len(hosts)
        )

    async def hosts_location(self, req: pb.HostsLocationRequest) -> pb.HostsLocationResponse:
        """Countries of the busiest hosts (offline geolocation where ntopng has none): one ntopng page."""
        limit = bounded_limit(req.limit, 100, 1000, "limit")
        total = await self._host_total(req.ifid, "all")
        hosts = self._sorted_hosts(await self._host_rows(req.ifid, "all", "bytes", 1, limit), "bytes")
        return pb.HostsLocationResponse(
            hosts=[
                pb.HostLocation(
                    ip=h.ip,
                    country=h.country,
                    country_name=self.geo.country_name(h.ip) if h.country else "",
                    is_local=h.is_local,
                    bytes=h.bytes_sent + h.bytes_received,
                )
                for h in hosts
            ],
            truncated=total > len(hosts),
        )

    async def mac_info(self, req: pb.MacInfoRequest) -> pb.MacInfoResponse:
        """The hosts ntopng sees behind the MAC (host/active.lua `mac`), their traffic, and the device type and host
        pool of the busiest one (host/data.lua); the vendor from the offline OUI table."""
        try:
            mac = normalise_mac(req.mac)
        except ValueError as exc:
            raise InvalidArgument(str(exc), field="mac") from None
        answer = pb.MacInfoResponse(
            mac=mac, vendor=self.vendors.vendor(mac), locally_administered=is_locally_administered(mac)
        )
        hosts, truncated = await self._all_hosts(req.ifid, mac)
        if not hosts:
            answer.device_type = "unknown"
            return answer
        answer.seen, answer.hosts, answer.truncated = True, len(hosts), truncated
        answer.ips.extend(h.ip for h in hosts[:MAC_IPS])
        answer.bytes_sent = sum(h.bytes_sent for h in hosts)
        answer.bytes_received = sum(h.bytes_received for h in hosts)
        answer.first_seen.CopyFrom(min((h.first_seen for h in hosts), key=lambda t: t.ToNanoseconds()))
        answer.last_seen.CopyFrom(max((h.last_seen for h in hosts), key=lambda t: t.ToNanoseconds()))
        try:
            d = await self._call(self.client.host_data(req.ifid, hosts[0].ip, hosts[0].vlan), "read the host", req.ifid)
        except NtopngNotFound:
            d = {}
        answer.device_type = DEVICE_TYPES.get(as_int(d.get("devtype")), "unknown")
        answer.host_pool = as_int(d.get("host_pool_id"))
        return answer

    async def collector_stats(self, req: pb.CollectorStatsRequest) -> pb.CollectorStatsResponse:
        """Not available: ntopng is the source."""
        raise FailedPrecondition(
            "the built-in collector is not running: this live service reads ntopng "
            "(NETSCOPE_LIVE_SOURCE=ntopng); set NETSCOPE_LIVE_SOURCE=collector to receive NetFlow/IPFIX"
        )
