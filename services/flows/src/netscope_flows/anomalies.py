"""FindAnomalies' detectors on ClickHouse, over ntopng's flows table (scoring: `detections`; policy: `findings`).

Every detector is one aggregate query (never raw flows pulled into Python), except the spike/drop baseline,
which walks a bounded bucketed series (then one query names the top sources of every run); they run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.buckets import share, spread_join
from netscope_flows.detections import (
    BASELINE_BUCKETS,
    BEACON_MAX_AVG_BYTES,
    BEACON_MAX_FLOWS,
    BEACON_MAX_JITTER,
    BEACON_MIN_FLOWS,
    BEACON_MIN_GAP_SECONDS,
    DGA_CONSONANTS,
    DGA_MIN_LABEL,
    DGA_MIN_NAMES,
    RARE_PORT_MAX_GROUPS,
    SPIKE_BUCKET_SECONDS,
    Beacon,
    Dga,
    RarePort,
    beacon_finding,
    dga_finding,
    peer_evidence,
    rare_port_finding,
    volume_finding,
    volume_runs,
    when,
)
from netscope_flows.detections import finding as _finding
from netscope_flows.filters import DST_IP_SQL, SRC_IP_SQL, CompiledFilter, country_sql
from netscope_flows.findings import evidence_filter
from netscope_flows.service_ports import ServicePorts
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore

K = flows_pb2.AnomalyKind
# A probe: a handful of packets, no payload to speak of (a SYN answered by a reset, or unanswered).
_PROBE = "PACKETS <= 4 AND TOTAL_BYTES <= 400"
_DGA_LABEL = "arrayElement(splitByChar('.', lower(INFO)), -2)"


@dataclass
class Context:
    """What every detector needs."""

    store: ClickHouseStore
    flt: CompiledFilter
    request: flows_pb2.FindAnomaliesRequest
    settings: FlowsSettings


# (version condition, source column, destination column, text of an address column) per address family
_FAMILIES = (
    ("IP_PROTOCOL_VERSION != 6", "IPV4_SRC_ADDR", "IPV4_DST_ADDR", "IPv4NumToString({})"),
    ("IP_PROTOCOL_VERSION = 6", "IPV6_SRC_ADDR", "IPV6_DST_ADDR", "toString({})"),
)


def _per_pair(where: str, select: str, group: str, having: str, order: str) -> str:
    """Rows (src, dst, *select) grouped by (source, destination, *group): each address family groups on its
    numeric columns (text only for the kept rows; formatting every row's addresses doubled the cost of the
    busiest detectors) and the two parts are merged."""
    keys = "".join(f", {g}" for g in group.split(", ") if g)
    parts = [
        f"SELECT {text.format('s')} AS src, {text.format('d')} AS dst, * EXCEPT (s, d) FROM (SELECT {src} AS s, "
        f"{dst} AS d, {select} FROM flows WHERE {where} AND {version} GROUP BY s, d{keys} HAVING {having} "
        f"ORDER BY {order} LIMIT 100)"
        for version, src, dst, text in _FAMILIES
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY {order} LIMIT 100"


def _ts(value: datetime | int) -> object:
    return to_timestamp(when(value))


def _evidence_filter(ctx: Context, start: datetime, end: datetime, **fields: object) -> flows_pb2.FlowFilter:
    return evidence_filter(ctx.request.filter, when(start), when(end), **fields)


async def horizontal_scans(ctx: Context) -> list[flows_pb2.Finding]:
    """Clients probing at least scan_min_targets hosts on one port."""
    rows = await ctx.store.read(
        f"SELECT {SRC_IP_SQL} AS src, IP_DST_PORT AS port, uniqExact({DST_IP_SQL}) AS targets, count(), "
        f"min(FIRST_SEEN), max(LAST_SEEN), sum(TOTAL_BYTES) FROM flows WHERE {ctx.flt.where} AND {_PROBE} "
        f"GROUP BY src, port HAVING targets >= {ctx.settings.scan_min_targets} ORDER BY targets DESC LIMIT 100"
    )
    by_src: dict[str, list[Sequence[Any]]] = {}
    for row in rows.rows:
        by_src.setdefault(row[0], []).append(row)
    out = []
    for src, items in by_src.items():
        ports = sorted(int(r[1]) for r in items)
        targets = max(int(r[2]) for r in items)
        start, end = min(r[4] for r in items), max(r[5] for r in items)
        out.append(
            _finding(
                K.ANOMALY_KIND_HORIZONTAL_SCAN,
                f"{src} probed {targets} hosts on port(s) {', '.join(map(str, ports))}",
                50 + targets / 5,
                hosts=[src],
                start=_ts(start),
                end=_ts(end),
                flows=sum(int(r[3]) for r in items),
                bytes=sum(int(r[6]) for r in items),
                evidence={"ports": ports, "distinct_targets": targets, "probe": "<= 4 packets, <= 400 bytes"},
                evidence_filter=_evidence_filter(ctx, start, end, src_ip=src),
            )
        )
    return out


async def vertical_scans(ctx: Context) -> list[flows_pb2.Finding]:
    """Clients probing at least scan_min_targets ports of one host."""
    rows = await ctx.store.read(
        f"SELECT {SRC_IP_SQL} AS src, {DST_IP_SQL} AS dst, uniqExact(IP_DST_PORT) AS ports, count(), "
        f"min(FIRST_SEEN), max(LAST_SEEN), min(IP_DST_PORT), max(IP_DST_PORT) FROM flows "
        f"WHERE {ctx.flt.where} AND {_PROBE} GROUP BY src, dst "
        f"HAVING ports >= {ctx.settings.scan_min_targets} ORDER BY ports DESC LIMIT 100"
    )
    return [
        _finding(
            K.ANOMALY_KIND_VERTICAL_SCAN,
            f"{src} probed {ports} ports ({lo}-{hi}) of {dst}",
            50 + int(ports) / 10,
            hosts=[src],
            peers=[dst],
            start=_ts(start),
            end=_ts(end),
            flows=int(n),
            evidence={"distinct_ports": ports, "port_range": f"{lo}-{hi}"},
            evidence_filter=_evidence_filter(ctx, start, end, src_ip=src, dst_ip=dst),
        )
        for src, dst, ports, n, start, end, lo, hi in rows.rows
    ]


async def dga_domains(ctx: Context) -> list[flows_pb2.Finding]:
    """Clients resolving many names whose registered label is long, alphanumeric and random-looking."""
    looks_random = (
        f"match({_DGA_LABEL}, '^[a-z0-9]{{{DGA_MIN_LABEL},}}$') AND (match({_DGA_LABEL}, '[0-9]') "
        f"OR match({_DGA_LABEL}, '[{DGA_CONSONANTS}]{{4,}}'))"
    )
    rows = await ctx.store.read(
        f"SELECT {SRC_IP_SQL} AS src, uniqExact(lower(INFO)) AS names, count(), min(FIRST_SEEN), max(LAST_SEEN), "
        f"groupUniqArray(5)(INFO), any({DST_IP_SQL}) FROM flows WHERE {ctx.flt.where} AND L7_PROTO = 5 "
        f"AND {looks_random} GROUP BY src HAVING names >= {DGA_MIN_NAMES} ORDER BY names DESC LIMIT 100"
    )
    out = []
    for src, names, n, start, end, examples, resolver in rows.rows:
        dga = Dga(src, int(names), int(n), when(start), when(end), list(examples), resolver)
        out.append(dga_finding(dga, _evidence_filter(ctx, dga.start, dga.end, src_ip=src, l7_proto="DNS")))
    return out


async def beaconing(ctx: Context) -> list[flows_pb2.Finding]:
    """Small flows to one peer:port at regular intervals (low spread of inter-arrival times)."""
    rows = await ctx.store.read(
        _per_pair(
            ctx.flt.where,
            "IP_DST_PORT AS port, count() AS n, "
            "arrayPopFront(arrayDifference(arraySort(groupArray(toInt64(FIRST_SEEN))))) AS gaps, "
            "arrayAvg(gaps) AS mean_gap, sqrt(arrayAvg(arrayMap(x -> (x - mean_gap) * (x - mean_gap), gaps))) AS sd, "
            "avg(TOTAL_BYTES) AS avg_bytes, min(FIRST_SEEN), max(LAST_SEEN)",
            "port",
            f"n >= {BEACON_MIN_FLOWS} AND n <= {BEACON_MAX_FLOWS} AND mean_gap >= {BEACON_MIN_GAP_SECONDS} "
            f"AND sd / mean_gap <= {BEACON_MAX_JITTER} AND avg_bytes <= {BEACON_MAX_AVG_BYTES}",
            "n DESC",
        )
    )
    out = []
    for src, dst, port, n, _gaps, mean_gap, sd, avg_bytes, start, end in rows.rows:
        b = Beacon(src, dst, int(port), int(n), float(mean_gap), float(sd), float(avg_bytes), when(start), when(end))
        flt = _evidence_filter(ctx, b.start, b.end, src_ip=src, dst_ip=dst, dst_port=b.port)
        out.append(beacon_finding(b, flt))
    return out


async def off_hours_exfiltration(ctx: Context) -> list[flows_pb2.Finding]:
    """Local hosts uploading at least exfil_min_bytes to one remote peer outside business hours (UTC)."""
    s = ctx.settings
    rows = await ctx.store.read(
        _per_pair(
            f"{ctx.flt.where} AND CLIENT_LOCATION = 1 AND SERVER_LOCATION = 2 AND (toHour(FIRST_SEEN) < "
            f"{s.business_hours_start} OR toHour(FIRST_SEEN) >= {s.business_hours_end})",
            "sum(SRC2DST_BYTES) AS up, count(), min(FIRST_SEEN), max(LAST_SEEN), "
            f"{country_sql('any(DST_COUNTRY_CODE)')}, any(DST_ASN)",
            "",
            f"up >= {s.exfil_min_bytes}",
            "up DESC",
        )
    )
    return [
        _finding(
            K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION,
            f"{src} uploaded {int(up) / 1e9:.1f} GB to {dst} outside business hours",
            60 + 10 * int(up) / s.exfil_min_bytes,
            hosts=[src],
            peers=[dst],
            start=_ts(start),
            end=_ts(end),
            flows=int(n),
            bytes=int(up),
            evidence={
                "uploaded_bytes": int(up),
                "business_hours_utc": f"{s.business_hours_start:02d}:00-{s.business_hours_end:02d}:00",
                **peer_evidence(str(country), int(asn)),
            },
            evidence_filter=_evidence_filter(ctx, start, end, src_ip=src, dst_ip=dst),
        )
        for src, dst, up, n, start, end, country, asn in rows.rows
    ]


async def _volume_changes(ctx: Context) -> list[flows_pb2.Finding]:
    """Sustained runs of buckets far above (spike) or below (drop) the trailing baseline (`volume_runs`), each with
    its top 3 sources (one query for every run: each flow is placed in the run its start falls in).
    A bucket's flows are those active in it."""
    w = SPIKE_BUCKET_SECONDS
    reach = ctx.flt.reaching_back(BASELINE_BUCKETS * w)  # the window's first buckets are judged on the hours before
    rows = await ctx.store.read(
        f"SELECT b AS t, sum(TOTAL_BYTES * {share(reach, w)}), count() FROM flows {spread_join(reach, w)} "
        f"WHERE {reach.where} GROUP BY t ORDER BY t WITH FILL STEP {w}"
    )
    runs = volume_runs([(int(t), float(v), float(n)) for t, v, n in rows.rows], int(ctx.flt.start.timestamp()))
    if not runs:
        return []
    starts = ", ".join(str(int(run.start)) for run in runs)
    ends = ", ".join(str(int(run.end(w))) for run in runs)
    top = await ctx.store.read(
        f"SELECT arrayFirstIndex((s, e) -> toUInt32(FIRST_SEEN) >= s AND toUInt32(FIRST_SEEN) < e, [{starts}], "
        f"[{ends}]) AS run, {SRC_IP_SQL} AS h, sum(TOTAL_BYTES) AS b FROM flows WHERE {reach.where} "
        f"AND FIRST_SEEN >= toDateTime({min(int(r.start) for r in runs)}) "
        f"AND FIRST_SEEN < toDateTime({max(int(r.end(w)) for r in runs)}) "
        "GROUP BY run, h HAVING run > 0 ORDER BY run, b DESC, h LIMIT 3 BY run"
    )
    leaders: dict[int, list[tuple[str, int]]] = {}
    for index, h, b in top.rows:
        leaders.setdefault(int(index) - 1, []).append((str(h), int(b)))
    out = []
    for i, run in enumerate(runs):
        start, end = run.start, run.end(w)
        lead = leaders.get(i, [])
        spike = run.kind == K.ANOMALY_KIND_TRAFFIC_SPIKE
        fields = {"src_ip": lead[0][0]} if spike and lead else {}
        out.append(volume_finding(run, w, lead, _evidence_filter(ctx, when(start), when(end), **fields)))
    return out


async def rare_ports(ctx: Context) -> list[flows_pb2.Finding]:
    """Server ports no named service uses on which at most rare_port_max_clients clients exchanged data."""
    known = ", ".join(map(str, ServicePorts(ctx.settings.service_ports).known))
    rows = await ctx.store.read(
        f"SELECT IP_DST_PORT AS port, uniqExact({SRC_IP_SQL}) AS clients, "
        f"arraySort(groupUniqArray(10)({SRC_IP_SQL})), arraySort(groupUniqArray(10)({DST_IP_SQL})), count(), "
        f"sum(TOTAL_BYTES), min(FIRST_SEEN), max(LAST_SEEN) FROM flows WHERE {ctx.flt.where} AND NOT ({_PROBE}) "
        f"AND IP_DST_PORT != 0 AND IP_DST_PORT NOT IN ({known}) GROUP BY port "
        f"HAVING clients <= {ctx.settings.rare_port_max_clients} ORDER BY port LIMIT {RARE_PORT_MAX_GROUPS}"
    )
    return [
        rare_port_finding(
            RarePort(int(port), list(clients), list(servers), int(n), int(flows), int(nbytes), when(s), when(e)),
            _evidence_filter(ctx, s, e, dst_port=int(port)),
        )
        for port, n, clients, servers, flows, nbytes, s, e in rows.rows
    ]


_DETECTORS: dict[int, Callable[[Context], Awaitable[list[flows_pb2.Finding]]]] = {
    K.ANOMALY_KIND_HORIZONTAL_SCAN: horizontal_scans,
    K.ANOMALY_KIND_VERTICAL_SCAN: vertical_scans,
    K.ANOMALY_KIND_DGA_DOMAINS: dga_domains,
    K.ANOMALY_KIND_BEACONING: beaconing,
    K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION: off_hours_exfiltration,
    K.ANOMALY_KIND_RARE_PORT: rare_ports,
}
_VOLUME = {K.ANOMALY_KIND_TRAFFIC_SPIKE, K.ANOMALY_KIND_TRAFFIC_DROP}


async def detect(
    store: ClickHouseStore,
    settings: FlowsSettings,
    flt: CompiledFilter,
    request: flows_pb2.FindAnomaliesRequest,
    kinds: frozenset[int],
) -> list[flows_pb2.Finding]:
    """Every finding of the detectors of `kinds` (the findings policy is the caller's)."""
    ctx = Context(store, flt, request, settings)
    running = [detector(ctx) for kind, detector in _DETECTORS.items() if kind in kinds]
    if kinds & _VOLUME:
        running.append(_volume_changes(ctx))
    found = [f for part in await asyncio.gather(*running) for f in part]
    return [f for f in found if f.kind in kinds]
