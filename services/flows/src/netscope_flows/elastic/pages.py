"""SearchFlows on Elasticsearch: sorted pages with `search_after` and an opaque token carrying the sort values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.elastic.layout import FieldLayout, value
from netscope_flows.elastic.query import not_in_ecs
from netscope_flows.page_tokens import open_token, seal

S = flows_pb2.FlowSort


def sort_of(layout: FieldLayout, request: flows_pb2.SearchFlowsRequest) -> list[dict[str, str]]:
    """The sort clause of a (checked) search; the flow id breaks ties, so search_after pages never overlap."""
    if request.sort == S.FLOW_SORT_SCORE:
        raise not_in_ecs("sort SCORE (ntopng's flow score)", "sort")
    first = {
        S.FLOW_SORT_UNSPECIFIED: (layout.start, "desc"),
        S.FLOW_SORT_NEWEST: (layout.start, "desc"),
        S.FLOW_SORT_OLDEST: (layout.start, "asc"),
        S.FLOW_SORT_BYTES: (layout.bytes, "desc"),
        S.FLOW_SORT_PACKETS: (layout.packets, "desc"),
        S.FLOW_SORT_DURATION: (layout.duration, "desc"),
    }[request.sort]
    # Without a flow id (seed 003's documents) the source address breaks ties: pages of equal sort values may
    # then repeat or skip a document.
    tie = layout.flow_id if layout.has(layout.flow_id) else layout.src_ip
    return [{first[0]: first[1]}, {tie: first[1]}]


def encode_token(request: flows_pb2.SearchFlowsRequest, after: list[Any]) -> str:
    """Opaque token for the page after the hit whose sort values are `after`."""
    return seal(request, {"a": after})


def _sort_values(data: dict[str, Any]) -> list[Any]:
    after = list(data["a"])
    if len(after) != 2 or not all(isinstance(v, int | float | str) for v in after):
        raise ValueError("bad sort values")
    return after


def decode_token(request: flows_pb2.SearchFlowsRequest) -> list[Any] | None:
    """The search_after values of the requested page (None for the first); refuses tokens of another search."""
    if not request.page_token:
        return None
    return open_token(request, _sort_values)


def _time(text: str | None) -> Any:
    if not text:
        return None
    return to_timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))


def to_record(f: FieldLayout, source: dict[str, Any]) -> flows_pb2.FlowRecord:
    """One document as a FlowRecord (ntopng-only fields stay empty)."""
    observer = value(source, f.exporter) or [""]
    record = flows_pb2.FlowRecord(
        flow_id=int(value(source, f.flow_id) or 0),
        src_ip=value(source, f.src_ip) or "", src_port=int(value(source, f.src_port) or 0),
        dst_ip=value(source, f.dst_ip) or "", dst_port=int(value(source, f.dst_port) or 0),
        l4_proto=str(value(source, f.transport) or ""), l7_proto=str(value(source, f.application) or ""),
        bytes=int(value(source, f.bytes) or 0), src2dst_bytes=int(value(source, f.src_bytes) or 0),
        # a one-direction document (dst_bytes is network.bytes too) sent nothing back
        dst2src_bytes=int(value(source, f.dst_bytes) or 0) if f.dst_bytes != f.bytes else 0,
        packets=int(value(source, f.packets) or 0),
        src_country=value(source, f.src_country) or "", dst_country=value(source, f.dst_country) or "",
        exporter=observer[0] if isinstance(observer, list) else str(observer),
        input_if_index=int(value(source, f.ingress) or 0), output_if_index=int(value(source, f.egress) or 0),
    )  # fmt: skip
    for name, field in (("first_seen", f.start), ("last_seen", f.end)):
        stamp = _time(value(source, field))
        if stamp is not None:
            getattr(record, name).CopyFrom(stamp)
    return record
