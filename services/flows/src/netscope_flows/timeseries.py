"""TimeSeries: a metric in fixed buckets, optionally split by the top keys of a TopK dimension."""

from __future__ import annotations

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_flows.filters import CompiledFilter
from netscope_flows.topk import KEY_EXPRESSIONS, METRIC_SQL

MIN_BUCKET_SECONDS = 10
MAX_BUCKETS = 2000
TARGET_BUCKETS = 60
MAX_TOP_N = 20
_NICE = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def bucket_seconds(request: flows_pb2.TimeSeriesRequest, flt: CompiledFilter) -> int:
    """The bucket width asked for, or a round one giving about TARGET_BUCKETS buckets."""
    span = int((flt.end - flt.start).total_seconds())
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


def top_n(request: flows_pb2.TimeSeriesRequest) -> int:
    """Series asked for when grouping, validated."""
    if request.top_n > MAX_TOP_N:
        raise InvalidArgument(f"top_n must be between 1 and {MAX_TOP_N}; got {request.top_n}", field="top_n")
    return request.top_n or 5


def build_series_sql(request: flows_pb2.TimeSeriesRequest, flt: CompiledFilter, width: int) -> str:
    """Rows (key, bucket epoch, value); key is 'total' when not grouped."""
    metric = METRIC_SQL.get(request.metric)
    if metric is None:
        raise InvalidArgument(f"unknown metric {request.metric}; use a Metric value", field="metric")
    n = top_n(request)
    bucket = f"toUInt32(toStartOfInterval(FIRST_SEEN, INTERVAL {width} SECOND))"
    if not request.group_by:
        return f"SELECT 'total' AS key, {bucket} AS t, {metric} AS v FROM flows WHERE {flt.where} GROUP BY t ORDER BY t"
    key = KEY_EXPRESSIONS.get(request.group_by)
    if key is None or request.group_by == flows_pb2.TOP_K_DIMENSION_HOST:
        raise InvalidArgument(
            "group_by must be a TopKDimension other than HOST (use SRC_IP or DST_IP)", field="group_by"
        )
    return (
        f"SELECT {key} AS key, {bucket} AS t, {metric} AS v FROM flows WHERE {flt.where} AND key IN "
        f"(SELECT {key} AS k FROM flows WHERE {flt.where} GROUP BY k ORDER BY {metric} DESC, k LIMIT {n}) "
        "GROUP BY key, t ORDER BY key, t"
    )
