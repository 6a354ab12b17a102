"""AnalyzeTraffic, InvestigateHost and Recommendations: compositions of rankings, detectors and bottlenecks."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from datetime import timedelta

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import to_timestamp
from netscope_flows.anomalies import find_anomalies
from netscope_flows.filters import DST_IP_SQL, SRC_IP_SQL, compile_filter, country_sql
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore
from netscope_flows.topk import KEY_EXPRESSIONS, render_key

D = flows_pb2.TopKDimension
MAX_TOP_N = 100
_AGG = "sum(TOTAL_BYTES) AS bytes, sum(PACKETS), count(), sum(SCORE)"
_ACTIONS = {
    "ANOMALY_KIND_HORIZONTAL_SCAN": "Isolate or inspect the scanning host; check it for malware and rogue tools.",
    "ANOMALY_KIND_VERTICAL_SCAN": "Block the scanning source at the edge; review which probed services are exposed.",
    "ANOMALY_KIND_TRAFFIC_SPIKE": "Identify the application behind the spike; rate-limit or reschedule it.",
    "ANOMALY_KIND_TRAFFIC_DROP": "Check links, exporters and services that went quiet (outage, interface down).",
    "ANOMALY_KIND_DGA_DOMAINS": "Quarantine the host; sinkhole or block the generated domains at the resolver.",
    "ANOMALY_KIND_BEACONING": "Treat the peer as command-and-control: block it and examine the calling host.",
    "ANOMALY_KIND_OFF_HOURS_EXFILTRATION": "Block the destination, keep the evidence, review what was uploaded.",
    "BOTTLENECK": "Add capacity, or shape/schedule the top pairs through this interface (QoS, backups).",
}
L7 = KEY_EXPRESSIONS[D.TOP_K_DIMENSION_L7_PROTO]
PORT = KEY_EXPRESSIONS[D.TOP_K_DIMENSION_DST_PORT]
DAY = timedelta(hours=24)


def _top_n(value: int) -> int:
    if value > MAX_TOP_N:
        raise InvalidArgument(f"top_n must be between 1 and {MAX_TOP_N} (0 means 10); got {value}", field="top_n")
    return value or 10


async def _rank(store: ClickHouseStore, where: str, key: str, n: int, dimension: int = 0) -> list[flows_pb2.TopKEntry]:
    rows = await store.read(
        f"SELECT {key} AS k, {_AGG} FROM flows WHERE {where} GROUP BY k ORDER BY bytes DESC, k LIMIT {n}"
    )
    return [
        flows_pb2.TopKEntry(key=render_key(dimension, k), bytes=int(b), packets=int(p), flows=int(f), score=int(s))
        for k, b, p, f, s in rows.rows
    ]


async def _totals(store: ClickHouseStore, where: str) -> flows_pb2.TrafficTotals:
    rows = await store.read(
        f"SELECT sum(TOTAL_BYTES), sum(PACKETS), count(), length(groupUniqArrayArray([{SRC_IP_SQL}, {DST_IP_SQL}])), "
        f"sum(SRC2DST_BYTES) FROM flows WHERE {where}"
    )
    nbytes, packets, flows, hosts, c2s = rows.rows[0] if rows.rows else (0, 0, 0, 0, 0)
    return flows_pb2.TrafficTotals(
        bytes=int(nbytes or 0),
        packets=int(packets or 0),
        flows=int(flows or 0),
        hosts=int(hosts or 0),
        client_to_server_bytes=int(c2s or 0),
    )


async def analyze_traffic(
    store: ClickHouseStore, request: flows_pb2.AnalyzeTrafficRequest
) -> flows_pb2.AnalyzeTrafficResponse:
    """Totals and the main rankings for a filter."""
    n = _top_n(request.top_n)
    flt = compile_filter(request.filter)
    return flows_pb2.AnalyzeTrafficResponse(
        totals=await _totals(store, flt.where),
        protocols=await _rank(
            store, flt.where, KEY_EXPRESSIONS[D.TOP_K_DIMENSION_L7_PROTO], n, D.TOP_K_DIMENSION_L7_PROTO
        ),
        top_talkers=await _rank(store, flt.where, SRC_IP_SQL, n),
        top_services=await _rank(store, flt.where, PORT, n),
        top_destinations=await _rank(store, flt.where, DST_IP_SQL, n),
        window_start=to_timestamp(flt.start),
        window_end=to_timestamp(flt.end),
    )


async def investigate_host(
    store: ClickHouseStore, settings: FlowsSettings, request: flows_pb2.InvestigateHostRequest
) -> flows_pb2.InvestigateHostResponse:
    """One host's traffic both ways, peers, services, protocols, alerted flows and findings."""
    try:
        ip = ipaddress.ip_address(request.ip.strip())
    except ValueError:
        raise InvalidArgument(
            f"ip must be one IPv4 or IPv6 address such as 10.1.2.42; got {request.ip!r}", field="ip"
        ) from None
    n = _top_n(request.top_n)
    both = compile_filter(flows_pb2.FlowFilter(window=request.window, host=str(ip)), default_span=timedelta(hours=24))
    client = compile_filter(
        flows_pb2.FlowFilter(window=request.window, src_ip=str(ip)), default_span=timedelta(hours=24)
    )
    server = compile_filter(
        flows_pb2.FlowFilter(window=request.window, dst_ip=str(ip)), default_span=timedelta(hours=24)
    )
    peer = f"if({SRC_IP_SQL} = '{ip}', {DST_IP_SQL}, {SRC_IP_SQL})"
    about = await store.read(
        f"SELECT anyIf(SRC_LABEL, SRC_LABEL != '' AND {SRC_IP_SQL} = '{ip}'), "
        f"anyIf(DST_LABEL, DST_LABEL != '' AND {DST_IP_SQL} = '{ip}'), "
        f"anyIf({country_sql('SRC_COUNTRY_CODE')}, {SRC_IP_SQL} = '{ip}'), "
        f"anyIf({country_sql('DST_COUNTRY_CODE')}, {DST_IP_SQL} = '{ip}'), countIf(STATUS != 0) "
        f"FROM flows WHERE {both.where}"
    )
    src_label, dst_label, src_country, dst_country, alerted = about.rows[0]
    anomalies = await find_anomalies(
        store,
        settings,
        flows_pb2.FindAnomaliesRequest(filter=flows_pb2.FlowFilter(window=request.window, host=str(ip))),
    )
    return flows_pb2.InvestigateHostResponse(
        ip=str(ip),
        label=src_label or dst_label or "",
        country=src_country or dst_country or "",
        as_client=await _totals(store, client.where),
        as_server=await _totals(store, server.where),
        peers=await _rank(store, both.where, peer, n),
        services_used=await _rank(store, client.where, PORT, n),
        services_offered=await _rank(store, server.where, PORT, n),
        protocols=await _rank(
            store, both.where, KEY_EXPRESSIONS[D.TOP_K_DIMENSION_L7_PROTO], n, D.TOP_K_DIMENSION_L7_PROTO
        ),
        alerted_flows=int(alerted or 0),
        findings=[f for f in anomalies.findings if str(ip) in (*f.hosts, *f.peers)],
        window_start=to_timestamp(both.start),
        window_end=to_timestamp(both.end),
    )


FindAnomalies = Callable[[flows_pb2.FindAnomaliesRequest], Awaitable[flows_pb2.FindAnomaliesResponse]]
DetectBottlenecks = Callable[[flows_pb2.DetectBottlenecksRequest], Awaitable[flows_pb2.DetectBottlenecksResponse]]


async def recommendations(
    find: FindAnomalies, bottlenecks: DetectBottlenecks, request: flows_pb2.RecommendationsRequest
) -> flows_pb2.RecommendationsResponse:
    """Advice from every finding and bottleneck of a backend's detectors, best-supported first."""
    if request.max_items > 100:
        raise InvalidArgument(
            f"max_items must be between 1 and 100 (0 means 20); got {request.max_items}", field="max_items"
        )
    anomalies = await find(flows_pb2.FindAnomaliesRequest(filter=request.filter))
    items = [
        flows_pb2.Recommendation(
            title=f.title,
            action=_ACTIONS[flows_pb2.AnomalyKind.Name(f.kind)],
            score=f.score,
            source=flows_pb2.AnomalyKind.Name(f.kind),
            evidence=f.evidence,
            evidence_filter=f.evidence_filter,
        )
        for f in anomalies.findings
    ]
    found = await bottlenecks(flows_pb2.DetectBottlenecksRequest(filter=request.filter))
    for b in found.bottlenecks:
        flt = flows_pb2.FlowFilter()
        flt.CopyFrom(request.filter)
        flt.window.start.CopyFrom(b.first_over)
        flt.window.end.CopyFrom(b.last_over)
        flt.exporter, flt.if_index = b.exporter, b.if_index
        items.append(
            flows_pb2.Recommendation(
                title=f"interface {b.if_index} of {b.exporter} ({b.direction}) peaked at {b.peak_percent:.0f}% of "
                f"{b.speed_bps / 1e6:g} Mbit/s",
                action=_ACTIONS["BOTTLENECK"],
                score=b.score,
                source="BOTTLENECK",
                evidence=[
                    flows_pb2.Evidence(name="buckets_over_threshold", value=str(b.buckets_over)),
                    flows_pb2.Evidence(name="top_pairs", value=", ".join(p.key for p in b.top_pairs)),
                ],
                evidence_filter=flt,
            )
        )
    items.sort(key=lambda r: -r.score)
    return flows_pb2.RecommendationsResponse(recommendations=items[: request.max_items or 20])
