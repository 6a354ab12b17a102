"""The live flow table: merges records into bidirectional flows and keeps host, MAC, country,
application and interface aggregates with sliding-window throughput.

A record updates the flow with the same (exporter, vlan, protocol, endpoints) in either direction,
so a flow is counted once however many records (active-timeout updates, both directions) describe
it. Flows leave the table on the idle timeout; on the idle and on the active timeout their bytes
since the previous hand-off go to `on_complete` (the ingest exporter). Times: record times
(first/last seen) come from the exporter, timeouts and throughput windows use the collector clock.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from netscope_live.entries import (
    FlowEntry,
    FlowKey,
    HostEntry,
    InterfaceEntry,
    MacEntry,
    ServiceTraffic,
    TrafficEntry,
)
from netscope_live.geo import AddressClassifier, GeoLocator, LocalNetworks
from netscope_live.netflow.records import FlowRecord
from netscope_live.rates import KeyedRates, RateWindow
from netscope_live.vendor import VendorLookup
from netscope_ntopng.applications import classify

GC_YOUNG_THRESHOLD = 50_000
GC_OLDER_THRESHOLDS = (20, 20)
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


def tune_gc() -> None:
    """Tune this process's cyclic GC for a growing live table (the service process calls it once, after
    the tables are loaded; it changes process-wide settings, so libraries and tests do not).

    `gc.freeze()` moves everything allocated so far (imports, the large permanent geo and OUI tables)
    out of the collector's scans; frozen objects are still freed by reference counting. The young
    generation threshold goes from 700 to GC_YOUNG_THRESHOLD objects: every live flow and host is a
    long-lived GC-tracked object, and with the default a table filling at tens of thousands of flows
    per second ran a collection every few hundred flows and a full one at every 25 % growth. The table
    holds no reference cycles, so only other cyclic garbage waits longer (bounded by the threshold).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *GC_OLDER_THRESHOLDS)


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
        self.addresses = AddressClassifier(self.local, self.geo)
        self.vendors = vendors or VendorLookup()
        self.on_export = on_export
        self.clock = clock
        self.started = clock()
        self.flows: dict[FlowKey, FlowEntry] = {}
        self.hosts: dict[str, HostEntry] = {}
        self.macs: dict[str, MacEntry] = {}
        self.countries: dict[str, TrafficEntry] = {}
        self.apps: dict[str, TrafficEntry] = {}
        self.services: dict[tuple[str, int, int], ServiceTraffic] = {}
        self.interfaces: dict[tuple[str, int], InterfaceEntry] = {}
        self.total_rate = self._window()
        self.local_rates = KeyedRates(self.config.window_buckets, self.config.bucket_seconds)
        self.remote_rates = KeyedRates(self.config.window_buckets, self.config.bucket_seconds)
        self.bytes = 0
        self.packets = 0
        self.counters = TableCounters()
        self._local_bucket: dict[str, int] = {}
        self._remote_bucket: dict[str, int] = {}

    def preload(self) -> None:
        """Load the geolocation and OUI tables now instead of on the first packets (see `tune_gc`)."""
        self.geo.country("192.0.2.1")
        self.vendors.vendor("00:00:5e:00:53:01")

    def _window(self) -> RateWindow:
        return RateWindow(self.config.window_buckets, self.config.bucket_seconds)

    def host_rates(self, host: HostEntry) -> KeyedRates:
        """The throughput window holding `host` (local and remote hosts are kept apart)."""
        return self.local_rates if host.is_local else self.remote_rates

    def host_bps(self, host: HostEntry, now: float) -> float:
        """Bits per second of `host` (sent plus received) over the window ending at `now`."""
        return self.host_rates(host).bps(host.ip, now)

    # -- updates -------------------------------------------------------------------------------------
    def add(self, records: Iterable[FlowRecord], now: float | None = None) -> None:
        """Merge decoded records into the table."""
        now = self.clock() if now is None else now
        slot = self.total_rate.slot(now)
        self._local_bucket = self.local_rates.bucket(slot)
        self._remote_bucket = self.remote_rates.bucket(slot)
        flows = self.flows
        update = self._update
        count = batch_bytes = 0
        for r in records:
            count += 1
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
            batch_bytes += update(flow, r, forward, now, slot)
        self.counters.records += count
        self.bytes += batch_bytes
        self.total_rate.add(slot, batch_bytes)

    def _new_flow(self, key: FlowKey, r: FlowRecord, now: float) -> FlowEntry | None:
        if len(self.flows) >= self.config.max_flows:
            self.counters.flows_dropped_table_full += 1
            return None
        app = classify(r.l7_proto, r.l7_name, r.protocol, r.src_port, r.dst_port)
        service_key = (app, r.protocol, r.dst_port)
        service = self.services.get(service_key)
        if service is None:
            service = self.services[service_key] = ServiceTraffic(app, r.protocol, r.dst_port)
        service.flows += 1
        flow = FlowEntry(
            key,
            r.exporter,
            r.vlan,
            r.protocol,
            r.src_ip,
            r.src_port,
            r.dst_ip,
            r.dst_port,
            app,
            r.first_seen,
            r.last_seen,
            now,
            now,
        )
        flow.input_if = r.input_if  # set after the positional call: keyword arguments cost more
        flow.output_if = r.output_if
        flow.service = service
        self.flows[key] = flow
        self.counters.flows_created += 1
        hosts = self.hosts
        client = hosts.get(r.src_ip) or self._new_host(r.src_ip, r.first_seen, now)
        server = hosts.get(r.dst_ip) or self._new_host(r.dst_ip, r.first_seen, now)
        client.flows_as_client += 1
        client.active_as_client += 1
        client.flows[key] = None
        server.flows_as_server += 1
        server.active_as_server += 1
        server.flows[key] = None
        for host in (client, server):
            counters = host.app_counters(app)
            if counters is None:
                host.app_flows += 1
            else:
                counters.flows += 1
        ports = server.server_ports
        port_key = (r.protocol, r.dst_port)
        if port_key in ports or len(ports) < self.config.max_ports_per_host:
            ports[port_key] = ports.get(port_key, 0) + 1
        (self.apps.get(app) or self._traffic(self.apps, app)).flows += 1
        if client.country:
            self._traffic(self.countries, client.country).flows += 1
        if server.country and server.country != client.country:
            self._traffic(self.countries, server.country).flows += 1
        return flow

    def _update(self, flow: FlowEntry, r: FlowRecord, forward: bool, now: float, slot: int) -> int:
        """Account one record in its flow, hosts and aggregates; its bytes (the caller adds the batch total)."""
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
        service = flow.service
        if service is not None:
            service.bytes += total
        self.packets += r.packets + r.rev_packets
        hosts = self.hosts
        src_ip, dst_ip = r.src_ip, r.dst_ip
        src = hosts.get(src_ip) or self._new_host(src_ip, r.first_seen, now)
        dst = hosts.get(dst_ip) or self._new_host(dst_ip, r.first_seen, now)
        bucket = self._local_bucket if src.is_local else self._remote_bucket
        bucket[src_ip] = bucket.get(src_ip, 0) + total
        bucket = self._local_bucket if dst.is_local else self._remote_bucket
        bucket[dst_ip] = bucket.get(dst_ip, 0) + total
        app_name = flow.application
        self._account(src, dst_ip, sent, rcvd, r.packets, r.rev_packets, r.last_seen, now, app_name)
        self._account(dst, src_ip, rcvd, sent, r.rev_packets, r.packets, r.last_seen, now, app_name)
        if r.src_mac not in NO_MAC:
            src.mac = r.src_mac
            self._mac(r.src_mac, src_ip, sent, rcvd, now)
            flow.client_mac = flow.client_mac or r.src_mac
        if r.dst_mac not in NO_MAC:
            dst.mac = r.dst_mac
            self._mac(r.dst_mac, dst_ip, rcvd, sent, now)
        app = self.apps.get(app_name) or self._traffic(self.apps, app_name)
        app.bytes_sent += sent
        app.bytes_rcvd += rcvd
        app.rate.add(slot, total)
        if src.country:
            self._country_bytes(src.country, sent, rcvd, slot, total)
        if dst.country:
            self._country_bytes(dst.country, rcvd, sent, slot, total)
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
        return total

    def _country_bytes(self, name: str, out: int, back: int, slot: int, total: int) -> None:
        country = self.countries.get(name) or self._traffic(self.countries, name)
        country.bytes_sent += out
        country.bytes_rcvd += back
        country.rate.add(slot, total)

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
        app: str,
    ) -> None:
        host.bytes_sent += sent
        host.bytes_rcvd += rcvd
        host.packets_sent += psent
        host.packets_rcvd += prcvd
        host.updated = now
        if seen > host.last_seen:
            host.last_seen = seen
        if app == host.app:
            host.app_sent += sent
            host.app_rcvd += rcvd
        else:
            counters = host.app_counters(app)
            if counters is None:
                host.app_sent += sent
                host.app_rcvd += rcvd
            else:
                counters.bytes_sent += sent
                counters.bytes_rcvd += rcvd
        peers = host.peers
        if peer in peers or len(peers) < self.config.max_peers_per_host:
            peers[peer] = peers.get(peer, 0) + sent + rcvd

    def _new_host(self, ip: str, seen: float, now: float) -> HostEntry:
        is_local, country = self.addresses.classify(ip)
        host = self.hosts[ip] = HostEntry(ip, is_local, country, seen, seen, now)
        if country:
            self._traffic(self.countries, country).hosts += 1
        return host

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
            self._remove(flow)
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

    def _remove(self, flow: FlowEntry) -> None:
        del self.flows[flow.key]
        service = flow.service
        if service is not None:
            service.flows -= 1
            service.bytes -= flow.bytes
            if service.flows <= 0:
                self.services.pop((service.application, service.protocol, service.server_port), None)
        client = self.hosts.get(flow.client_ip)
        if client is not None:
            client.active_as_client = max(0, client.active_as_client - 1)
            client.flows.pop(flow.key, None)
        server = self.hosts.get(flow.server_ip)
        if server is not None:
            server.active_as_server = max(0, server.active_as_server - 1)
            server.flows.pop(flow.key, None)

    def host_flows(self, ip: str) -> list[FlowEntry]:
        """The live flows with `ip` on either side (from the host's index, not a scan)."""
        host = self.hosts.get(ip)
        if host is None:
            return []
        flows = self.flows
        return [flows[key] for key in host.flows if key in flows]

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
