"""Spreading a flow's bytes over time buckets: the SQL (run on chdb) and the Elasticsearch approximation agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import clickhouse_connect
import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_flows.buckets import share, spread_join
from netscope_flows.elastic.spread import NANOS, spread
from netscope_flows.filters import compile_filter

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("window_minutes", [20, 5])
def test_a_flow_counts_only_its_share_inside_the_window(tmp_path: Path, window_minutes: int) -> None:
    """A 10-minute, 600 MB flow: all of it in a 20-minute window, half of it in a window ending 5 minutes in."""
    flt = compile_filter(flows_pb2.FlowFilter(window=make_window(START, START + timedelta(minutes=window_minutes))))
    first, last = int(START.timestamp()), int(START.timestamp()) + 599
    client = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path / 'db'}")
    flows = f"(SELECT toDateTime({first}) AS FIRST_SEEN, toDateTime({last}) AS LAST_SEEN, 600000000 AS TOTAL_BYTES)"
    rows = client.query(
        f"SELECT b, sum(TOTAL_BYTES * {share(flt, 60)}) FROM {flows} {spread_join(flt, 60)} GROUP BY b ORDER BY b"
    ).result_rows
    expected_minutes = min(10, window_minutes)
    assert [int(b) for b, _ in rows] == [first + 60 * i for i in range(expected_minutes)]
    assert all(v == pytest.approx(60_000_000) for _, v in rows)  # never squeezed into the last bucket
    # Elasticsearch: the flow's duration class spreads it the same way and cuts what lies after the window.
    buckets = [{"key": first * 1000, "d": {"buckets": [{"key": 9 * 60 * NANOS, "bytes": {"value": 600_000_000}}]}}]
    es = spread(buckets, 60, "bytes", int(flt.end.timestamp()))
    assert sorted(es) == [first + 60 * i for i in range(expected_minutes)]
    assert sum(es.values()) == pytest.approx(60_000_000 * expected_minutes)
