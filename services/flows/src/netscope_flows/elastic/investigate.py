"""InvestigateHost on Elasticsearch: one aggregation request for both sides of a host, plus its findings."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import to_timestamp
from netscope_flows.elastic import keys
from netscope_flows.elastic.anomalies import find_anomalies
from netscope_flows.elastic.backend import MAX_TOP_N, ElasticBackend
from netscope_flows.elastic.query import compile_es_filter
from netscope_flows.settings import FlowsSettings

D = flows_pb2.TopKDimension
_PORT = keys.DIMENSIONS[D.TOP_K_DIMENSION_DST_PORT]
_L7 = keys.DIMENSIONS[D.TOP_K_DIMENSION_L7_PROTO]


def _side(field: str, ip: str, n: int) -> dict[str, Any]:
    """Totals, services (destination ports) and country of the flows where `field` is the host."""
    return {
        "filter": {"term": {field: ip}},
        "aggs": {
            **keys.SUMS,
            "hosts": {"cardinality": {"field": "related.ip"}},
            "client_to_server": {"sum": {"field": "source.bytes"}},
            "services": keys.terms(_PORT[0], n, "bytes", dict(keys.SUMS)),
            "country": {"terms": {"field": f"{field.split('.')[0]}.geo.country_iso_code", "size": 1}},
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


async def investigate_host(
    backend: ElasticBackend, settings: FlowsSettings, request: flows_pb2.InvestigateHostRequest
) -> flows_pb2.InvestigateHostResponse:
    """A host's traffic both ways, peers (other side of `related.ip`), services, protocols and findings."""
    try:
        ip = str(ipaddress.ip_address(request.ip.strip()))
    except ValueError:
        raise InvalidArgument(
            f"ip must be one IPv4 or IPv6 address such as 10.1.2.42; got {request.ip!r}", field="ip"
        ) from None
    if request.top_n > MAX_TOP_N:
        raise InvalidArgument(
            f"top_n must be between 1 and {MAX_TOP_N} (0 means 10); got {request.top_n}", field="top_n"
        )
    n = request.top_n or 10
    both = compile_es_filter(flows_pb2.FlowFilter(window=request.window, host=ip), default_span=timedelta(hours=24))
    peers = keys.terms(("related.ip",), n, "bytes", dict(keys.SUMS))
    peers["terms"]["exclude"] = [ip]
    aggs = await backend.aggregate(
        both,
        [],
        {
            "client": _side("source.ip", ip, n),
            "server": _side("destination.ip", ip, n),
            "peers": peers,
            "protocols": keys.terms(_L7[0], n, "bytes", dict(keys.SUMS)),
        },
    )
    anomalies = await find_anomalies(
        backend, settings, flows_pb2.FindAnomaliesRequest(filter=flows_pb2.FlowFilter(window=request.window, host=ip))
    )
    countries = [b["key"] for side in ("client", "server") for b in aggs[side]["country"]["buckets"]]
    return flows_pb2.InvestigateHostResponse(
        ip=ip,
        country=countries[0] if countries else "",
        as_client=_totals(aggs["client"]),
        as_server=_totals(aggs["server"]),
        peers=[keys.entry(b, "{0}") for b in aggs["peers"]["buckets"]],
        services_used=[keys.entry(b, _PORT[1]) for b in aggs["client"]["services"]["buckets"]],
        services_offered=[keys.entry(b, _PORT[1]) for b in aggs["server"]["services"]["buckets"]],
        protocols=[keys.entry(b, _L7[1]) for b in aggs["protocols"]["buckets"]],
        findings=[f for f in anomalies.findings if ip in (*f.hosts, *f.peers)],
        window_start=to_timestamp(both.start),
        window_end=to_timestamp(both.end),
    )
