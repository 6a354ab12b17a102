"""DetectBottlenecks: exporter interface utilisation from flow records against a capacity map.

ntopng flows are bidirectional with INPUT_SNMP/OUTPUT_SNMP taken in the client-to-server direction, so an
interface sends SRC2DST bytes when it is the output interface and DST2SRC bytes when it is the input one.
Each flow's bytes are spread over the buckets its duration covers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import to_timestamp
from netscope_flows.buckets import share, spread_join
from netscope_flows.filters import DST_IP_SQL, SRC_IP_SQL, compile_filter
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore

DEFAULT_BUCKET_SECONDS = 60
MAX_REPORTED = 100
MAX_BUCKETS = 20_000


def capacity_map(settings: FlowsSettings, request: flows_pb2.DetectBottlenecksRequest) -> dict[tuple[str, int], int]:
    """Capacities by (exporter, ifIndex): the service map, overridden by the request's entries."""
    out: dict[tuple[str, int], int] = {}
    for key, speed in settings.interface_capacity_bps.items():
        exporter, _, index = key.rpartition(":")
        out[(exporter, int(index))] = int(speed)
    for i, entry in enumerate(request.capacities):
        try:
            ipaddress.IPv4Address(entry.exporter)
        except ValueError:
            raise InvalidArgument(
                f"capacities[{i}].exporter must be an IPv4 address; got {entry.exporter!r}", field="capacities"
            ) from None
        if entry.speed_bps == 0:
            raise InvalidArgument(f"capacities[{i}].speed_bps must be above 0", field="capacities")
        out[(entry.exporter, entry.if_index)] = entry.speed_bps
    return out


Key = tuple[str, int, str]  # exporter, ifIndex, direction ("in" or "out")


def parameters(
    settings: FlowsSettings, request: flows_pb2.DetectBottlenecksRequest, start: datetime, end: datetime
) -> tuple[float, int]:
    """The request's threshold (percent) and bucket width (seconds), checked."""
    threshold = request.threshold_percent or settings.bottleneck_threshold_percent
    if not 0 < threshold <= 100:
        raise InvalidArgument(
            f"threshold_percent must be above 0 and at most 100 (0 means {settings.bottleneck_threshold_percent:g});"
            f" got {request.threshold_percent:g}",
            field="threshold_percent",
        )
    width = request.bucket_seconds or DEFAULT_BUCKET_SECONDS
    if not 10 <= width <= 3600:
        raise InvalidArgument(f"bucket_seconds must be 10-3600 (0 means 60); got {width}", field="bucket_seconds")
    if (end - start).total_seconds() / width > MAX_BUCKETS:
        raise InvalidArgument(
            f"window / bucket_seconds gives more than {MAX_BUCKETS} buckets; widen bucket_seconds", field="window"
        )
    return threshold, width


@dataclass
class Utilisation:
    """Per interface and direction: the buckets at/over the threshold (start, percent) and the peak percent."""

    over: dict[Key, list[tuple[int, float]]] = field(default_factory=dict)
    peaks: dict[Key, float] = field(default_factory=dict)


def utilisation(
    rows: Iterable[tuple[str, int, str, int, float]],
    capacities: dict[tuple[str, int], int],
    default_bps: int,
    width: int,
    threshold: float,
) -> Utilisation:
    """Judge (exporter, ifIndex, direction, bucket start, bytes) rows against each interface's capacity."""
    out = Utilisation()
    for exporter, if_index, direction, bucket, nbytes in rows:
        speed = capacities.get((exporter, int(if_index))) or default_bps
        percent = 100.0 * float(nbytes) * 8 / width / speed
        key = (exporter, int(if_index), direction)
        out.peaks[key] = max(out.peaks.get(key, 0.0), percent)
        if percent >= threshold:
            out.over.setdefault(key, []).append((int(bucket), percent))
    for buckets in out.over.values():
        buckets.sort()
    return out


def bottleneck(
    key: Key, buckets: list[tuple[int, float]], peak: float, speed: int, width: int, pairs: list[flows_pb2.TopKEntry]
) -> flows_pb2.Bottleneck:
    """One interface direction over the threshold, scored by its mean load over the threshold and how long."""
    exporter, if_index, direction = key
    mean = sum(p for _, p in buckets) / len(buckets)
    return flows_pb2.Bottleneck(
        exporter=exporter,
        if_index=if_index,
        direction=direction,
        speed_bps=speed,
        peak_percent=round(peak, 1),
        mean_percent_over_threshold=round(mean, 1),
        buckets_over=len(buckets),
        first_over=to_timestamp(datetime.fromtimestamp(buckets[0][0], UTC)),
        last_over=to_timestamp(datetime.fromtimestamp(buckets[-1][0] + width, UTC)),
        top_pairs=pairs,
        score=round(min(100.0, mean * min(1.0, len(buckets) / 10)), 1),
    )


def answer(found: list[flows_pb2.Bottleneck], threshold: float, width: int) -> flows_pb2.DetectBottlenecksResponse:
    """Worst first, at most MAX_REPORTED."""
    found.sort(key=lambda b: -b.score)
    return flows_pb2.DetectBottlenecksResponse(
        bottlenecks=found[:MAX_REPORTED], threshold_percent=threshold, bucket_seconds=width
    )


async def detect_bottlenecks(
    store: ClickHouseStore, settings: FlowsSettings, request: flows_pb2.DetectBottlenecksRequest
) -> flows_pb2.DetectBottlenecksResponse:
    """Interfaces whose per-bucket rate reaches the threshold, worst first, with the pairs that filled them."""
    flt = compile_filter(request.filter)
    threshold, width = parameters(settings, request, flt.start, flt.end)
    capacities = capacity_map(settings, request)
    rows = await store.read(
        "SELECT IPv4NumToString(PROBE_IP) AS exporter, side.1 AS if_index, side.2 AS direction, b, "
        f"sum(side.3 * {share(flt, width)}) AS bytes FROM flows {spread_join(flt, width)} "
        "ARRAY JOIN [(OUTPUT_SNMP, 'out', SRC2DST_BYTES), (INPUT_SNMP, 'out', DST2SRC_BYTES), "
        "(INPUT_SNMP, 'in', SRC2DST_BYTES), (OUTPUT_SNMP, 'in', DST2SRC_BYTES)] AS side "
        f"WHERE {flt.where} AND PROBE_IP != 0 AND side.1 != 0 GROUP BY exporter, if_index, direction, b"
    )
    load = utilisation(rows.rows, capacities, settings.default_capacity_bps, width, threshold)
    found = []
    for key, buckets in load.over.items():
        exporter, if_index, direction = key
        first, last = buckets[0][0], buckets[-1][0] + width
        side = "OUTPUT_SNMP" if direction == "out" else "INPUT_SNMP"
        pairs = await store.read(
            f"SELECT concat({SRC_IP_SQL}, ' -> ', {DST_IP_SQL}) AS k, sum(TOTAL_BYTES) AS bytes, sum(PACKETS), "
            f"count(), sum(SCORE) FROM flows WHERE {flt.where} AND PROBE_IP = {int(ipaddress.IPv4Address(exporter))} "
            f"AND {side} = {if_index} AND LAST_SEEN >= toDateTime({first}) AND FIRST_SEEN < toDateTime({last}) "
            "GROUP BY k ORDER BY bytes DESC LIMIT 5"
        )
        top = [
            flows_pb2.TopKEntry(key=k, bytes=int(b), packets=int(p), flows=int(f), score=int(s))
            for k, b, p, f, s in pairs.rows
        ]
        speed = capacities.get((exporter, if_index)) or settings.default_capacity_bps
        found.append(bottleneck(key, buckets, load.peaks[key], speed, width, top))
    return answer(found, threshold, width)
