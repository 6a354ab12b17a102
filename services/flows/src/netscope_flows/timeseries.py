"""TimeSeries on ClickHouse: a metric in fixed buckets, optionally split by the top keys of a TopK dimension."""

from __future__ import annotations

from netscope.flows.v1 import flows_pb2
from netscope_flows.filters import CompiledFilter
from netscope_flows.topk import KEY_EXPRESSIONS, METRIC_SQL


def build_series_sql(request: flows_pb2.TimeSeriesRequest, flt: CompiledFilter, width: int, n: int) -> str:
    """Rows (key, bucket epoch, value) over a checked request; key is 'total' when not grouped."""
    metric = METRIC_SQL[request.metric]
    bucket = f"toUInt32(toStartOfInterval(FIRST_SEEN, INTERVAL {width} SECOND))"
    if not request.group_by:
        return f"SELECT 'total' AS key, {bucket} AS t, {metric} AS v FROM flows WHERE {flt.where} GROUP BY t ORDER BY t"
    key = KEY_EXPRESSIONS[request.group_by]
    return (
        f"SELECT {key} AS key, {bucket} AS t, {metric} AS v FROM flows WHERE {flt.where} AND key IN "
        f"(SELECT {key} AS k FROM flows WHERE {flt.where} GROUP BY k ORDER BY {metric} DESC, k LIMIT {n}) "
        "GROUP BY key, t ORDER BY key, t"
    )
