"""DetectBottlenecks on Elasticsearch: exporter interface load from NetFlow documents, by aggregations.

As on ClickHouse, a flow sends source bytes out of its egress interface and destination bytes out of its
ingress interface (and receives the other way). Each flow's bytes are spread over the buckets its duration covers by
duration class (see `spread`), within one bucket of where ClickHouse's exact per-flow spreading puts them.
Judging the buckets and scoring is shared with ClickHouse (netscope_flows.bottlenecks).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_flows.arguments import MAX_EXPORTERS, MAX_INTERFACES
from netscope_flows.backend import InterfaceKey, LoadRow
from netscope_flows.elastic import keys, spread
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.elastic.query import EsFilter

BUCKETS_PER_REQUEST = 50_000


def _carried(f: FieldLayout, interface: str, direction: str) -> str | None:
    """The byte field a direction carries through an interface field (egress sends the source's bytes).

    A one-direction document (seed 003's: source and destination bytes are both network.bytes) enters by its
    ingress interface and leaves by its egress interface, and carries nothing the other way.
    """
    if f.src_bytes == f.dst_bytes:
        return f.bytes if (interface == f.egress) == (direction == "out") else None
    sends = f.src_bytes if interface == f.egress else f.dst_bytes
    receives = f.dst_bytes if interface == f.egress else f.src_bytes
    return sends if direction == "out" else receives


def _exporter(f: FieldLayout, exporter: str) -> list[dict[str, Any]]:
    """The clause selecting an exporter's documents (none when the documents name no exporter)."""
    return [{"term": {f.exporter: exporter}}] if f.has(f.exporter) else []


def caveats(f: FieldLayout, index: str) -> list[str]:
    """Without an exporter field the same ifIndex of every exporter is one interface: say so, naming the field."""
    if f.has(f.exporter):
        return []
    return [
        f"interfaces are told apart by ifIndex alone: the documents of {index} name no exporter (field {f.exporter}, "
        f"field layout {f.name}), so an ifIndex of several exporters counts as one interface with their bytes "
        "added up; the loads are right when the index holds one exporter's flows, otherwise add the field to the "
        "documents"
    ]


async def _interfaces(index: EsIndex, query: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(exporter, interface field, ifIndex) seen in the window."""
    f = index.layout
    fields = (f.egress, f.ingress)
    sides = {name: {"terms": {"field": name, "size": MAX_INTERFACES, "order": {"_key": "asc"}}} for name in fields}
    if not f.has(f.exporter):  # interfaces by ifIndex alone, exporter ""
        aggs = await index.aggregate_query(query, sides)
        return [("", name, int(i["key"])) for name in fields for i in aggs[name]["buckets"] if int(i["key"])]
    aggs = await index.aggregate_query(
        query, {"e": {"terms": {"field": f.exporter, "size": MAX_EXPORTERS}, "aggs": sides}}
    )
    return [
        (str(e["key"]), name, int(i["key"]))
        for e in aggs["e"]["buckets"]
        for name in fields
        for i in e[name]["buckets"]
        if int(i["key"])
    ]


async def interface_load(index: EsIndex, flt: EsFilter, width: int) -> list[LoadRow]:
    """Bytes per (exporter, ifIndex, direction, bucket start), from per-interface spread histograms."""
    f = index.layout
    interfaces = await _interfaces(index, flt.query)
    buckets = int((flt.end - flt.start).total_seconds() // width) + 2
    end = int(flt.end.timestamp())
    load: dict[tuple[str, int, str, int], float] = defaultdict(float)
    per_request = max(1, BUCKETS_PER_REQUEST // max(buckets, 1))
    for first in range(0, len(interfaces), per_request):
        chunk = interfaces[first : first + per_request]
        filters = {
            str(n): {"bool": {"filter": [*_exporter(f, e), {"term": {name: i}}]}}
            for n, (e, name, i) in enumerate(chunk)
        }
        histogram = spread.histogram(f, width, (f.src_bytes, f.dst_bytes))
        aggs = await index.aggregate_query(
            flt.query, {"f": {"filters": {"filters": filters}, "aggs": {"t": histogram}}}
        )
        for name, found in aggs["f"]["buckets"].items():
            exporter, interface, if_index = chunk[int(name)]
            for direction in ("out", "in"):
                field = _carried(f, interface, direction)
                if field is None:
                    continue
                for bucket, nbytes in spread.spread(found["t"]["buckets"], width, field, end).items():
                    load[(exporter, if_index, direction, bucket)] += nbytes
    return [(e, i, d, b, v) for (e, i, d, b), v in load.items()]


async def top_pairs(
    index: EsIndex, flt: EsFilter, key: InterfaceKey, first: int, last: int
) -> list[flows_pb2.TopKEntry]:
    """The five pairs that sent the most bytes through the interface while it was over the threshold."""
    f = index.layout
    exporter, if_index, direction = key
    during = [
        *_exporter(f, exporter),
        {"term": {f.egress if direction == "out" else f.ingress: if_index}},
        {"range": {f.end: {"gte": first * 1000, "format": "epoch_millis"}}},
        {"range": {f.start: {"lt": last * 1000, "format": "epoch_millis"}}},
    ]
    fields, fmt = keys.dimension(f, flows_pb2.TOP_K_DIMENSION_IP_PAIR)
    aggs = await index.aggregate(flt, during, {"p": keys.terms(fields, 5, "bytes", keys.sums(f))})
    return [keys.entry(b, fmt) for b in aggs["p"]["buckets"]]
