"""DetectBottlenecks on Elasticsearch: exporter interface load from ECS NetFlow documents, by aggregations.

As on ClickHouse, a flow sends source bytes out of its egress interface and destination bytes out of its
ingress interface (and receives the other way). Each flow's bytes are spread over the buckets its duration covers by
duration class (see `spread`), within one bucket of where ClickHouse's exact per-flow spreading puts them.
Judging the buckets and scoring is shared with ClickHouse (netscope_flows.bottlenecks).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_flows import bottlenecks as shared
from netscope_flows.elastic import keys, spread
from netscope_flows.elastic.backend import ElasticBackend
from netscope_flows.elastic.query import compile_es_filter
from netscope_flows.settings import FlowsSettings
from netscope_flows.stats import MAX_EXPORTERS, MAX_INTERFACES

BUCKETS_PER_REQUEST = 50_000
# (ECS interface field, direction) -> the ECS byte field that direction carries through that interface
_SIDES = {
    ("netflow.egress_interface", "out"): "source.bytes",
    ("netflow.egress_interface", "in"): "destination.bytes",
    ("netflow.ingress_interface", "out"): "destination.bytes",
    ("netflow.ingress_interface", "in"): "source.bytes",
}
_FIELDS = ("netflow.egress_interface", "netflow.ingress_interface")


async def _interfaces(backend: ElasticBackend, query: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(exporter, interface field, ifIndex) seen in the window."""
    sides = {field: {"terms": {"field": field, "size": MAX_INTERFACES, "order": {"_key": "asc"}}} for field in _FIELDS}
    aggs = await backend.aggregate_query(
        query, {"e": {"terms": {"field": "observer.ip", "size": MAX_EXPORTERS}, "aggs": sides}}
    )
    return [
        (str(e["key"]), field, int(i["key"]))
        for e in aggs["e"]["buckets"]
        for field in _FIELDS
        for i in e[field]["buckets"]
        if int(i["key"])
    ]


async def _load(
    backend: ElasticBackend,
    query: dict[str, Any],
    interfaces: list[tuple[str, str, int]],
    width: int,
    buckets: int,
    end: int,
) -> dict[tuple[str, int, str, int], float]:
    """Bytes per (exporter, ifIndex, direction, bucket start), from per-interface spread histograms."""
    load: dict[tuple[str, int, str, int], float] = defaultdict(float)
    per_request = max(1, BUCKETS_PER_REQUEST // max(buckets, 1))
    for first in range(0, len(interfaces), per_request):
        chunk = interfaces[first : first + per_request]
        filters = {
            str(n): {"bool": {"filter": [{"term": {"observer.ip": e}}, {"term": {field: i}}]}}
            for n, (e, field, i) in enumerate(chunk)
        }
        histogram = spread.histogram(width, ("source.bytes", "destination.bytes"))
        aggs = await backend.aggregate_query(query, {"f": {"filters": {"filters": filters}, "aggs": {"t": histogram}}})
        for name, found in aggs["f"]["buckets"].items():
            exporter, field, if_index = chunk[int(name)]
            for direction in ("out", "in"):
                per_bucket = spread.spread(found["t"]["buckets"], width, _SIDES[(field, direction)], end)
                for bucket, nbytes in per_bucket.items():
                    load[(exporter, if_index, direction, bucket)] += nbytes
    return load


async def _top_pairs(
    backend: ElasticBackend, query: dict[str, Any], key: shared.Key, first: int, last: int
) -> list[flows_pb2.TopKEntry]:
    """The five pairs that sent the most bytes through the interface while it was over the threshold."""
    exporter, if_index, direction = key
    field = "netflow.egress_interface" if direction == "out" else "netflow.ingress_interface"
    during = [
        {"term": {"observer.ip": exporter}},
        {"term": {field: if_index}},
        {"range": {"event.end": {"gte": first * 1000, "format": "epoch_millis"}}},
        {"range": {"event.start": {"lt": last * 1000, "format": "epoch_millis"}}},
    ]
    pairs = keys.DIMENSIONS[flows_pb2.TOP_K_DIMENSION_IP_PAIR]
    aggs = await backend.aggregate_query(
        {"bool": {"filter": [query, *during]}}, {"p": keys.terms(pairs[0], 5, "bytes", dict(keys.SUMS))}
    )
    return [keys.entry(b, pairs[1]) for b in aggs["p"]["buckets"]]


async def detect_bottlenecks(
    backend: ElasticBackend, settings: FlowsSettings, request: flows_pb2.DetectBottlenecksRequest
) -> flows_pb2.DetectBottlenecksResponse:
    """Interfaces whose per-bucket rate reaches the threshold, worst first, with the pairs that filled them."""
    flt = compile_es_filter(request.filter)
    threshold, width = shared.parameters(settings, request, flt.start, flt.end)
    capacities = shared.capacity_map(settings, request)
    interfaces = await _interfaces(backend, flt.query)
    buckets = int((flt.end - flt.start).total_seconds() // width) + 2
    load = await _load(backend, flt.query, interfaces, width, buckets, int(flt.end.timestamp()))
    rows = ((e, i, d, b, v) for (e, i, d, b), v in load.items())
    judged = shared.utilisation(rows, capacities, settings.default_capacity_bps, width, threshold)
    found = []
    for key, over in judged.over.items():
        pairs = await _top_pairs(backend, flt.query, key, over[0][0], over[-1][0] + width)
        speed = capacities.get(key[:2]) or settings.default_capacity_bps
        found.append(shared.bottleneck(key, over, judged.peaks[key], speed, width, pairs))
    return shared.answer(found, threshold, width)
