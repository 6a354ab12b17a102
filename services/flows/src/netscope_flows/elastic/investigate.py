"""InvestigateHost on Elasticsearch: one aggregation request for both sides of a host."""

from __future__ import annotations

from typing import Any

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.arguments import HOST_SPAN, host_side
from netscope_flows.elastic import keys
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.elastic.query import compile_es_filter

D = flows_pb2.TopKDimension


def _side(f: FieldLayout, side: str, ip: str, n: int) -> dict[str, Any]:
    """Totals, services (destination ports), peers and country of the flows where the host is on `side`."""
    address, _, country = f.side(side)
    other = f.dst_ip if side == "source" else f.src_ip
    aggs: dict[str, Any] = {
        **keys.sums(f),
        # both addresses of its flows: related.ip, or the other side's plus the host itself
        "hosts": {"cardinality": {"field": f.hosts if f.has(f.hosts) else other}},
        "client_to_server": {"sum": {"field": f.src_bytes}},
        "services": keys.terms(keys.dimension(f, D.TOP_K_DIMENSION_DST_PORT)[0], n, "bytes", keys.sums(f)),
        "peers": keys.terms((other,), n, "bytes", keys.sums(f)),
    }
    if f.has(country):
        aggs["country"] = {"terms": {"field": country, "size": 1}}
    return {"filter": {"term": {address: ip}}, "aggs": aggs}


def _totals(side: dict[str, Any], extra_host: int) -> flows_pb2.TrafficTotals:
    flows = int(side["doc_count"])
    return flows_pb2.TrafficTotals(
        bytes=int(side["bytes"]["value"] or 0),
        packets=int(side["packets"]["value"] or 0),
        flows=flows,
        hosts=int(side["hosts"]["value"] or 0) + (extra_host if flows else 0),
        client_to_server_bytes=int(side["client_to_server"]["value"] or 0),
    )


def _merged_peers(aggs: dict[str, Any], sides: list[str], n: int) -> list[flows_pb2.TopKEntry]:
    """Peers by bytes from each side's ranking of the other address (when related.ip is absent)."""
    merged: dict[str, flows_pb2.TopKEntry] = {}
    for side in sides:
        for b in aggs[side]["peers"]["buckets"]:
            e = keys.entry(b, "{0}")
            if e.key in merged:
                merged[e.key].bytes += e.bytes
                merged[e.key].packets += e.packets
                merged[e.key].flows += e.flows
            else:
                merged[e.key] = e
    return sorted(merged.values(), key=lambda e: (-e.bytes, e.key))[:n]


async def host_profile(
    index: EsIndex, ip: str, window: common_pb2.TimeWindow, n: int, direction: int
) -> flows_pb2.InvestigateHostResponse:
    """A host's traffic (as source, destination or both: `direction`), peers (the other addresses of its flows),
    services and protocols; what the documents cannot tell is listed in `unavailable`."""
    f = index.layout
    chosen = compile_es_filter(
        flows_pb2.FlowFilter(window=window, **host_side(ip, direction)), f, default_span=HOST_SPAN
    )
    port_format = keys.dimension(f, D.TOP_K_DIMENSION_DST_PORT)[1]
    l7_fields, l7_format = keys.dimension(f, D.TOP_K_DIMENSION_L7_PROTO)
    sides = [
        name
        for name, wanted in (
            ("client", direction != flows_pb2.HOST_DIRECTION_DESTINATION),
            ("server", direction != flows_pb2.HOST_DIRECTION_SOURCE),
        )
        if wanted
    ]
    aggs: dict[str, Any] = {name: _side(f, "source" if name == "client" else "destination", ip, n) for name in sides}
    unavailable = []
    if f.has(f.hosts):
        peers = keys.terms((f.hosts,), n, "bytes", keys.sums(f))
        peers["terms"]["exclude"] = [ip]
        aggs["peers"] = peers
    if f.has(f.application):
        aggs["protocols"] = keys.terms(l7_fields, n, "bytes", keys.sums(f))
    else:
        unavailable.append(str(f.missing(f.application, "protocols", index.index)))
    if not f.has(f.src_country):
        unavailable.append(str(f.missing(f.src_country, "country", index.index)))
    found = await index.aggregate(chosen, [], aggs)
    countries = [b["key"] for side in sides for b in found[side].get("country", {}).get("buckets", [])]
    answer = flows_pb2.InvestigateHostResponse(
        ip=ip,
        country=countries[0] if countries else "",
        peers=[keys.entry(b, "{0}") for b in found["peers"]["buckets"]]
        if "peers" in found
        else _merged_peers(found, sides, n),
        protocols=[keys.entry(b, l7_format) for b in found.get("protocols", {}).get("buckets", [])],
        window_start=to_timestamp(chosen.start),
        window_end=to_timestamp(chosen.end),
        unavailable=unavailable,
    )
    extra = 0 if f.has(f.hosts) else 1
    if "client" in found:
        answer.as_client.CopyFrom(_totals(found["client"], extra))
        answer.services_used.extend(keys.entry(b, port_format) for b in found["client"]["services"]["buckets"])
    if "server" in found:
        answer.as_server.CopyFrom(_totals(found["server"], extra))
        answer.services_offered.extend(keys.entry(b, port_format) for b in found["server"]["services"]["buckets"])
    return answer
