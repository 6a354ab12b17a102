"""PNG charts (matplotlib's Agg canvas, no global pyplot state) of TimeSeries and TopK answers.

Imported on the first Chart call only (matplotlib takes a while to load); sizes are checked by `arguments`.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from netscope.flows.v1 import flows_pb2

DPI = 100
_UNITS = {
    flows_pb2.METRIC_UNSPECIFIED: "bytes",
    flows_pb2.METRIC_BYTES: "bytes",
    flows_pb2.METRIC_PACKETS: "packets",
    flows_pb2.METRIC_FLOWS: "flows",
    flows_pb2.METRIC_SCORE: "score",
}


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer)
    return buffer.getvalue()


def series_png(answer: flows_pb2.TimeSeriesResponse, title: str, width: int, height: int) -> bytes:
    """One line per series over time."""
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    ax = fig.add_subplot()
    for series in answer.series:
        times = date2num([p.time.ToDatetime() for p in series.points])
        ax.plot(times, [p.value for p in series.points], label=series.key)
    ax.xaxis_date()
    ax.set_title(title)
    ax.set_ylabel(f"{_UNITS[answer.metric]} per {answer.bucket_seconds} s")
    if len(answer.series) > 1:
        ax.legend(fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


def topk_png(
    answer: flows_pb2.TopKResponse, metric: flows_pb2.Metric.ValueType, title: str, width: int, height: int
) -> bytes:
    """Horizontal bars, largest on top."""
    field = _UNITS[metric]
    entries = list(answer.entries)[::-1]
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    ax = fig.add_subplot()
    ax.barh([e.key for e in entries], [getattr(e, field) for e in entries])
    ax.set_title(title)
    ax.set_xlabel(field)
    fig.tight_layout()
    return _png(fig)
