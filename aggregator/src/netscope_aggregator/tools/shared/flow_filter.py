"""Flow filters as the flows contract takes them: from tool arguments, and from a finding's evidence_filter."""

from datetime import timedelta
from typing import Annotated, Any

from google.protobuf import json_format
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import last

Hours = Annotated[float, Field(gt=0, le=24 * 731, description="look back this many hours from now")]


def flow_filter(
    hours: float | None,
    *,
    time_range: str = "",
    src_ip: str = "",
    dst_ip: str = "",
    host: str = "",
    port: int | None = None,
    dst_port: int | None = None,
    l4_proto: str = "",
    l7_proto: str = "",
    country: str = "",
    min_bytes: int = 0,
    min_score: int = 0,
) -> flows_pb2.FlowFilter:
    """A FlowFilter over the last `hours` (or from `time_range`, date math, when hours is None) with the given
    conditions."""
    if hours is None and not time_range:
        raise ValueError("a flow filter needs hours or time_range")
    flt = flows_pb2.FlowFilter(
        time_range=time_range,
        src_ip=src_ip,
        dst_ip=dst_ip,
        host=host,
        l4_proto=l4_proto,
        l7_proto=l7_proto,
        country=country,
        min_bytes=min_bytes,
        min_score=min_score,
    )
    if hours is not None:
        flt.window.CopyFrom(last(timedelta(hours=hours)))
    if port is not None:
        flt.port = port
    if dst_port is not None:
        flt.dst_port = dst_port
    return flt


def parse_evidence_filter(evidence: dict[str, Any]) -> flows_pb2.FlowFilter:
    """A finding's evidence_filter (as a tool answered it) back into a FlowFilter; ToolError naming the problem."""
    try:
        return json_format.ParseDict(evidence, flows_pb2.FlowFilter())
    except json_format.ParseError as error:
        fields = ", ".join(f.name for f in flows_pb2.FlowFilter.DESCRIPTOR.fields)
        raise ToolError(f"evidence_filter is not a flow filter: {error}. Its fields are: {fields}") from error


def narrowed(evidence: flows_pb2.FlowFilter, explicit: flows_pb2.FlowFilter) -> flows_pb2.FlowFilter:
    """The evidence filter with the explicit filters laid over it; its window wins over the `hours` window."""
    out = flows_pb2.FlowFilter()
    out.CopyFrom(evidence)
    extra = flows_pb2.FlowFilter()
    extra.CopyFrom(explicit)
    if out.HasField("window"):
        extra.ClearField("window")
    out.MergeFrom(extra)
    return out
