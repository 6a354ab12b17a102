"""Detection rules and finding builders shared by every backend (thresholds, scoring, titles, evidence).

A backend computes the aggregates its own way (SQL on ClickHouse, aggregations on Elasticsearch) and hands
them to these functions, so a finding reads and scores the same whichever backend found it.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp

K = flows_pb2.AnomalyKind
Kind: TypeAlias = flows_pb2.AnomalyKind.ValueType

# Beaconing: at least BEACON_MIN_FLOWS small flows client -> peer:port at a regular interval.
BEACON_MIN_FLOWS = 10
BEACON_MAX_FLOWS = 100_000
BEACON_MIN_GAP_SECONDS = 10.0
BEACON_MAX_JITTER = 0.2  # standard deviation of the gaps / their mean
BEACON_MAX_AVG_BYTES = 20_000
# DGA: a registered label (second from the right) this long, alphanumeric, with a digit or 4 consonants in a row.
DGA_MIN_LABEL = 12
DGA_MIN_NAMES = 5
DGA_CONSONANTS = "bcdfghjklmnpqrstvwxz"
# Spikes and drops: 5-minute buckets against the trailing normal buckets (see volume_runs).
SPIKE_BUCKET_SECONDS = 300
SPIKE_FACTOR = 10.0  # a spike: this many times the most the baseline ordinarily carries (its 95th percentile)
SPIKE_QUANTILE = 0.95
DROP_FACTOR = 10.0  # a drop: this many times below the least it ordinarily carries (its 5th percentile)
DROP_QUANTILE = 0.05
DROP_MIN_FLOWS = 20  # a drop needs a baseline of at least this many flows per bucket (its median)
# ... and its flows to fall DROP_FACTOR below that median too: an outage stops hosts talking, a quiet evening
# only carries fewer large transfers
BASELINE_BUCKETS = 72  # 6 hours of trailing normal buckets
BASELINE_MIN_BUCKETS = 12  # 1 hour of them before any bucket is judged
SPIKE_MIN_OF_MEAN = 0.5  # a spike's bucket also carries at least half the average bucket read (window + baseline)
RUN_MIN_BUCKETS = 3  # a change is reported when sustained: 15 minutes over the threshold
RUN_MAX_GAP = 1  # over-threshold buckets this far apart (in normal buckets between) are one change
# Rare ports: data (not probes) on a server port no named service uses, from at most rare_port_max_clients clients.
RARE_PORT_MAX_GROUPS = 100


@dataclass
class RarePort:
    """The aggregates of one rare server port over the window."""

    port: int
    clients: list[str]
    servers: list[str]
    client_count: int
    flows: int
    bytes: int
    start: datetime
    end: datetime


def rare_port_finding(rare: RarePort, evidence_filter: flows_pb2.FlowFilter) -> flows_pb2.Finding:
    """A rare port's finding: fewer clients and more data score higher."""
    mb = rare.bytes / 1e6
    return finding(
        K.ANOMALY_KIND_RARE_PORT,
        f"port {rare.port}: {', '.join(rare.clients)} exchanged {mb:.1f} MB with {', '.join(rare.servers)} "
        "on a port no named service uses",
        60 - 10 * (rare.client_count - 1) + min(30.0, mb),
        {"port": rare.port, "clients": rare.client_count, "flows": rare.flows, "bytes": rare.bytes,
         "rule": "data (not probes) on an unnamed server port, few clients"},
        hosts=rare.clients,
        peers=rare.servers,
        start=to_timestamp(when(rare.start)),
        end=to_timestamp(when(rare.end)),
        flows=rare.flows,
        bytes=rare.bytes,
        evidence_filter=evidence_filter,
    )  # fmt: skip


def when(value: datetime | float) -> datetime:
    """An aware UTC datetime from a datetime (naive = UTC) or epoch seconds."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value, UTC)


def finding(kind: Kind, title: str, score: float, evidence: dict[str, object], **kw: Any) -> flows_pb2.Finding:
    """A Finding with its score capped at 100 and its evidence as name/value pairs."""
    out = flows_pb2.Finding(kind=kind, title=title, score=round(min(100.0, score), 1), **kw)
    out.evidence.extend(flows_pb2.Evidence(name=k, value=str(v)) for k, v in evidence.items())
    return out


def peer_evidence(country: str, asn: int) -> dict[str, object]:
    """Who the remote peer is, for telling a cloud backup from a drop: its country and autonomous system."""
    return {"peer_country": country or "unknown", "peer_asn": asn or "unknown"}


def gap_stats(times: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation of the gaps between sorted start times."""
    ordered = sorted(times)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    if not gaps:
        return 0.0, 0.0
    mean = sum(gaps) / len(gaps)
    return mean, math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps))


def is_beacon(flows: int, mean_gap: float, sd: float, avg_bytes: float) -> bool:
    """The beaconing rule (the ClickHouse query's HAVING clause says the same)."""
    return (
        BEACON_MIN_FLOWS <= flows <= BEACON_MAX_FLOWS
        and mean_gap >= BEACON_MIN_GAP_SECONDS
        and sd / mean_gap <= BEACON_MAX_JITTER
        and avg_bytes <= BEACON_MAX_AVG_BYTES
    )


@dataclass(frozen=True)
class Beacon:
    """One client -> peer:port series that passed the beaconing rule."""

    src: str
    dst: str
    port: int
    flows: int
    mean_gap: float
    sd: float
    avg_bytes: float
    start: datetime
    end: datetime


def beacon_finding(b: Beacon, evidence_filter: flows_pb2.FlowFilter) -> flows_pb2.Finding:
    """A BEACONING finding: the steadier and longer the series, the higher the score."""
    return finding(
        K.ANOMALY_KIND_BEACONING,
        f"{b.src} calls {b.dst}:{b.port} every {b.mean_gap:.0f} s (+/- {b.sd:.1f} s), {b.flows} times",
        50 + 50 * (1 - b.sd / b.mean_gap / BEACON_MAX_JITTER) * min(1.0, b.flows / 60),
        {
            "period_seconds": round(b.mean_gap, 1),
            "jitter_seconds": round(b.sd, 1),
            "avg_bytes_per_flow": round(b.avg_bytes),
        },
        hosts=[b.src],
        peers=[b.dst],
        start=to_timestamp(b.start),
        end=to_timestamp(b.end),
        flows=b.flows,
        evidence_filter=evidence_filter,
    )


@dataclass(frozen=True)
class Dga:
    """A client that resolved many random-looking names."""

    src: str
    names: int
    flows: int
    start: datetime
    end: datetime
    examples: Sequence[str]
    resolver: str


def dga_finding(d: Dga, evidence_filter: flows_pb2.FlowFilter) -> flows_pb2.Finding:
    """A DGA_DOMAINS finding scored by how many distinct names were resolved."""
    return finding(
        K.ANOMALY_KIND_DGA_DOMAINS,
        f"{d.src} resolved {d.names} random-looking domains (e.g. {', '.join(d.examples[:3])})",
        40 + d.names / 2,
        {"distinct_names": d.names, "examples": ", ".join(d.examples)},
        hosts=[d.src],
        peers=[d.resolver] if d.resolver else [],
        start=to_timestamp(d.start),
        end=to_timestamp(d.end),
        flows=d.flows,
        evidence_filter=evidence_filter,
    )


@dataclass
class VolumeRun:
    """Over-threshold buckets of one kind (spike or drop), with the baseline they were judged against."""

    kind: Kind
    baseline: float
    buckets: list[tuple[int, float]] = field(default_factory=list)
    flows: list[float] = field(default_factory=list)  # flows of each bucket
    last_index: int = 0  # position of the last bucket in the series

    @property
    def start(self) -> int:
        """Epoch seconds of the first bucket."""
        return self.buckets[0][0]

    def end(self, width: int) -> int:
        """Epoch seconds where the last bucket ends."""
        return self.buckets[-1][0] + width


def _quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile of `values` (linear between order statistics)."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


@dataclass
class _Baseline:
    """The trailing normal buckets: (bytes, flows) of at most BASELINE_BUCKETS of them."""

    history: list[tuple[float, float]] = field(default_factory=list)

    def add(self, bucket: tuple[float, float]) -> None:
        self.history.append(bucket)
        del self.history[:-BASELINE_BUCKETS]

    def judge(self, value: float, flows: float, spike_floor: float) -> tuple[Kind, float] | None:
        """The kind of change a bucket of `value` bytes and `flows` flows is (with the level it was judged
        against), or None when normal; a spike must also reach `spike_floor` bytes."""
        if len(self.history) < BASELINE_MIN_BUCKETS:
            return None
        values = [b for b, _ in self.history]
        high = _quantile(values, SPIKE_QUANTILE)
        if high > 0 and value >= SPIKE_FACTOR * high and value >= spike_floor:
            return K.ANOMALY_KIND_TRAFFIC_SPIKE, high
        low = _quantile(values, DROP_QUANTILE)
        if low > 0 and value * DROP_FACTOR <= low:
            usual_flows = statistics.median(f for _, f in self.history)
            if usual_flows >= DROP_MIN_FLOWS and flows * DROP_FACTOR <= usual_flows:
                return K.ANOMALY_KIND_TRAFFIC_DROP, low
        return None


def volume_runs(points: Sequence[tuple[int, float, float]], window_start: int | None = None) -> list[VolumeRun]:
    """Sustained changes of traffic volume: runs of buckets far above (spike) or below (drop) the trailing baseline.

    `points` are (epoch seconds, bytes, flows) for every bucket in time order, empty ones as 0: the window's and,
    when `window_start` is given, the baseline's before it (BASELINE_BUCKETS of them, so the window's first bucket
    is judged like its last); only runs reaching into the window are returned.
    The baseline is the last BASELINE_BUCKETS normal buckets; a bucket is a spike at SPIKE_FACTOR times their
    95th percentile (the most the network ordinarily carries, so single large transfers of a quiet network are
    not spikes) when it also carries SPIKE_MIN_OF_MEAN of the average bucket of `points` (a few ordinary downloads
    at night are tenfold the night, yet small beside the day); a drop at DROP_FACTOR below their 5th percentile
    when they held at least DROP_MIN_FLOWS flows per bucket (a fall in a handful of flows is chance) and the
    bucket's flows fell DROP_FACTOR below their median too (an outage, not a quiet evening). Over-threshold
    buckets at most RUN_MAX_GAP normal buckets apart are one run, reported when it holds RUN_MIN_BUCKETS buckets.
    A run as long as the baseline is a new level: its buckets join the baseline.
    """
    baseline = _Baseline()
    spike_floor = SPIKE_MIN_OF_MEAN * statistics.fmean(v for _, v, _ in points) if points else 0.0
    runs: list[VolumeRun] = []
    current: VolumeRun | None = None
    for i, (t, value, flows) in enumerate(points):
        if current is not None and i - current.last_index > RUN_MAX_GAP + 1:
            current = None
        judged = baseline.judge(value, flows, spike_floor)
        if judged is None:
            baseline.add((value, flows))
            continue
        kind, level = judged
        if current is None or current.kind != kind:
            current = VolumeRun(kind, level)
            runs.append(current)
        current.buckets.append((int(t), value))
        current.flows.append(flows)
        current.last_index = i
        if len(current.buckets) % BASELINE_BUCKETS == 0:
            for (_, v), n in zip(current.buckets[-BASELINE_BUCKETS:], current.flows[-BASELINE_BUCKETS:], strict=True):
                baseline.add((v, n))
    return [
        run
        for run in runs
        if len(run.buckets) >= RUN_MIN_BUCKETS and (window_start is None or run.buckets[-1][0] >= window_start)
    ]


def volume_finding(
    run: VolumeRun, width: int, top: Sequence[tuple[str, int]], evidence_filter: flows_pb2.FlowFilter
) -> flows_pb2.Finding:
    """A TRAFFIC_SPIKE (led by the run's top source) or TRAFFIC_DROP finding."""
    spike = run.kind == K.ANOMALY_KIND_TRAFFIC_SPIKE
    values = [v for _, v in run.buckets]
    peak = max(values) if spike else min(values)
    ratio = peak / run.baseline if spike else run.baseline / max(peak, 1.0)
    hosts = [h for h, _ in top] if spike else []
    minutes = (run.end(width) - run.start) // 60
    return finding(
        run.kind,
        f"traffic {ratio:.0f}x {'above' if spike else 'below'} its baseline for {minutes} min"
        + (f", led by {hosts[0]}" if hosts else ""),
        40 + 10 * min(6.0, ratio / SPIKE_FACTOR),
        {
            "baseline_bytes_per_bucket": int(run.baseline),
            "baseline": f"{'95th' if spike else '5th'} percentile of the previous "
            f"{BASELINE_BUCKETS * width // 3600} h of normal buckets",
            "peak_bytes_per_bucket": int(peak),
            "bucket_seconds": width,
            "top_sources": ", ".join(f"{h} ({int(b)} B)" for h, b in top),
        },
        hosts=hosts[:1],
        start=to_timestamp(when(run.start)),
        end=to_timestamp(when(run.end(width))),
        bytes=int(sum(values)),
        evidence_filter=evidence_filter,
    )
