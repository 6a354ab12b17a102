"""AnalyzeTraffic and InvestigateHost on ClickHouse: totals and rankings over ntopng's flows table."""

from __future__ import annotations

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.arguments import HOST_SPAN, host_side
from netscope_flows.filters import DST_IP_SQL, SRC_IP_SQL, CompiledFilter, compile_filter, country_sql
from netscope_flows.store import ClickHouseStore
from netscope_flows.topk import KEY_EXPRESSIONS, render_key

D = flows_pb2.TopKDimension
_AGG = "sum(TOTAL_BYTES) AS bytes, sum(PACKETS), count(), sum(SCORE)"
L7 = KEY_EXPRESSIONS[D.TOP_K_DIMENSION_L7_PROTO]
PORT = KEY_EXPRESSIONS[D.TOP_K_DIMENSION_DST_PORT]


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


async def analyze_traffic(store: ClickHouseStore, flt: CompiledFilter, n: int) -> flows_pb2.AnalyzeTrafficResponse:
    """Totals and the main rankings for a filter."""
    return flows_pb2.AnalyzeTrafficResponse(
        totals=await _totals(store, flt.where),
        protocols=await _rank(store, flt.where, L7, n, D.TOP_K_DIMENSION_L7_PROTO),
        top_talkers=await _rank(store, flt.where, SRC_IP_SQL, n),
        top_services=await _rank(store, flt.where, PORT, n),
        top_destinations=await _rank(store, flt.where, DST_IP_SQL, n),
    )


async def host_profile(
    store: ClickHouseStore, ip: str, window: common_pb2.TimeWindow, n: int, direction: int
) -> flows_pb2.InvestigateHostResponse:
    """One host's traffic (as source, destination or both: `direction`), its label and country, peers, services,
    protocols and alerted flows."""
    both = compile_filter(flows_pb2.FlowFilter(window=window, **host_side(ip, direction)), default_span=HOST_SPAN)
    client = compile_filter(flows_pb2.FlowFilter(window=window, src_ip=ip), default_span=HOST_SPAN)
    server = compile_filter(flows_pb2.FlowFilter(window=window, dst_ip=ip), default_span=HOST_SPAN)
    peer = f"if({SRC_IP_SQL} = '{ip}', {DST_IP_SQL}, {SRC_IP_SQL})"
    about = await store.read(
        f"SELECT anyIf(SRC_LABEL, SRC_LABEL != '' AND {SRC_IP_SQL} = '{ip}'), "
        f"anyIf(DST_LABEL, DST_LABEL != '' AND {DST_IP_SQL} = '{ip}'), "
        f"anyIf({country_sql('SRC_COUNTRY_CODE')}, {SRC_IP_SQL} = '{ip}'), "
        f"anyIf({country_sql('DST_COUNTRY_CODE')}, {DST_IP_SQL} = '{ip}'), countIf(STATUS != 0) "
        f"FROM flows WHERE {both.where}"
    )
    src_label, dst_label, src_country, dst_country, alerted = about.rows[0]
    as_client = direction != flows_pb2.HOST_DIRECTION_DESTINATION
    as_server = direction != flows_pb2.HOST_DIRECTION_SOURCE
    return flows_pb2.InvestigateHostResponse(
        ip=ip,
        label=src_label or dst_label or "",
        country=src_country or dst_country or "",
        as_client=await _totals(store, client.where) if as_client else None,
        as_server=await _totals(store, server.where) if as_server else None,
        peers=await _rank(store, both.where, peer, n),
        services_used=await _rank(store, client.where, PORT, n) if as_client else [],
        services_offered=await _rank(store, server.where, PORT, n) if as_server else [],
        protocols=await _rank(store, both.where, L7, n, D.TOP_K_DIMENSION_L7_PROTO),
        alerted_flows=int(alerted or 0),
        window_start=to_timestamp(both.start),
        window_end=to_timestamp(both.end),
    )
