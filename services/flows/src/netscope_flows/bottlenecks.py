"""DetectBottlenecks, the same on every backend: exporter interface utilisation against a capacity map.

The backend sums bytes per interface, direction and bucket (each flow's bytes spread over the buckets its
duration covers) and names the pairs behind an overload; judging, scoring and ranking happen here.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import to_timestamp
from netscope_flows.backend import FlowsBackend, InterfaceKey, LoadRow
from netscope_flows.interface_map import ANY_EXPORTER, load_interface_map, lookup
from netscope_flows.settings import FlowsSettings

DEFAULT_BUCKET_SECONDS = 60
MAX_REPORTED = 100
MAX_BUCKETS = 20_000


def capacity_map(settings: FlowsSettings, request: flows_pb2.DetectBottlenecksRequest) -> dict[tuple[str, int], int]:
    """Capacities by (exporter, ifIndex; exporter "*" = any): the interface map, the service's capacity map over
    it, the request's entries over both."""
    out: dict[tuple[str, int], int] = {
        key: info.capacity_bps for key, info in load_interface_map(settings.interface_map).items() if info.capacity_bps
    }
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


def parameters(
    settings: FlowsSettings,
    request: flows_pb2.DetectBottlenecksRequest,
    start: datetime,
    end: datetime,
    default_width: int = DEFAULT_BUCKET_SECONDS,
) -> tuple[float, int]:
    """The request's threshold (percent) and bucket width (seconds), checked."""
    threshold = request.threshold_percent or settings.bottleneck_threshold_percent
    if not 0 < threshold <= 100:
        raise InvalidArgument(
            f"threshold_percent must be above 0 and at most 100 (0 means {settings.bottleneck_threshold_percent:g});"
            f" got {request.threshold_percent:g}",
            field="threshold_percent",
        )
    width = request.bucket_seconds or default_width
    if not 10 <= width <= 3600:
        raise InvalidArgument(
            f"bucket_seconds must be 10-3600 (0 means {default_width}); got {width}", field="bucket_seconds"
        )
    if (end - start).total_seconds() / width > MAX_BUCKETS:
        raise InvalidArgument(
            f"window / bucket_seconds gives more than {MAX_BUCKETS} buckets; widen bucket_seconds", field="window"
        )
    return threshold, width


@dataclass
class Utilisation:
    """Per interface and direction: the buckets at/over the threshold (start, percent) and the peak percent."""

    over: dict[InterfaceKey, list[tuple[int, float]]] = field(default_factory=dict)
    peaks: dict[InterfaceKey, float] = field(default_factory=dict)


def _capacity(capacities: dict[tuple[str, int], int], exporter: str, if_index: int) -> int | None:
    return capacities.get((exporter, if_index)) or capacities.get((ANY_EXPORTER, if_index))


def utilisation(
    rows: Iterable[LoadRow],
    capacities: dict[tuple[str, int], int],
    default_bps: int,
    width: int,
    threshold: float,
) -> Utilisation:
    """Judge (exporter, ifIndex, direction, bucket start, bytes) rows against each interface's capacity."""
    out = Utilisation()
    for exporter, if_index, direction, bucket, nbytes in rows:
        speed = _capacity(capacities, exporter, int(if_index)) or default_bps
        percent = 100.0 * float(nbytes) * 8 / width / speed
        key = (exporter, int(if_index), direction)
        out.peaks[key] = max(out.peaks.get(key, 0.0), percent)
        if percent >= threshold:
            out.over.setdefault(key, []).append((int(bucket), percent))
    for buckets in out.over.values():
        buckets.sort()
    return out


def bottleneck(
    key: InterfaceKey,
    buckets: list[tuple[int, float]],
    peak: float,
    speed: int,
    width: int,
    pairs: list[flows_pb2.TopKEntry],
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


def answer(
    found: list[flows_pb2.Bottleneck], threshold: float, width: int, caveats: list[str]
) -> flows_pb2.DetectBottlenecksResponse:
    """Worst first, at most MAX_REPORTED, with what the data could not tell apart."""
    found.sort(key=lambda b: -b.score)
    return flows_pb2.DetectBottlenecksResponse(
        bottlenecks=found[:MAX_REPORTED], threshold_percent=threshold, bucket_seconds=width, unavailable=caveats
    )


async def detect_bottlenecks(
    backend: FlowsBackend[Any], settings: FlowsSettings, request: flows_pb2.DetectBottlenecksRequest
) -> flows_pb2.DetectBottlenecksResponse:
    """Interfaces whose per-bucket rate reaches the threshold, worst first, with the pairs that filled them."""
    flt = backend.compile(request.filter)
    threshold, width = parameters(settings, request, flt.start, flt.end, backend.load_bucket_seconds)
    capacities = capacity_map(settings, request)
    names = load_interface_map(settings.interface_map)
    rows = await backend.interface_load(flt, width)
    load = utilisation(rows, capacities, settings.default_capacity_bps, width, threshold)
    over = list(load.over.items())
    pairs = await asyncio.gather(
        *(backend.top_pairs(flt, key, buckets[0][0], buckets[-1][0] + width) for key, buckets in over)
    )
    found = []
    for (key, buckets), top in zip(over, pairs, strict=True):
        speed = _capacity(capacities, *key[:2]) or settings.default_capacity_bps
        found.append(bottleneck(key, buckets, load.peaks[key], speed, width, top))
        info = lookup(names, *key[:2])
        found[-1].interface_name = info.name if info else ""
    return answer(found, threshold, width, backend.load_caveats())
