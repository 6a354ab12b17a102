"""FindAnomalies on Elasticsearch: beaconing, DGA-looking DNS names and traffic spikes/drops.

Each uses aggregations; the rules, scores and titles are the shared ones (netscope_flows.detections).
Beaconing reads, for a bounded set of candidate series, the start-time histogram at one-second resolution
(never documents) and measures the regularity of the gaps from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_flows import detections as rules
from netscope_flows.elastic import spread
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.elastic.query import EsFilter, window_range

EvidenceFilter = Callable[..., flows_pb2.FlowFilter]
BEACON_CANDIDATES = 1000  # busiest (client, peer, port) series examined
BEACON_REPORTED = 100
BEACON_MAX_SERIES_FLOWS = 50_000  # one-second buckets per series (Elasticsearch caps buckets per request)
BUCKETS_PER_REQUEST = 50_000


def _when(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


async def beaconing(index: EsIndex, flt: EsFilter, evidence: EvidenceFilter) -> list[flows_pb2.Finding]:
    """Small flows to one peer:port at regular intervals.

    Candidates: the busiest series with enough flows, small on average and a mean gap ((last - first) /
    (flows - 1)) long enough, selected by a bucket_selector; their gaps then come from per-second histograms.
    """
    selector = (
        f"params.n >= {rules.BEACON_MIN_FLOWS} && params.n <= {BEACON_MAX_SERIES_FLOWS} "
        f"&& params.avg <= {rules.BEACON_MAX_AVG_BYTES} "
        f"&& (params.last - params.first) / (params.n - 1) >= {rules.BEACON_MIN_GAP_SECONDS * 1000}"
    )
    f = index.layout
    aggs = await index.aggregate(
        flt,
        [],
        {
            "g": {
                "multi_terms": {
                    "terms": [{"field": f.src_ip}, {"field": f.dst_ip}, {"field": f.dst_port}],
                    "size": BEACON_CANDIDATES,
                    "shard_size": BEACON_CANDIDATES * 2,
                    "min_doc_count": rules.BEACON_MIN_FLOWS,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                },
                "aggs": {
                    "avg": {"avg": {"field": f.bytes}},
                    "first": {"min": {"field": f.start}},
                    "last": {"max": {"field": f.start}},
                    "end": {"max": {"field": f.end}},
                    "keep": {
                        "bucket_selector": {
                            "buckets_path": {"n": "_count", "avg": "avg", "first": "first", "last": "last"},
                            "script": selector,
                        }
                    },
                },
            }
        },
    )
    candidates = aggs["g"]["buckets"]
    times = await _start_times(index, flt, [c["key"] for c in candidates], [int(c["doc_count"]) for c in candidates])
    out = []
    for c, starts in zip(candidates, times, strict=True):
        mean_gap, sd = rules.gap_stats(starts)
        n, avg = int(c["doc_count"]), float(c["avg"]["value"] or 0)
        if not rules.is_beacon(n, mean_gap, sd, avg):
            continue
        src, dst, port = str(c["key"][0]), str(c["key"][1]), int(c["key"][2])
        b = rules.Beacon(src, dst, port, n, mean_gap, sd, avg, _when(c["first"]["value"]), _when(c["end"]["value"]))
        out.append(rules.beacon_finding(b, evidence(b.start, b.end, src_ip=src, dst_ip=dst, dst_port=port)))
    out.sort(key=lambda f: -f.flows)
    return out[:BEACON_REPORTED]


async def _start_times(index: EsIndex, flt: EsFilter, keys: list[list[Any]], counts: list[int]) -> list[list[float]]:
    """Each series' flow start times (epoch seconds, one per flow) from one-second date histograms."""
    out: list[list[float]] = [[] for _ in keys]
    f = index.layout
    chunk: list[int] = []
    budget = 0

    async def flush() -> None:
        filters = {
            str(i): {
                "bool": {
                    "filter": [
                        {"term": {f.src_ip: keys[i][0]}},
                        {"term": {f.dst_ip: keys[i][1]}},
                        {"term": {f.dst_port: keys[i][2]}},
                    ]
                }
            }
            for i in chunk
        }
        histogram = {"date_histogram": {"field": f.start, "fixed_interval": "1s", "min_doc_count": 1}}
        aggs = await index.aggregate(flt, [], {"s": {"filters": {"filters": filters}, "aggs": {"t": histogram}}})
        for name, bucket in aggs["s"]["buckets"].items():
            series = out[int(name)]
            for b in bucket["t"]["buckets"]:
                series.extend([b["key"] / 1000] * int(b["doc_count"]))

    for i, n in enumerate(counts):
        if chunk and budget + n > BUCKETS_PER_REQUEST:
            await flush()
            chunk, budget = [], 0
        chunk.append(i)
        budget += n
    if chunk:
        await flush()
    return out


def _dga_name_queries(f: FieldLayout) -> list[dict[str, Any]]:
    """Names whose registered label (second from the right) is long, alphanumeric and looks random."""
    label = "([^.]+\\.)*{}\\.[^.]+"

    def regexp(pattern: str) -> dict[str, Any]:
        return {"regexp": {f.dns_name: {"value": label.format(pattern), "case_insensitive": True}}}

    return [
        regexp(f"[a-z0-9]{{{rules.DGA_MIN_LABEL},}}"),
        {
            "bool": {
                "should": [
                    regexp("[a-z0-9]*[0-9][a-z0-9]*"),
                    regexp(f"[a-z0-9]*[{rules.DGA_CONSONANTS}]{{4}}[a-z0-9]*"),
                ],
                "minimum_should_match": 1,
            }
        },
    ]


async def dga_domains(index: EsIndex, flt: EsFilter, evidence: EvidenceFilter) -> list[flows_pb2.Finding]:
    """Clients resolving many random-looking names (from the layout's DNS name field, which IngestFlows writes for DNS
    flows; Filebeat's NetFlow documents carry no DNS names, so on them this finds nothing)."""
    f = index.layout
    aggs = await index.aggregate(
        flt,
        _dga_name_queries(f),
        {
            "g": {
                "terms": {"field": f.src_ip, "size": 100, "order": [{"names": "desc"}, {"_key": "asc"}]},
                "aggs": {
                    "names": {"cardinality": {"field": f.dns_name, "precision_threshold": 40000}},
                    "keep": {
                        "bucket_selector": {
                            "buckets_path": {"n": "names"},
                            "script": f"params.n >= {rules.DGA_MIN_NAMES}",
                        }
                    },
                    "first": {"min": {"field": f.start}},
                    "last": {"max": {"field": f.end}},
                    "examples": {"terms": {"field": f.dns_name, "size": 5}},
                    "resolver": {"terms": {"field": f.dst_ip, "size": 1}},
                },
            }
        },
    )
    out = []
    for b in aggs["g"]["buckets"]:
        resolvers = b["resolver"]["buckets"]
        dga = rules.Dga(
            src=str(b["key"]),
            names=int(b["names"]["value"]),
            flows=int(b["doc_count"]),
            start=_when(b["first"]["value"]),
            end=_when(b["last"]["value"]),
            examples=[str(e["key"]) for e in b["examples"]["buckets"]],
            resolver=str(resolvers[0]["key"]) if resolvers else "",
        )
        out.append(rules.dga_finding(dga, evidence(dga.start, dga.end, src_ip=dga.src, l7_proto="DNS")))
    return out


async def volume_changes(index: EsIndex, flt: EsFilter, evidence: EvidenceFilter) -> list[flows_pb2.Finding]:
    """Spikes and drops of 5-minute byte sums (each flow's bytes spread over its duration, see `spread`), judged by
    the shared `volume_runs` with the flows active in each bucket."""
    w = rules.SPIKE_BUCKET_SECONDS
    f = index.layout
    reach = flt.reaching_back(rules.BASELINE_BUCKETS * w)  # the window's first buckets are judged on the hours before
    aggs = await index.aggregate(reach, [], {"t": spread.histogram(f, w, [f.bytes])})
    until = int(flt.end.timestamp())
    per_bucket = spread.spread(aggs["t"]["buckets"], w, f.bytes, until)
    flows = spread.active(aggs["t"]["buckets"], w, until)
    first, last = (min(per_bucket), max(per_bucket)) if per_bucket else (0, -1)
    points = [(t, per_bucket.get(t, 0.0), flows.get(t, 0.0)) for t in range(first, last + 1, w)]
    out = []
    for run in rules.volume_runs(points, int(flt.start.timestamp())):
        start, end = _when(run.start * 1000), _when(run.end(w) * 1000)
        top = await index.aggregate(
            reach,
            [window_range(f, start, end)],
            {
                "h": {
                    "terms": {"field": f.src_ip, "size": 3, "order": [{"bytes": "desc"}, {"_key": "asc"}]},
                    "aggs": {"bytes": {"sum": {"field": f.bytes}}},
                }
            },
        )
        leaders = [(str(b["key"]), int(b["bytes"]["value"] or 0)) for b in top["h"]["buckets"]]
        spike = run.kind == flows_pb2.ANOMALY_KIND_TRAFFIC_SPIKE
        fields = {"src_ip": leaders[0][0]} if spike and leaders else {}
        out.append(rules.volume_finding(run, w, leaders, evidence(start, end - timedelta(seconds=1), **fields)))
    return out
