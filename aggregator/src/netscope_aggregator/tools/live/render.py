"""Live service replies as the tools' answer models."""

from typing import Any

from netscope.live.v1 import live_pb2 as pb
from netscope_aggregator.render import human_bytes, iso_time
from netscope_aggregator.tools.live.answers import (
    AvailableMonitorsAnswer,
    CollectorAnswer,
    CountryItem,
    EnabledMonitorsAnswer,
    ExporterItem,
    FlowItem,
    FlowsAnswer,
    HostBrief,
    InterfaceItem,
    InterfacesAnswer,
    MonitorItem,
    MonitorKindItem,
    MonitorParameterItem,
    MonitorResultItem,
    NamedItem,
)

MAX_EXPORTERS_SHOWN = 20


def monitor_outcome(reply: Any) -> str:
    return "created" if reply.created else ("updated" if reply.updated else "already existed")


def brief(h: pb.Host) -> HostBrief:
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


def flow_item(f: pb.LiveFlow) -> FlowItem:
    return FlowItem(
        client_ip=f.client_ip,
        client_port=f.client_port,
        server_ip=f.server_ip,
        server_port=f.server_port,
        l4_proto=f.l4_proto,
        l7_proto=f.l7_proto,
        bytes=f.bytes,
        packets=f.packets if f.HasField("packets") else None,
        bytes_client_to_server=f.bytes_client_to_server,
        bytes_server_to_client=f.bytes_server_to_client,
        throughput_bps=round(f.throughput_bps, 1),
        first_seen=iso_time(f.first_seen),
        last_seen=iso_time(f.last_seen),
    )


def flows_answer(reply: pb.ListFlowsResponse, what: str) -> FlowsAnswer:
    flows = [flow_item(f) for f in reply.flows]
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


def monitor_item(m: pb.Monitor) -> MonitorItem:
    last = None
    if m.HasField("last_result"):
        r = m.last_result
        last = MonitorResultItem(
            time=iso_time(r.time),
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


def monitor_line(m: MonitorItem) -> str:
    r = m.last_result
    state = "not measured yet" if r is None else (f"ok {r.latency_ms:.1f} ms" if r.ok else f"FAILING: {r.error}")
    return f"{m.id} every {m.interval_seconds} s: {state}"


def named(items: Any) -> list[NamedItem]:
    return [NamedItem(name=n.name, flows=n.flows, bytes=n.bytes) for n in items]


def interfaces_answer(reply: pb.ListInterfacesResponse) -> InterfacesAnswer:
    """The interfaces live data is available for."""
    items = [
        InterfaceItem(ifid=i.ifid, name=i.name, description=i.description, source=i.source) for i in reply.interfaces
    ]
    names = ", ".join(f"{i.ifid}={i.name}" for i in items)
    return InterfacesAnswer(interfaces=items, summary=f"{len(items)} interface(s): {names}")


def collector_answer(s: pb.CollectorStatsResponse) -> CollectorAnswer:
    """The collector's counters, at most MAX_EXPORTERS_SHOWN exporters listed."""
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
            last_seen=iso_time(e.last_seen),
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


def available_monitors_answer(reply: pb.ListAvailableMonitorsResponse) -> AvailableMonitorsAnswer:
    """The monitor kinds with their parameters."""
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


def enabled_monitors_answer(reply: pb.ListEnabledMonitorsResponse) -> EnabledMonitorsAnswer:
    """The enabled monitors with a one-line state each."""
    monitors = [monitor_item(m) for m in reply.monitors]
    failing = sum(1 for m in monitors if m.last_result and not m.last_result.ok)
    lines = "; ".join(monitor_line(m) for m in monitors[:10])
    return EnabledMonitorsAnswer(
        monitors=monitors,
        summary=f"{len(monitors)} enabled, {failing} failing" + (f": {lines}" if lines else ""),
    )


def country_item(c: pb.CountryTraffic, score: int | None = None) -> CountryItem:
    """One country's live traffic (with its summed host score when ranked by score)."""
    return CountryItem(
        country=c.country,
        hosts=c.hosts,
        bytes_sent=c.bytes_sent,
        bytes_received=c.bytes_received,
        flows=c.flows,
        throughput_bps=round(c.throughput_bps, 1),
        score=score,
    )
