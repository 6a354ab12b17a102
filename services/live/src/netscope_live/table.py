"""The live flow table: merges records into bidirectional flows and keeps host, MAC, country,
application and interface aggregates with sliding-window throughput.

A record updates the flow with the same (exporter, vlan, protocol, endpoints) in either direction,
so a flow is counted once however many records (active-timeout updates, both directions) describe
it. Flows leave the table on the idle timeout; on the idle and on the active timeout their bytes
since the previous hand-off go to `on_complete` (the ingest exporter). Times: record times
(first/last seen) come from the exporter, timeouts and throughput windows use the collector clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from netscope_live.entries import (
    AppCounters,
    FlowEntry,
    FlowKey,
    HostEntry,
    InterfaceEntry,
    MacEntry,
    TrafficEntry,
)
from netscope_live.geo import GeoLocator, LocalNetworks
from netscope_live.ndpi import classify
from netscope_live.netflow.records import FlowRecord
from netscope_live.rates import RateWindow
from netscope_live.vendor import VendorLookup

NO_MAC = {"", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}


@dataclass(frozen=True, slots=True)
class TableConfig:
    """Timeouts, window and caps of the live table."""

    active_timeout: float = 120.0
    idle_timeout: float = 30.0
    host_idle_timeout: float = 300.0
    window_buckets: int = 6
    bucket_seconds: int = 5
    max_flows: int = 1_000_000
    max_peers_per_host: int = 256
    max_ports_per_host: int = 256
    max_ips_per_mac: int = 64


@dataclass(slots=True)
class TableCounters:
    """Lifetime counters of the table."""

    records: int = 0
    flows_created: int = 0
    flows_expired: int = 0
    flows_dropped_table_full: int = 0
    segments_exported: int = 0


class FlowTable:
    """All live state of the built-in collector (single-threaded: call from the event loop)."""

    def __init__(
        self,
        config: TableConfig | None = None,
        *,
        local_networks: LocalNetworks | None = None,
        geo: GeoLocator | None = None,
        vendors: VendorLookup | None = None,
        on_export: Callable[[FlowEntry, int, int, bool], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or TableConfig()
        self.local = local_networks or LocalNetworks()
        self.geo = geo or GeoLocator()
        self.vendors = vendors or VendorLookup()
        self.on_export = on_export
        self.clock = clock
        self.started = clock()
        self.flows: dict[FlowKey, FlowEntry] = {}
        self.hosts: dict[str, HostEntry] = {}
        self.macs: dict[str, MacEntry] = {}
        self.countries: dict[str, TrafficEntry] = {}
        self.apps: dict[str, TrafficEntry] = {}
        self.interfaces: dict[tuple[str, int], InterfaceEntry] = {}
        self.total_rate = self._window()
        self.bytes = 0
        self.packets = 0
        self.counters = TableCounters()

    def _window(self) -> RateWindow:
        return RateWindow(self.config.window_buckets, self.config.bucket_seconds)

    # -- updates -------------------------------------------------------------------------------------
    def add(self, records: Iterable[FlowRecord], now: float | None = None) -> None:
        """Merge decoded records into the table."""
        now = self.clock() if now is None else now
        slot = self.total_rate.slot(now)
        flows = self.flows
        for r in records:
            self.counters.records += 1
            key = (r.exporter, r.vlan, r.protocol, r.src_ip, r.src_port, r.dst_ip, r.dst_port)
            flow = flows.get(key)
            forward = True
            if flow is None:
                flow = flows.get((r.exporter, r.vlan, r.protocol, r.dst_ip, r.dst_port, r.src_ip, r.src_port))
                forward = flow is None
                if flow is None:
                    flow = self._new_flow(key, r, now)
                    if flow is None:
                        continue
            self._update(flow, r, forward, now, slot)

    def _new_flow(self, key: FlowKey, r: FlowRecord, now: float) -> FlowEntry | None:
        if len(self.flows) >= self.config.max_flows:
            self.counters.flows_dropped_table_full += 1
            return None
        app = classify(r.l7_proto, r.l7_name, r.protocol, r.src_port, r.dst_port)
        flow = FlowEntry(
            key=key,
            exporter=r.exporter,
            vlan=r.vlan,
            protocol=r.protocol,
            client_ip=r.src_ip,
            client_port=r.src_port,
            server_ip=r.dst_ip,
            server_port=r.dst_port,
            application=app,
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            updated=now,
            created=now,
            input_if=r.input_if,
            output_if=r.output_if,
        )
        self.flows[key] = flow
        self.counters.flows_created += 1
        client = self._host(r.src_ip, r.first_seen, now)
        server = self._host(r.dst_ip, r.first_seen, now)
        client.flows_as_client += 1
        client.active_as_client += 1
        server.flows_as_server += 1
        server.active_as_server += 1
        self._app_counters(client, app).flows += 1
        self._app_counters(server, app).flows += 1
        ports = server.server_ports
        port_key = (r.protocol, r.dst_port)
        if port_key in ports or len(ports) < self.config.max_ports_per_host:
            ports[port_key] = ports.get(port_key, 0) + 1
        self._traffic(self.apps, app).flows += 1
        for country in {client.country, server.country} - {""}:
            self._traffic(self.countries, country).flows += 1
        return flow

    def _update(self, flow: FlowEntry, r: FlowRecord, forward: bool, now: float, slot: int) -> None:
        sent, rcvd = r.bytes, r.rev_bytes
        flow.records += 1
        flow.updated = now
        flow.tcp_flags |= r.tcp_flags
        if r.first_seen < flow.first_seen:
            flow.first_seen = r.first_seen
        if r.last_seen > flow.last_seen:
            flow.last_seen = r.last_seen
        if forward:
            flow.bytes_c2s += sent
            flow.bytes_s2c += rcvd
            flow.packets_c2s += r.packets
            flow.packets_s2c += r.rev_packets
        else:
            flow.bytes_s2c += sent
            flow.bytes_c2s += rcvd
            flow.packets_s2c += r.packets
            flow.packets_c2s += r.rev_packets
        total = sent + rcvd
        self.bytes += total
        self.packets += r.packets + r.rev_packets
        self.total_rate.add(slot, total)
        src = self.hosts.get(r.src_ip) or self._host(r.src_ip, r.first_seen, now)
        dst = self.hosts.get(r.dst_ip) or self._host(r.dst_ip, r.first_seen, now)
        self._account(src, dst.ip, sent, rcvd, r.packets, r.rev_packets, r.last_seen, now, slot, flow.application)
        self._account(dst, src.ip, rcvd, sent, r.rev_packets, r.packets, r.last_seen, now, slot, flow.application)
        if r.src_mac not in NO_MAC:
            src.mac = r.src_mac
            self._mac(r.src_mac, r.src_ip, sent, rcvd, now)
            flow.client_mac = flow.client_mac or r.src_mac
        if r.dst_mac not in NO_MAC:
            dst.mac = r.dst_mac
            self._mac(r.dst_mac, r.dst_ip, rcvd, sent, now)
        app = self.apps.get(flow.application) or self._traffic(self.apps, flow.application)
        app.bytes_sent += sent
        app.bytes_rcvd += rcvd
        app.rate.add(slot, total)
        for host, out, back in ((src, sent, rcvd), (dst, rcvd, sent)):
            if host.country:
                country = self.countries.get(host.country) or self._traffic(self.countries, host.country)
                country.bytes_sent += out
                country.bytes_rcvd += back
                country.rate.add(slot, total)
        if r.input_if:
            iface = self._interface(r.exporter, r.input_if)
            iface.bytes_in += sent
            iface.packets_in += r.packets
            iface.rate_in.add(slot, sent)
        if r.output_if:
            iface = self._interface(r.exporter, r.output_if)
            iface.bytes_out += sent
            iface.packets_out += r.packets
            iface.rate_out.add(slot, sent)

    def _account(
        self,
        host: HostEntry,
        peer: str,
        sent: int,
        rcvd: int,
        psent: int,
        prcvd: int,
        seen: float,
        now: float,
        slot: int,
        app: str,
    ) -> None:
        host.bytes_sent += sent
        host.bytes_rcvd += rcvd
        host.packets_sent += psent
        host.packets_rcvd += prcvd
        host.rate.add(slot, sent + rcvd)
        host.updated = now
        if seen > host.last_seen:
            host.last_seen = seen
        counters = host.apps.get(app) or self._app_counters(host, app)
        counters.bytes_sent += sent
        counters.bytes_rcvd += rcvd
        peers = host.peers
        if peer in peers or len(peers) < self.config.max_peers_per_host:
            peers[peer] = peers.get(peer, 0) + sent + rcvd

    def _host(self, ip: str, seen: float, now: float) -> HostEntry:
        host = self.hosts.get(ip)
        if host is None:
            is_local = self.local.is_local(ip)
            country = "" if is_local else self.geo.country(ip)
            host = HostEntry(ip, is_local, country, self._window(), seen, seen, now)
            self.hosts[ip] = host
            if country:
                self._traffic(self.countries, country).hosts += 1
        return host

    def _app_counters(self, host: HostEntry, app: str) -> AppCounters:
        counters = host.apps.get(app)
        if counters is None:
            counters = host.apps[app] = AppCounters()
        return counters

    def _traffic(self, table: dict[str, TrafficEntry], name: str) -> TrafficEntry:
        entry = table.get(name)
        if entry is None:
            entry = table[name] = TrafficEntry(name, self._window())
        return entry

    def _interface(self, exporter: str, if_index: int) -> InterfaceEntry:
        entry = self.interfaces.get((exporter, if_index))
        if entry is None:
            entry = InterfaceEntry(exporter, if_index, self._window(), self._window())
            self.interfaces[(exporter, if_index)] = entry
        return entry

    def _mac(self, mac: str, ip: str, sent: int, rcvd: int, now: float) -> None:
        entry = self.macs.get(mac)
        if entry is None:
            entry = self.macs[mac] = MacEntry(mac, self.vendors.vendor(mac), now, now)
        entry.last_seen = now
        entry.bytes_sent += sent
        entry.bytes_rcvd += rcvd
        if len(entry.ips) < self.config.max_ips_per_mac:
            entry.ips.add(ip)

    # -- timeouts ------------------------------------------------------------------------------------
    def expire(self, now: float | None = None) -> int:
        """Apply idle/active timeouts and purge idle hosts; the number of flows removed."""
        now = self.clock() if now is None else now
        cfg = self.config
        idle = [f for f in self.flows.values() if now - f.updated >= cfg.idle_timeout]
        for flow in idle:
            self._hand_off(flow, final=True)
            del self.flows[flow.key]
            for ip, attr in ((flow.client_ip, "active_as_client"), (flow.server_ip, "active_as_server")):
                host = self.hosts.get(ip)
                if host is not None:
                    setattr(host, attr, max(0, getattr(host, attr) - 1))
        self.counters.flows_expired += len(idle)
        for flow in self.flows.values():
            if now - flow.created >= cfg.active_timeout:
                self._hand_off(flow, final=False)
                flow.created = now
        stale = [h for h in self.hosts.values() if h.active_flows == 0 and now - h.updated >= cfg.host_idle_timeout]
        for host in stale:
            del self.hosts[host.ip]
            if host.country and host.country in self.countries:
                self.countries[host.country].hosts -= 1
        return len(idle)

    def flush(self) -> None:
        """Hand every live flow's pending bytes to the exporter (shutdown)."""
        for flow in self.flows.values():
            self._hand_off(flow, final=True)

    def _hand_off(self, flow: FlowEntry, *, final: bool) -> None:
        delta_bytes = flow.bytes - flow.exported_bytes
        delta_packets = flow.packets - flow.exported_packets
        if delta_bytes <= 0 and delta_packets <= 0:
            return
        flow.exported_bytes = flow.bytes
        flow.exported_packets = flow.packets
        self.counters.segments_exported += 1
        if self.on_export is not None:
            self.on_export(flow, delta_bytes, delta_packets, final)
