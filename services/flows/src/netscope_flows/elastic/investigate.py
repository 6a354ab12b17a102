"""InvestigateHost on Elasticsearch: one aggregation request for both sides of a host."""

from __future__ import annotations

from typing import Any

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.arguments import HOST_SPAN
from netscope_flows.elastic import keys
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.elastic.query import compile_es_filter

D = flows_pb2.TopKDimension


def _side(f: FieldLayout, side: str, ip: str, n: int) -> dict[str, Any]:
    """Totals, services (destination ports) and country of the flows where the host is on `side`."""
    address, _, country = f.side(side)
    return {
        "filter": {"term": {address: ip}},
        "aggs": {
            **keys.sums(f),
            "hosts": {"cardinality": {"field": f.hosts}},
            "client_to_server": {"sum": {"field": f.src_bytes}},
            "services": keys.terms(keys.dimension(f, D.TOP_K_DIMENSION_DST_PORT)[0], n, "bytes", keys.sums(f)),
            "country": {"terms": {"field": country, "size": 1}},
        },
    }


def _totals(side: dict[str, Any]) -> flows_pb2.TrafficTotals:
    return flows_pb2.TrafficTotals(
        bytes=int(side["bytes"]["value"] or 0),
        packets=int(side["packets"]["value"] or 0),
        flows=int(side["doc_count"]),
        hosts=int(side["hosts"]["value"] or 0),
        client_to_server_bytes=int(side["client_to_server"]["value"] or 0),
    )


async def host_profile(
    index: EsIndex, ip: str, window: common_pb2.TimeWindow, n: int
) -> flows_pb2.InvestigateHostResponse:
    """A host's traffic both ways, peers (the other addresses of its flows), services and protocols."""
    f = index.layout
    both = compile_es_filter(flows_pb2.FlowFilter(window=window, host=ip), f, default_span=HOST_SPAN)
    port_format = keys.dimension(f, D.TOP_K_DIMENSION_DST_PORT)[1]
    l7_fields, l7_format = keys.dimension(f, D.TOP_K_DIMENSION_L7_PROTO)
    peers = keys.terms((f.hosts,), n, "bytes", keys.sums(f))
    peers["terms"]["exclude"] = [ip]
    aggs = await index.aggregate(
        both,
        [],
        {
            "client": _side(f, "source", ip, n),
            "server": _side(f, "destination", ip, n),
            "peers": peers,
            "protocols": keys.terms(l7_fields, n, "bytes", keys.sums(f)),
        },
    )
    countries = [b["key"] for side in ("client", "server") for b in aggs[side]["country"]["buckets"]]
    return flows_pb2.InvestigateHostResponse(
        ip=ip,
        country=countries[0] if countries else "",
        as_client=_totals(aggs["client"]),
        as_server=_totals(aggs["server"]),
        peers=[keys.entry(b, "{0}") for b in aggs["peers"]["buckets"]],
        services_used=[keys.entry(b, port_format) for b in aggs["client"]["services"]["buckets"]],
        services_offered=[keys.entry(b, port_format) for b in aggs["server"]["services"]["buckets"]],
        protocols=[keys.entry(b, l7_format) for b in aggs["protocols"]["buckets"]],
        window_start=to_timestamp(both.start),
        window_end=to_timestamp(both.end),
    )
