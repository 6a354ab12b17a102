"""AnalyzeTraffic and InvestigateHost on ClickHouse: totals and rankings over ntopng's flows table.

AnalyzeTraffic's five reads run concurrently. InvestigateHost reads the host's flows twice, concurrently: once
for its label, country, alerted flows and the totals of each side (-If combinators), once for its four rankings
(GROUPING SETS, the top n of each set by `LIMIT n BY`); docs/benchmarks.md compares this with separate queries.
"""

from __future__ import annotations

import asyncio

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.arguments import HOST_SPAN, host_side
from netscope_flows.filters import DST_IP_SQL, SRC_IP_SQL, CompiledFilter, compile_filter, country_sql, host_condition
from netscope_flows.store import ClickHouseStore
from netscope_flows.topk import KEY_EXPRESSIONS, render_key

D = flows_pb2.TopKDimension
_AGG = "sum(TOTAL_BYTES) AS bytes, sum(PACKETS), count(), sum(SCORE)"
L7 = KEY_EXPRESSIONS[D.TOP_K_DIMENSION_L7_PROTO]
PORT = KEY_EXPRESSIONS[D.TOP_K_DIMENSION_DST_PORT]


def _entry(dimension: int, k: object, b: int, p: int, f: int, s: int) -> flows_pb2.TopKEntry:
    return flows_pb2.TopKEntry(key=render_key(dimension, k), bytes=int(b), packets=int(p), flows=int(f), score=int(s))


async def _rank(store: ClickHouseStore, where: str, key: str, n: int, dimension: int = 0) -> list[flows_pb2.TopKEntry]:
    rows = await store.read(
        f"SELECT {key} AS k, {_AGG} FROM flows WHERE {where} GROUP BY k ORDER BY bytes DESC, k LIMIT {n}"
    )
    return [_entry(dimension, *row) for row in rows.rows]


async def _rank_addresses(store: ClickHouseStore, where: str, side: str, n: int) -> list[flows_pb2.TopKEntry]:
    """The top n addresses of one side (SRC or DST) by bytes, then text: each family ranked on its numeric column
    with ties at the n-th place kept (`LIMIT n WITH TIES`), so the merged top n is that of ranking the rendered
    addresses, which is rendered for the kept rows only (docs/benchmarks.md has the figures)."""
    parts = " UNION ALL ".join(
        f"SELECT {text} AS k, * EXCEPT g FROM (SELECT {column} AS g, {_AGG} FROM flows WHERE {where} AND {family} "
        f"GROUP BY g ORDER BY bytes DESC LIMIT {n} WITH TIES)"
        for column, text, family in (
            (f"IPV4_{side}_ADDR", "IPv4NumToString(g)", "IP_PROTOCOL_VERSION != 6"),
            (f"IPV6_{side}_ADDR", "toString(g)", "IP_PROTOCOL_VERSION = 6"),
        )
    )
    rows = await store.read(f"SELECT * FROM ({parts}) ORDER BY bytes DESC, k LIMIT {n}")
    return [_entry(0, *row) for row in rows.rows]


def _hosts_sql(condition: str = "") -> str:
    """The distinct addresses (either side) of the rows meeting `condition`, counted on the numeric columns of each
    family: an address's text is one-to-one with its number within a family, and IPv4 text never equals IPv6 text,
    so the count is that of the rendered addresses without rendering them (docs/benchmarks.md)."""
    c = f"{condition} AND " if condition else ""
    return (
        f"(uniqExactArrayIf([IPV4_SRC_ADDR, IPV4_DST_ADDR], {c}IP_PROTOCOL_VERSION != 6) "
        f"+ uniqExactArrayIf([IPV6_SRC_ADDR, IPV6_DST_ADDR], {c}IP_PROTOCOL_VERSION = 6))"
    )


def _totals_sql(condition: str = "") -> str:
    """sum bytes, packets, flows, distinct addresses, client-to-server bytes (of the rows meeting `condition`)."""
    if not condition:
        return f"sum(TOTAL_BYTES), sum(PACKETS), count(), {_hosts_sql()}, sum(SRC2DST_BYTES)"
    c = condition
    return f"sumIf(TOTAL_BYTES, {c}), sumIf(PACKETS, {c}), countIf({c}), {_hosts_sql(c)}, sumIf(SRC2DST_BYTES, {c})"


def _totals(row: tuple[object, ...] | list[object]) -> flows_pb2.TrafficTotals:
    nbytes, packets, flows, hosts, c2s = (int(v or 0) for v in row)  # type: ignore[call-overload]
    return flows_pb2.TrafficTotals(bytes=nbytes, packets=packets, flows=flows, hosts=hosts, client_to_server_bytes=c2s)


async def analyze_traffic(store: ClickHouseStore, flt: CompiledFilter, n: int) -> flows_pb2.AnalyzeTrafficResponse:
    """Totals and the main rankings for a filter."""
    totals, protocols, talkers, services, destinations = await asyncio.gather(
        store.read(f"SELECT {_totals_sql()} FROM flows WHERE {flt.where}"),
        _rank(store, flt.where, L7, n, D.TOP_K_DIMENSION_L7_PROTO),
        _rank_addresses(store, flt.where, "SRC", n),
        _rank(store, flt.where, PORT, n),
        _rank_addresses(store, flt.where, "DST", n),
    )
    return flows_pb2.AnalyzeTrafficResponse(
        totals=_totals(totals.rows[0] if totals.rows else (0, 0, 0, 0, 0)),
        protocols=protocols,
        top_talkers=talkers,
        top_services=services,
        top_destinations=destinations,
    )


async def host_profile(
    store: ClickHouseStore, ip: str, window: common_pb2.TimeWindow, n: int, direction: int
) -> flows_pb2.InvestigateHostResponse:
    """One host's traffic (as source, destination or both: `direction`), its label and country, peers, services,
    protocols and alerted flows."""
    both = compile_filter(flows_pb2.FlowFilter(window=window, **host_side(ip, direction)), default_span=HOST_SPAN)
    client, server = host_condition(ip, "SRC"), host_condition(ip, "DST")
    about_sql = (
        f"SELECT anyIf(SRC_LABEL, SRC_LABEL != '' AND {client}), anyIf(DST_LABEL, DST_LABEL != '' AND {server}), "
        f"anyIf({country_sql('SRC_COUNTRY_CODE')}, {client}), anyIf({country_sql('DST_COUNTRY_CODE')}, {server}), "
        f"countIf(STATUS != 0), {_totals_sql(client)}, {_totals_sql(server)} FROM flows WHERE {both.where}"
    )
    # One set per ranking; a flow of the host with itself counts as used and offered, as with separate queries.
    rankings_sql = (
        "SELECT multiIf(GROUPING(peer) = 0, 'peer', GROUPING(proto) = 0, 'proto', GROUPING(used) = 0, 'used', "
        "'offered') AS ranking, multiIf(ranking = 'peer', peer, ranking = 'proto', proto, ranking = 'used', used, "
        f"offered) AS k, {_AGG} FROM flows WHERE {both.where} GROUP BY GROUPING SETS "
        f"((if({client}, {DST_IP_SQL}, {SRC_IP_SQL}) AS peer), ({L7} AS proto), (if({client}, {PORT}, '') AS used), "
        f"(if({server}, {PORT}, '') AS offered)) HAVING k != '' ORDER BY ranking, bytes DESC, k LIMIT {n} BY ranking"
    )
    about, rankings = await asyncio.gather(store.read(about_sql), store.read(rankings_sql))
    src_label, dst_label, src_country, dst_country, alerted, *sides = about.rows[0]
    ranked: dict[str, list[flows_pb2.TopKEntry]] = {"peer": [], "proto": [], "used": [], "offered": []}
    for ranking, key, *rest in rankings.rows:
        dimension = D.TOP_K_DIMENSION_L7_PROTO if ranking == "proto" else 0
        ranked[ranking].append(_entry(dimension, key, *rest))
    as_client = direction != flows_pb2.HOST_DIRECTION_DESTINATION
    as_server = direction != flows_pb2.HOST_DIRECTION_SOURCE
    return flows_pb2.InvestigateHostResponse(
        ip=ip,
        label=src_label or dst_label or "",
        country=src_country or dst_country or "",
        as_client=_totals(sides[:5]) if as_client else None,
        as_server=_totals(sides[5:]) if as_server else None,
        peers=ranked["peer"],
        services_used=ranked["used"],
        services_offered=ranked["offered"],
        protocols=ranked["proto"],
        alerted_flows=int(alerted or 0),
        window_start=to_timestamp(both.start),
        window_end=to_timestamp(both.end),
    )
