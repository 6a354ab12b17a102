"""The checks and limits every backend applies to a request, before it asks its store anything.

Each check raises InvalidArgument naming the field and what is allowed, so an assistant can correct its call;
each returns the value to use (0 means the default). What only one backend cannot answer (ntopng's score on
Elasticsearch, say) is refused by that backend, not here.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Protocol

from datemath import datemath

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import make_window

D = flows_pb2.TopKDimension
K = flows_pb2.AnomalyKind
MAX_K = 1000
MAX_TOP_N = 100
MAX_COUNTRIES = 300
MAX_EXPORTERS = 500  # DeviceStats and bottlenecks: exporters and interfaces looked at
MAX_INTERFACES = 5000
MAX_FINDINGS = 200
MAX_RECOMMENDATIONS = 100
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_SERIES = 20
MIN_BUCKET_SECONDS = 10
MAX_BUCKETS = 2000
TARGET_BUCKETS = 60
MIN_PX, MAX_PX = 200, 3000
MAX_TITLE = 200
HOST_SPAN = timedelta(hours=24)  # InvestigateHost and FindAnomalies look back a day when no start is given
ANOMALY_KINDS = frozenset(K.values()) - {K.ANOMALY_KIND_UNSPECIFIED}
_NICE = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


class Window(Protocol):
    """A checked window, as every backend's compiled filter carries it."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


def _bounded(value: int, limit: int, default: int, field: str) -> int:
    if value > limit:
        raise InvalidArgument(f"{field} must be between 1 and {limit} (0 means {default}); got {value}", field=field)
    return value or default


def top_k(k: int) -> int:
    """TopK's k."""
    return _bounded(k, MAX_K, 10, "k")


def countries(k: int) -> int:
    """CountryStats' k."""
    return _bounded(k, MAX_COUNTRIES, 20, "k")


def top_n(value: int) -> int:
    """The length of each ranking in AnalyzeTraffic and InvestigateHost."""
    return _bounded(value, MAX_TOP_N, 10, "top_n")


def max_findings(value: int) -> int:
    """FindAnomalies' max_findings."""
    return _bounded(value, MAX_FINDINGS, 50, "max_findings")


def max_items(value: int) -> int:
    """Recommendations' max_items."""
    return _bounded(value, MAX_RECOMMENDATIONS, 20, "max_items")


def page_size(request: flows_pb2.SearchFlowsRequest) -> int:
    """SearchFlows' page size."""
    if request.page_size > MAX_PAGE_SIZE:
        raise InvalidArgument(
            f"page_size must be between 1 and {MAX_PAGE_SIZE} (0 means {DEFAULT_PAGE_SIZE}); got {request.page_size}",
            field="page_size",
        )
    return request.page_size or DEFAULT_PAGE_SIZE


def sort(value: int) -> int:
    """A FlowSort value."""
    if value not in flows_pb2.FlowSort.values():
        raise InvalidArgument(f"unknown sort {value}; use a FlowSort value", field="sort")
    return value


def dimension(value: int, field: str = "dimension") -> int:
    """A TopKDimension (unspecified = SRC_IP)."""
    if value not in D.values():
        raise InvalidArgument(f"unknown {field} {value}; use a TopKDimension value", field=field)
    return value or D.TOP_K_DIMENSION_SRC_IP


def group_by(value: int) -> int:
    """TimeSeries' group_by: any dimension but HOST (0: one total series)."""
    if value == D.TOP_K_DIMENSION_HOST or value not in D.values():
        raise InvalidArgument(
            "group_by must be a TopKDimension other than HOST (use SRC_IP or DST_IP)", field="group_by"
        )
    return value


def locality(value: int) -> int:
    """TopK's locality (0: any)."""
    if value not in (0, flows_pb2.LOCALITY_LOCAL, flows_pb2.LOCALITY_REMOTE):
        raise InvalidArgument(f"unknown locality {value}; use LOCALITY_LOCAL or LOCALITY_REMOTE", field="locality")
    return value


def metric(value: int) -> int:
    """A Metric value."""
    if value not in flows_pb2.Metric.values():
        raise InvalidArgument(f"unknown metric {value}; use a Metric value", field="metric")
    return value


def series(request: flows_pb2.TimeSeriesRequest) -> int:
    """How many series a grouped TimeSeries draws."""
    if request.top_n > MAX_SERIES:
        raise InvalidArgument(f"top_n must be between 1 and {MAX_SERIES}; got {request.top_n}", field="top_n")
    return request.top_n or 5


def bucket_seconds(request: flows_pb2.TimeSeriesRequest, window: Window) -> int:
    """The bucket width asked for, or a round one giving about TARGET_BUCKETS buckets."""
    span = int((window.end - window.start).total_seconds())
    if request.bucket_seconds:
        width = request.bucket_seconds
        if width < MIN_BUCKET_SECONDS or span / width > MAX_BUCKETS:
            raise InvalidArgument(
                f"bucket_seconds must be at least {MIN_BUCKET_SECONDS} and give at most {MAX_BUCKETS} buckets "
                f"over the window ({span} s, so at least {max(MIN_BUCKET_SECONDS, -(-span // MAX_BUCKETS))}); "
                f"got {width}",
                field="bucket_seconds",
            )
        return width
    wanted = span / TARGET_BUCKETS
    return next((n for n in _NICE if n >= wanted), max(86400, -(-span // MAX_BUCKETS)))


def anomaly_kinds(request: flows_pb2.FindAnomaliesRequest) -> frozenset[int]:
    """The detectors to run: those named, or all."""
    asked = frozenset(request.kinds) or ANOMALY_KINDS
    unknown = asked - ANOMALY_KINDS
    if unknown:
        raise InvalidArgument(
            f"unknown anomaly kind(s) {sorted(unknown)}; use AnomalyKind values 1-{max(ANOMALY_KINDS)}",
            field="kinds",
        )
    return asked


def host(text: str) -> str:
    """InvestigateHost's ip: one address, in its canonical text."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise InvalidArgument(
            f"ip must be one IPv4 or IPv6 address such as 10.1.2.42; got {text!r}", field="ip"
        ) from None


def time_range(text: str, field: str = "time_range") -> common_pb2.TimeWindow:
    """Seed 003's time_range: a start in Elasticsearch date math or ISO 8601, the window running to now."""
    try:
        start = datemath(text.strip()).astimezone(UTC)
    except Exception:  # datemath raises its parser's many exception types
        raise InvalidArgument(
            f"{field} must be Elasticsearch date math such as now-15m, now-1h, now-7d or now-1d/d, or an ISO 8601 "
            f"date/time such as 2025-11-01T00:00:00Z; got {text!r}",
            field=field,
        ) from None
    end = datetime.now(UTC)
    if start >= end:
        raise InvalidArgument(f"{field} must start before now; got {text!r} ({start.isoformat()})", field=field)
    return make_window(start, end)


def window_of(window: common_pb2.TimeWindow, text: str, field: str = "time_range") -> common_pb2.TimeWindow:
    """The window a request asks for: `window`, or the time_range `text` (not both)."""
    if not text:
        return window
    if window.HasField("start") or window.HasField("end"):
        raise InvalidArgument(f"set either window or {field}, not both", field=field)
    return time_range(text, field)


def resolved(flt: flows_pb2.FlowFilter) -> flows_pb2.FlowFilter:
    """The filter with its time_range (if any) turned into its window."""
    if not flt.time_range:
        return flt
    out = flows_pb2.FlowFilter()
    out.CopyFrom(flt)
    out.window.CopyFrom(window_of(flt.window, flt.time_range, "filter.time_range"))
    out.time_range = ""
    return out


def host_side(ip: str, direction: int) -> dict[str, str]:
    """The FlowFilter fields selecting a host's flows in a (checked) direction."""
    if direction == flows_pb2.HOST_DIRECTION_SOURCE:
        return {"src_ip": ip}
    if direction == flows_pb2.HOST_DIRECTION_DESTINATION:
        return {"dst_ip": ip}
    return {"host": ip}


def host_direction(value: int) -> int:
    """InvestigateHost's direction (unspecified: both)."""
    if value not in flows_pb2.HostDirection.values():
        raise InvalidArgument(
            f"unknown direction {value}; use HOST_DIRECTION_BOTH, _SOURCE or _DESTINATION", field="direction"
        )
    return value or flows_pb2.HOST_DIRECTION_BOTH


def chart_size(request: flows_pb2.ChartRequest) -> tuple[int, int]:
    """A chart's width and height in pixels, and its title's length."""
    width, height = request.width or 1000, request.height or 500
    for name, value in (("width", width), ("height", height)):
        if not MIN_PX <= value <= MAX_PX:
            raise InvalidArgument(f"{name} must be {MIN_PX}-{MAX_PX} pixels (0 means default); got {value}", field=name)
    if len(request.title) > MAX_TITLE:
        raise InvalidArgument(f"title may be at most {MAX_TITLE} characters", field="title")
    return width, height
