"""Byte sums per time bucket with each flow's bytes spread over the buckets its duration covers, by aggregations.

ClickHouse spreads each flow exactly (per-flow arithmetic). Aggregations cannot divide a document's bytes by its
duration, so flows are grouped by start bucket and by duration class (the duration in whole bucket widths):
a class-k group's bytes are shared evenly over its start bucket and the k buckets after it. A flow's bytes thus
land within one bucket of where ClickHouse puts them; flows shorter than a bucket stay in their start bucket.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from netscope_flows.elastic.layout import FieldLayout

NANOS = 1_000_000_000


def histogram(layout: FieldLayout, width: int, sums: Iterable[str]) -> dict[str, Any]:
    """A date_histogram of the flows' start with a duration-class histogram under it, summing each field.

    Documents without a duration (seed 003's) are one class: each stays in its start bucket.
    """
    if not layout.has(layout.duration):
        return {
            "date_histogram": {"field": layout.start, "fixed_interval": f"{width}s", "min_doc_count": 1},
            "aggs": {name: {"sum": {"field": name}} for name in sums},
        }
    return {
        "date_histogram": {"field": layout.start, "fixed_interval": f"{width}s", "min_doc_count": 1},
        "aggs": {
            "d": {
                "histogram": {"field": layout.duration, "interval": width * NANOS, "min_doc_count": 1},
                "aggs": {name: {"sum": {"field": name}} for name in sums},
            }
        },
    }


def _classes(buckets: list[dict[str, Any]], width: int, end: int) -> Iterator[tuple[dict[str, Any], int, list[int]]]:
    """Each (start bucket, duration class k) group of `histogram`'s buckets, its k and the bucket starts it covers
    before `end`."""
    for b in buckets:
        start = int(b["key"] // 1000)
        for d in b["d"]["buckets"] if "d" in b else [{**b, "key": 0}]:
            extra = max(0, int(d["key"] // (width * NANOS)))
            yield d, extra, [start + i * width for i in range(extra + 1) if start + i * width < end] or [start]


def spread(buckets: list[dict[str, Any]], width: int, field: str, end: int) -> dict[int, float]:
    """Bytes of `field` per bucket start (epoch seconds, before `end`) from `histogram`'s buckets."""
    out: dict[int, float] = defaultdict(float)
    for d, extra, covered in _classes(buckets, width, end):
        value = float(d[field]["value"] or 0) / (extra + 1)  # the share after `end` is cut off
        for t in covered:
            out[t] += value
    return out


def active(buckets: list[dict[str, Any]], width: int, end: int) -> dict[int, float]:
    """Flows active in each bucket (by bucket start, before `end`) from `histogram`'s buckets."""
    out: dict[int, float] = defaultdict(float)
    for d, _, covered in _classes(buckets, width, end):
        for t in covered:
            out[t] += int(d["doc_count"])
    return out
