"""How each TopK dimension and metric maps onto a layout's fields and Elasticsearch aggregations."""

from __future__ import annotations

from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.elastic.query import not_in_ecs

D = flows_pb2.TopKDimension
M = flows_pb2.Metric


def dimensions(f: FieldLayout) -> dict[int, tuple[tuple[str, ...], str]]:
    """dimension -> (the layout's fields, how the key is rendered from their values).

    Without a transport field a service is its port alone; without an exporter an interface its ifIndex alone.
    """
    port = ((f.dst_port, f.transport), "{0}/{1}") if f.has(f.transport) else ((f.dst_port,), "{0}")
    interface = ((f.exporter, f.ingress), "{0} if {1}") if f.has(f.exporter) else ((f.ingress,), "if {0}")
    return {
        D.TOP_K_DIMENSION_SRC_IP: ((f.src_ip,), "{0}"),
        D.TOP_K_DIMENSION_DST_IP: ((f.dst_ip,), "{0}"),
        D.TOP_K_DIMENSION_IP_PAIR: ((f.src_ip, f.dst_ip), "{0} -> {1}"),
        D.TOP_K_DIMENSION_DST_PORT: port,
        D.TOP_K_DIMENSION_L7_PROTO: ((f.application,), "{0}"),
        D.TOP_K_DIMENSION_SRC_COUNTRY: ((f.src_country,), "{0}"),
        D.TOP_K_DIMENSION_DST_COUNTRY: ((f.dst_country,), "{0}"),
        D.TOP_K_DIMENSION_DST_ASN: ((f.dst_asn,), "{0}"),
        D.TOP_K_DIMENSION_EXPORTER_INTERFACE: interface,
        D.TOP_K_DIMENSION_HOST: ((f.hosts,), "{0}"),
    }


def sums(f: FieldLayout) -> dict[str, dict[str, Any]]:
    """The bytes and packets sub-aggregations every ranking carries."""
    return {"bytes": {"sum": {"field": f.bytes}}, "packets": {"sum": {"field": f.packets}}}


_ORDER: dict[int, str] = {
    M.METRIC_UNSPECIFIED: "bytes",
    M.METRIC_BYTES: "bytes",
    M.METRIC_PACKETS: "packets",
    M.METRIC_FLOWS: "_count",
}


def metric_order(metric: int) -> str:
    """The bucket path a (checked) metric ranks by; score is ntopng-only."""
    if metric == M.METRIC_SCORE:
        raise not_in_ecs("metric SCORE (ntopng's flow score)", "metric")
    return _ORDER[metric]


def dimension(layout: FieldLayout, value: int) -> tuple[tuple[str, ...], str]:
    """Fields and key format of a (checked) TopK dimension (unspecified = SRC_IP)."""
    return dimensions(layout)[value or D.TOP_K_DIMENSION_SRC_IP]


# network.direction of flows whose client (server) is local; remote is every other direction.
_LOCAL_CLIENT = ("internal", "outbound")
_LOCAL_SERVER = ("internal", "inbound")


def locality(layout: FieldLayout, dimension: int, value: int) -> dict[str, Any]:
    """Flows whose ranked side (the server for DST_IP, else the client) is local or remote, from network.direction."""
    if dimension == D.TOP_K_DIMENSION_HOST:
        raise FailedPrecondition(
            "locality with dimension HOST needs ntopng's per-side location, which ECS NetFlow documents do not carry; "
            "this service is configured for Elasticsearch: rank SRC_IP or DST_IP with a locality instead",
            field="locality",
        )
    local = list(_LOCAL_SERVER if dimension == D.TOP_K_DIMENSION_DST_IP else _LOCAL_CLIENT)
    clause = {"terms": {layout.direction: local}}
    return clause if value == flows_pb2.LOCALITY_LOCAL else {"bool": {"must_not": [clause]}}


def terms(fields: tuple[str, ...], size: int, order: str, subs: dict[str, Any]) -> dict[str, Any]:
    """A terms (or multi_terms) bucket aggregation ranked by `order`, ties by key."""
    ranking = [{order: "desc"}, {"_key": "asc"}]
    shard_size = max(size * 5, 100)
    if len(fields) == 1:
        body: dict[str, Any] = {"terms": {"field": fields[0], "size": size, "shard_size": shard_size}}
    else:
        body = {"multi_terms": {"terms": [{"field": f} for f in fields], "size": size, "shard_size": shard_size}}
    next(iter(body.values()))["order"] = ranking
    body["aggs"] = subs
    return body


def render(bucket: dict[str, Any], fmt: str) -> str:
    """A bucket's key as an assistant reads it."""
    key = bucket["key"]
    return fmt.format(*(_plain(v) for v in (key if isinstance(key, list) else [key])))


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def entry(bucket: dict[str, Any], fmt: str) -> flows_pb2.TopKEntry:
    """A ranked bucket with bytes/packets sub-aggregations as a TopKEntry (score: ECS has none)."""
    return flows_pb2.TopKEntry(
        key=render(bucket, fmt),
        bytes=int(bucket["bytes"]["value"] or 0),
        packets=int(bucket["packets"]["value"] or 0),
        flows=int(bucket["doc_count"]),
    )
