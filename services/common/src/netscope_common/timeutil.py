"""Conversions between protobuf timestamps and datetimes, and time-window validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from netscope.common.v1 import common_pb2
from netscope_common.errors import InvalidArgument


def to_datetime(ts: Timestamp) -> datetime:
    """A protobuf Timestamp as an aware UTC datetime."""
    return ts.ToDatetime(tzinfo=UTC)


def to_timestamp(dt: datetime) -> Timestamp:
    """An aware (or naive UTC) datetime as a protobuf Timestamp."""
    ts = Timestamp()
    ts.FromDatetime(dt if dt.tzinfo else dt.replace(tzinfo=UTC))
    return ts


def make_window(start: datetime, end: datetime) -> common_pb2.TimeWindow:
    """A TimeWindow message from two datetimes."""
    return common_pb2.TimeWindow(start=to_timestamp(start), end=to_timestamp(end))


def last(span: timedelta, now: datetime | None = None) -> common_pb2.TimeWindow:
    """The window [now - span, now)."""
    end = now or datetime.now(UTC)
    return make_window(end - span, end)


def resolve_window(
    window: common_pb2.TimeWindow,
    *,
    default_span: timedelta = timedelta(hours=1),
    max_span: timedelta = timedelta(days=731),
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """Validate a window; missing bounds default to [end - default_span, now]. Raises InvalidArgument."""
    now = now or datetime.now(UTC)
    end = to_datetime(window.end) if window.HasField("end") else now
    start = to_datetime(window.start) if window.HasField("start") else end - default_span
    if start >= end:
        raise InvalidArgument(
            f"time window is empty or inverted: start {start.isoformat()} is not before end {end.isoformat()}",
            field="window",
        )
    if end - start > max_span:
        raise InvalidArgument(f"time window longer than the allowed {max_span.days} days", field="window")
    return start, end
