"""LiveService answers from ntopng's REST API v2.

Hosts and flows are paginated by ntopng itself when the request maps onto its parameters (mode,
sortColumn, currentPage/perPage). Sorting hosts by score, flow filters and the summaries read at
most `SCAN_LIMIT` rows from ntopng and say so (`truncated`, `flows_examined`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable
from typing import Any, TypeVar

from netscope.live.v1 import live_pb2 as pb
from netscope_common.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from netscope_live.geo import GeoLocator
from netscope_live.paging import bounded_limit, next_token, page_bounds
from netscope_live.protoutil import timestamp, valid_ip
from netscope_live.table import NO_MAC
from netscope_live.vendor import VendorLookup, is_locally_administered, normalise_mac
from netscope_ntopng.applications import category_name
from netscope_ntopng.rest import (
    NtopngAuthError,
    NtopngBadResponse,
    NtopngClient,
    NtopngError,
    NtopngInvalidInterface,
    NtopngNotFound,
    NtopngUnavailable,
)

SCAN_LIMIT = 1000
T = TypeVar("T")
SORTS = {pb.HOST_SORT_BYTES: "bytes", pb.HOST_SORT_THROUGHPUT: "throughput", pb.HOST_SORT_FLOWS: "flows"}
MODES = {pb.HOST_LOCALITY_LOCAL: "local", pb.HOST_LOCALITY_REMOTE: "remote"}


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float:
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


class NtopngSource:
    """Reads live data from one ntopng instance."""

    name = "ntopng"

    def __init__(self, client: NtopngClient) -> None:
        self.client = client
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

    async def _call(self, call: Awaitable[T], what: str, ifid: int | None = None) -> T:
        """Await an ntopng call and turn its errors into service errors the caller can act on."""
        try:
            return await call
        except NtopngInvalidInterface as exc:
            raise NotFound(
                f"ntopng has no interface with ifid {ifid}; fetch_ntopng_all_ifids (ListInterfaces) shows the ifids",
                "ifid",
            ) from exc
        except NtopngAuthError as exc:
            raise FailedPrecondition(f"cannot {what}: {exc.message}") from exc
        except NtopngNotFound:
            raise
        except (NtopngUnavailable, NtopngBadResponse) as exc:
            raise Unavailable(f"cannot {what}: {exc.message}") from exc
        except NtopngError as exc:
            if exc.rc == -5:
                raise InvalidArgument(f"cannot {what}: {exc.message}") from exc
            raise Unavailable(f"cannot {what}: {exc.message}") from exc

    # -- interfaces --------------------------------------------------------------------------------
    async def list_interfaces(self) -> pb.ListInterfacesResponse:
        """ntopng's monitored interfaces."""
        rows = await self._call(self.client.interfaces(), "list the ntopng interfaces")
        return pb.ListInterfacesResponse(
            interfaces=[
                pb.NetworkInterface(
                    ifid=_int(r.get("ifid")),
                    name=str(r.get("ifname", "")),
                    description=str(r.get("name", "")),
                    source=self.name,
                )
                for r in rows
            ]
        )

    async def interface_stats(self, req: pb.InterfaceStatsRequest) -> pb.InterfaceStatsResponse:
        """interface/data.lua."""
        d = await self._call(self.client.interface_data(req.ifid), "read the interface", req.ifid)
        return pb.InterfaceStatsResponse(
            ifid=req.ifid,
            name=str(d.get("ifname", "")),
            bytes=_int(d.get("bytes")),
            packets=_int(d.get("packets")),
            throughput_bps=_float(d.get("throughput_bps")),
            num_hosts=_int(d.get("num_hosts")),
            num_local_hosts=_int(d.get("num_local_hosts")),
            num_flows=_int(d.get("num_flows")),
            drops=_int(d.get("drops")),
            as_of=timestamp(_float(d.get("epoch"))),
            source=self.name,
        )

    # -- hosts -------------------------------------------------------------------------------------
    def _list_host(self, r: dict[str, Any]) -> pb.Host:
        nbytes, flows, score = r.get("bytes") or {}, r.get("num_flows") or {}, r.get("score") or {}
        ip = str(r.get("ip", ""))
        return pb.Host(
            ip=ip,
            name=str(r.get("name", "")),
            country=str(r.get("country") or "") or (self.geo.country(ip) if not r.get("is_localhost") else ""),
            is_local=bool(r.get("is_localhost")),
            bytes_sent=_int(nbytes.get("sent")),
            bytes_received=_int(nbytes.get("recvd", nbytes.get("rcvd"))),
            throughput_bps=_float((r.get("thpt") or {}).get("bps")),
            active_flows=_int(flows.get("total")),
            active_flows_as_client=_int(flows.get("as_client")),
            active_flows_as_server=_int(flows.get("as_server")),
            score=_int(score.get("total") if isinstance(score, dict) else score),
            first_seen=timestamp(_float(r.get("first_seen"))),
            last_seen=timestamp(_float(r.get("last_seen"))),
            vlan=_int(r.get("vlan")),
        )

    async def _host_rows(self, ifid: int, mode: str, sort: str | None, page: int, per_page: int) -> list[Any]:
        rsp = await self._call(
            self.client.active_hosts(ifid, mode=mode, sort=sort, page=page, per_page=per_page),
            "list the active hosts",
            ifid,
        )
        rows = rsp.get("data")
        return rows if isinstance(rows, list) else []

    async def list_hosts(self, req: pb.ListHostsRequest) -> pb.ListHostsResponse:
        """host/active.lua: ntopng pages and sorts, except by score (sorted here over SCAN_LIMIT hosts)."""
        offset, size = page_bounds(req.page)
        mode = MODES.get(req.locality, "all")
        iface = await self._call(self.client.interface_data(req.ifid), "read the interface", req.ifid)
        local = _int(iface.get("num_local_hosts"))
        total = {"local": local, "remote": _int(iface.get("num_hosts")) - local}.get(mode, _int(iface.get("num_hosts")))
        if req.sort == pb.HOST_SORT_SCORE:
            rows = await self._host_rows(req.ifid, mode, "bytes", 1, SCAN_LIMIT)
            hosts = sorted((self._list_host(r) for r in rows), key=lambda h: h.score, reverse=True)
            total = len(hosts)
            page = hosts[offset : offset + size]
        else:
            rows = await self._host_rows(req.ifid, mode, SORTS.get(req.sort, "bytes"), offset // size + 1, size)
            page = [self._list_host(r) for r in rows]
        return pb.ListHostsResponse(hosts=page, next_page_token=next_token(offset, size, total), total=total)

    async def get_host(self, req: pb.GetHostRequest) -> pb.Host:
        """host/data.lua, plus peers and server ports from the host's active flows."""
        ip = valid_ip(req.ip)
        try:
            d = await self._call(self.client.host_data(req.ifid, ip, req.vlan), "read the host", req.ifid)
        except NtopngNotFound as exc:
            raise NotFound(
                f"host {ip} is not active on ntopng interface {req.ifid}; fetch_ntopng_top_local_talkers / "
                "_remote_talkers (ListHosts) show the active hosts",
                "ip",
            ) from exc
        mac = str(d.get("mac") or "")
        mac = "" if mac in NO_MAC else mac
        host = pb.Host(
            ip=ip,
            name=str(d.get("name") or ""),
            mac=mac,
            mac_vendor=self.vendors.vendor(mac) if mac else "",
            country=str(d.get("country") or "") or ("" if d.get("localhost") else self.geo.country(ip)),
            is_local=bool(d.get("localhost")),
            bytes_sent=_int(d.get("bytes.sent")),
            bytes_received=_int(d.get("bytes.rcvd")),
            packets_sent=_int(d.get("packets.sent")),
            packets_received=_int(d.get("packets.rcvd")),
            throughput_bps=_float(d.get("throughput_bps")) * 8,
            active_flows=_int(d.get("active_flows.as_client")) + _int(d.get("active_flows.as_server")),
            active_flows_as_client=_int(d.get("active_flows.as_client")),
            active_flows_as_server=_int(d.get("active_flows.as_server")),
            score=_int(d.get("score")),
            first_seen=timestamp(_float(d.get("seen.first"))),
            last_seen=timestamp(_float(d.get("seen.last"))),
            vlan=_int(d.get("vlan")),
        )
        ndpi = d.get("ndpi") if isinstance(d.get("ndpi"), dict) else {}
        apps = sorted(ndpi.items(), key=lambda kv: -(_int(kv[1].get("bytes.sent")) + _int(kv[1].get("bytes.rcvd"))))[
            :50
        ]
        host.applications.extend(
            pb.ApplicationTraffic(
                name=name,
                category=category_name(name),
                bytes_sent=_int(v.get("bytes.sent")),
                bytes_received=_int(v.get("bytes.rcvd")),
                flows=_int(v.get("num_flows")),
            )
            for name, v in apps
            if isinstance(v, dict)
        )
        flows = await self._flow_rows(req.ifid, ip)
        peers: Counter[str] = Counter()
        ports: Counter[tuple[str, int]] = Counter()
        for f in flows:
            client, server = f.get("client") or {}, f.get("server") or {}
            peer = server.get("ip") if client.get("ip") == ip else client.get("ip")
            if peer:
                peers[str(peer)] += _int(f.get("bytes"))
            if server.get("ip") == ip:
                ports[(str((f.get("protocol") or {}).get("l4", "")), _int(server.get("port")))] += 1
        host.peers.extend(pb.Peer(ip=p, bytes=n) for p, n in peers.most_common(50))
        host.server_ports.extend(
            pb.ServerPort(l4_proto=l4, port=port, flows=n) for (l4, port), n in ports.most_common(50)
        )
        return host

    # -- flows -------------------------------------------------------------------------------------
    async def _flow_page(self, ifid: int, host: str, page: int, per_page: int) -> dict[str, Any]:
        return await self._call(
            self.client.active_flows(ifid, host=host or None, page=page, per_page=per_page),
            "list the active flows",
            ifid,
        )

    async def _flow_rows(self, ifid: int, host: str) -> list[dict[str, Any]]:
        rows = (await self._flow_page(ifid, host, 1, SCAN_LIMIT)).get("data")
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    @staticmethod
    def _flow(f: dict[str, Any]) -> pb.LiveFlow:
        client, server = f.get("client") or {}, f.get("server") or {}
        proto, breakdown = f.get("protocol") or {}, f.get("breakdown") or {}
        nbytes = _int(f.get("bytes"))
        c2s = round(nbytes * _float(breakdown.get("cli2srv")) / 100)
        return pb.LiveFlow(
            client_ip=str(client.get("ip", "")),
            client_port=_int(client.get("port")),
            server_ip=str(server.get("ip", "")),
            server_port=_int(server.get("port")),
            l4_proto=str(proto.get("l4", "")),
            l7_proto=str(proto.get("l7", "")),
            bytes=nbytes,
            throughput_bps=_float((f.get("thpt") or {}).get("bps")),
            first_seen=timestamp(_float(f.get("first_seen"))),
            last_seen=timestamp(_float(f.get("last_seen"))),
            bytes_client_to_server=c2s,
            bytes_server_to_client=nbytes - c2s,
            vlan=_int(f.get("vlan")),
        )

    async def list_flows(self, req: pb.ListFlowsRequest) -> pb.ListFlowsResponse:
        """flow/active.lua; with filters, the first SCAN_LIMIT flows are filtered and paged here."""
        offset, size = page_bounds(req.page)
        host = valid_ip(req.host, "host") if req.host else ""
        if req.port > 0xFFFF:
            raise InvalidArgument(f"port {req.port} is not a TCP/UDP port (0-65535)", field="port")
        if not (req.l7_proto or req.l4_proto or req.port or req.sort):
            rsp = await self._flow_page(req.ifid, host, offset // size + 1, size)
            rows = [r for r in rsp.get("data") or [] if isinstance(r, dict)]
            total = _int(rsp.get("totalRows"))
            return pb.ListFlowsResponse(
                flows=[self._flow(r) for r in rows], next_page_token=next_token(offset, size, total), total=total
            )
        flows = [self._flow(r) for r in await self._flow_rows(req.ifid, host)]
        l7, l4 = req.l7_proto.strip().lower(), req.l4_proto.strip().upper()
        flows = [
            f
            for f in flows
            if (not l7 or f.l7_proto.lower() == l7)
            and (not l4 or f.l4_proto.upper() == l4)
            and (not req.port or req.port in (f.client_port, f.server_port))
        ]
        if req.sort == pb.FLOW_SORT_THROUGHPUT:
            flows.sort(key=lambda f: f.throughput_bps, reverse=True)
        elif req.sort == pb.FLOW_SORT_LAST_SEEN:
            flows.sort(key=lambda f: f.last_seen.seconds, reverse=True)
        else:
            flows.sort(key=lambda f: f.bytes, reverse=True)
        return pb.ListFlowsResponse(
            flows=flows[offset : offset + size], next_page_token=next_token(offset, size, len(flows)), total=len(flows)
        )

    async def flows_summary(self, req: pb.FlowsSummaryRequest) -> pb.FlowsSummaryResponse:
        """Breakdown of the first SCAN_LIMIT active flows (ntopng's flow list is paginated)."""
        limit = bounded_limit(req.limit, 10, 100, "limit")
        host = valid_ip(req.host, "host") if req.host else ""
        rsp = await self._flow_page(req.ifid, host, 1, SCAN_LIMIT)
        flows = [self._flow(r) for r in rsp.get("data") or [] if isinstance(r, dict)]
        groups: dict[str, dict[str, list[int]]] = defaultdict(dict)
        for f in flows:
            for kind, name in (("app", f.l7_proto), ("l4", f.l4_proto), ("port", f"{f.l4_proto}/{f.server_port}")):
                counts = groups[kind].setdefault(name, [0, 0])
                counts[0] += 1
                counts[1] += f.bytes

        def named(kind: str) -> list[pb.NamedTraffic]:
            top = sorted(groups[kind].items(), key=lambda kv: -kv[1][1])[:limit]
            return [pb.NamedTraffic(name=name, flows=c[0], bytes=c[1]) for name, c in top]

        total = max(_int(rsp.get("totalRows")), len(flows))
        return pb.FlowsSummaryResponse(
            total_flows=total,
            total_bytes=sum(f.bytes for f in flows),
            applications=named("app"),
            l4_protocols=named("l4"),
            server_ports=named("port"),
            truncated=total > len(flows) or any(len(g) > limit for g in groups.values()),
            flows_examined=len(flows),
        )

    # -- geography and MACs ------------------------------------------------------------------------
    async def country_stats(self, req: pb.CountryStatsRequest) -> pb.CountryStatsResponse:
        """Traffic per country over the SCAN_LIMIT busiest hosts."""
        limit = bounded_limit(req.limit, 50, 300, "limit")
        hosts = [self._list_host(r) for r in await self._host_rows(req.ifid, "all", "bytes", 1, SCAN_LIMIT)]
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
        top = sorted(by_country.values(), key=lambda c: -(c.bytes_sent + c.bytes_received))
        return pb.CountryStatsResponse(countries=top[:limit], truncated=len(top) > limit or len(hosts) >= SCAN_LIMIT)

    async def hosts_location(self, req: pb.HostsLocationRequest) -> pb.HostsLocationResponse:
        """Countries of the busiest hosts (offline geolocation where ntopng has none)."""
        limit = bounded_limit(req.limit, 100, 1000, "limit")
        hosts = [self._list_host(r) for r in await self._host_rows(req.ifid, "all", "bytes", 1, limit)]
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
            truncated=len(hosts) >= limit,
        )

    async def mac_info(self, req: pb.MacInfoRequest) -> pb.MacInfoResponse:
        """Vendor from the offline OUI table (ntopng's MAC endpoints are not read)."""
        try:
            mac = normalise_mac(req.mac)
        except ValueError as exc:
            raise InvalidArgument(str(exc), field="mac") from None
        return pb.MacInfoResponse(
            mac=mac,
            vendor=self.vendors.vendor(mac),
            locally_administered=is_locally_administered(mac),
            device_type="unknown",
        )

    async def collector_stats(self, req: pb.CollectorStatsRequest) -> pb.CollectorStatsResponse:
        """Not available: ntopng is the source."""
        raise FailedPrecondition(
            "the built-in collector is not running: this live service reads ntopng "
            "(NETSCOPE_LIVE_SOURCE=ntopng); set NETSCOPE_LIVE_SOURCE=collector to receive NetFlow/IPFIX"
        )
