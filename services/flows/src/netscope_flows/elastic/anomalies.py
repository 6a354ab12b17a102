"""FindAnomalies' detectors on Elasticsearch: port scans (cardinality aggregations), off-hours exfiltration (sums), and
the timing detectors of `timing` (beaconing, DGA names, spikes/drops); scoring is shared with ClickHouse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.detections import RARE_PORT_MAX_GROUPS, RarePort, peer_evidence, rare_port_finding
from netscope_flows.detections import finding as _finding
from netscope_flows.elastic import timing
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.elastic.query import EsFilter, window_range
from netscope_flows.findings import evidence_filter
from netscope_flows.service_ports import ServicePorts
from netscope_flows.settings import FlowsSettings

K = flows_pb2.AnomalyKind
DAY = timedelta(days=1)
MAX_GROUPS = 100


def _when(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _probe(f: FieldLayout) -> list[dict[str, Any]]:
    """A probe: a handful of packets, no payload to speak of (as on the ClickHouse path)."""
    return [{"range": {f.packets: {"lte": 4}}}, {"range": {f.bytes: {"lte": 400}}}]


def _scan_groups(f: FieldLayout, fields: tuple[str, str], distinct: str, minimum: int) -> dict[str, Any]:
    """(field pair) buckets ranked by distinct values of `distinct`, keeping those with at least `minimum`."""
    return {
        "multi_terms": {
            "terms": [{"field": name} for name in fields],
            "size": MAX_GROUPS,
            "shard_size": MAX_GROUPS * 10,
            "order": [{"distinct": "desc"}, {"_key": "asc"}],
        },
        "aggs": {
            "distinct": {"cardinality": {"field": distinct, "precision_threshold": 40000}},
            "keep": {"bucket_selector": {"buckets_path": {"d": "distinct"}, "script": f"params.d >= {minimum}"}},
            "first": {"min": {"field": f.start}},
            "last": {"max": {"field": f.end}},
            "bytes": {"sum": {"field": f.bytes}},
            "lo": {"min": {"field": f.dst_port}},
            "hi": {"max": {"field": f.dst_port}},
        },
    }


def _evidence(base: flows_pb2.FlowFilter, start: datetime, end: datetime, **fields: object) -> flows_pb2.FlowFilter:
    """The evidence window ends a second after the last flow's end (ClickHouse keeps whole seconds)."""
    return evidence_filter(base, start, end + timedelta(seconds=1), **fields)


async def horizontal_scans(
    index: EsIndex, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, minimum: int
) -> list[flows_pb2.Finding]:
    """Clients probing at least `minimum` hosts on one port."""
    f = index.layout
    aggs = await index.aggregate(flt, _probe(f), {"g": _scan_groups(f, (f.src_ip, f.dst_port), f.dst_ip, minimum)})
    by_src: dict[str, list[dict[str, Any]]] = {}
    for b in aggs["g"]["buckets"]:
        by_src.setdefault(str(b["key"][0]), []).append(b)
    out = []
    for src, items in by_src.items():
        ports = sorted(int(b["key"][1]) for b in items)
        targets = max(int(b["distinct"]["value"]) for b in items)
        start = _when(min(b["first"]["value"] for b in items))
        end = _when(max(b["last"]["value"] for b in items))
        out.append(
            _finding(
                K.ANOMALY_KIND_HORIZONTAL_SCAN,
                f"{src} probed {targets} hosts on port(s) {', '.join(map(str, ports))}",
                50 + targets / 5,
                {"ports": ports, "distinct_targets": targets, "probe": "<= 4 packets, <= 400 bytes"},
                hosts=[src],
                start=to_timestamp(start),
                end=to_timestamp(end),
                flows=sum(int(b["doc_count"]) for b in items),
                bytes=sum(int(b["bytes"]["value"] or 0) for b in items),
                evidence_filter=_evidence(request.filter, start, end, src_ip=src),
            )
        )
    return out


async def vertical_scans(
    index: EsIndex, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, minimum: int
) -> list[flows_pb2.Finding]:
    """Clients probing at least `minimum` ports of one host."""
    f = index.layout
    aggs = await index.aggregate(flt, _probe(f), {"g": _scan_groups(f, (f.src_ip, f.dst_ip), f.dst_port, minimum)})
    out = []
    for b in aggs["g"]["buckets"]:
        src, dst = str(b["key"][0]), str(b["key"][1])
        ports, lo, hi = int(b["distinct"]["value"]), int(b["lo"]["value"]), int(b["hi"]["value"])
        start, end = _when(b["first"]["value"]), _when(b["last"]["value"])
        out.append(
            _finding(
                K.ANOMALY_KIND_VERTICAL_SCAN,
                f"{src} probed {ports} ports ({lo}-{hi}) of {dst}",
                50 + ports / 10,
                {"distinct_ports": ports, "port_range": f"{lo}-{hi}"},
                hosts=[src],
                peers=[dst],
                start=to_timestamp(start),
                end=to_timestamp(end),
                flows=int(b["doc_count"]),
                evidence_filter=_evidence(request.filter, start, end, src_ip=src, dst_ip=dst),
            )
        )
    return out


def _peer(bucket: dict[str, Any]) -> tuple[str, int]:
    """The destination's country and ASN in an exfiltration group (one peer: constant over its flows)."""
    country = bucket.get("country", {}).get("buckets", [])
    asn = bucket.get("asn", {}).get("buckets", [])
    return (str(country[0]["key"]) if country else "", int(asn[0]["key"]) if asn else 0)


def off_hours(f: FieldLayout, flt: EsFilter, settings: FlowsSettings) -> dict[str, Any]:
    """Flows that started outside business hours (UTC): one start-time range per night of the window."""
    day = flt.start.replace(hour=0, minute=0, second=0, microsecond=0) - DAY
    nights = []
    while day < flt.end:
        begin = day + timedelta(hours=settings.business_hours_end)
        finish = day + DAY + timedelta(hours=settings.business_hours_start)
        nights.append(window_range(f, max(begin, flt.start), min(finish, flt.end)))
        day += DAY
    return {"bool": {"should": nights, "minimum_should_match": 1}}


PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]


def _outbound(f: FieldLayout) -> list[dict[str, Any]]:
    """Local to remote flows: network.direction outbound, or, without it, a private source and a public destination
    (how the scenario and IngestFlows set the direction)."""
    if f.has(f.direction):
        return [{"term": {f.direction: "outbound"}}]
    return [{"terms": {f.src_ip: PRIVATE}}, {"bool": {"must_not": [{"terms": {f.dst_ip: PRIVATE}}]}}]


async def off_hours_exfiltration(
    index: EsIndex, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, settings: FlowsSettings
) -> list[flows_pb2.Finding]:
    """Local hosts uploading at least exfil_min_bytes to one remote peer outside business hours."""
    f = index.layout
    minimum = settings.exfil_min_bytes
    hours = f"{settings.business_hours_start:02d}:00-{settings.business_hours_end:02d}:00"
    groups: dict[str, Any] = {
        "multi_terms": {
            "terms": [{"field": f.src_ip}, {"field": f.dst_ip}],
            "size": MAX_GROUPS,
            "shard_size": MAX_GROUPS * 10,
            "order": [{"up": "desc"}, {"_key": "asc"}],
        },
        "aggs": {
            "up": {"sum": {"field": f.src_bytes}},
            "keep": {"bucket_selector": {"buckets_path": {"u": "up"}, "script": f"params.u >= {minimum}"}},
            "first": {"min": {"field": f.start}},
            "last": {"max": {"field": f.end}},
        },
    }
    for name, field in (("country", f.dst_country), ("asn", f.dst_asn)):
        if f.has(field):
            groups["aggs"][name] = {"terms": {"field": field, "size": 1}}
    outbound = [*_outbound(f), off_hours(f, flt, settings)]
    aggs = await index.aggregate(flt, outbound, {"g": groups})
    out = []
    for b in aggs["g"]["buckets"]:
        src, dst, up = str(b["key"][0]), str(b["key"][1]), int(b["up"]["value"] or 0)
        start, end = _when(b["first"]["value"]), _when(b["last"]["value"])
        out.append(
            _finding(
                K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION,
                f"{src} uploaded {up / 1e9:.1f} GB to {dst} outside business hours",
                60 + 10 * up / minimum,
                {"uploaded_bytes": up, "business_hours_utc": hours, **peer_evidence(*_peer(b))},
                hosts=[src],
                peers=[dst],
                start=to_timestamp(start),
                end=to_timestamp(end),
                flows=int(b["doc_count"]),
                bytes=up,
                evidence_filter=_evidence(request.filter, start, end, src_ip=src, dst_ip=dst),
            )
        )
    return out


async def rare_ports(
    index: EsIndex, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, settings: FlowsSettings
) -> list[flows_pb2.Finding]:
    """Server ports no named service uses on which at most rare_port_max_clients clients exchanged data."""
    f = index.layout
    known = ServicePorts(settings.service_ports).known
    data = [
        {"bool": {"must_not": [{"bool": {"filter": _probe(f)}}]}},
        {"range": {f.dst_port: {"gt": 0}}},
        {"bool": {"must_not": [{"terms": {f.dst_port: known}}]}},
    ]
    most = settings.rare_port_max_clients
    groups = {
        "terms": {"field": f.dst_port, "size": RARE_PORT_MAX_GROUPS, "order": {"_key": "asc"}},
        "aggs": {
            "n": {"cardinality": {"field": f.src_ip}},
            "keep": {"bucket_selector": {"buckets_path": {"n": "n"}, "script": f"params.n <= {most}"}},
            "clients": {"terms": {"field": f.src_ip, "size": 10, "order": {"_key": "asc"}}},
            "servers": {"terms": {"field": f.dst_ip, "size": 10, "order": {"_key": "asc"}}},
            "bytes": {"sum": {"field": f.bytes}},
            "first": {"min": {"field": f.start}},
            "last": {"max": {"field": f.end}},
        },
    }
    aggs = await index.aggregate(flt, data, {"g": groups})
    out = []
    for b in aggs["g"]["buckets"]:
        port, start, end = int(b["key"]), _when(b["first"]["value"]), _when(b["last"]["value"])
        rare = RarePort(
            port,
            [str(c["key"]) for c in b["clients"]["buckets"]],
            [str(s["key"]) for s in b["servers"]["buckets"]],
            int(b["n"]["value"]),
            int(b["doc_count"]),
            int(b["bytes"]["value"] or 0),
            start,
            end,
        )
        out.append(rare_port_finding(rare, _evidence(request.filter, start, end, dst_port=port)))
    return out


def unavailable(f: FieldLayout, index: str, kinds: frozenset[int]) -> dict[int, str]:
    """The asked-for detectors these documents cannot run, each with the reason (the field it needs)."""
    needs = {K.ANOMALY_KIND_DGA_DOMAINS: (f.dns_name, "DGA_DOMAINS (the names DNS flows asked for)")}
    return {
        kind: str(f.missing(field, what, index))
        for kind, (field, what) in needs.items()
        if kind in kinds and not f.has(field)
    }


async def detect(
    index: EsIndex,
    settings: FlowsSettings,
    flt: EsFilter,
    request: flows_pb2.FindAnomaliesRequest,
    kinds: frozenset[int],
) -> list[flows_pb2.Finding]:
    """Every finding of the detectors of `kinds` (the findings policy is the caller's); the detectors' searches
    are sent concurrently, their findings listed in the detectors' order."""

    def evidence(start: datetime, end: datetime, **fields: object) -> flows_pb2.FlowFilter:
        return _evidence(request.filter, start, end, **fields)

    kinds = kinds - set(unavailable(index.layout, index.index, kinds))
    running: list[Awaitable[list[flows_pb2.Finding]]] = []
    if K.ANOMALY_KIND_HORIZONTAL_SCAN in kinds:
        running.append(horizontal_scans(index, flt, request, settings.scan_min_targets))
    if K.ANOMALY_KIND_VERTICAL_SCAN in kinds:
        running.append(vertical_scans(index, flt, request, settings.scan_min_targets))
    if K.ANOMALY_KIND_DGA_DOMAINS in kinds:
        running.append(timing.dga_domains(index, flt, evidence))
    if K.ANOMALY_KIND_BEACONING in kinds:
        running.append(timing.beaconing(index, flt, evidence))
    if K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION in kinds:
        running.append(off_hours_exfiltration(index, flt, request, settings))
    if K.ANOMALY_KIND_RARE_PORT in kinds:
        running.append(rare_ports(index, flt, request, settings))
    if kinds & {K.ANOMALY_KIND_TRAFFIC_SPIKE, K.ANOMALY_KIND_TRAFFIC_DROP}:
        running.append(timing.volume_changes(index, flt, evidence))
    found = [f for part in await asyncio.gather(*running) for f in part]
    return [f for f in found if f.kind in kinds]
