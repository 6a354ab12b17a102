"""FindAnomalies on Elasticsearch: port scans (cardinality aggregations), off-hours exfiltration (sums), and
the timing detectors of `timing` (beaconing, DGA names, spikes/drops); scoring is shared with ClickHouse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import make_window, to_timestamp
from netscope_flows.anomalies import MAX_FINDINGS, SAMPLE_FLOWS
from netscope_flows.detections import finding as _finding
from netscope_flows.detections import peer_evidence
from netscope_flows.elastic import timing
from netscope_flows.elastic.backend import ElasticBackend
from netscope_flows.elastic.query import EsFilter, compile_es_filter, window_range
from netscope_flows.settings import FlowsSettings

K = flows_pb2.AnomalyKind
DAY = timedelta(days=1)
# A probe: a handful of packets, no payload to speak of (as on the ClickHouse path).
PROBE = [{"range": {"network.packets": {"lte": 4}}}, {"range": {"network.bytes": {"lte": 400}}}]
MAX_GROUPS = 100


def _when(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _scan_groups(fields: tuple[str, str], distinct: str, minimum: int) -> dict[str, Any]:
    """(field pair) buckets ranked by distinct values of `distinct`, keeping those with at least `minimum`."""
    return {
        "multi_terms": {
            "terms": [{"field": f} for f in fields],
            "size": MAX_GROUPS,
            "shard_size": MAX_GROUPS * 10,
            "order": [{"distinct": "desc"}, {"_key": "asc"}],
        },
        "aggs": {
            "distinct": {"cardinality": {"field": distinct, "precision_threshold": 40000}},
            "keep": {"bucket_selector": {"buckets_path": {"d": "distinct"}, "script": f"params.d >= {minimum}"}},
            "first": {"min": {"field": "event.start"}},
            "last": {"max": {"field": "event.end"}},
            "bytes": {"sum": {"field": "network.bytes"}},
            "lo": {"min": {"field": "destination.port"}},
            "hi": {"max": {"field": "destination.port"}},
        },
    }


def _evidence(base: flows_pb2.FlowFilter, start: datetime, end: datetime, **fields: object) -> flows_pb2.FlowFilter:
    flt = flows_pb2.FlowFilter()
    flt.CopyFrom(base)
    flt.window.CopyFrom(make_window(start, end + timedelta(seconds=1)))
    for name, value in fields.items():
        setattr(flt, name, value)
    return flt


async def horizontal_scans(
    backend: ElasticBackend, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, minimum: int
) -> list[flows_pb2.Finding]:
    """Clients probing at least `minimum` hosts on one port."""
    aggs = await backend.aggregate(
        flt, PROBE, {"g": _scan_groups(("source.ip", "destination.port"), "destination.ip", minimum)}
    )
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
    backend: ElasticBackend, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, minimum: int
) -> list[flows_pb2.Finding]:
    """Clients probing at least `minimum` ports of one host."""
    aggs = await backend.aggregate(
        flt, PROBE, {"g": _scan_groups(("source.ip", "destination.ip"), "destination.port", minimum)}
    )
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
    country = bucket["country"]["buckets"]
    asn = bucket["asn"]["buckets"]
    return (str(country[0]["key"]) if country else "", int(asn[0]["key"]) if asn else 0)


def off_hours(flt: EsFilter, settings: FlowsSettings) -> dict[str, Any]:
    """Flows that started outside business hours (UTC): one event.start range per night of the window."""
    day = flt.start.replace(hour=0, minute=0, second=0, microsecond=0) - DAY
    nights = []
    while day < flt.end:
        begin = day + timedelta(hours=settings.business_hours_end)
        finish = day + DAY + timedelta(hours=settings.business_hours_start)
        nights.append(window_range(max(begin, flt.start), min(finish, flt.end)))
        day += DAY
    return {"bool": {"should": nights, "minimum_should_match": 1}}


async def off_hours_exfiltration(
    backend: ElasticBackend, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, settings: FlowsSettings
) -> list[flows_pb2.Finding]:
    """Local hosts uploading at least exfil_min_bytes to one remote peer outside business hours."""
    minimum = settings.exfil_min_bytes
    hours = f"{settings.business_hours_start:02d}:00-{settings.business_hours_end:02d}:00"
    groups = {
        "multi_terms": {
            "terms": [{"field": "source.ip"}, {"field": "destination.ip"}],
            "size": MAX_GROUPS,
            "shard_size": MAX_GROUPS * 10,
            "order": [{"up": "desc"}, {"_key": "asc"}],
        },
        "aggs": {
            "up": {"sum": {"field": "source.bytes"}},
            "keep": {"bucket_selector": {"buckets_path": {"u": "up"}, "script": f"params.u >= {minimum}"}},
            "first": {"min": {"field": "event.start"}},
            "last": {"max": {"field": "event.end"}},
            "country": {"terms": {"field": "destination.geo.country_iso_code", "size": 1}},
            "asn": {"terms": {"field": "destination.as.number", "size": 1}},
        },
    }
    outbound = [{"term": {"network.direction": "outbound"}}, off_hours(flt, settings)]
    aggs = await backend.aggregate(flt, outbound, {"g": groups})
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


async def find_anomalies(
    backend: ElasticBackend, settings: FlowsSettings, request: flows_pb2.FindAnomaliesRequest
) -> flows_pb2.FindAnomaliesResponse:
    """Run the detectors asked for (all when none is named), best findings first, each with sample flows."""
    if request.max_findings > MAX_FINDINGS:
        raise InvalidArgument(
            f"max_findings must be between 1 and {MAX_FINDINGS} (0 means 50); got {request.max_findings}",
            field="max_findings",
        )
    known = set(K.values()) - {K.ANOMALY_KIND_UNSPECIFIED}
    asked = set(request.kinds) or known
    unknown = asked - known
    if unknown:
        raise InvalidArgument(f"unknown anomaly kind(s) {sorted(unknown)}; use AnomalyKind values 1-7", field="kinds")
    flt = compile_es_filter(request.filter, default_span=timedelta(hours=24))

    def evidence(start: datetime, end: datetime, **fields: object) -> flows_pb2.FlowFilter:
        return _evidence(request.filter, start, end, **fields)

    findings: list[flows_pb2.Finding] = []
    if K.ANOMALY_KIND_HORIZONTAL_SCAN in asked:
        findings += await horizontal_scans(backend, flt, request, settings.scan_min_targets)
    if K.ANOMALY_KIND_VERTICAL_SCAN in asked:
        findings += await vertical_scans(backend, flt, request, settings.scan_min_targets)
    if K.ANOMALY_KIND_DGA_DOMAINS in asked:
        findings += await timing.dga_domains(backend, flt, evidence)
    if K.ANOMALY_KIND_BEACONING in asked:
        findings += await timing.beaconing(backend, flt, evidence)
    if K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION in asked:
        findings += await off_hours_exfiltration(backend, flt, request, settings)
    if asked & {K.ANOMALY_KIND_TRAFFIC_SPIKE, K.ANOMALY_KIND_TRAFFIC_DROP}:
        findings += [f for f in await timing.volume_changes(backend, flt, evidence) if f.kind in asked]
    findings.sort(key=lambda f: -f.score)
    findings = findings[: request.max_findings or 50]
    for finding in findings:
        finding.sample_flows.extend(await backend.sample(finding.evidence_filter, SAMPLE_FLOWS))
    return flows_pb2.FindAnomaliesResponse(
        findings=findings, window_start=to_timestamp(flt.start), window_end=to_timestamp(flt.end)
    )
