"""Live service replies as the tools' answer models."""

from typing import Any

from netscope.live.v1 import live_pb2 as pb
from netscope_aggregator.render import human_bytes, iso_time
from netscope_aggregator.tools.live.answers import (
    FlowItem,
    FlowsAnswer,
    HostBrief,
    MonitorItem,
    MonitorResultItem,
    NamedItem,
)


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
        packets=f.packets,
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
